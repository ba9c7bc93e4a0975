"""The case as one self-contained printable HTML page (no network at all).

This module gathers what the page shows, with the child's identity already withheld where it
must be; the template ``export.html`` lays it out, and Jinja2 escapes every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shouhu.adapters.export.common import (
    FONT_STACK,
    MONO_STACK,
    Redactor,
    aware,
    case_header,
    case_path,
    compact,
    deadline_rows,
    duration,
    effects_text,
)
from shouhu.adapters.export.diagram_svg import state_diagram_svg
from shouhu.adapters.export.templating import render
from shouhu.engine.audit import Broken, DeadlineCompliance, Replay
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.redact import public_effects
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseView, EventView


def _timeline(
    history: Sequence[EventView], replay: Replay, zone: str, red: Redactor
) -> list[dict[str, Any]]:
    """A row for each event: times, trigger, states, label, citation, actor, data, effects."""
    refused = dict(replay.illegal)
    rows = []
    for h in history:
        e = h.event
        data = red.event_data(e)
        shown_effects = public_effects(e.effects) if red.active else e.effects
        rows.append(
            {
                "seq": e.seq,
                "occurred": local_iso(e.occurred_at, zone),
                "recorded": local_iso(e.recorded_at, zone),
                "trigger": e.trigger,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "label": red.text(h.label),
                "citation": h.citation,
                "refused": red.text(refused[e.seq]) if e.seq in refused else None,
                "actor": red.text(e.actor),
                "role": e.role,
                "data": compact(data) if data else "—",
                "effects": [red.text(line) for line in effects_text(shown_effects, zone)],
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
            lateness = "still open"
        elif d.late_seconds is None:
            lateness = "—" if d.status != "missed" else "not yet done"
        elif d.late_seconds > 0:
            lateness = f"late {duration(d.late_seconds)}"
        else:
            lateness = "on time"
        out.append(
            {
                **row,
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
    return str(
        render(
            "export.html",
            title=f"案件 {view.record.id} — {wf.zh} — audit export",
            case_id=view.record.id,
            wf_zh=wf.zh,
            generated=local_iso(aware(generated_at), zone),
            zone=zone,
            identity=identity,
            font_stack=FONT_STACK,
            mono_stack=MONO_STACK,
            h=header,
            places=[(k, location[k]) for k in ("village", "township", "county") if location.get(k)],
            delay=duration(header["report_delay_seconds"]),
            diagram=state_diagram_svg(wf, path),
            path_text=" → ".join(f"{labels.get(s, s)} {s}" for s in path),
            timeline=_timeline(view.history, replay, zone, red),
            deadlines=_compliance(replay.deadlines, deadline_rows(view, replay, zone, red)),
            check=_check(view, broken, replay, red),
            hashed_fields=HASHED_FIELDS,
            genesis=GENESIS,
        )
    )
