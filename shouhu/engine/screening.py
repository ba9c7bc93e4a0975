"""The holiday screening plan (001 §四(三)5: 寒暑假等重点时段…排查): the children on the ledger
who need a safety visit before a holiday — no visit within the pack's ``screening_visit`` bound
of the holiday's first day, or a report about them still open."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shouhu.engine.model import CaseRecord, Event
from shouhu.engine.periods import Period, add_period
from shouhu.engine.timeutil import local_iso

CITATION_SCREENING = "001 §四(三)5 — 寒暑假等重点时段排查"


@dataclass(frozen=True, slots=True)
class ScreeningEntry:
    """A child who needs a safety visit before the holiday, and why."""

    case_id: str
    township: str
    village: str
    last_visit: datetime | None
    registered_at: datetime
    reasons: tuple[str, ...]
    open_reports: tuple[str, ...]

    def to_dict(self, zone: str) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "township": self.township,
            "village": self.village,
            "last_visit": local_iso(self.last_visit, zone) if self.last_visit else None,
            "registered_at": local_iso(self.registered_at, zone),
            "reasons": list(self.reasons),
            "open_reports": list(self.open_reports),
        }


@dataclass(frozen=True)
class Screening:
    """``shouhu registry screening``: the pre-holiday visit plan."""

    before: date
    as_of: datetime
    bound: Period
    zone: str
    on_ledger: int
    entries: tuple[ScreeningEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "as_of": local_iso(self.as_of, self.zone),
            "bound": str(self.bound),
            "citation": CITATION_SCREENING,
            "children_on_ledger": self.on_ledger,
            "due": len(self.entries),
            "children": [e.to_dict(self.zone) for e in self.entries],
        }

    def csv_header(self) -> list[str]:
        return ["township", "village", "case_id", "last_visit", "reasons", "open_reports"]

    def csv_rows(self) -> Iterator[list[Any]]:
        for e in self.entries:
            last = local_iso(e.last_visit, self.zone) if e.last_visit else ""
            yield [
                e.township,
                e.village,
                e.case_id,
                last,
                ";".join(e.reasons),
                ";".join(e.open_reports),
            ]


def screening_entry(
    record: CaseRecord,
    events: Sequence[Event],
    holiday: datetime,
    bound: Period,
    zone: str,
    report_open: Callable[[str], bool],
) -> ScreeningEntry | None:
    """Whether the child on ``record`` needs a visit before ``holiday``; None if not."""
    last = None
    for e in events:
        if e.trigger == "record_visit":
            last = e.occurred_at if last is None else max(last, e.occurred_at)
    reasons: list[str] = []
    if last is None:
        reasons.append("never_visited")
    elif add_period(last, bound, zone) <= holiday:
        reasons.append("visit_older_than_bound")
    reports = tuple(str(c) for c in record.facts.get("reports", []))
    open_reports = tuple(c for c in reports if report_open(c))
    if open_reports:
        reasons.append("open_report")
    if not reasons:
        return None
    return ScreeningEntry(
        record.id,
        record.location.township,
        record.location.village,
        last,
        record.reported_at,
        tuple(reasons),
        open_reports,
    )
