"""What both forms of the case export share: the identity redactor, the case header, the
deadline rows, what verification found, and the small formatting helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shouhu.engine.audit import Broken, Replay
from shouhu.engine.model import Event
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import WITHHELD, CaseView

IDENTITY_FIELDS = ("name", "birthdate", "id_number")

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
MONO_STACK = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", Menlo, Consolas, monospace'

# -- identity --------------------------------------------------------------------------------


class Redactor:
    """Replaces the child's identity by ``withheld`` in anything shown (a no-op with identity)."""

    def __init__(self, view: CaseView, identity: bool) -> None:
        self.active = not identity
        secrets: set[str] = set()
        if self.active:
            child = view.record.child
            secrets.update(
                s
                for s in (child.name, child.birthdate.isoformat(), child.id_number)
                if s and len(s.strip()) >= 2
            )
            for h in view.history[:1]:
                block = h.event.data.get("child")
                if isinstance(block, Mapping):
                    secrets.update(
                        str(block[k]).strip()
                        for k in IDENTITY_FIELDS
                        if block.get(k) and len(str(block[k]).strip()) >= 2
                    )
        # the longest first, so a name inside a longer secret is not half-replaced
        self.secrets = tuple(sorted(secrets, key=len, reverse=True))

    def text(self, value: str) -> str:
        for s in self.secrets:
            if s in value:
                value = value.replace(s, WITHHELD)
        return value

    def value(self, obj: Any) -> Any:
        """``obj`` with every string (keys too) redacted."""
        if not self.active:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.value(v) for v in obj]
        return obj

    def event_data(self, e: Event) -> dict[str, Any]:
        """The event's data as it may be shown: event 1's child identity withheld."""
        if not self.active:
            return e.data
        data = dict(e.data)
        child = data.get("child")
        if e.seq == 1 and isinstance(child, Mapping):
            data["child"] = {k: (WITHHELD if k in IDENTITY_FIELDS else v) for k, v in child.items()}
        out: dict[str, Any] = self.value(data)
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
    """An event's effects as short lines: ``started dispatch due …``, ``met (late 0h30m)``."""
    lines: list[str] = []
    for key, value in effects.items():
        if key == "report" and isinstance(value, Mapping):
            late = value.get("late")
            delay = duration(value.get("delay_seconds"))
            bound = value.get("bound")
            verdict = "LATE" if late else "on time"
            lines.append(
                f"report {verdict} (delay {delay}" + (f"; bound {bound})" if bound else ")")
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
        return f"started {kind} due {due}"
    if action == "met":
        late = int(item.get("late_seconds") or 0)
        return f"met {kind} (" + (f"late {duration(late)})" if late > 0 else "on time)")
    if action == "met_late":
        return f"met {kind} after it was missed (late {duration(item.get('late_seconds'))})"
    if action == "cancelled":
        reason = item.get("reason")
        return f"cancelled {kind}" + (f" ({reason})" if reason else "")
    if action in {"missed", "fired"}:
        return f"{action} {kind} (due {due})"
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
    child: dict[str, Any] = {
        "left_behind": r.child.left_behind,
        "age_at_discovery": r.child.age_at_discovery,
    }
    if identity:
        child = {
            "name": r.child.name,
            "birthdate": r.child.birthdate.isoformat(),
            "id_number": r.child.id_number,
            **child,
        }
    else:
        child = {"identity": WITHHELD, **child}
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
