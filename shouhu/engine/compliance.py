"""``audit report``: what happened to the cases reported in a window — counts by type and
state, each kind of deadline's compliance, late reports by reporter kind, the six-month
ground and whether a petition followed.

Two ways to the same numbers: counted by the store in SQL from the tables ``audit verify``
recomputes from the events (:class:`Tally`, a store's optional ``compliance_tally``; seconds
at a million cases), or built from every case's replay (:mod:`shouhu.engine.audit`; minutes
at a million cases, and the only way to name the cases whose history does not replay)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from shouhu.engine.model import CaseRecord, Event
from shouhu.engine.timeutil import local_iso
from shouhu.workflows.vocab import VOLUNTARY_REPORTER_KINDS

if TYPE_CHECKING:
    from shouhu.engine.audit import Replay


@dataclass
class KindStats:
    """How one kind of deadline fared over the window."""

    met_on_time: int = 0
    met_late: int = 0
    missed_done_late: int = 0
    missed_still_open: int = 0
    open: int = 0
    fired: int = 0
    cancelled: int = 0
    #: Pending, met or missed, its due time computed without Art. 203's extension for want of
    #: the year's rest days in the pack (and not re-judged since): issue 14's flag.
    not_extended: int = 0
    lateness: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.lateness)
        median = ordered[len(ordered) // 2] if ordered else None
        if ordered and len(ordered) % 2 == 0:
            median = (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) // 2
        return {
            "met_on_time": self.met_on_time,
            "met_late": self.met_late,
            "missed_done_late": self.missed_done_late,
            "missed_still_open": self.missed_still_open,
            "open": self.open,
            "fired": self.fired,
            "cancelled": self.cancelled,
            "not_extended_no_calendar": self.not_extended,
            "median_lateness_seconds": median,
            "worst_lateness_seconds": ordered[-1] if ordered else None,
        }


@dataclass
class ComplianceReport:
    """``audit report``: what happened to the cases reported in a window."""

    date_from: str
    date_to: str
    cases: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    deadlines: dict[str, KindStats] = field(default_factory=dict)
    reports_by_reporter: dict[str, dict[str, Any]] = field(default_factory=dict)
    six_month: list[dict[str, Any]] = field(default_factory=list)
    #: The cases whose history does not replay; None when counted from the tables (no case
    #: was replayed: ``audit verify`` is what checks them).
    broken: list[str] | None = field(default_factory=list)
    #: Late mandatory reports' notices, by the superior organ told (001 §四(三)1 — 其上级机关).
    late_notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Voluntary reports and those the police commended (001 §四(三)1 — 表扬和奖励).
    voluntary: dict[str, Any] = field(
        default_factory=lambda: {"reports": 0, "praised": 0, "praised_cases": []}
    )

    def add(self, record: CaseRecord, r: Replay, tz: str, events: Sequence[Event] = ()) -> None:
        self.cases += 1
        self.by_type[record.type] = self.by_type.get(record.type, 0) + 1
        self.by_state[record.state] = self.by_state.get(record.state, 0) + 1
        if not r.ok and self.broken is not None:
            self.broken.append(record.id)
        for d in r.deadlines:
            k = self.deadlines.setdefault(d.kind, KindStats())
            if d.unknown_year is not None and d.status in {"pending", "met", "missed"}:
                k.not_extended += 1  # Civil Code Art. 203 could not be applied: flagged
            if d.status == "met":
                if d.late_seconds:
                    k.met_late += 1
                    k.lateness.append(d.late_seconds)
                else:
                    k.met_on_time += 1
            elif d.status == "missed":
                if d.met_at is not None:
                    k.missed_done_late += 1
                    k.lateness.append(d.late_seconds or 0)
                else:
                    k.missed_still_open += 1
            elif d.status == "pending":
                k.open += 1
            elif d.status == "fired":
                k.fired += 1
            else:
                k.cancelled += 1
        who = self.reports_by_reporter.setdefault(
            record.reporter.kind,
            {"mandatory": record.reporter.mandatory, "reports": 0, "late": 0, "late_cases": []},
        )
        who["mandatory"] = who["mandatory"] or record.reporter.mandatory  # a watch's is not
        who["reports"] += 1
        if record.late:
            who["late"] += 1
            who["late_cases"].append(record.id)
        self._reporters(record, r, tz, events)
        matured = next((s for s in r.steps if s.trigger == "nonperformance_six_months"), None)
        if matured is not None:
            petition = next(
                (
                    s
                    for s in r.steps
                    if s.seq > matured.seq and s.trigger == "petition_revocation" and not s.refused
                ),
                None,
            )
            self.matured(
                record.id, matured.occurred_at, petition.occurred_at if petition else None, tz
            )

    def _reporters(self, record: CaseRecord, r: Replay, tz: str, events: Sequence[Event]) -> None:
        """The notice a late mandatory report sent its superior organ (recorded with the report
        event), and the praise of a voluntary report (``commend_reporter``)."""
        report = events[0].effects.get("report") if events and events[0].seq == 1 else None
        superior = report.get("superior") if isinstance(report, dict) else None
        if isinstance(superior, dict) and report and report.get("late"):
            rep = record.reporter
            self.told(str(superior.get("recipient")), rep.kind, rep.name, record.id)
        if record.reporter.kind not in VOLUNTARY_REPORTER_KINDS:  # a watch's registrar too
            return
        self.voluntary["reports"] += 1
        praised = next(
            (s for s in r.steps if s.trigger == "commend_reporter" and not s.refused), None
        )
        if praised is not None:
            self.praised(record.id, record.reporter.kind, praised.occurred_at, tz)

    def told(self, recipient: str, kind: str, body: str, case_id: str) -> None:
        """A late mandatory report's notice to its reporter's superior organ, counted."""
        organ = self.late_notices.setdefault(
            recipient, {"notices": 0, "reporter_kinds": {}, "reporting_bodies": {}, "cases": []}
        )
        organ["notices"] += 1
        kinds, bodies = organ["reporter_kinds"], organ["reporting_bodies"]
        kinds[kind] = kinds.get(kind, 0) + 1
        bodies[body] = bodies.get(body, 0) + 1
        organ["cases"].append(case_id)

    def matured(self, case_id: str, at: datetime, petitioned_at: datetime | None, tz: str) -> None:
        """A case whose six months of refused duties ran out at ``at``, and its petition."""
        self.six_month.append(
            {
                "case_id": case_id,
                "matured_at": local_iso(at, tz),
                "petitioned": petitioned_at is not None,
                "petitioned_at": local_iso(petitioned_at, tz) if petitioned_at else None,
            }
        )

    def praised(self, case_id: str, kind: str, at: datetime, tz: str) -> None:
        """A voluntary report the police praised at ``at``."""
        self.voluntary["praised"] += 1
        self.voluntary["praised_cases"].append(
            {"case_id": case_id, "reporter_kind": kind, "praised_at": local_iso(at, tz)}
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.date_from,
            "to": self.date_to,
            "cases": self.cases,
            "by_type": dict(sorted(self.by_type.items())),
            "by_state": dict(sorted(self.by_state.items())),
            "deadlines": {k: v.to_dict() for k, v in sorted(self.deadlines.items())},
            "late_reports_by_reporter_kind": dict(sorted(self.reports_by_reporter.items())),
            "late_report_notices_by_superior_organ": {
                k: {**v, "reporter_kinds": dict(sorted(v["reporter_kinds"].items()))}
                for k, v in sorted(self.late_notices.items())
            },
            "voluntary_reports_praised": self.voluntary,
            "six_month_ground": self.six_month,
            "refused_actions": "not recorded: a refusal writes nothing, by design",
            "cases_failing_replay": self.broken,
            "counted_from": "replay" if self.broken is not None else "tables",
        }

    def rows(self) -> list[tuple[str, str, str, Any]]:
        """Flat rows (section, key, metric, value) for CSV."""
        d = self.to_dict()
        out: list[tuple[str, str, str, Any]] = [("window", "", "from", d["from"])]
        out.append(("window", "", "to", d["to"]))
        out.append(("cases", "", "count", d["cases"]))
        out += [("by_type", k, "cases", v) for k, v in d["by_type"].items()]
        out += [("by_state", k, "cases", v) for k, v in d["by_state"].items()]
        for kind, stats in d["deadlines"].items():
            out += [("deadline", kind, metric, value) for metric, value in stats.items()]
        for kind, who in d["late_reports_by_reporter_kind"].items():
            out.append(("reporter", kind, "reports", who["reports"]))
            out.append(("reporter", kind, "late", who["late"]))
            out.append(("reporter", kind, "mandatory", who["mandatory"]))
        for organ, sent in d["late_report_notices_by_superior_organ"].items():
            out.append(("late_report_notice", organ, "notices", sent["notices"]))
        out.append(("voluntary_reports", "", "reports", d["voluntary_reports_praised"]["reports"]))
        out.append(("voluntary_reports", "", "praised", d["voluntary_reports_praised"]["praised"]))
        for item in d["six_month_ground"]:
            out.append(("six_month", item["case_id"], "petitioned", item["petitioned"]))
        return out


# -- counted in SQL ---------------------------------------------------------------------------

#: The triggers whose events the report dates: the six-month ground, the petition after it,
#: and the praise of a voluntary report.
MATURED, PETITION, PRAISE = "nonperformance_six_months", "petition_revocation", "commend_reporter"


@dataclass(frozen=True, slots=True)
class ReportWindow:
    """The cases a report counts: ``types`` reported in ``[start, end)`` (UTC instants); of
    them, the events of ``dated`` triggers are read for the cases with a deadline row of the
    ``matured`` kind (a maturity's name is the system trigger it fires: the scheduler records
    the six-month ground when that deadline falls due) and the reports of ``voluntary``
    reporter kinds."""

    start: datetime
    end: datetime
    types: tuple[str, ...]
    matured: str = MATURED
    voluntary: tuple[str, ...] = tuple(VOLUNTARY_REPORTER_KINDS)
    dated: tuple[str, ...] = (MATURED, PETITION, PRAISE)


_DeadlineCount = tuple[str, str, str, bool, bool, datetime | None, datetime | None, int]


@dataclass
class Tally:
    """What a store counts for a report from its tables, each row with its case's type
    first (:func:`from_tally` keeps the window's types); the lists that name cases are in
    case id order, as the replay's report lists them:

    - ``cases``: (type, state, reporter kind, mandatory, late, count);
    - ``late_cases``: (type, reporter kind, case id) of the late reports;
    - ``deadlines``: (type, kind, status, met at some time, not extended, due at, met at,
      count) — a row done after its due time (missed then done, or met late) with its two
      times, the others with None;
    - ``notices``: (type, recipient, reporter kind, reporter name, case id) of the
      ``late_report`` notices;
    - ``steps``: (type, case id, reporter kind, trigger, seq, occurred at) of the dated
      triggers' events, in (case id, seq) order."""

    cases: list[tuple[str, str, str, bool, bool, int]] = field(default_factory=list)
    late_cases: list[tuple[str, str, str]] = field(default_factory=list)
    deadlines: list[_DeadlineCount] = field(default_factory=list)
    notices: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    steps: list[tuple[str, str, str, str, int, datetime]] = field(default_factory=list)


@runtime_checkable
class TalliesCompliance(Protocol):
    """A store that counts the report in its own query language (an optional part of the
    port): ``Engine.compliance_report`` uses it where the store has it."""

    def compliance_tally(self, window: ReportWindow) -> Tally: ...


def from_tally(
    report: ComplianceReport, tally: Tally, window: ReportWindow, tz: str
) -> ComplianceReport:
    """``report`` (empty, its window set) filled from a store's :class:`Tally` of ``window`` —
    the numbers :meth:`ComplianceReport.add` gives from every case's replay; ``broken`` left
    None (no case was replayed)."""
    report.broken = None
    types = set(window.types)
    for type_, state, kind, mandatory, late, n in tally.cases:
        if type_ not in types:
            continue
        report.cases += n
        report.by_type[type_] = report.by_type.get(type_, 0) + n
        report.by_state[state] = report.by_state.get(state, 0) + n
        who = report.reports_by_reporter.setdefault(
            kind, {"mandatory": False, "reports": 0, "late": 0, "late_cases": []}
        )
        who["mandatory"] = who["mandatory"] or bool(mandatory)  # any report of the kind's
        who["reports"] += n
        if late:
            who["late"] += n
        if kind in VOLUNTARY_REPORTER_KINDS:
            report.voluntary["reports"] += n
    for type_, kind, case_id in tally.late_cases:
        if type_ in types:
            report.reports_by_reporter[kind]["late_cases"].append(case_id)
    for type_, kind, status, met, flagged, due_at, met_at, n in tally.deadlines:
        if type_ not in types:
            continue
        k = report.deadlines.setdefault(kind, KindStats())
        _deadline(k, status, met, flagged, n)
        if due_at is not None and met_at is not None:
            _done_late(k, status, due_at, met_at, n)
    for type_, recipient, kind, body, case_id in tally.notices:
        if type_ in types:
            report.told(recipient, kind, body, case_id)
    _dated(report, (s[1:] for s in tally.steps if s[0] in types), tz)
    return report


def _deadline(k: KindStats, status: str, met: bool, flagged: bool, n: int) -> None:
    """``n`` rows of one kind, status and flags counted (a met row as on time: see
    :func:`_done_late`)."""
    if flagged and status in {"pending", "met", "missed"}:
        k.not_extended += n
    if status == "met":
        k.met_on_time += n
    elif status == "missed":
        if met:
            k.missed_done_late += n
        else:
            k.missed_still_open += n
    elif status == "pending":
        k.open += n
    elif status == "fired":
        k.fired += n
    else:
        k.cancelled += n


def _done_late(k: KindStats, status: str, due_at: datetime, met_at: datetime, n: int) -> None:
    """``n`` rows done ``met_at - due_at`` late: a missed one's lateness counted; a met one
    late only by whole seconds, as its ``met`` effect's ``late_seconds`` counts them."""
    late = int((met_at - due_at).total_seconds())
    if status == "missed":
        k.lateness += [late] * n
    elif late > 0:
        k.met_on_time -= n
        k.met_late += n
        k.lateness += [late] * n


def _dated(
    report: ComplianceReport, steps: Iterable[tuple[str, str, str, int, datetime]], tz: str
) -> None:
    """The six-month ground and the praise, from each case's dated events (in seq order)."""
    from itertools import groupby

    for case_id, group in groupby(steps, key=lambda s: s[0]):
        events = list(group)
        kind = events[0][1]
        matured = next((s for s in events if s[2] == MATURED), None)
        if matured is not None:
            petition = next((s for s in events if s[2] == PETITION and s[3] > matured[3]), None)
            report.matured(case_id, matured[4], petition[4] if petition else None, tz)
        praised = next((s for s in events if s[2] == PRAISE), None)
        if praised is not None and kind in VOLUNTARY_REPORTER_KINDS:
            report.praised(case_id, kind, praised[4], tz)
