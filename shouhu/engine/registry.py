"""The ledger's reports: the quarterly return (季度报送) and the holiday screening (重点时段排查).

Both are read from the watches' event histories (replayed, so they hold for any point in time
and agree with ``audit replay``), never from counters kept on the side.

The quarterly return (001 §四(二)2: 每个季度要向县(市)区民政部门报送农村留守儿童信息, copied to
education and police) counts, per township and village:

- ``on_ledger``: people on the ledger by kind at the quarter's end (or at ``now`` while the
  quarter runs);
- ``entries`` / ``exits``: registrations and departures (by outcome) inside the quarter;
- ``visits``: for each month of the quarter, the visit duties whose month it is — ``due``
  (every duty of that month that was not cancelled), ``done`` (a visit in the month), ``missed``
  (the month ended without one, whether or not a sweep has recorded it yet) and ``open`` (the
  month has not ended). Children's ``monthly_visit`` and elders' ``regular_visit`` are counted
  apart; a duty longer than a month counts in the month its period ends;
- ``ledger_updates``: ``update_ledger`` events in the quarter, and the ``quarterly_update``
  duties whose quarter it is (due, done, missed, open);
- ``reports_raised``: mandatory reports filed from the ledger (``raise_report``) in the quarter;
- ``children_by_category``: the children on the ledger and the entries of the quarter by the
  ledger's category (003: left_behind, orphan, de_facto_unraised, in_difficulty); a child of
  ``child_watch`` v1, registered before the categories, counts as ``left_behind``.

The screening plan (001 §四(三)5: 寒暑假等重点时段…排查) lists the children on the ledger who
need a safety visit before a holiday: those with no visit within the pack's ``screening_visit``
bound of the holiday's first day, and those with a report still open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shouhu import workflows
from shouhu.engine.audit import Replay, replay
from shouhu.engine.deadlines import window_start
from shouhu.engine.model import CaseRecord, Event
from shouhu.engine.screening import (  # the screening plan, found here too
    CITATION_SCREENING,
    Screening,
    ScreeningEntry,
    screening_entry,
)
from shouhu.engine.timeutil import local_date, local_iso, parse_instant
from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.workflows.child_watch2 import DEFAULT_CATEGORY
from shouhu.workflows.vocab import CHILD_CATEGORIES
from shouhu.workflows.workflowset import WorkflowSet

#: The kinds of person on the ledger, by watch type (the short names of ``shouhu register``).
KINDS: dict[str, str] = {
    "child_watch": "children",
    "woman_watch": "women",
    "elderly_watch": "elderly",
}
#: The visit duties counted per month, and whose they are.
VISIT_DUTIES: dict[str, str] = {"monthly_visit": "children", "regular_visit": "elderly"}
UPDATE_DUTY = "quarterly_update"
CITATION_RETURN = "001 §四(二)2 — 每个季度要向县(市)区民政部门报送"

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quarter:
    """A calendar quarter, ``2026Q1``: its local first day and the first day after it."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER.match(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise InvalidInput(
                _("--quarter: expected YEARQN, e.g. 2026Q1, not {text!r}").format(
                    text=str(text)[:20]
                ),
                field="quarter",
            )
        year = int(m.group(1))
        if not 1900 <= year <= 9998:
            raise InvalidInput(
                _("--quarter: year {year} is out of range").format(year=year), field="quarter"
            )
        return cls(year, int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end_day(self) -> date:
        """The first day of the next quarter (the quarter ends at its 00:00)."""
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def months(self) -> tuple[str, str, str]:
        m = 3 * self.number - 2
        return (f"{self.year}-{m:02d}", f"{self.year}-{m + 1:02d}", f"{self.year}-{m + 2:02d}")


@dataclass
class DutyCount:
    """Duties of one kind and period: due = done + missed + open."""

    due: int = 0
    done: int = 0
    missed: int = 0
    open: int = 0

    def add(self, outcome: str) -> None:
        self.due += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def to_dict(self) -> dict[str, int]:
        return {"due": self.due, "done": self.done, "missed": self.missed, "open": self.open}


def _kinds() -> dict[str, int]:
    return dict.fromkeys(KINDS.values(), 0)


def _categories() -> dict[str, int]:
    return dict.fromkeys(CHILD_CATEGORIES, 0)


def category_of(events: Sequence[Event]) -> str:
    """A child's category on the ledger, as its registration recorded it (v1: left_behind)."""
    if not events:
        return DEFAULT_CATEGORY
    register = events[0].data.get("register") or {}
    return str(register.get("category") or DEFAULT_CATEGORY)


def _visits(q: Quarter) -> dict[str, dict[str, DutyCount]]:
    return {who: {m: DutyCount() for m in q.months} for who in VISIT_DUTIES.values()}


@dataclass
class PlaceReturn:
    """One village's (or a township's, or the county's) figures for the quarter."""

    township: str
    village: str | None
    quarter: Quarter
    on_ledger: dict[str, int] = field(default_factory=_kinds)
    entries: dict[str, int] = field(default_factory=_kinds)
    exits: dict[str, int] = field(default_factory=_kinds)
    exits_by_outcome: dict[str, int] = field(default_factory=dict)
    visits: dict[str, dict[str, DutyCount]] = field(default_factory=dict)
    update_events: int = 0
    updates: DutyCount = field(default_factory=DutyCount)
    reports_raised: int = 0
    reports_by_type: dict[str, int] = field(default_factory=dict)
    #: children on the ledger and entries of the quarter, by the ledger's category (003)
    children_on_ledger: dict[str, int] = field(default_factory=_categories)
    children_entries: dict[str, int] = field(default_factory=_categories)

    def __post_init__(self) -> None:
        if not self.visits:
            self.visits = _visits(self.quarter)

    def merge(self, other: PlaceReturn) -> None:
        for mine, theirs in (
            (self.on_ledger, other.on_ledger),
            (self.entries, other.entries),
            (self.exits, other.exits),
            (self.exits_by_outcome, other.exits_by_outcome),
            (self.reports_by_type, other.reports_by_type),
            (self.children_on_ledger, other.children_on_ledger),
            (self.children_entries, other.children_entries),
        ):
            for k, n in theirs.items():
                mine[k] = mine.get(k, 0) + n
        for who, months in other.visits.items():
            for month, c in months.items():
                _merge(self.visits[who][month], c)
        _merge(self.updates, other.updates)
        self.update_events += other.update_events
        self.reports_raised += other.reports_raised

    def to_dict(self) -> dict[str, Any]:
        return {
            "township": self.township,
            "village": self.village,
            "on_ledger": dict(self.on_ledger),
            "entries": dict(self.entries),
            "exits": dict(self.exits),
            "exits_by_outcome": dict(sorted(self.exits_by_outcome.items())),
            "visits": {
                who: {m: c.to_dict() for m, c in months.items()}
                for who, months in self.visits.items()
            },
            "ledger_updates": {"events": self.update_events, **self.updates.to_dict()},
            "reports_raised": self.reports_raised,
            "reports_by_type": dict(sorted(self.reports_by_type.items())),
            "children_by_category": {
                "on_ledger": dict(self.children_on_ledger),
                "entries": dict(self.children_entries),
            },
        }

    def csv_row(self) -> list[Any]:
        row: list[Any] = [self.township, self.village or ""]
        row += [self.on_ledger[k] for k in KINDS.values()]
        row += [self.entries[k] for k in KINDS.values()]
        row += [self.exits[k] for k in KINDS.values()]
        for who in VISIT_DUTIES.values():
            for m in self.quarter.months:
                c = self.visits[who][m]
                row += [c.due, c.done, c.missed, c.open]
        row += [self.update_events, self.updates.due, self.updates.done, self.updates.missed]
        row += [self.updates.open, self.reports_raised]
        row += [self.children_on_ledger[c] for c in CHILD_CATEGORIES]
        row += [self.children_entries[c] for c in CHILD_CATEGORIES]
        return row


def _merge(into: DutyCount, other: DutyCount) -> None:
    into.due += other.due
    into.done += other.done
    into.missed += other.missed
    into.open += other.open


@dataclass
class LedgerReturn:
    """``shouhu registry report``: the quarter's return, village by village."""

    quarter: Quarter
    as_of: datetime
    complete: bool  # the quarter has ended (as_of is its end)
    zone: str
    villages: list[PlaceReturn]
    townships: list[PlaceReturn]
    total: PlaceReturn
    broken: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quarter": str(self.quarter),
            "from": self.quarter.first_day.isoformat(),
            "to": self.quarter.last_day.isoformat(),
            "as_of": local_iso(self.as_of, self.zone),
            "complete": self.complete,
            "citation": CITATION_RETURN,
            "townships": [
                {
                    **t.to_dict(),
                    "villages": [v.to_dict() for v in self.villages if v.township == t.township],
                }
                for t in self.townships
            ],
            "total": self.total.to_dict(),
            "broken": list(self.broken),
        }

    def csv_header(self) -> list[str]:
        head = ["township", "village"]
        head += [f"on_ledger_{k}" for k in KINDS.values()]
        head += [f"entries_{k}" for k in KINDS.values()]
        head += [f"exits_{k}" for k in KINDS.values()]
        for who in VISIT_DUTIES.values():
            for m in self.quarter.months:
                head += [f"visits_{who}_{m}_{x}" for x in ("due", "done", "missed", "open")]
        head += ["ledger_update_events", "quarterly_update_due", "quarterly_update_done"]
        head += ["quarterly_update_missed", "quarterly_update_open", "reports_raised"]
        head += [f"on_ledger_children_{c}" for c in CHILD_CATEGORIES]
        head += [f"entries_children_{c}" for c in CHILD_CATEGORIES]
        return head

    def csv_rows(self) -> Iterator[list[Any]]:
        """One row per village, then one per township (village empty), then the total."""
        yield from (v.csv_row() for v in self.villages)
        yield from (t.csv_row() for t in self.townships)
        total = self.total.csv_row()
        total[0] = "(all)"
        yield total


def _duty_month(due_at: datetime, zone: str) -> str:
    """The month a calendar duty belongs to: the one its period ends in (due at its end)."""
    last = local_date(due_at, zone) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


@dataclass(frozen=True, slots=True)
class _Duty:
    kind: str
    due_at: datetime
    outcome: str  # done, missed or open


def _as_recorded_and_due(
    r: Replay, cutoff: datetime, windows: Mapping[str, int], zone: str, wfs: WorkflowSet
) -> tuple[list[_Duty], tuple[datetime, str] | None]:
    """The watch's duties as of ``cutoff``, and when and why it left the ledger unrecorded.

    The history holds what the sweeps recorded. Between sweeps, what they would record is
    certain, since any event on the watch first fires what was due (the catch-up): a duty
    still pending past its due went unmet, and each later window of it up to ``cutoff`` too;
    a closing maturity that fell due (``turns_16``) took the person off the ledger and
    cancelled the duties after it. Both are counted, so the return does not depend on when
    the scheduler last swept.
    """
    wf = wfs.get(r.type, r.steps[-1].workflow_version)
    closing: tuple[datetime, str] | None = None
    if r.state != "off_ledger":
        for d in r.deadlines:
            if d.status != "pending" or d.due_at >= cutoff:
                continue  # a closing at the cut-off itself belongs to the next period
            row = next((t for t in wf.rows(d.kind) if t.kind == "system" and t.dest), None)
            if row is not None and (closing is None or d.due_at < closing[0]):
                closing = (d.due_at, row.outcome or d.kind)
    end = cutoff if closing is None else min(cutoff, closing[0])
    out: list[_Duty] = []
    for d in r.deadlines:
        if d.status == "met":
            out.append(_Duty(d.kind, d.due_at, "done"))
        elif d.status == "missed":
            out.append(_Duty(d.kind, d.due_at, "missed"))
        elif d.status != "pending" or (closing is not None and d.due_at > closing[0]):
            continue  # cancelled or fired, or cancelled by the unrecorded closing
        elif d.due_at > cutoff:
            out.append(_Duty(d.kind, d.due_at, "open"))
        else:
            out.append(_Duty(d.kind, d.due_at, "missed"))
            months = windows.get(d.kind, 0)
            due = d.due_at
            while months and due < end:  # the later windows, not yet recorded
                due = window_start(due, months, zone, 1)
                if closing is not None and due > closing[0]:
                    break
                out.append(_Duty(d.kind, due, "missed" if due <= cutoff else "open"))
    return out, closing


def _add_case(
    place: PlaceReturn,
    r: Replay,
    events: Sequence[Event],
    start: datetime,
    cutoff: datetime,
    windows: Mapping[str, int],
    zone: str,
    wfs: WorkflowSet,
) -> None:
    kind = KINDS[r.type]
    q = place.quarter
    duties, closing = _as_recorded_and_due(r, cutoff, windows, zone, wfs)
    category = category_of(events) if r.type == "child_watch" else None
    if r.state == "on_ledger" and closing is None:
        place.on_ledger[kind] += 1
        if category is not None:
            place.children_on_ledger[category] += 1
    exits = [(e.occurred_at, r.outcome or e.trigger) for e in events if e.to_state == "off_ledger"]
    if closing is not None:
        exits.append(closing)
    for when, why in exits:
        if start <= when < cutoff:
            place.exits[kind] += 1
            place.exits_by_outcome[why] = place.exits_by_outcome.get(why, 0) + 1
    for e in events:
        if e.occurred_at >= cutoff:
            break
        if e.occurred_at < start:
            continue
        if e.seq == 1:
            place.entries[kind] += 1
            if category is not None:
                place.children_entries[category] += 1
        elif e.trigger == "update_ledger":
            place.update_events += 1
        elif e.trigger == "raise_report":
            place.reports_raised += 1
            t = str(e.data.get("type"))
            place.reports_by_type[t] = place.reports_by_type.get(t, 0) + 1
    months = set(q.months)
    for d in duties:
        if d.kind in VISIT_DUTIES:
            month = _duty_month(d.due_at, zone)
            if month in months:
                place.visits[VISIT_DUTIES[d.kind]][month].add(d.outcome)
        elif d.kind == UPDATE_DUTY and local_date(d.due_at, zone) == q.end_day:
            place.updates.add(d.outcome)


def ledger_return(
    watches: Iterable[tuple[CaseRecord, Callable[[], list[Event]]]],
    quarter: Quarter,
    now: datetime,
    zone: str,
    windows: Mapping[str, int],
    wfs: WorkflowSet = workflows.DEFAULT,
) -> LedgerReturn:
    """The quarter's return from ``watches`` (each case with a way to read its events);
    ``windows``: the calendar duties' window lengths in months, by kind (the policy's)."""
    start = parse_instant(quarter.first_day, zone)
    end = parse_instant(quarter.end_day, zone)
    if now < start:
        raise InvalidInput(
            _("--quarter {quarter} has not begun (now {now})").format(
                quarter=quarter, now=local_iso(now, zone)
            ),
            field="quarter",
        )
    cutoff = min(now, end)
    villages: dict[tuple[str, str], PlaceReturn] = {}
    broken: list[str] = []
    for record, read in watches:
        if record.type not in KINDS or record.reported_at >= cutoff:
            continue
        events = read()
        # the state at the cut-off, excluding an event at that very instant (the next
        # quarter's); duties then still pending and due by the cut-off went unmet
        r = replay(events, zone=zone, at=cutoff - timedelta(microseconds=1), wfs=wfs)
        if not r.ok:
            broken.append(record.id)
        key = (record.location.township, record.location.village)
        place = villages.get(key)
        if place is None:
            place = villages[key] = PlaceReturn(key[0], key[1], quarter)
        _add_case(place, r, events, start, cutoff, windows, zone, wfs)
    ordered = [villages[k] for k in sorted(villages)]
    townships: dict[str, PlaceReturn] = {}
    total = PlaceReturn("", None, quarter)
    for v in ordered:
        t = townships.get(v.township)
        if t is None:
            t = townships[v.township] = PlaceReturn(v.township, None, quarter)
        t.merge(v)
        total.merge(v)
    return LedgerReturn(
        quarter,
        cutoff,
        cutoff == end,
        zone,
        ordered,
        [townships[t] for t in sorted(townships)],
        total,
        sorted(broken),
    )


__all__ = [
    "CITATION_RETURN",
    "CITATION_SCREENING",
    "KINDS",
    "DutyCount",
    "LedgerReturn",
    "PlaceReturn",
    "Quarter",
    "Screening",
    "ScreeningEntry",
    "ledger_return",
    "screening_entry",
]
