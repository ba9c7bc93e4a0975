"""The case as one self-contained printable HTML page (no network at all).

This module gathers what the page shows, with the child's identity already withheld where it
must be; the template ``export.html`` lays it out, and Jinja2 escapes every value. Its labels
are in the user's language (:mod:`shouhu.i18n`); times are shown to the second, local with
their offset; an event's data is a list of labelled fields, a choice value with its Chinese
name where the vocabulary has one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from shouhu.adapters.export.common import (
    FONT_STACK,
    MONO_STACK,
    Redactor,
    aware,
    case_header,
    case_path,
    deadline_rows,
    duration,
    effects_text,
)
from shouhu.adapters.export.diagram_svg import state_diagram_svg
from shouhu.adapters.export.templating import page_lang, render
from shouhu.engine.audit import Broken, DeadlineCompliance, Replay
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.redact import public_effects
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseView, EventView
from shouhu.i18n import _, chinese
from shouhu.workflows import vocab
from shouhu.workflows.spec import WorkflowDef

#: An ISO instant as stored (``2026-03-02T09:00:00.123456+08:00``): shown to the second.
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$")
_FRACTION = re.compile(r"(T\d\d:\d\d:\d\d)\.\d+")


def seconds(text: str | None) -> str | None:
    """A time as the page shows it: without fractions of a second."""
    return None if text is None else _FRACTION.sub(r"\1", text)


def choice_name(key: str) -> str | None:
    """The Chinese name of a choice value, if the vocabulary has one (the first of its names)."""
    names: Mapping[str, Any] = getattr(vocab, "CHOICE_NAMES", None) or {}
    found = names.get(key)
    if isinstance(found, str):
        return found
    if isinstance(found, tuple | list) and found:
        return str(found[0])
    return None


def _choice_fields(wf: WorkflowDef) -> dict[str, dict[str, str | None]]:
    """For each data field of the workflow that takes choices: each choice's Chinese name."""
    fields = [*wf.report_data, *(f for t in wf.transitions for f in t.data)]
    out: dict[str, dict[str, str | None]] = {}
    for f in fields:
        if f.choices:
            out.setdefault(f.name, {}).update({c: choice_name(c) for c in f.choices})
    out.setdefault("reporter.kind", {}).update(vocab.REPORTER_KINDS)
    return out


def _shown_value(value: Any, zone: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return local_iso(aware(dt).replace(microsecond=0), zone) if dt.tzinfo else value
    if isinstance(value, list | tuple):
        return ", ".join(_shown_value(v, zone) for v in value)
    return str(value)


def _flat(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        label = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                yield from _flat(value, f"{label}.")
        else:
            yield label, value


def data_fields(
    data: Mapping[str, Any], choices: Mapping[str, Mapping[str, str | None]], zone: str
) -> list[dict[str, Any]]:
    """An event's data as labelled fields (nested blocks as ``block.field``): each with its
    value as shown, or, for a field that takes choices, each value with its Chinese name."""
    out = []
    for label, value in _flat(data):
        names = choices.get(label) or choices.get(label.rpartition(".")[2]) or {}
        items = value if isinstance(value, list | tuple) else [value]
        picked = (
            [(str(v), names.get(str(v))) for v in items]
            if names and items and all(isinstance(v, str) and v in names for v in items)
            else []
        )
        out.append({"label": label, "value": _shown_value(value, zone), "choices": picked})
    return out


def _timeline(
    history: Sequence[EventView], replay: Replay, zone: str, red: Redactor, wf: WorkflowDef
) -> list[dict[str, Any]]:
    """A row for each event: times, trigger, states, label, citation, actor, data, effects."""
    refused = dict(replay.illegal)
    choices = _choice_fields(wf)
    rows = []
    for h in history:
        e = h.event
        data = red.event_data(e)
        shown_effects = public_effects(e.effects) if red.active else e.effects
        rows.append(
            {
                "seq": e.seq,
                "occurred": seconds(local_iso(e.occurred_at, zone)),
                "recorded": seconds(local_iso(e.recorded_at, zone)),
                "trigger": e.trigger,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "label": red.text(h.label),
                "citation": h.citation,
                "refused": red.text(refused[e.seq]) if e.seq in refused else None,
                "actor": red.text(e.actor),
                "role": e.role,
                "role_name": vocab.ROLES.get(e.role),
                "data": data_fields(data, choices, zone) if data else [],
                "effects": [seconds(red.text(line)) for line in effects_text(shown_effects, zone)],
                "hash": e.hash,
            }
        )
    return rows


def _compliance(
    deadlines: Sequence[DeadlineCompliance], rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each deadline's row (already redacted) with its lateness in words."""
    out = []
    for d, row in zip(deadlines, rows, strict=True):
        if d.status == "pending":
            lateness = _("still open")
        elif d.late_seconds is None:
            lateness = "—" if d.status != "missed" else _("not yet done")
        elif d.late_seconds > 0:
            lateness = _("late {duration}").format(duration=duration(d.late_seconds))
        else:
            lateness = _("on time")
        out.append(
            {
                **row,
                "due_at": seconds(row.get("due_at")),
                "met_at": seconds(row.get("met_at")),
                "kind": d.kind,
                "status": d.status,
                "started_seq": d.started_seq,
                "closed_seq": d.closed_seq,
                "lateness": lateness,
                "bad": d.status == "missed" or (d.late_seconds or 0) > 0,
            }
        )
    return out


def _check(view: CaseView, broken: Broken | None, replay: Replay, red: Redactor) -> dict[str, Any]:
    """What verification and replay found, their reasons redacted."""
    return {
        "head_hash": view.record.head_hash,
        "broken": None
        if broken is None
        else {"seq": broken.seq, "reason": red.text(broken.reason)},
        "replay_ok": replay.ok,
        "illegal": [(seq, red.text(reason)) for seq, reason in replay.illegal],
        "differences": [red.text(d) for d in replay.differences],
    }


def export_html(
    view: CaseView,
    replay: Replay,
    broken: Broken | None,
    *,
    zone: str,
    identity: bool,
    generated_at: datetime,
) -> str:
    """One self-contained printable page (no network at all) for the case file."""
    red = Redactor(view, identity)
    events = [h.event for h in view.history]
    header = case_header(view, zone, identity, red)
    path = case_path(events)
    wf = view.workflow
    labels = {s.name: s.zh for s in wf.states}
    location = header["location"]
    for key in ("discovered_at", "reported_at", "closed_at"):
        header[key] = seconds(header[key])
    wf_name = wf.zh if chinese() else wf.en
    return str(
        render(
            "export.html",
            lang=page_lang(),
            title=_("Case {case} — {type} — audit export").format(
                case=view.record.id, type=wf_name
            ),
            case_id=view.record.id,
            wf_name=wf_name,
            reporter_kind_name=vocab.REPORTER_KINDS.get(str(header["reporter"]["kind"]), ""),
            generated=seconds(local_iso(aware(generated_at).replace(microsecond=0), zone)),
            zone=zone,
            identity=identity,
            font_stack=FONT_STACK,
            mono_stack=MONO_STACK,
            h=header,
            places=[(k, location[k]) for k in ("village", "township", "county") if location.get(k)],
            delay=duration(header["report_delay_seconds"]),
            diagram=state_diagram_svg(wf, path),
            path_text=" → ".join(f"{labels.get(s, s)} {s}" for s in path),
            timeline=_timeline(view.history, replay, zone, red, wf),
            deadlines=_compliance(replay.deadlines, deadline_rows(view, replay, zone, red)),
            check=_check(view, broken, replay, red),
            hashed_fields=HASHED_FIELDS,
            genesis=GENESIS,
        )
    )
