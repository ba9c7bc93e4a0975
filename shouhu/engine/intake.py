"""Reports: :meth:`Engine.report` (with the caller's idempotency key), :meth:`Engine.report_many`
and :meth:`Engine.reporting` (batch intake), :meth:`Engine.check_report`,
:meth:`Engine.known_external`; the checks a report makes and the commit it becomes.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine import zhinput
from shouhu.engine.acting import acting_as, sign_commits
from shouhu.engine.duplicates import refuse_duplicates
from shouhu.engine.model import CaseRecord, Child, Location, Reporter
from shouhu.engine.notices import late_report_notices
from shouhu.engine.ports import Commit
from shouhu.engine.records import (
    anniversary,
    case_view,
    load,
    log_events,
    not_after,
    occurred_instant,
    open_case,
    parse_location,
)
from shouhu.engine.requests import Instant, ReportRequest
from shouhu.engine.timeutil import local_date, local_iso
from shouhu.engine.views import CaseView
from shouhu.errors import Conflict, InvalidInput, TransitionRefused
from shouhu.i18n import _
from shouhu.workflows.reporting import SUPERIOR_ORGANS
from shouhu.workflows.spec import WorkflowDef

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.signing import Credential

#: The intake ``source`` under which :meth:`Engine.report`'s idempotency keys are recorded
#: (reserved: batch intake may not use it).
IDEMPOTENCY_SOURCE = "idempotency-key"


def report(
    self: Engine,
    type: str,
    *,
    child: Mapping[str, Any] | BaseModel,
    location: str | Mapping[str, Any] | Location,
    reporter: Mapping[str, Any] | BaseModel,
    discovered_at: Instant | None = None,
    occurred_at: Instant | None = None,
    data: Mapping[str, Any] | None = None,
    new_case: bool = False,
    key: str | None = None,
    credential: Credential | None = None,
) -> CaseView:
    """File a report (event 1, trigger ``report``) and return the new case.

    Anyone may report (001 §四(三)1): on a database with operators a report filed without a
    ``credential`` is an anonymous report (unsigned); with one, the filing operator is
    recorded and signs it.

    A report about a child who already has an open case of this type, reported within the
    policy pack's ``duplicate_window`` of this one, is refused as a probable duplicate
    (:class:`TransitionRefused`, rule ``duplicate``, naming the open case) unless
    ``new_case`` says it is a new situation. With ``key`` (the caller's idempotency key, at
    most 100 characters), a call made again with the same key returns the case the first
    one filed and writes nothing; a key first used for another type is a
    :class:`Conflict` naming the key.
    """
    _check_flag(new_case, "new_case")
    type = _report_type(self, type)
    if key is not None:
        key = v.clean_text(key, field="key", max_length=100)
        first = _keyed(self, type, key)
        if first is not None:
            return first
    req = ReportRequest(
        type, child, location, reporter, discovered_at, occurred_at, data, external_id=key
    )
    filer = acting_as(self, credential)
    commit = report_commit(self, req, None if key is None else IDEMPOTENCY_SOURCE)
    sign_commits((commit,), filer)
    try:
        with self.store.write() as tx:
            if not new_case:
                refuse_duplicates(self, tx, [commit], batch=False)
            tx.append(commit)
    except (Conflict, TransitionRefused):
        if key is not None:  # a call with the same key, racing this one, filed it first
            first = _keyed(self, type, key)
            if first is not None:
                return first
        raise
    log_report(self, commit.case)
    log_events(self, commit.events)
    return case_view(self, commit.case, list(commit.events))


def _keyed(self: Engine, type_: str, key: str) -> CaseView | None:
    """The case filed under idempotency ``key``, if any; a Conflict if of another type."""
    found = self.store.known_external(IDEMPOTENCY_SOURCE, [key]).get(key)
    if found is None:
        return None
    view = case_view(self, load(self, found))
    if view.type != type_:
        raise Conflict(
            _(
                "idempotency key {key!r} was used for case {case_id}, a {used} report, "
                "not {type}: a new report needs a new key"
            ).format(key=key, case_id=found, used=view.type, type=type_),
            case_id=found,
            expected=None,
            actual=None,
            key=key,
        )
    return view


def report_many(
    self: Engine,
    requests: Iterable[ReportRequest],
    *,
    source: str | None = None,
    new_case: bool = False,
    credential: Credential | None = None,
) -> list[str]:
    """File many reports in one transaction: every one is validated first; all or none.
    (``credential``: as :meth:`report`'s.)

    With ``source``, each request's ``external_id`` is recorded once per source: a report
    imported again is a :class:`Conflict`. Each report is checked for a probable duplicate
    as :meth:`report` checks it — against the open cases and the batch's earlier
    requests — unless ``new_case``; the first refused raises :class:`TransitionRefused`
    (rule ``duplicate``, its place in the batch in the message and in ``data["index"]``).
    Returns the new case ids in order.
    """
    _check_batch(source, new_case)
    filer = acting_as(self, credential)
    now = self.clock.now()  # one transaction: every report in it is recorded at one instant
    commits = [report_commit(self, r, source, now) for r in requests]
    sign_commits(commits, filer)
    if commits and new_case:
        self.store.commit_many(commits)
    elif commits:
        with self.store.write() as tx:
            refuse_duplicates(self, tx, commits, batch=True)
            tx.append_many(commits)
    if self._std_log.isEnabledFor(logging.INFO):
        for c in commits:
            log_report(self, c.case)
    return [c.case.id for c in commits]


@contextmanager
def reporting(
    self: Engine,
    *,
    source: str | None = None,
    new_case: bool = False,
    credential: Credential | None = None,
) -> Iterator[Callable[[Sequence[ReportRequest]], list[str]]]:
    """One write transaction for many batches of reports (batch intake's
    ``--all-or-nothing``). The block is given a function that files a batch as
    :meth:`report_many` does — every report validated and, unless ``new_case``, checked
    for a probable duplicate (against the open cases, the batches before it and its own
    earlier requests); the new case ids returned in order — without committing it: every
    batch lands when the block ends, or none does if it raises (let an error of the
    function end the block). Memory holds one batch at a time; the write lock is held
    throughout (on SQLite, other writers wait)."""
    _check_batch(source, new_case)
    filer = acting_as(self, credential)
    now = self.clock.now()  # one transaction: every report in it is recorded at one instant
    logged: list[CaseRecord] = []
    with self.store.write() as tx:

        def file(requests: Sequence[ReportRequest]) -> list[str]:
            commits = [report_commit(self, r, source, now) for r in requests]
            sign_commits(commits, filer)
            if commits and not new_case:
                refuse_duplicates(self, tx, commits, batch=True)
            if commits:
                tx.append_many(commits)
            if self._std_log.isEnabledFor(logging.INFO):
                logged.extend(c.case for c in commits)
            return [c.case.id for c in commits]

        yield file
    for case in logged:
        log_report(self, case)


def check_report(self: Engine, request: ReportRequest) -> None:
    """Validate a report exactly as filing it would, writing nothing (batch intake)."""
    _report_checked(self, request, self.clock.now())


def known_external(self: Engine, source: str, ids: Sequence[str]) -> dict[str, str]:
    """Which external ids from ``source`` were imported already (external id → case id)."""
    return self.store.known_external(source, list(ids))


def report_commit(
    self: Engine,
    req: ReportRequest,
    source: str | None = None,
    now: datetime | None = None,
    *,
    watch_case: str | None = None,
) -> Commit:
    if now is None:
        now = self.clock.now()
    (
        wf,
        (name, birth, idn),
        (kind, reporter_name, mandatory),
        loc,
        occurred,
        discovered,
        age,
        data,
    ) = _report_checked(self, req, now)
    child = Child(name, birth, idn, left_behind=age < 16, age_at_discovery=age)
    facts = dict(wf.report_effect({}, data)) if wf.report_effect else {}
    case_id = self._new_id(now)
    event_data: dict[str, Any] = {
        "child": {
            "name": name,
            "birthdate": birth.isoformat(),
            **({"id_number": idn} if idn else {}),
            "left_behind": child.left_behind,
            "age_at_discovery": age,
        },
        "location": loc.as_dict(),
        "reporter": {"kind": kind, "name": reporter_name, "mandatory": mandatory},
        "discovered_at": local_iso(discovered, self.zone),
        "report": data,
    }
    if watch_case is not None:  # raised from the ledger: the report names its watch
        event_data["watch_case"] = watch_case
        facts["watch_case"] = watch_case
    external = None
    if source is not None and req.external_id is not None:
        ext = v.clean_text(req.external_id, field="external_id", max_length=100)
        external = (_clean_source(source), ext)
        # hashed with the event: the intake row can be rebuilt from the log alone
        event_data["intake"] = {"source": external[0], "external_id": external[1]}
    changes = dl.on_event(
        self.policy,
        self.zone,
        case_id=case_id,
        existing=(),
        trigger="report",
        data=data,
        when=occurred,
        seq=1,
        closes=False,
        workflow=wf,
    )
    effects: dict[str, Any] = {}
    delay = int((occurred - discovered).total_seconds())
    late = False
    bound = self.policy.check("report_delay")
    if bound is not None:
        late = occurred > bound.due(discovered, self.zone)
        effects["report"] = {"late": late, "delay_seconds": delay, "bound": str(bound.period)}
        organ = SUPERIOR_ORGANS.get(kind) if late and mandatory else None
        if organ is not None:
            # 001 §四(三)1 — 负有强制报告责任的单位和人员未履行报告义务的,其上级机关……要严肃追责:
            # the superior organ is told, by a notice written with this event, made again from it
            effects["report"]["superior"] = {
                "recipient": organ.recipient.format_map(
                    {"township": loc.township, "village": loc.village, "county": loc.county or ""}
                ),
                "citation": organ.citation,
            }
    if changes.effects:
        effects["deadlines"] = changes.effects
    ev, record = open_case(
        self,
        case_id,
        wf,
        (reporter_name, "reporter"),
        occurred,
        now,
        event_data,
        effects,
        {
            "child": child,
            "location": loc,
            "reporter": Reporter(kind, reporter_name, mandatory),
            "discovered_at": discovered,
            "facts": {**facts, **changes.facts},
            "late": late,
            "report_delay_seconds": delay,
        },
    )
    notices = late_report_notices(
        case_id=case_id,
        case_type=wf.type,
        location=event_data["location"],
        reporter=event_data["reporter"],
        report=effects.get("report") or {},
        occurred_at=occurred,
        created_at=now,
        zone=self.zone,
    )
    return Commit(record, (ev,), None, tuple(changes.writes), tuple(notices), external=external)


def _report_checked(self: Engine, req: ReportRequest, now: datetime) -> _CheckedReport:
    """Every check filing a report makes, and the clean values; nothing is built."""
    wf = self.workflows.latest(_report_type(self, req.type))
    child = v.child(req.child)
    reporter = v.reporter(req.reporter)
    loc = parse_location(req.location)
    occurred = occurred_instant(self, req.occurred_at, now)
    discovered = (
        occurred
        if req.discovered_at is None
        else occurred_instant(self, req.discovered_at, now, field="discovered_at")
    )
    if discovered > occurred:
        raise InvalidInput(
            _("discovered_at {discovered} follows the report itself ({reported})").format(
                discovered=local_iso(discovered, self.zone), reported=local_iso(occurred, self.zone)
            ),
            field="discovered_at",
        )
    age = _age_check(self, child[1], discovered)
    data = v.validate_data(
        _("report {type}").format(type=wf.type), wf.report_data, req.data, self.zone
    )
    not_after(self, data, wf.report_data, occurred)
    return wf, child, reporter, loc, occurred, discovered, age, data


def _age_check(self: Engine, birth: date, discovered: datetime) -> int:
    """Whole years of age at discovery (Civil Code counting); refuses adults and the unborn.

    A period of N years from the birth date ends at the end of its anniversary (Arts.
    201–203), so the age is N from 00:00 of the day after the N-th birthday — the same
    instant :func:`~shouhu.engine.periods.period_end` gives for ``P{N}Y``.
    """
    day = local_date(discovered, self.zone)
    if birth > day:
        raise InvalidInput(
            _("child_birthdate is after the discovery date"), field="child_birthdate"
        )
    age = day.year - birth.year
    if day <= anniversary(birth, age):
        age -= 1
    if age >= 18:
        raise InvalidInput(
            _(
                "the child is 18 or older on the discovery date: the mechanism covers minors "
                "(004 §四)"
            ),
            field="child_birthdate",
        )
    return age


def log_report(self: Engine, case: CaseRecord) -> None:
    self.log.info(
        "case_reported",
        case_id=case.id,
        type=case.type,
        reporter_kind=case.reporter.kind,
        township=case.location.township,
        left_behind=case.child.left_behind,
    )


#: What :func:`_report_checked` gives: the workflow, (name, birthdate, id number),
#: (reporter kind, name, mandatory), the location, the report's and the discovery's instants,
#: the age at discovery and the clean report data.
_CheckedReport = tuple[
    WorkflowDef,
    tuple[str, date, str | None],
    tuple[str, str, bool],
    Location,
    datetime,
    datetime,
    int,
    dict[str, Any],
]


def _check_batch(source: str | None, new_case: object) -> None:
    """A batch's ``new_case`` flag is a bool, and its source is not the keys' reserved one."""
    _check_flag(new_case, "new_case")
    if source is not None and _clean_source(source) == IDEMPOTENCY_SOURCE:
        raise InvalidInput(
            _(
                "source: {source!r} is reserved for the idempotency keys of Engine.report(key=...)"
            ).format(source=IDEMPOTENCY_SOURCE),
            field="source",
        )


def _check_flag(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInput(_("{name}: expected True or False").format(name=name), field=name)


def _clean_source(source: object) -> str:
    return v.clean_text(source, field="source", max_length=60)


def _report_type(self: Engine, type_: object) -> str:
    """The report type ``type_`` names: its key or a Chinese name (独居, 失踪 …)."""
    return zhinput.report_type(type_, self.workflows)
