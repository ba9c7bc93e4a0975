"""What an event does to a case's deadlines, by the policy pack in force. Pure functions.

Every event that starts, meets or cancels a deadline carries the change in its ``effects``
(covered by the hash), and the deadline rows change in the same transaction. So the history
alone says which deadline ran when, and by how much a duty was late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shouhu.engine.model import Deadline, DeadlineWrite
from shouhu.engine.policy import DeadlineRule, PolicyPack
from shouhu.engine.restdays import unknown_year
from shouhu.engine.timeutil import local, local_iso, parse_instant
from shouhu.engine.timeutil import zone as _zone
from shouhu.i18n import N_, _
from shouhu.workflows.spec import WorkflowDef

#: Data fields that are personal: a period counted from one shows no ``counted_from``.
PERSONAL_FIELDS = frozenset({"birthdate", "minor_birthdate"})


def window_start(t: datetime, months: int, zone: str, shift: int = 0) -> datetime:
    """00:00 local on the first day of the calendar window of ``months`` (aligned to January)
    that holds ``t``, moved by ``shift`` windows; as aware UTC."""
    lt = local(t, zone)
    index = lt.year * 12 + lt.month - 1
    index = index - index % months + shift * months
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=_zone(zone))
    return start.astimezone(UTC)


def aligned_window(rule: DeadlineRule, d: Deadline, zone: str) -> tuple[datetime, datetime]:
    """[start, due) of an aligned duty's window: the calendar period that ends at its due
    time, or for a holiday duty the rule's ``period`` before the holiday's first day."""
    if rule.align == HOLIDAYS:
        return rule.window_opens(d.due_at, zone), d.due_at
    return window_start(d.due_at, rule.window_months, zone, -1), d.due_at


def personal(rule: DeadlineRule) -> bool:
    """Whether the rule counts from personal data (its due time would reveal it)."""
    return any(s.field in PERSONAL_FIELDS for s in rule.starts_on)


#: What a calendar-aligned duty's ``started`` effect adds.
CALENDAR = {"align": "calendar"}
#: ``align = "holidays"``: a duty due at 00:00 of each school holiday's first day.
HOLIDAYS = "holidays"


def start(
    out: Changes,
    pack: PolicyPack,
    zone: str,
    case_id: str,
    rule: DeadlineRule,
    due: datetime,
    when: datetime,
    seq: int,
    **shown: Any,
) -> None:
    """The one way a deadline starts: a pending row of ``rule`` due at ``due``, started by
    event ``seq`` at ``when`` under ``pack``, and its ``started`` effect (the period, its
    basis, and ``shown``: where it was counted from) recorded in the event's hash."""
    flagged = unknown_year(shown) is not None  # Art. 203 not applied: the row says so too
    new = Deadline(
        None, case_id, rule.name, "pending", due, when, seq, pack.id, not_extended=flagged
    )
    out.writes.append(DeadlineWrite(new))
    out.effect(new, "started", zone, period=str(rule.period), basis=rule.basis, **shown)


def next_aligned(
    pack: PolicyPack, zone: str, rule: DeadlineRule, d: Deadline, when: datetime, seq: int
) -> tuple[DeadlineWrite, dict[str, Any]] | None:
    """The next window's duty after ``d`` (met or missed), and its ``started`` effect; for a
    holiday duty, the one before the pack's next holiday (None when it names no later one)."""
    out = Changes()
    if rule.align == HOLIDAYS:
        if not start_holiday(out, pack, zone, d.case_id, rule, d.due_at, when, seq):
            return None
        return out.writes[0], out.effects[0]
    due = window_start(d.due_at, rule.window_months, zone, 1)
    counted = local_iso(d.due_at, zone)
    start(out, pack, zone, d.case_id, rule, due, when, seq, counted_from=counted, **CALENDAR)
    return out.writes[0], out.effects[0]


def start_holiday(
    out: Changes,
    pack: PolicyPack,
    zone: str,
    case_id: str,
    rule: DeadlineRule,
    after: datetime,
    when: datetime,
    seq: int,
) -> bool:
    """Start the holiday duty before the pack's first holiday that starts after ``after``:
    due at 00:00 of its first day, met by an event from ``period`` before it (001 §四(二)3 —
    假期前…做好交接工作). False when the pack names no later holiday."""
    holiday = pack.next_holiday(after, zone)
    if holiday is None:
        return False
    due = holiday.starts(zone)
    opens = local_iso(rule.window_opens(due, zone), zone)
    start(
        out,
        pack,
        zone,
        case_id,
        rule,
        due,
        when,
        seq,
        counted_from=opens,
        align=HOLIDAYS,
        holiday=holiday.name,
    )
    return True


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


#: Why a case's duties still pending end when the case reaches a final state.
CLOSED = "case closed"


def cancel(out: Changes, d: Deadline, when: datetime, seq: int, zone: str, reason: str) -> None:
    """The one way a pending deadline is cancelled: its row closed by the event at ``when``
    (``seq``), and the ``cancelled`` effect, with why, recorded in the event's hash."""
    done = replace(d, status="cancelled", closed_at=when, closed_seq=seq)
    out.writes.append(DeadlineWrite(done, "pending"))
    out.effect(d, "cancelled", zone, reason=reason)


def on_close(
    existing: Sequence[Deadline], when: datetime, seq: int, zone: str, *, fired: int | None = None
) -> Changes:
    """Closing a case (a final state) cancels every duty still pending, but the row ``fired``
    that closed it — the one rule, for a trigger (:func:`on_event` with ``closes``) and for a
    deadline that fires (the sweep)."""
    out = Changes()
    for d in existing:
        if d.status == "pending" and d.id != fired:
            cancel(out, d, when, seq, zone, CLOSED)
    return out


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
    workflow: str | WorkflowDef | None = None,
) -> Changes:
    """The deadline changes of one event (``data``: the trigger's data; for ``report``, the
    report data).

    A calendar-aligned duty (``align = "calendar"``) is met only by an event inside its
    window, and then the next window's duty starts; an event before its window leaves it
    pending (the engine fires a window that ended before the event first, see
    :meth:`Engine._catch_up`)."""
    out = Changes()
    rules = pack.tracked_by_name
    still_pending: set[str] = set()
    for d in existing:
        rule = rules.get(d.kind)
        if d.status == "pending" and rule is not None and rule.align and not closes:
            opens, closes_at = aligned_window(rule, d, zone)
            if trigger in rule.met_by and opens <= when < closes_at:
                done = replace(d, status="met", closed_at=when, closed_seq=seq, met_at=when)
                out.writes.append(DeadlineWrite(done, "pending"))
                out.effect(d, "met", zone, late_seconds=0)
                following = next_aligned(pack, zone, rule, d, when, seq)
                if following is not None:
                    out.writes.append(following[0])
                    out.effects.append(following[1])
                continue
            if trigger in rule.cancelled_by:
                cancel(out, d, when, seq, zone, trigger)
                continue
            still_pending.add(d.kind)
            continue
        if d.status == "pending":
            if rule is not None and trigger in rule.met_by:
                late = max(0, int((when - d.due_at).total_seconds()))
                done = replace(d, status="met", closed_at=when, closed_seq=seq, met_at=when)
                out.writes.append(DeadlineWrite(done, "pending"))
                out.effect(d, "met", zone, late_seconds=late)
            elif (rule is not None and trigger in rule.cancelled_by) or closes:
                cancel(out, d, when, seq, zone, CLOSED if closes else trigger)
            else:
                still_pending.add(d.kind)
        elif (
            d.status == "missed"
            and d.met_at is None
            and rule
            and not rule.align  # a later window's visit does not make up an earlier one
            and trigger in rule.met_by
        ):
            late = int((when - d.due_at).total_seconds())
            out.writes.append(DeadlineWrite(replace(d, met_at=when), "missed"))
            out.effect(d, "met_late", zone, late_seconds=late)
    if closes:
        return out
    for rule in pack.started_by(trigger, workflow):  # the others return None from _start_of
        begin = _start_of(rule, trigger, data, when, zone)
        if begin is None:
            continue
        if rule.align == HOLIDAYS:
            if rule.name not in still_pending:
                start_holiday(out, pack, zone, case_id, rule, when, when, seq)
            continue
        if rule.align:
            if rule.name in still_pending:
                continue
            # the window after the one the start falls in
            first = window_start(when, rule.window_months, zone, 1)
            due = window_start(when, rule.window_months, zone, 2)
            counted = local_iso(first, zone)
            start(
                out,
                pack,
                zone,
                case_id,
                rule,
                due,
                when,
                seq,
                counted_from=counted,
                align="calendar",
            )
            continue
        if rule.name in still_pending:
            if not rule.restart:
                continue  # a duty already running keeps its first due time
            for d in existing:
                if d.kind == rule.name and d.status == "pending":
                    cancel(out, d, when, seq, zone, f"restarted by {trigger}")
        end, rest = rule.due_under(begin, zone, pack.calendar)
        due = end.astimezone(UTC)
        counted = local_iso(begin, zone) if isinstance(begin, datetime) else begin.isoformat()
        if personal(rule):
            counted = "withheld (personal data)"
        extra: dict[str, Any] = {"fact": rule.fact} if rule.fact else {}
        if rest is not None and (rest.moved or rest.unknown_year is not None):
            extra["rest_days"] = rest.effect()  # Art. 203: moved, or flagged
        start(out, pack, zone, case_id, rule, due, when, seq, counted_from=counted, **extra)
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
    out = {
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
        # counted from a birthdate: its due time reveals it, and views without identity
        # withhold it (see shouhu.engine.views.public_deadline)
        "personal": rule is not None and personal(rule),
    }
    unknown = unjudged_year(d, rule, pack, zone)
    if unknown is not None:  # Art. 203 could not be applied: flagged, not assumed
        out["rest_days_unknown_year"] = unknown
    return out


def unjudged_year(
    d: Deadline, rule: DeadlineRule | None, pack: PolicyPack, zone: str
) -> int | None:
    """The year a pending duty's last day falls in when it should extend past rest days
    (Art. 203) and the pack has no calendar for that year; else None."""
    if d.status != "pending" or rule is None or not rule.extends or not pack.calendar:
        return None
    last = local(d.due_at, zone).date() - timedelta(days=1)
    return None if pack.calendar.year(last.year) is not None else last.year


#: A deadline's status (its key in JSON) as a person reads it: the CLI's tables and the desk.
STATUS_WORDS = {
    "pending": N_("pending"),
    "met": N_("met"),
    "missed": N_("missed"),
    "fired": N_("fired"),
    "cancelled": N_("cancelled"),
}


def status_words(status: str) -> str:
    """``status`` in the user's language (a status it does not know, as it is)."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status
