"""Civil Code Art. 203, re-judged: a flagged duty's due time, once the pack has its year.

《民法典》第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。

A duty whose last day fell in a year the pack in force had no State Council notice for was
computed as Arts 201–202 count it and flagged: its ``started`` effect records
``rest_days.unknown_year`` (:mod:`shouhu.engine.restdays`). Issue 14: "loading a pack that adds
that year re-judges the pending ones by a recorded event citing Art 203". :func:`rejudge`
(``Engine.rejudge``; the sweep, :meth:`Engine.run_due`, calls it first, once per engine and
pack; ``shouhu scheduler rejudge`` on demand) finds each case whose pending duties are so
flagged and whose year the pack now has, and records **one** ``rest_days_rejudged`` event per
case (role ``system``, :data:`shouhu.workflows.system.REST_DAYS_REJUDGED`). Its effects, one per
duty, name the old due time (``due_at``), the new one (``to``: moved past the rest days, or the
same, confirmed), the year that was missing and what Art. 203 did (``rest_days``); the row
moves in the same transaction, guarded by the case's version and the row's status, so two
sweeps re-judge a case once. Replay and ``audit verify`` apply the same effects
(:mod:`shouhu.engine.derive`, :mod:`shouhu.engine.audit`).

A duty already recorded missed stays as recorded: only pending duties are re-judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine.acting import Acting, signing, system_acting
from shouhu.engine.machines import step
from shouhu.engine.model import CaseRecord, Deadline, DeadlineWrite, Event
from shouhu.engine.outbox import step_notices
from shouhu.engine.policy import PolicyPack, parse_pack, shipped_packs
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.records import advance, load
from shouhu.engine.requests import Instant
from shouhu.engine.restdays import Extension, RestCalendar, extend
from shouhu.engine.timeutil import local, local_iso, parse_instant
from shouhu.errors import Conflict
from shouhu.i18n import _
from shouhu.workflows.system import C_ART_203, REST_DAYS_REJUDGED

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.signing import Credential

#: The re-judging event's trigger.
TRIGGER = REST_DAYS_REJUDGED.trigger
#: How often a case's re-judging is tried again after another writer wrote it first.
ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class Rejudged:
    """One duty re-judged: its due time before (``was``) and after (``due_at``), the year the
    pack lacked when it started, and the event that recorded it (``seq``; None: a dry run)."""

    case_id: str
    kind: str
    was: datetime
    due_at: datetime
    year: int
    personal: bool
    seq: int | None

    @property
    def moved(self) -> bool:
        return self.due_at != self.was

    def to_dict(self, zone: str) -> dict[str, Any]:
        """As ``shouhu scheduler rejudge`` prints it: a due time (and the year, which would
        date it) of a duty counted from a birthdate is withheld."""
        hide = "withheld (personal data)"
        return {
            "case_id": self.case_id,
            "kind": self.kind,
            "was": hide if self.personal else local_iso(self.was, zone),
            "due_at": hide if self.personal else local_iso(self.due_at, zone),
            "moved": self.moved,
            "year": None if self.personal else self.year,
            "seq": self.seq,
            "citation": C_ART_203,
        }


def flags(events: Iterable[Event]) -> dict[tuple[str, datetime], int]:
    """The pending duties of a case that its events leave flagged — computed without Art. 203
    for want of a year's calendar and not re-judged since — as (kind, due instant) → year."""
    out: dict[tuple[str, datetime], int | None] = {}
    for e in events:
        items = e.effects.get("deadlines", []) if e.effects else []
        for item in items:
            action = item.get("action")
            key = (item["kind"], parse_instant(str(item["due_at"]), "UTC"))
            rest = item.get("rest_days")
            year = rest.get("unknown_year") if isinstance(rest, dict) else None
            if action == "started":
                out[key] = year
            elif action == "rejudged":
                out.pop(key, None)
                out[(item["kind"], parse_instant(str(item["to"]), "UTC"))] = year
            elif action in {"met", "missed", "fired", "cancelled"}:
                out.pop(key, None)
    return {k: y for k, y in out.items() if y is not None}


def judged(
    pack: PolicyPack, zone: str, rows: Sequence[Deadline], events: Iterable[Event]
) -> list[tuple[Deadline, datetime, Extension, int]]:
    """The pending rows of a case that ``pack`` can now judge: each with its new due time, what
    Art. 203 did, and the year that was missing."""
    flagged = flags(events)
    out = []
    for d in rows:
        rule = pack.tracked_by_name.get(d.kind)
        if d.status != "pending" or rule is None or not rule.extends:
            continue
        year = flagged.get((d.kind, d.due_at.astimezone(UTC)))
        if year is None or pack.calendar.year(year) is None:
            continue
        due, ext = extend(d.due_at, pack.calendar, zone)  # a flagged due time is Arts 201-202's
        if ext.unknown_year is not None:
            continue  # still a day in a year the pack lacks: flagged as it was
        out.append((d, due.astimezone(UTC), ext, year))
    return out


def may_judge(pack: PolicyPack, zone: str, d: Deadline) -> bool:
    """Whether ``pack`` may judge the pending row ``d`` anew: a duty that extends, started (or
    last judged) under another pack, whose last day is in a year ``pack`` has rest days for,
    and — when that other pack is a shipped one — which it flagged. Which of the others are
    flagged, the case's events say (:func:`flags`)."""
    if d.status != "pending" or d.policy_version == pack.id or not pack.calendar:
        return False
    rule = pack.tracked_by_name.get(d.kind)
    if rule is None or not rule.extends:
        return False
    last = local(d.due_at, zone).date() - timedelta(days=1)
    if pack.calendar.year(last.year) is None:
        return False
    before = _shipped_calendar(d.policy_version)
    if before is None:
        return True  # a city's pack, not at hand: its events say
    # A shipped pack judged it as it would now: without a calendar it flagged nothing, and
    # it flagged a due time it cannot extend for want of a year (a judged one is a working
    # day's end, which it leaves as it is).
    return bool(before) and extend(d.due_at, before, zone)[1].unknown_year is not None


@cache
def _shipped_calendar(policy_id: str) -> RestCalendar | None:
    """The rest days of the shipped pack ``policy_id``, or None if it is not one."""
    text = shipped_packs().get(policy_id)
    return None if text is None else parse_pack(text, f"{policy_id}.toml").calendar


def candidates(self: Engine, due_by: datetime | None = None) -> list[str]:
    """The cases with a pending duty the pack in force may judge anew (:func:`may_judge`);
    with ``due_by``, only among the duties due by then (a sweep's: the index of due rows
    answers, not a read of every pending row)."""
    if not self.policy.calendar:
        return []
    rows = self.store.deadlines(status="pending", due_before=due_by)
    return list(dict.fromkeys(d.case_id for d in rows if may_judge(self.policy, self.zone, d)))


def rejudge(
    self: Engine,
    now: Instant | None = None,
    *,
    dry_run: bool = False,
    actor: str = "shouhu scheduler",
    due_by: datetime | None = None,
    credential: Credential | None = None,
) -> list[Rejudged]:
    """Re-judge, by one recorded ``rest_days_rejudged`` event per case, every pending duty
    that was flagged for a year the pack in force now has rest days for (Civil Code Art. 203).

    ``now``: when (business time) the event occurred (default: the clock; never before the
    case's last event). ``dry_run``: say what would move, write nothing. ``due_by``: only the
    duties due by then — what a sweep is about to fire (a re-judging only ever moves a due
    time later, so no other duty could be reported missed too early). On a database with
    operators the events are signed as the sweep's are (``credential``, else the engine's)."""

    acting = None if dry_run else system_acting(self, credential or self.credential)
    clock_now = self.clock.now()
    at = clock_now if now is None else parse_instant(now, self.zone, field="now")
    done: list[Rejudged] = []
    for case_id in candidates(self, due_by):
        done += _rejudge_case(self, case_id, at, clock_now, dry_run, actor, acting)
    if not dry_run and due_by is None:
        self.rejudged_under = self.policy.id
    log_rejudged(self, done)
    return done


def log_rejudged(self: Engine, done: Iterable[Rejudged]) -> None:
    for r in done:
        if r.seq is not None:
            self.log.info(
                "deadline_rejudged",
                case_id=r.case_id,
                kind=r.kind,
                # a year of a duty counted from a birthdate would date it: not logged
                year="withheld" if r.personal else r.year,
                moved=r.moved,
                seq=r.seq,
                citation=C_ART_203,
            )


def before_step(
    self: Engine,
    tx: Transaction,
    case: CaseRecord,
    rows: Sequence[Deadline],
    when: datetime,
    recorded: datetime,
) -> CaseRecord | None:
    """Before an event at ``when`` is judged on ``case`` (``rows``: its deadline rows): its
    flagged duties that the pack in force can judge, re-judged first in the same transaction,
    so that the event meets them against their due time under Art. 203 (as the sweep would
    have). The case after the re-judging event, or None when there was nothing to judge."""
    if not any(may_judge(self.policy, self.zone, d) for d in rows):
        return None
    events = self.store.events(case.id)
    if not events or events[-1].seq != case.version:
        return None  # the case moved meanwhile: the write will find out
    new, done = record(self, tx, case, rows, events, when, recorded, "shouhu engine")
    log_rejudged(self, done)
    return new if done else None


def _rejudge_case(
    self: Engine,
    case_id: str,
    at: datetime,
    recorded: datetime,
    dry_run: bool,
    actor: str,
    acting: Acting | None,
) -> list[Rejudged]:
    if dry_run:  # read, write nothing
        case, events = load(self, case_id), self.store.events(case_id)
        return plan(self, case, list(self.store.deadlines(case_id=case_id)), events, None)
    for _attempt in range(ATTEMPTS):
        events = self.store.events(case_id)
        try:
            with self.store.write() as store_tx:
                tx = signing(store_tx, acting)
                case = load(self, case_id, tx)
                if not events or case.version != events[-1].seq:
                    raise Conflict(
                        _("case {case_id} moved while it was read").format(case_id=case_id),
                        case_id=case_id,
                        expected=events[-1].seq if events else None,
                        actual=case.version,
                    )
                rows = tx.deadlines(case_id)
                return record(self, tx, case, rows, events, at, recorded, actor)[1]
        except Conflict:
            continue  # another sweep (or an operator) wrote the case first: read it again
    raise Conflict(
        _("case {case_id} kept changing while its rest days were re-judged").format(
            case_id=case_id
        ),
        case_id=case_id,
        expected=None,
        actual=None,
    )


def plan(
    self: Engine,
    case: CaseRecord,
    rows: Sequence[Deadline],
    events: Sequence[Event],
    seq: int | None,
) -> list[Rejudged]:
    """What re-judging ``case`` would do (``seq``: the event that would record it)."""
    pack = self.policy
    return [
        Rejudged(
            case.id, d.kind, d.due_at, due, year, dl.personal(pack.tracked_by_name[d.kind]), seq
        )
        for d, due, _, year in judged(pack, self.zone, rows, events)
    ]


def record(
    self: Engine,
    tx: Transaction,
    case: CaseRecord,
    rows: Sequence[Deadline],
    events: Sequence[Event],
    at: datetime,
    recorded: datetime,
    actor: str,
) -> tuple[CaseRecord, list[Rejudged]]:
    """The ``rest_days_rejudged`` event of ``case`` (at ``at``, not before its last event),
    its rows moved, appended to ``tx``; the case after it and what was re-judged (nothing, and
    the case as it was, when none of its duties is flagged or its workflow has no such row)."""
    pack, zone = self.policy, self.zone
    found = judged(pack, zone, rows, events)
    wf = self.workflows.get(case.type, case.workflow_version)
    if not found or not wf.rows(TRIGGER) or wf.state(case.state).final:
        return case, []
    seq = case.version + 1
    when = max(at, case.last_occurred_at)
    data = {"kinds": ", ".join(dict.fromkeys(d.kind for d, *_ in found)), "policy": pack.id}
    clean = v.validate_data(TRIGGER, wf.fields(TRIGGER), data, zone)
    done = step(wf, case.state, case.facts, TRIGGER, "system", clean, case.outcome)
    facts = dict(done.facts)
    writes: list[DeadlineWrite] = []
    effects: list[dict[str, Any]] = []
    for d, due, ext, year in found:
        judged_row = replace(d, due_at=due, policy_version=pack.id, not_extended=False)
        writes.append(DeadlineWrite(judged_row, "pending"))
        effect: dict[str, Any] = {
            "kind": d.kind,
            "action": "rejudged",
            "due_at": local_iso(d.due_at, zone),
            "to": local_iso(due, zone),
            "unknown_year_was": year,
            "rest_days": ext.effect(),
            "citation": C_ART_203,
        }
        fact = pack.tracked_by_name[d.kind].fact
        if fact:
            effect["fact"] = fact
            facts[fact] = local_iso(due, zone)
        effects.append(effect)
    ev, new = advance(
        self,
        case,
        wf,
        done,
        TRIGGER,
        (actor, "system"),
        when,
        recorded,
        clean,
        {"deadlines": effects},
        facts,
    )
    notices = step_notices(self, done.row, new, ev, clean, rows, writes)
    tx.append(Commit(new, (ev,), case.version, tuple(writes), notices))
    return new, plan(self, case, rows, events, seq)


__all__ = [
    "TRIGGER",
    "Rejudged",
    "before_step",
    "candidates",
    "flags",
    "judged",
    "may_judge",
    "rejudge",
]
