"""What an event does to a case's deadlines, by the policy pack in force. Pure functions.

Every event that starts, meets or cancels a deadline carries the change in its ``effects``
(covered by the hash), and the deadline rows change in the same transaction. So the history
alone says which deadline ran when, and by how much a duty was late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from shouhu.engine.model import Deadline, DeadlineWrite
from shouhu.engine.policy import DeadlineRule, PolicyPack
from shouhu.engine.timeutil import local_iso, parse_instant


@dataclass
class Changes:
    """The deadline rows to write, the ``effects`` entries, and the facts to record."""

    writes: list[DeadlineWrite] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def effect(self, d: Deadline, action: str, zone: str, **extra: Any) -> None:
        self.effects.append(
            {"kind": d.kind, "action": action, "due_at": local_iso(d.due_at, zone), **extra}
        )


def on_event(
    pack: PolicyPack,
    zone: str,
    *,
    case_id: str,
    existing: Sequence[Deadline],
    trigger: str,
    data: Mapping[str, Any],
    when: datetime,
    seq: int,
    closes: bool,
) -> Changes:
    """The deadline changes of one event (``data``: the trigger's data; for ``report``, the
    report data)."""
    out = Changes()
    rules = pack.tracked_by_name
    still_pending: set[str] = set()
    for d in existing:
        rule = rules.get(d.kind)
        if d.status == "pending":
            if rule is not None and trigger in rule.met_by:
                late = max(0, int((when - d.due_at).total_seconds()))
                done = replace(d, status="met", closed_at=when, closed_seq=seq, met_at=when)
                out.writes.append(DeadlineWrite(done, "pending"))
                out.effect(d, "met", zone, late_seconds=late)
            elif (rule is not None and trigger in rule.cancelled_by) or closes:
                done = replace(d, status="cancelled", closed_at=when, closed_seq=seq)
                out.writes.append(DeadlineWrite(done, "pending"))
                out.effect(d, "cancelled", zone, reason="case closed" if closes else trigger)
            else:
                still_pending.add(d.kind)
        elif d.status == "missed" and d.met_at is None and rule and trigger in rule.met_by:
            late = int((when - d.due_at).total_seconds())
            out.writes.append(DeadlineWrite(replace(d, met_at=when), "missed"))
            out.effect(d, "met_late", zone, late_seconds=late)
    if closes:
        return out
    for rule in pack.started_by(trigger):  # the others return None from _start_of
        start = _start_of(rule, trigger, data, when, zone)
        if start is None:
            continue
        if rule.name in still_pending:
            if not rule.restart:
                continue  # a duty already running keeps its first due time
            for d in existing:
                if d.kind == rule.name and d.status == "pending":
                    done = replace(d, status="cancelled", closed_at=when, closed_seq=seq)
                    out.writes.append(DeadlineWrite(done, "pending"))
                    out.effect(d, "cancelled", zone, reason=f"restarted by {trigger}")
        due = rule.due(start, zone).astimezone(UTC)
        new = Deadline(
            id=None,
            case_id=case_id,
            kind=rule.name,
            status="pending",
            due_at=due,
            started_at=when,
            started_seq=seq,
            policy_version=pack.id,
        )
        out.writes.append(DeadlineWrite(new))
        counted = local_iso(start, zone) if isinstance(start, datetime) else start.isoformat()
        extra: dict[str, Any] = {"fact": rule.fact} if rule.fact else {}
        out.effect(
            new,
            "started",
            zone,
            period=str(rule.period),
            basis=rule.basis,
            counted_from=counted,
            **extra,
        )
        if rule.fact:
            out.facts[rule.fact] = local_iso(due, zone)
    return out


def _start_of(
    rule: DeadlineRule, trigger: str, data: Mapping[str, Any], when: datetime, zone: str
) -> datetime | date | None:
    """Where the period of ``rule`` counts from for this event, or None if it does not start."""
    for s in rule.starts_on:
        if s.trigger != trigger:
            continue
        if s.field is None:
            return when
        value = data.get(s.field)
        if not value:
            continue
        text = str(value)
        if len(text) == 10:
            return date.fromisoformat(text)
        return parse_instant(text, zone)
    return None


def due_event(
    rule: DeadlineRule | None, d: Deadline, zone: str, *, maturity: bool = False
) -> tuple[str, dict[str, Any], str]:
    """The system event a due deadline becomes: (trigger, data, new status).

    ``maturity``: the deadline's kind is itself a system trigger of the workflow, so it
    matures as that ground even when the pack in force no longer names it.
    """
    if (rule is not None and rule.kind == "maturity") or (rule is None and maturity):
        notify = (rule.notify if rule is not None else "") or "—"
        return d.kind, {"due_at": local_iso(d.due_at, zone), "notify": notify}, "fired"
    data = {"kind": d.kind, "due_at": local_iso(d.due_at, zone)}
    if rule is not None and rule.supervisor:
        data["notify"] = rule.supervisor
    return "deadline_missed", data, "missed"


def view(d: Deadline, pack: PolicyPack, zone: str) -> dict[str, Any]:
    """A deadline as ``case show`` and ``deadlines`` show it."""
    rule = next((r for r in pack.rules if r.name == d.kind), None)
    late: int | None = None
    if d.met_at is not None:
        late = max(0, int((d.met_at - d.due_at).total_seconds()))
    return {
        "id": d.id,
        "case_id": d.case_id,
        "kind": d.kind,
        "due_at": local_iso(d.due_at, zone),
        "status": d.status,
        "met_at": local_iso(d.met_at, zone) if d.met_at else None,
        "late_seconds": late,
        "basis": rule.basis if rule else None,
        "citation": rule.citation if rule else None,
        "policy_version": d.policy_version,
    }
