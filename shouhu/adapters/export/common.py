"""What both forms of the case export share: the identity redactor, the case header, the
deadline rows, what verification found, and the small formatting helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shouhu.engine.audit import Broken, Replay
from shouhu.engine.model import Event
from shouhu.engine.redact import IDENTITY_BLOCKS, WITHHELD, identity_secrets, redact
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseView, child_block
from shouhu.i18n import _

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
MONO_STACK = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", Menlo, Consolas, monospace'

# -- identity --------------------------------------------------------------------------------


class Redactor:
    """The child's identity withheld in anything the export shows (a no-op with identity):
    :func:`shouhu.engine.redact.redact`, keeping the shape (each identity field ``withheld``),
    with the child's name, birthdate and id number — from the case record and event 1's
    identity block — withheld from free text too."""

    def __init__(self, view: CaseView, identity: bool) -> None:
        self.active = not identity
        self.secrets: tuple[str, ...] = ()
        if self.active:
            child = view.record.child
            record = {
                "name": child.name,
                "birthdate": child.birthdate.isoformat(),
                "id_number": child.id_number,
            }
            opening = view.history[0].event.data if view.history else {}
            self.secrets = identity_secrets(record, *(opening.get(b) for b in IDENTITY_BLOCKS))

    def text(self, value: str) -> str:
        shown: str = redact(value, identity=not self.active, secrets=self.secrets)
        return shown

    def value(self, obj: Any) -> Any:
        """``obj`` with every identity block withheld and every string (keys too) redacted."""
        return redact(obj, identity=not self.active, secrets=self.secrets, keep_keys=True)

    def event_data(self, e: Event) -> dict[str, Any]:
        """The event's data as it may be shown: event 1's child identity withheld."""
        out: dict[str, Any] = self.value(e.data)
        return out


# -- formatting helpers ----------------------------------------------------------------------


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def duration(seconds: int | float | None) -> str:
    """``0h30m``, ``2d03h15m``; seconds only when there are some."""
    if seconds is None:
        return "—"
    total = int(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{days}d{hours:02d}h{minutes:02d}m" if days else f"{hours}h{minutes:02d}m"
    if secs:
        text += f"{secs:02d}s"
    return sign + text


def _local_text(value: Any, zone: str) -> str:
    """A stored ISO instant shown in ``zone`` (as is when it is not one)."""
    if not isinstance(value, str):
        return str(value)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if dt.tzinfo is None:
        return value
    return local_iso(dt, zone)


def compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "), default=str)


def effects_text(effects: Mapping[str, Any], zone: str) -> list[str]:
    """An event's effects as short lines in the user's language: ``started dispatch due …``,
    ``met dispatch (late 0h30m)``."""
    lines: list[str] = []
    for key, value in effects.items():
        if key == "report" and isinstance(value, Mapping):
            late = value.get("late")
            delay = duration(value.get("delay_seconds"))
            bound = value.get("bound")
            verdict = _("LATE") if late else _("on time")
            lines.append(
                _("report {verdict} (delay {delay}; bound {bound})").format(
                    verdict=verdict, delay=delay, bound=bound
                )
                if bound
                else _("report {verdict} (delay {delay})").format(verdict=verdict, delay=delay)
            )
        elif key == "deadlines" and isinstance(value, list):
            lines.extend(_deadline_effect(item, zone) for item in value)
        else:
            lines.append(f"{key}: {compact(value)}")
    return lines


def _deadline_effect(item: Any, zone: str) -> str:
    if not isinstance(item, Mapping):
        return compact(item)
    kind = str(item.get("kind", "?"))
    action = str(item.get("action", "?"))
    due = _local_text(item.get("due_at"), zone)
    if action == "started":
        return _("started {kind} due {due}").format(kind=kind, due=due)
    if action == "met":
        late = int(item.get("late_seconds") or 0)
        if late > 0:
            return _("met {kind} (late {duration})").format(kind=kind, duration=duration(late))
        return _("met {kind} (on time)").format(kind=kind)
    if action == "met_late":
        return _("met {kind} after it was missed (late {duration})").format(
            kind=kind, duration=duration(item.get("late_seconds"))
        )
    if action == "cancelled":
        reason = item.get("reason")
        if reason:
            return _("cancelled {kind} ({reason})").format(kind=kind, reason=reason)
        return _("cancelled {kind}").format(kind=kind)
    if action == "missed":
        return _("missed {kind} (due {due})").format(kind=kind, due=due)
    if action == "fired":
        return _("fired {kind} (due {due})").format(kind=kind, due=due)
    if action == "rejudged":  # Civil Code Art. 203, once the pack has the year's rest days
        to = _local_text(item.get("to"), zone)
        if to != due:
            return _("re-judged {kind} under Civil Code Art. 203: due {due}, moved to {to}").format(
                kind=kind, due=due, to=to
            )
        return _("re-judged {kind} under Civil Code Art. 203: due {due}, confirmed").format(
            kind=kind, due=due
        )
    return f"{action} {kind} (due {due})"


def case_path(events: Sequence[Event]) -> list[str]:
    """The states a case went through, in order (a state repeated only after leaving it)."""
    out: list[str] = []
    for e in events:
        if not out or out[-1] != e.to_state:
            out.append(e.to_state)
    return out


# -- the case header (shared by both forms) --------------------------------------------------


def case_header(view: CaseView, zone: str, identity: bool, red: Redactor) -> dict[str, Any]:
    r = view.record
    wf = view.workflow
    try:
        state = wf.state(r.state)
        state_zh, state_en = state.zh, state.en
    except KeyError:
        state_zh, state_en = r.state, r.state
    child = child_block(r, identity=identity)
    header = {
        "id": r.id,
        "type": r.type,
        "type_zh": wf.zh,
        "type_en": wf.en,
        "workflow_version": r.workflow_version,
        "state": r.state,
        "state_zh": state_zh,
        "state_en": state_en,
        "version": r.version,
        "outcome": r.outcome,
        "child": child,
        "location": r.location.as_dict(),
        "reporter": {
            "kind": r.reporter.kind,
            "name": r.reporter.name,
            "mandatory": r.reporter.mandatory,
        },
        "discovered_at": local_iso(r.discovered_at, zone),
        "reported_at": local_iso(r.reported_at, zone),
        "report_delay_seconds": r.report_delay_seconds,
        "late": r.late,
        "closed_at": local_iso(r.closed_at, zone) if r.closed_at else None,
        "head_hash": r.head_hash,
        "facts": r.facts,
    }
    # the identity block itself is what identity=True asks for; everything else is redacted
    out: dict[str, Any] = {**red.value({k: v for k, v in header.items() if k != "child"})}
    out["child"] = child
    return {k: out[k] for k in header}


def deadline_rows(view: CaseView, replay: Replay, zone: str, red: Redactor) -> list[dict[str, Any]]:
    """Each deadline's compliance from the replay, with the stored row's basis and citation."""
    stored: dict[tuple[str, datetime], Mapping[str, Any]] = {}
    for stored_row in view.deadlines:
        try:
            due = datetime.fromisoformat(str(stored_row.get("due_at")))
        except ValueError:
            continue
        if due.tzinfo is not None:
            stored[(str(stored_row.get("kind")), due)] = stored_row
    out = []
    for d in replay.deadlines:
        row = stored.get((d.kind, d.due_at), {})
        out.append(
            {
                "kind": d.kind,
                "due_at": WITHHELD if d.personal and red.active else local_iso(d.due_at, zone),
                "status": d.status,
                "met_at": local_iso(d.met_at, zone) if d.met_at else None,
                "late_seconds": d.late_seconds,
                "started_seq": d.started_seq,
                "closed_seq": d.closed_seq,
                "basis": row.get("basis"),
                "citation": row.get("citation"),
            }
        )
    result: list[dict[str, Any]] = red.value(out)
    return result


def verification(
    view: CaseView, events: Sequence[Event], broken: Broken | None, replay: Replay
) -> dict[str, Any]:
    return {
        "chain": "verified" if broken is None else "broken",
        "events": len(events),
        "head_hash": view.record.head_hash,
        "last_event_hash": events[-1].hash if events else None,
        "broken": broken.to_dict() if broken is not None else None,
        "replay_ok": replay.ok,
    }
