"""The engine: files reports, fires triggers, and shows cases — over any :class:`Store`.

Every write is one :class:`~shouhu.engine.ports.Commit`: the new events and the case's new
projection, atomically, guarded by the version the engine read. Nothing here reads the wall
clock (the :class:`~shouhu.engine.clock.Clock` is injected) or knows which database is used.
"""

from __future__ import annotations

import calendar
import gc
import itertools
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from shouhu import workflows
from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine.clock import Clock
from shouhu.engine.hashing import GENESIS, sealed
from shouhu.engine.logs import get_logger
from shouhu.engine.machines import allowed_rows, step
from shouhu.engine.model import (
    DEADLINE_STATUSES,
    NOTICE_STATUSES,
    Access,
    CaseHead,
    CaseRecord,
    Child,
    Deadline,
    DeadlineWrite,
    Event,
    Link,
    Location,
    Notice,
    Reporter,
)
from shouhu.engine.notices import notices_for
from shouhu.engine.periods import DEFAULT_ZONE, parse_period, period_end
from shouhu.engine.policy import DeadlineRule, PolicyPack, default_pack
from shouhu.engine.ports import (
    AuditReads,
    Channel,
    Commit,
    DeliveryError,
    Store,
    Transaction,
    same_child,
)
from shouhu.engine.timeutil import local_date, local_iso, parse_day, parse_instant
from shouhu.engine.views import WITHHELD, CaseSummary, CaseView, EventView, TriggerOption
from shouhu.errors import Conflict, InvalidInput, NotFound, ShouhuError, TransitionRefused
from shouhu.workflows.spec import FieldDef, WorkflowDef
from shouhu.workflows.vocab import RESERVED_ROLES, WATCH_KINDS
from shouhu.workflows.watch import C_CHILD_DEF, C_ELDER_AGE, C_WOMAN_DEF, REGISTRARS

if TYPE_CHECKING:  # imported by the methods using them: showing a case needs neither
    from shouhu.engine import registry as reg
    from shouhu.engine.audit import ComplianceReport, Replay, Verification

#: How far ahead of the engine's clock an ``occurred_at`` may be (clock skew between desks).
FUTURE_TOLERANCE = timedelta(minutes=5)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = tuple(range(70, -1, -10))
#: The intake ``source`` under which :meth:`Engine.report`'s idempotency keys are recorded
#: (reserved: batch intake may not use it).
IDEMPOTENCY_SOURCE = "idempotency-key"
#: The policy pack's check that sets the window of the duplicate-report refusal.
DUPLICATE_WINDOW = "duplicate_window"
#: How many times a write without an expected version is tried against a case that other
#: writers keep moving (``fire``, ``fire_many``) before it gives up with a ``Conflict``.
FIRE_ATTEMPTS = 50

Instant = str | datetime | date


class _Ids:
    """Monotonic ids: within one process never repeated, even under a clock that stands still."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0

    def __call__(self, now: datetime) -> str:
        """16 characters (Crockford base32): 10 of milliseconds, 6 random, strictly increasing."""
        with self.lock:
            value = (int(now.timestamp() * 1000) << 30) | secrets.randbits(30)
            if value <= self.last:
                value = self.last + 1
            self.last = value
        # 80 bits are 16 base32 digits: eight pairs of ten bits, each pair from a table.
        return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


new_case_id = _Ids()


def anniversary(birth: date, years: int) -> date:
    """The ``years``-th birthday; 29 February falls back to the 28th (Civil Code Art. 202)."""
    year = birth.year + years
    return date(year, birth.month, min(birth.day, calendar.monthrange(year, birth.month)[1]))


def parse_location(text: str | Mapping[str, Any] | Location) -> Location:
    """``VILLAGE, TOWNSHIP[, COUNTY]`` (ASCII or full-width commas) as a :class:`Location`."""
    if isinstance(text, Location):
        return text
    if isinstance(text, Mapping):
        given = [text.get("village"), text.get("township"), text.get("county")]
        parts: list[Any] = [p for p in given if p is not None]
    elif isinstance(text, str):
        parts = text.replace("，", ",").split(",")
    else:
        raise InvalidInput("location: expected 'VILLAGE, TOWNSHIP[, COUNTY]'", field="location")
    if not 2 <= len(parts) <= 3:
        raise InvalidInput(
            "location: expected 'VILLAGE, TOWNSHIP[, COUNTY]' (two or three parts)",
            field="location",
        )
    clean = [v.clean_text(p, field="location", max_length=50) for p in parts]
    return Location(clean[0], clean[1], clean[2] if len(clean) == 3 else None)


@dataclass(frozen=True, slots=True)
class Fired:
    """A deadline the scheduler fired: the case, the kind, when it was due, the event it made."""

    case_id: str
    kind: str
    due_at: datetime
    trigger: str
    seq: int


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """Everything a report needs; the typed form of :meth:`Engine.report`'s arguments."""

    type: str
    child: Mapping[str, Any] | BaseModel
    location: str | Mapping[str, Any] | Location
    reporter: Mapping[str, Any] | BaseModel
    discovered_at: Instant | None = None
    occurred_at: Instant | None = None
    data: Mapping[str, Any] | None = None
    external_id: str | None = None  # the sending system's id (batch intake), unique per source


@dataclass(frozen=True, slots=True)
class FireRequest:
    """One trigger to fire; the typed form of :meth:`Engine.fire`'s arguments, for
    :meth:`Engine.fire_many`."""

    case_id: str
    trigger: str
    actor: Mapping[str, Any] | BaseModel
    occurred_at: Instant | None = None
    data: Mapping[str, Any] | BaseModel | None = None
    expected_version: int | None = None


class Engine:
    """Cases of the six report types, on an event-sourced store.

    >>> from shouhu import Engine
    >>> engine = Engine.open("sqlite:///cases.db")   # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        zone: str = DEFAULT_ZONE,
        policy: PolicyPack | None = None,
        id_factory: Callable[[datetime], str] | None = None,
        logger: Any = None,
    ) -> None:
        from shouhu.engine.timeutil import zone as _zone

        _zone(zone)  # fail early on an unknown zone
        self.store = store
        self.clock = clock
        self.zone = zone
        self.policy = policy if policy is not None else default_pack()
        self.policy_version = self.policy.id
        self._new_id = id_factory or new_case_id
        self.log = logger if logger is not None else get_logger("shouhu.engine")
        self._std_log = logging.getLogger("shouhu.engine")
        #: The latest horizon a sweep of this engine fired up to (``run_due``), or None.
        self.swept_to: datetime | None = None

    # -- context management ------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def report(
        self,
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
    ) -> CaseView:
        """File a report (event 1, trigger ``report``) and return the new case.

        A report about a child who already has an open case of this type, reported within the
        policy pack's ``duplicate_window`` of this one, is refused as a probable duplicate
        (:class:`TransitionRefused`, rule ``duplicate``, naming the open case) unless
        ``new_case`` says it is a new situation. With ``key`` (the caller's idempotency key, at
        most 100 characters), a call made again with the same key returns the case the first
        one filed and writes nothing; a key first used for another type is a
        :class:`Conflict` naming the key.
        """
        _check_flag(new_case, "new_case")
        if key is not None:
            if not isinstance(type, str) or type not in workflows.types():
                raise InvalidInput(_unknown_type(str(type)), field="type")
            key = v.clean_text(key, field="key", max_length=100)
            first = self._keyed(type, key)
            if first is not None:
                return first
        req = ReportRequest(
            type, child, location, reporter, discovered_at, occurred_at, data, external_id=key
        )
        commit = self._report_commit(req, None if key is None else IDEMPOTENCY_SOURCE)
        try:
            with self.store.write() as tx:
                if not new_case:
                    self._refuse_duplicates(tx, [commit], batch=False)
                tx.append(commit)
        except (Conflict, TransitionRefused):
            if key is not None:  # a call with the same key, racing this one, filed it first
                first = self._keyed(type, key)
                if first is not None:
                    return first
            raise
        self._log_report(commit.case)
        self._log_events(commit.events)
        return self._view(commit.case, list(commit.events))

    def _keyed(self, type_: str, key: str) -> CaseView | None:
        """The case filed under idempotency ``key``, if any; a Conflict if of another type."""
        found = self.store.known_external(IDEMPOTENCY_SOURCE, [key]).get(key)
        if found is None:
            return None
        view = self._view(self._load(found))
        if view.type != type_:
            raise Conflict(
                f"idempotency key {key!r} was used for case {found}, a {view.type} report, "
                f"not {type_}: a new report needs a new key",
                case_id=found,
                expected=None,
                actual=None,
                key=key,
            )
        return view

    def _duplicate_rule(self) -> DeadlineRule:
        """The pack's ``duplicate_window`` check; a pack without one keeps the default's."""
        rule = self.policy.check(DUPLICATE_WINDOW) or _default_check(DUPLICATE_WINDOW)
        assert rule is not None  # the default pack has it
        return rule

    def _refuse_duplicates(
        self, tx: Transaction, commits: Sequence[Commit], *, batch: bool
    ) -> None:
        """Refuse the first new report (in the batch's order) about a child who has an open
        report of its type within the duplicate window — a stored case, or an earlier request
        of the batch. Checked in (type, birthdate) order, so that on PostgreSQL every
        transaction takes its advisory locks in one order (no deadlock between batches)."""
        rule = self._duplicate_rule()
        order = sorted(
            range(len(commits)),
            key=lambda i: (commits[i].case.type, commits[i].case.child.birthdate, i),
        )
        earlier: dict[tuple[str, date], list[tuple[int, CaseRecord]]] = {}
        refused: dict[int, TransitionRefused] = {}
        for i in order:
            case = commits[i].case
            child = case.child
            since, until = self._window(rule, case.reported_at)
            group = earlier.setdefault((case.type, child.birthdate), [])
            same = [
                j
                for j, c in group
                if since <= c.reported_at <= until
                and same_child(c.child.id_number, c.child.name, child.id_number, child.name)
            ]
            if same:
                refused[i] = self._duplicate_report(
                    case, None, f"request {same[0]} of this batch", rule, "report", ""
                )
            else:
                twin = tx.open_report(
                    case.type, child.id_number, child.name, child.birthdate, since, until
                )
                if twin is not None:
                    refused[i] = self._duplicate_report(
                        case, twin, f"case {twin}", rule, "report", ""
                    )
            group.append((i, case))
        if refused:
            index = min(refused)
            exc = refused[index]
            if batch:
                exc.message = f"request {index}: {exc.message}"
                exc.args = (exc.message,)
                exc.data["index"] = index
            raise exc

    def _window(self, rule: DeadlineRule, at: datetime) -> tuple[datetime, datetime]:
        """The duplicate window around a report made ``at``: its period either side."""
        width = rule.due(at, self.zone) - at
        return at - width, at + width

    def _duplicate_report(
        self,
        case: CaseRecord,
        twin: str | None,
        shown: str,
        rule: DeadlineRule,
        trigger: str,
        state: str,
    ) -> TransitionRefused:
        """The refusal of a probable duplicate: it names the open case (``shown``: ``case ID``
        or the batch's earlier request), never the child."""
        clause = rule.citation.split(" — ")[0].strip()
        hint = (
            "add to that case; if this is a new situation, file it with new_case=True "
            "(CLI: --new-case)"
            if trigger == "report"
            else "add to that case instead"
        )
        return TransitionRefused(
            f"refused by rule duplicate ({clause}; {rule.name} {rule.period}, a {rule.basis} "
            f"rule of the policy pack): the same child has an open {case.type} report, "
            f"{shown}, made within {rule.period} of this one — a probable duplicate; {hint}",
            rule="duplicate",
            citation=clause,
            trigger=trigger,
            state=state,
            case_id=twin,
        )

    def report_many(
        self,
        requests: Iterable[ReportRequest],
        *,
        source: str | None = None,
        new_case: bool = False,
    ) -> list[str]:
        """File many reports in one transaction: every one is validated first; all or none.

        With ``source``, each request's ``external_id`` is recorded once per source: a report
        imported again is a :class:`Conflict`. Each report is checked for a probable duplicate
        as :meth:`report` checks it — against the open cases and the batch's earlier
        requests — unless ``new_case``; the first refused raises :class:`TransitionRefused`
        (rule ``duplicate``, its place in the batch in the message and in ``data["index"]``).
        Returns the new case ids in order.
        """
        _check_batch(source, new_case)
        now = self.clock.now()  # one transaction: every report in it is recorded at one instant
        with _no_cycle_collection():
            commits = [self._report_commit(r, source, now) for r in requests]
            if commits and new_case:
                self.store.commit_many(commits)
            elif commits:
                with self.store.write() as tx:
                    self._refuse_duplicates(tx, commits, batch=True)
                    tx.append_many(commits)
            if self._std_log.isEnabledFor(logging.INFO):
                for c in commits:
                    self._log_report(c.case)
            ids = [c.case.id for c in commits]
            # Freed before the collector is back, so it does not walk them all once more.
            del commits
        return ids

    @contextmanager
    def reporting(
        self, *, source: str | None = None, new_case: bool = False
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
        now = self.clock.now()  # one transaction: every report in it is recorded at one instant
        logged: list[CaseRecord] = []
        with self.store.write() as tx:

            def file(requests: Sequence[ReportRequest]) -> list[str]:
                with _no_cycle_collection():
                    commits = [self._report_commit(r, source, now) for r in requests]
                    if commits and not new_case:
                        self._refuse_duplicates(tx, commits, batch=True)
                    if commits:
                        tx.append_many(commits)
                    if self._std_log.isEnabledFor(logging.INFO):
                        logged.extend(c.case for c in commits)
                    ids = [c.case.id for c in commits]
                    del commits
                return ids

            yield file
        for case in logged:
            self._log_report(case)

    def register(
        self,
        kind: str,
        *,
        person: Mapping[str, Any] | BaseModel,
        location: str | Mapping[str, Any] | Location,
        actor: Mapping[str, Any] | BaseModel,
        at: Instant | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> CaseView:
        """Put a person on the ledger (台账): a new case of ``child_watch``, ``woman_watch`` or
        ``elderly_watch`` (``kind``: child, woman or elderly, or the watch type itself).

        ``person``: name, birthdate and an optional id number (checked, GB 11643). ``data``:
        for a child ``parents_away`` (both | one_with_incapable_other), ``guardian``,
        ``agreement_signed``; for a woman ``husband_away_since``. Refused with
        :class:`InvalidInput` when the person is not left behind under the documents (a child
        16 or older, a woman whose husband has been away less than half a year, an elder under
        60), with :class:`TransitionRefused` for a role that keeps no ledger, and with
        :class:`Conflict` naming the open watch of the same person. Nothing is written then.
        """
        commit = self._register_commit(kind, person, location, actor, at, data)
        case = commit.case
        try:
            with self.store.write() as tx:
                same = _same_person(tx, case)
                if same is not None:
                    raise _duplicate(case, same)
                tx.append(commit)
        except Conflict as exc:
            if exc.data.get("rule") == "duplicate":
                raise
            # A twin registered in a racing transaction: the store's unique index (one open
            # watch per person, migration 0004) refused this one. Name the twin.
            with self.store.write() as tx:
                same = _same_person(tx, case)
            if same is None:
                raise
            raise _duplicate(case, same) from None
        if self._std_log.isEnabledFor(logging.INFO):
            self.log.info(
                "person_registered",
                case_id=case.id,
                type=case.type,
                role=case.reporter.kind,
                township=case.location.township,
            )
        self._log_events(commit.events)
        return self._view(case, list(commit.events))

    def _register_commit(
        self,
        kind: str,
        person: Mapping[str, Any] | BaseModel,
        location: str | Mapping[str, Any] | Location,
        actor: Mapping[str, Any] | BaseModel,
        at: Instant | None,
        data: Mapping[str, Any] | None,
    ) -> Commit:
        type_ = WATCH_KINDS.get(kind, kind) if isinstance(kind, str) else ""
        if type_ not in workflows.watch_types():
            raise InvalidInput(
                f"unknown kind {str(kind)[:40]!r} (kinds: {', '.join(WATCH_KINDS)})",
                field="kind",
            )
        wf = workflows.latest(type_)
        who = v.actor(actor)
        if who.role not in REGISTRARS:
            raise TransitionRefused(
                f"refused by rule role ({wf.citation}): the ledger is kept by "
                f"{', '.join(REGISTRARS)}, not {who.role}",
                rule="role",
                citation=wf.citation,
                trigger="register",
                state="",
                role=who.role,
            )
        now = self.clock.now()
        name, birth, idn = v.child(person)
        loc = parse_location(location)
        when = self._occurred(at, now, field="at")
        clean = v.validate_data(f"register {kind}", wf.report_data, data, self.zone)
        self._not_after(clean, wf.report_data, when)
        age = self._registration_age(wf, birth, when, clean)
        child = Child(name, birth, idn, left_behind=True, age_at_discovery=age)
        facts = dict(wf.report_effect({}, clean)) if wf.report_effect else {}
        case_id = self._new_id(now)
        event_data: dict[str, Any] = {
            "person": {
                "name": name,
                "birthdate": birth.isoformat(),
                **({"id_number": idn} if idn else {}),
                "age_at_registration": age,
            },
            "location": loc.as_dict(),
            "registrar": {"name": who.name, "role": who.role},
            "register": clean,
        }
        changes = dl.on_event(
            self.policy,
            self.zone,
            case_id=case_id,
            existing=(),
            trigger="register",
            data={**clean, "birthdate": birth.isoformat()},  # turns_16 counts from it
            when=when,
            seq=1,
            closes=False,
            workflow=wf.type,
        )
        effects = {"deadlines": changes.effects} if changes.effects else {}
        ev = self._event(
            case_id,
            1,
            wf,
            "register",
            None,
            wf.initial,
            who.name,
            who.role,
            when,
            now,
            event_data,
            GENESIS,
            effects,
        )
        record = CaseRecord(
            id=case_id,
            type=wf.type,
            workflow_version=wf.version,
            state=wf.initial,
            version=1,
            head_hash=ev.hash,
            child=child,
            location=loc,
            reporter=Reporter(who.role, who.name, False),
            discovered_at=when,
            reported_at=when,
            last_occurred_at=when,
            created_at=now,
            updated_at=now,
            facts={**facts, **changes.facts},
        )
        return Commit(record, (ev,), None, tuple(changes.writes))

    def _registration_age(
        self, wf: WorkflowDef, birth: date, when: datetime, data: Mapping[str, Any]
    ) -> int:
        """Whole years of age at registration (Civil Code counting, as :meth:`_age_check`),
        refusing a person the ledger does not cover."""
        day = local_date(when, self.zone)
        if birth > day:
            raise InvalidInput("birthdate is after the registration date", field="birthdate")
        age = day.year - birth.year
        if day <= anniversary(birth, age):
            age -= 1
        if wf.type == "child_watch" and age >= 16:
            turned = period_end(birth, parse_period("P16Y"), self.zone)
            raise InvalidInput(
                f"refused by rule under_16 ({C_CHILD_DEF}): a left-behind child is under 16; "
                f"born {birth.isoformat()}, the child is 16 from {local_iso(turned, self.zone)}",
                field="birthdate",
                rule="under_16",
                citation=C_CHILD_DEF,
            )
        if wf.type == "elderly_watch" and age < 60:
            raise InvalidInput(
                f"refused by rule aged_60 ({C_ELDER_AGE}): an elder is 60 or older; this "
                f"person is {age}",
                field="birthdate",
                rule="aged_60",
                citation=C_ELDER_AGE,
            )
        if wf.type == "woman_watch":
            since = date.fromisoformat(data["husband_away_since"])
            holds = period_end(since, parse_period("P6M"), self.zone)
            if when < holds:
                raise InvalidInput(
                    f"refused by rule half_year ({C_WOMAN_DEF}): the husband must have been "
                    f"away half a year or more; away since {since.isoformat()}, that holds from "
                    f"{local_iso(holds, self.zone)}",
                    field="husband_away_since",
                    rule="half_year",
                    citation=C_WOMAN_DEF,
                )
        return age

    def fire(
        self,
        case_id: str,
        trigger: str,
        *,
        actor: Mapping[str, Any] | BaseModel,
        occurred_at: Instant | None = None,
        data: Mapping[str, Any] | BaseModel | None = None,
        expected_version: int | None = None,
    ) -> CaseView:
        """Fire ``trigger`` on a case as ``actor``; returns the case after it.

        Raises ``InvalidInput`` (bad input), ``NotFound``, ``TransitionRefused`` (state, role,
        guard) or ``Conflict`` (the version moved); in each case nothing is written. Without
        ``expected_version`` a race lost to another writer is not a conflict: the case is read
        again and the trigger judged again, up to :data:`FIRE_ATTEMPTS` times.
        """
        _check_expected(expected_version)
        name, role = _operator(actor, trigger)
        return self._fire(case_id, trigger, name, role, occurred_at, data, expected_version)

    def fire_many(self, requests: Iterable[FireRequest]) -> list[CaseSummary]:
        """Fire many triggers in one transaction, in order: all or none.

        Each request is judged as :meth:`fire` would judge it, against its case as the
        requests before it in the batch left it (so one case may move several steps). The
        first one refused raises what :meth:`fire` would raise — with ``index``, its place
        in the batch, in the message — and nothing of the batch is written. Returns each
        request's case after it, in order (a line of ``case list``: no identity). A batch in
        which no request gives an expected version is tried again whole, as :meth:`fire` is,
        when another writer moved one of its cases first.
        """
        batch = list(requests)
        # A batch none of whose requests gave a version is tried again, whole, when another
        # writer moved one of its cases first: each request is judged again, as fire would.
        again = all(isinstance(r, FireRequest) and r.expected_version is None for r in batch)
        for attempt in range(FIRE_ATTEMPTS):
            try:
                return self._fire_batch(batch)
            except Conflict as exc:
                if not again or "index" in exc.data:
                    raise
                last = exc
                _backoff(attempt)
        raise _kept_moving(last.case_id, "a batch of fire_many", last) from None

    def _fire_batch(self, requests: Sequence[FireRequest]) -> list[CaseSummary]:
        out: list[CaseSummary] = []
        fired: list[tuple[FireRequest, str, CaseRecord, CaseRecord]] = []
        with _no_cycle_collection(), self.store.write() as store_tx:
            tx = _Staged(store_tx)
            for index, r in enumerate(requests):
                try:
                    if not isinstance(r, FireRequest):
                        raise InvalidInput(
                            f"expected a FireRequest, not {type(r).__name__}", field="request"
                        )
                    _check_expected(r.expected_version)
                    name, role = _operator(r.actor, r.trigger)
                    _check_trigger(r.trigger)
                    case = self._load(r.case_id, tx)
                    new = self._step(
                        tx, case, r.trigger, name, role, r.occurred_at, r.data, r.expected_version
                    )
                except ShouhuError as exc:  # which one, for the caller and the one-line error
                    exc.message = f"request {index}: {exc.message}"
                    exc.args = (exc.message,)
                    exc.data["index"] = index
                    raise
                fired.append((r, role, case, new))
                out.append(CaseSummary.of(new))
            tx.flush()
        for r, role, case, new in fired:
            self._log_fired(r.trigger, role, case, new)
        return out

    def _fire(
        self,
        case_id: str,
        trigger: str,
        actor_name: str,
        role: str,
        occurred_at: Instant | None,
        data: Mapping[str, Any] | BaseModel | None,
        expected_version: int | None,
    ) -> CaseView:
        _check_trigger(trigger)
        # Without an expected version the caller asked for "on the case as it is now": a race
        # lost to another writer is tried again, judged against the case as it then is.
        seen = case_id
        for attempt in range(1 if expected_version is not None else FIRE_ATTEMPTS):
            try:
                with self.store.write() as tx:
                    case = self._load(case_id, tx)
                    seen = case.id
                    new = self._step(
                        tx, case, trigger, actor_name, role, occurred_at, data, expected_version
                    )
            except Conflict as exc:
                if expected_version is not None:
                    raise
                last = exc
                _backoff(attempt)
                continue
            self._log_fired(trigger, role, case, new)
            return self._view(new)
        raise _kept_moving(seen, trigger, last) from None

    def _log_fired(self, trigger: str, role: str, before: CaseRecord, after: CaseRecord) -> None:
        """``case_fired`` at INFO; at DEBUG the events it recorded, any duty caught up too."""
        if self._std_log.isEnabledFor(logging.INFO):
            self.log.info(
                "case_fired",
                case_id=after.id,
                type=after.type,
                trigger=trigger,
                from_state=before.state,
                to_state=after.state,
                role=role,
                seq=after.version,
            )
        if self._std_log.isEnabledFor(logging.DEBUG):
            self._log_events(self.store.events(after.id)[before.version : after.version])

    def _step(
        self,
        tx: Transaction,
        case: CaseRecord,
        trigger: str,
        actor_name: str,
        role: str,
        occurred_at: Instant | None,
        data: Mapping[str, Any] | BaseModel | None,
        expected_version: int | None,
    ) -> CaseRecord:
        """Validate, run the machine, and stage the event with the new projection."""
        if expected_version is not None and expected_version != case.version:
            raise Conflict(
                f"case {case.id} is at version {case.version}, not {expected_version}: "
                "someone else wrote first; look again and retry",
                case_id=case.id,
                expected=expected_version,
                actual=case.version,
            )
        wf = workflows.get(case.type, case.workflow_version)
        now = self.clock.now()
        when = self._occurred(occurred_at, now)
        if when < case.last_occurred_at:
            raise InvalidInput(
                f"occurred_at {local_iso(when, self.zone)} precedes the case's previous event "
                f"({local_iso(case.last_occurred_at, self.zone)})",
                field="occurred_at",
            )
        # A standing duty whose window ended before this event is fired first (as the sweep
        # would have), so the event is judged against the case as it then stood.
        case, existing = self._catch_up(tx, case, when, now)
        # Trigger, state and role come first: they say more than a data error would.
        allowed_rows(wf, case.state, trigger, role)
        fields = wf.fields(trigger)
        clean = v.validate_data(trigger, fields, data, self.zone)
        self._not_after(clean, fields, when)
        linked: Commit | None = None
        if wf.opening == "register" and trigger == "raise_report":
            linked = self._raised_report(case, actor_name, when, clean)
            self._refuse_raised_twin(tx, case, linked.case)
            clean["report_case"] = linked.case.id
        # The workflow's shared ``transitions`` machine decides (architecture: definitions are
        # data, ``transitions`` executes them); the derived table serves only verify's verdict.
        done = step(wf, case.state, case.facts, trigger, role, clean, case.outcome)
        seq = case.version + 1
        closed = wf.state(done.to_state).final
        changes = dl.on_event(
            self.policy,
            self.zone,
            case_id=case.id,
            existing=existing,
            trigger=trigger,
            data=clean,
            when=when,
            seq=seq,
            closes=closed,
            workflow=wf.type,
        )
        ev = self._event(
            case.id,
            seq,
            wf,
            trigger,
            done.from_state,
            done.to_state,
            actor_name,
            role,
            when,
            now,
            clean,
            case.head_hash,
            {"deadlines": changes.effects} if changes.effects else None,
        )
        new = _advanced(
            case,
            state=done.to_state,
            version=seq,
            head_hash=ev.hash,
            facts={**done.facts, **changes.facts},
            outcome=done.outcome,
            last_occurred_at=when,
            updated_at=now,
            closed_at=when if closed and case.closed_at is None else case.closed_at,
        )
        notices = self._notices(done.row, new, ev, clean, existing, changes.writes)
        if linked is not None:
            tx.append(linked)
        tx.append(Commit(new, (ev,), case.version, tuple(changes.writes), notices))
        return new

    def _refuse_raised_twin(self, tx: Transaction, watch: CaseRecord, report: CaseRecord) -> None:
        """``raise_report`` is refused as :meth:`report` refuses a probable duplicate: the
        child has an open report of the type within the pack's duplicate window."""
        rule = self._duplicate_rule()
        since, until = self._window(rule, report.reported_at)
        c = report.child
        twin = tx.open_report(report.type, c.id_number, c.name, c.birthdate, since, until)
        if twin is not None:
            raise self._duplicate_report(
                report, twin, f"case {twin}", rule, "raise_report", watch.state
            )

    def _raised_report(
        self, watch: CaseRecord, actor_name: str, when: datetime, data: dict[str, Any]
    ) -> Commit:
        """The report ``raise_report`` files about a watched child: the village committee as
        the (mandatory) reporter, the watch's child and place; it records the watch's id."""
        if data.get("report_case"):
            raise InvalidInput("report_case is set by the engine, not given", field="report_case")
        c = watch.child
        extra = {
            k: data[k] for k in ("description", "nonperformance_since") if data.get(k) is not None
        }
        req = ReportRequest(
            type=data["type"],
            child={
                "name": c.name,
                "birthdate": c.birthdate.isoformat(),
                **({"id_number": c.id_number} if c.id_number else {}),
            },
            location=watch.location,
            reporter={"kind": "village_committee", "name": actor_name},
            discovered_at=data.get("discovered_at") or when,
            occurred_at=when,
            data=extra,
        )
        return self._report_commit(req, watch_case=watch.id)

    def _firing_order(self, d: Deadline) -> tuple[datetime, int, int]:
        """Due time first; at one instant duties before maturities (a duty's period ended
        before a maturity, e.g. ``turns_16``, closes the case); then the row's age."""
        rule = self.policy.tracked_by_name.get(d.kind)
        return (d.due_at, 1 if rule is not None and rule.kind == "maturity" else 0, d.id or 0)

    def _catch_up(
        self, tx: Transaction, case: CaseRecord, when: datetime, recorded: datetime
    ) -> tuple[CaseRecord, list[Deadline]]:
        """Fire this case's calendar duties whose window ended at or before ``when``, and a
        maturity that closes it (``turns_16``), before an event at ``when`` is judged. Returns
        the case then and its deadline rows as they then stand (read once, used by the event)."""
        wf = workflows.get(case.type, case.workflow_version)
        rules = self.policy.tracked_by_name
        while True:
            rows = tx.deadlines(case.id)
            due = [
                d
                for d in rows
                if d.status == "pending"
                and d.due_at <= when
                and (
                    ((rule := rules.get(d.kind)) is not None and rule.align)
                    or any(r.kind == "system" and r.dest is not None for r in wf.rows(d.kind))
                )
            ]
            if not due:
                return case, rows
            d = min(due, key=self._firing_order)
            _, case, _ = self._fire_row(tx, case, d, recorded)

    # -- reading -----------------------------------------------------------------------------

    def case(self, case_id: str) -> CaseView:
        """The case now: projection, deadlines, history."""
        return self._view(self._load(case_id))

    def history(self, case_id: str) -> list[EventView]:
        """The case's events, oldest first, each with its citation."""
        return list(self.case(case_id).history)

    def next(self, case_id: str) -> list[TriggerOption]:
        """The triggers possible now, with roles, destinations, data and the state of guards."""
        case = self._load(case_id)
        wf = workflows.get(case.type, case.workflow_version)
        out = []
        for row in wf.available(case.state):
            if row.kind == "system":
                continue
            here = [r for r in wf.rows(row.trigger) if case.state in r.sources]
            roles = tuple(sorted({x for r in here for x in r.roles}))
            fields = wf.fields(row.trigger)
            out.append(
                TriggerOption(
                    trigger=row.trigger,
                    label=row.label,
                    roles=roles,
                    to=wf.destinations(row.trigger, case.state),
                    data=tuple(f.describe() for f in fields if not f.by_engine),
                    citation=row.citation,
                    guards=tuple(
                        _guard_status(g, case.facts, fields) for r in here for g in r.guards
                    ),
                )
            )
        return out

    def cases(
        self,
        type: str | None = None,
        state: str | None = None,
        *,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
    ) -> Iterator[CaseSummary]:
        """Cases in id order, filtered by type and state; streamed."""
        _text_or_none(type=type, state=state, after=after)
        if after is not None and not after.isascii():
            raise InvalidInput(f"after: {after[:20]!r} is not a case id", field="after")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidInput("limit: expected a whole number", field="limit")
        if type is not None and type not in workflows.all_types():
            raise InvalidInput(
                f"unknown report type or watch type {str(type)[:40]!r} "
                f"(types: {', '.join(workflows.all_types())})",
                field="type",
            )
        if state is not None and state not in {
            s for t in workflows.all_types() for s in workflows.latest(t).state_names
        }:
            raise InvalidInput(f"unknown state {str(state)[:40]!r}", field="state")
        if limit is not None and limit < 1:
            raise InvalidInput("limit: must be at least 1", field="limit")
        # Checked above, at the call; streamed below, as the caller iterates.
        rows = self.store.list_cases(
            type=type, state=state, limit=limit, after=after, overdue=overdue
        )
        return (CaseSummary.of(record) for record in rows)

    # -- deadlines ---------------------------------------------------------------------------

    def run_due(self, now: Instant | None = None, *, batch: int = 500) -> list[Fired]:
        """Fire every deadline due at ``now`` (default: the clock), oldest first, exactly once.

        A duty that passed unmet becomes ``deadline_missed`` (role ``system``) and its row
        ``missed``; a maturity becomes its own event (e.g. ``nonperformance_six_months``) and
        its row ``fired``. Each in the same transaction as its row's change: whatever crashes
        or repeats, a deadline fires once.

        ``now`` is the sweep's horizon: every pending deadline due at or before it fires. It
        may not be later than the clock, or than a horizon this engine swept to before (if the
        wall clock stepped back since, that instant has passed all the same); the horizon a
        sweep used is kept in :attr:`swept_to` (the latest) and logged with each firing.
        """
        clock_now = self.clock.now()
        at = clock_now if now is None else parse_instant(now, self.zone, field="now")
        latest = clock_now if self.swept_to is None else max(clock_now, self.swept_to)
        if at > latest + FUTURE_TOLERANCE:
            raise InvalidInput(
                f"now {local_iso(at, self.zone)} is later than the clock "
                f"({local_iso(clock_now, self.zone)}): deadlines cannot be fired early",
                field="now",
            )
        fired: list[Fired] = []
        conflicts = 0
        while True:
            done: list[Fired] = []
            spawned: list[datetime] = []
            # A case closed by a row has its other rows cancelled; a case whose calendar duty
            # started the next window's waits for the next claim, so that its rows still fire
            # in due order.
            held: set[str] = set()
            closed: set[str] = set()
            waiting = False  # a held case has rows left in this claim
            try:
                with self.store.write() as tx:
                    due = sorted(tx.due(at, batch), key=self._firing_order)
                    for d in due:
                        if d.case_id in held:
                            waiting = waiting or d.case_id not in closed
                            continue
                        f, new, then = self._fire_row(tx, self._load(d.case_id, tx), d, clock_now)
                        done.append(f)
                        spawned.extend(then)
                        if new.closed_at is not None or then:
                            held.add(new.id)
                        if new.closed_at is not None:
                            closed.add(new.id)
            except Conflict:
                # Another worker (or an operator) wrote one of these cases first: nothing of
                # this batch was written; claim again. Bounded, so a stuck row cannot spin.
                conflicts += 1
                if conflicts > 100:
                    raise
                continue
            fired.extend(done)
            # a calendar duty missed starts the next window's, which may be due already
            if len(due) < batch and not waiting and not any(t <= at for t in spawned):
                break
        if self.swept_to is None or at > self.swept_to:
            self.swept_to = at
        rules = self.policy.tracked_by_name
        for f in fired:
            if self._std_log.isEnabledFor(logging.INFO):
                rule = rules.get(f.kind)
                # a due time counted from a birthdate would reveal it: not logged
                shown = WITHHELD if rule and dl.personal(rule) else local_iso(f.due_at, self.zone)
                self.log.info(
                    "deadline_fired",
                    case_id=f.case_id,
                    kind=f.kind,
                    due_at=shown,
                    trigger=f.trigger,
                    seq=f.seq,
                    horizon=local_iso(at, self.zone),
                )
            if self._std_log.isEnabledFor(logging.DEBUG):
                self._log_events([e for e in self.store.events(f.case_id) if e.seq == f.seq])
        return fired

    def _fire_row(
        self, tx: Transaction, case: CaseRecord, d: Deadline, recorded: datetime
    ) -> tuple[Fired, CaseRecord, list[datetime]]:
        wf = workflows.get(case.type, case.workflow_version)
        rule = next((r for r in self.policy.tracked() if r.name == d.kind), None)
        own = wf.rows(d.kind)
        trigger, data, status = dl.due_event(
            rule, d, self.zone, maturity=bool(own) and own[0].kind == "system"
        )
        when = max(d.due_at, case.last_occurred_at)
        clean = v.validate_data(trigger, wf.fields(trigger), data, self.zone)
        done = step(wf, case.state, case.facts, trigger, "system", clean, case.outcome)
        seq = case.version + 1
        effect = {"kind": d.kind, "action": status, "due_at": local_iso(d.due_at, self.zone)}
        closes = wf.state(done.to_state).final
        writes: list[DeadlineWrite] = [
            DeadlineWrite(replace(d, status=status, closed_at=when, closed_seq=seq), "pending")
        ]
        effects: list[dict[str, Any]] = [effect]
        spawned: list[datetime] = []
        if closes:  # e.g. turns_16: the watch closes, its pending duties are cancelled
            for other in tx.deadlines(case.id):
                if other.status == "pending" and other.id != d.id:
                    gone = replace(other, status="cancelled", closed_at=when, closed_seq=seq)
                    writes.append(DeadlineWrite(gone, "pending"))
                    effects.append(
                        {
                            "kind": other.kind,
                            "action": "cancelled",
                            "due_at": local_iso(other.due_at, self.zone),
                            "reason": "case closed",
                        }
                    )
        elif rule is not None and rule.align:  # the next window's duty starts
            write, started = dl.next_aligned(self.policy, self.zone, rule, d, when, seq)
            writes.append(write)
            effects.append(started)
            spawned.append(write.deadline.due_at)
        ev = self._event(
            case.id,
            seq,
            wf,
            trigger,
            done.from_state,
            done.to_state,
            "shouhu scheduler",
            "system",
            when,
            recorded,
            clean,
            case.head_hash,
            {"deadlines": effects},
        )
        new = replace(
            case,
            state=done.to_state,
            version=seq,
            head_hash=ev.hash,
            facts=done.facts,
            outcome=done.outcome,
            last_occurred_at=when,
            updated_at=recorded,
            closed_at=when if closes and case.closed_at is None else case.closed_at,
        )
        notices = self._notices(done.row, new, ev, clean, tx.deadlines(case.id), writes)
        tx.append(Commit(new, (ev,), case.version, tuple(writes), notices))
        return Fired(case.id, d.kind, d.due_at, trigger, seq), new, spawned

    def _notices(
        self,
        row: Any,
        case: CaseRecord,
        ev: Event,
        data: Mapping[str, Any],
        existing: Iterable[Deadline],
        writes: Iterable[DeadlineWrite],
    ) -> tuple[Notice, ...]:
        """The notices this transition calls for: case, type, kind, recipient, location and
        due times — never the child's name, birthdate or id number."""
        if not row.notices:
            return ()
        pending = {d.id: d for d in existing if d.status == "pending"}
        fresh = []
        for w in writes:
            if w.deadline.id is None:
                fresh.append(w.deadline)
            elif w.deadline.status != "pending":
                pending.pop(w.deadline.id, None)
        rules = self.policy.tracked_by_name
        due = sorted(
            [
                d
                for d in [*pending.values(), *fresh]
                if not ((r := rules.get(d.kind)) is not None and dl.personal(r))
            ],
            key=lambda d: d.due_at,
        )
        return tuple(
            notices_for(
                row.notices,
                case_id=case.id,
                case_type=case.type,
                state=case.state,
                location=case.location.as_dict(),
                seq=ev.seq,
                trigger=ev.trigger,
                occurred_at=ev.occurred_at,
                created_at=ev.recorded_at,
                data=data,
                due=[(d.kind, d.due_at) for d in due],
                zone=self.zone,
            )
        )

    # -- the outbox ---------------------------------------------------------------------------

    def notices(self, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        """The outbox, oldest first."""
        _text_or_none(status=status)
        if status is not None and status not in NOTICE_STATUSES:
            raise InvalidInput(
                f"unknown notice status {str(status)[:20]!r} ({', '.join(NOTICE_STATUSES)})",
                field="status",
            )
        cid = None if case_id is None else self._load(case_id).id
        return self.store.notices(status=status, case_id=cid)

    def deliver(
        self,
        channels: Sequence[Channel],
        *,
        limit: int = 100,
        retry_base: timedelta = timedelta(seconds=10),
        retry_cap: timedelta = timedelta(hours=1),
        lease: timedelta = timedelta(minutes=5),
    ) -> list[Notice]:
        """Deliver pending notices whose attempt is due through every channel, at least once.

        A temporary failure (5xx, timeout) is retried later with exponential backoff
        (``retry_base`` × 2ⁿ, at most ``retry_cap``); a permanent one (4xx) is marked failed
        with the answer. Returns the notices as they ended.
        """
        now = self.clock.now()
        # 1. Claim a batch in a short transaction: a lease on next_attempt_at keeps other
        #    workers off these notices while they are sent (no lock is held over the network).
        with self.store.write() as tx:
            claimed = tx.notices_due(now, limit)
            for n in claimed:
                tx.update_notice(replace(n, next_attempt_at=now + lease), at=now)
        # 2. Send, outside any transaction. A crash here means a resend after the lease: at
        #    least once, with the same idempotency key.
        done: list[Notice] = []
        for n in claimed:
            attempts = n.attempts + 1
            try:
                for ch in channels:
                    ch.send(n)
            except DeliveryError as exc:
                if exc.permanent:
                    n2 = replace(n, status="failed", attempts=attempts, last_error=exc.detail[:500])
                else:
                    wait = min(retry_base * (2 ** (attempts - 1)), retry_cap)
                    n2 = replace(
                        n,
                        attempts=attempts,
                        next_attempt_at=now + wait,
                        last_error=exc.detail[:500],
                    )
            else:
                n2 = replace(
                    n,
                    status="delivered",
                    attempts=attempts,
                    delivered_at=now,
                    last_error=None,
                    channel=",".join(ch.name for ch in channels),
                )
            done.append(n2)
        # 3. Record what happened, in one short transaction.
        if done:
            with self.store.write() as tx:
                for n2 in done:
                    tx.update_notice(n2, at=self.clock.now())
        if self._std_log.isEnabledFor(logging.INFO):
            for n in done:
                self.log.info(
                    "notice_" + ("delivered" if n.status == "delivered" else "not_delivered"),
                    case_id=n.case_id,
                    notice=n.kind,
                    key=n.key,
                    attempts=n.attempts,
                    status=n.status,
                    error=n.last_error,
                )
        return done

    def next_due(self) -> datetime | None:
        """The earliest pending due time (aware UTC), or None."""
        return self.store.next_due()

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: Instant | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Deadlines across cases, by due time (``kind, due_at, status, …``); streamed."""
        _text_or_none(status=status)
        if status is not None and status not in DEADLINE_STATUSES:
            raise InvalidInput(
                f"unknown deadline status {str(status)[:20]!r} ({', '.join(DEADLINE_STATUSES)})",
                field="status",
            )
        if case_id is not None:
            case_id = self._load(case_id).id
        before = (
            None if due_before is None else parse_instant(due_before, self.zone, field="due_before")
        )
        rows = self.store.deadlines(case_id=case_id, status=status, due_before=before)
        return (dl.view(d, self.policy, self.zone) for d in rows)

    # -- audit -------------------------------------------------------------------------------

    def replay(self, case_id: str, at: Instant | None = None) -> Replay:
        """The case rebuilt from its events alone (as of ``at``, business time, if given),
        through the definitions it was recorded under; compared with the stored projection."""
        from shouhu.engine.audit import replay as _replay

        record = self._load(case_id)
        when = None if at is None else parse_instant(at, self.zone, field="at")
        events = self.store.events(record.id)
        if when is not None and events and when < events[0].occurred_at:
            raise InvalidInput(
                f"case {record.id} did not exist yet at {local_iso(when, self.zone)}: it was "
                f"reported at {local_iso(events[0].occurred_at, self.zone)}",
                field="at",
            )
        return _replay(events, zone=self.zone, at=when, projection=record)

    def verify(
        self, case_id: str | None = None, *, anchor: str | None = None, replay: bool = True
    ) -> Verification:
        """Recompute every hash, check ``seq`` has no gaps and the head matches the case row;
        with ``replay`` (default), also feed every event back through its workflow definition
        and rebuild every derived table — case rows, deadline rows, notices, intake rows, the
        access log — from the events and the journal alone, naming each stored cell that
        differs (one pass over the log); with ``anchor``, prove that nothing recorded before
        the anchor's time has changed."""
        from shouhu.engine import derive
        from shouhu.engine.audit import (
            Verification,
            heads_digest,
            parse_anchor,
            rebuild,
            replay_holds,
            verify_chain,
        )
        from shouhu.engine.audit import replay as _replay

        out = Verification()
        if anchor is not None:
            out.anchor = parse_anchor(anchor)
        store = self.store
        journal = derive.read_journal(store.journal())
        out.journal_entries = journal.entries
        out.journal_broken = list(journal.broken)
        out.tables_checked = replay
        if case_id is not None:
            cid = self._load(case_id).id
            groups: Iterable[tuple[str, list[list[Any]]]] = [
                (
                    cid,
                    [
                        list(store.stored_cells("cases", case_id=cid)),
                        [Link.of(e) for e in store.events(cid)],
                        list(store.stored_cells("deadlines", case_id=cid)),
                        list(store.stored_cells("outbox", case_id=cid)),
                        list(store.stored_cells("intake", case_id=cid)),
                    ],
                )
            ]
        else:
            links: Iterable[Link] = (
                store.audit_links()
                if isinstance(store, AuditReads)
                else map(Link.of, store.all_events())
            )
            where = derive.CASE_ID_AT
            groups = derive.group_by_case(
                store.stored_cells("cases"),
                links,
                store.stored_cells("deadlines"),
                store.stored_cells("outbox"),
                store.stored_cells("intake"),
                keys=(
                    itemgetter(0),
                    _case_of,
                    itemgetter(where["deadlines"]),
                    itemgetter(where["outbox"]),
                    itemgetter(where["intake"]),
                ),
            )
        for cid, (rows, chain, deadlines, notices, intake) in groups:
            row = rows[0] if rows else None
            if row is None and not chain:  # rows of a case that does not exist
                if replay:
                    out.derived += derive.compare_case(
                        cid, None, None, deadlines, notices, intake, journal
                    )
                continue
            head = None if row is None else derive.case_head(row)
            out.cases += 1
            out.events += len(chain)
            broken = verify_chain(cid, chain, head)
            if broken is not None:
                out.broken.append(broken)
                continue
            if not replay:
                continue
            done = rebuild(chain)
            if done is None or not replay_holds(chain, head, done):
                # the reasons: the full replay, whose verdict is the one reported
                rebuilt = _replay([link.event() for link in chain], zone=self.zone, projection=head)
                if not rebuilt.ok:
                    out.replay_failures.append(rebuilt)
            if done is not None:
                tables = derive.rebuild_tables(
                    chain, done.state, done.facts, done.outcome, done.rows, self.zone
                )
                out.derived += derive.compare_case(
                    cid, tables, row, deadlines, notices, intake, journal
                )
        if replay and case_id is None:
            out.derived += derive.compare_accesses(store.stored_cells("access_log"), journal)
        if out.anchor is not None:
            at = out.anchor.at
            digest, count = heads_digest(store.heads(at), store.journal_head(at))
            out.anchor_holds = digest == out.anchor.digest and count == out.anchor.count
            out.anchor_count = count
        return out

    def replay_all(self) -> Iterator[Replay]:
        """Every case rebuilt from its events, in id order; one streamed pass over the log."""
        from shouhu.engine.audit import replay as _replay

        for _, events, record in self._chains():
            if events:
                yield _replay(events, zone=self.zone, projection=record)

    def _chains(self) -> Iterator[tuple[str, list[Event], CaseRecord | None]]:
        """(case id, events, case row) for every case (see :func:`_join`)."""
        return _join(self.store.list_cases(), self.store.all_events())

    def _links(self) -> Iterator[tuple[str, list[Link], CaseRecord | CaseHead | None]]:
        """(case id, links, case head) for every case, as ``verify`` reads them: through the
        store's :class:`AuditReads` when it has them (no full records, no datetimes)."""
        store = self.store
        if isinstance(store, AuditReads):
            return _join(store.audit_heads(), store.audit_links())
        return _join(store.list_cases(), map(Link.of, store.all_events()))

    def anchor(self) -> str:
        """A digest over every case's head as of now, with the time: keep it outside the
        database (print, e-mail, a notary) and check later with ``verify(anchor=...)``."""
        from shouhu.engine.audit import format_anchor, heads_digest

        now = self.clock.now()
        digest, count = heads_digest(self.store.heads(now), self.store.journal_head(now))
        return format_anchor(now, digest, count)

    def read_identity(
        self,
        case_id: str,
        *,
        actor: Mapping[str, Any] | BaseModel,
        reason: str,
        what: str = "identity",
    ) -> Child:
        """The child's identity, recorded in the access log (who, role, when, why)."""
        who = v.actor(actor)
        if who.role in RESERVED_ROLES:
            raise TransitionRefused(
                f"refused by rule role (engine): the {who.role} role reads no identity",
                rule="role",
                citation="engine",
                trigger="read_identity",
                state="",
            )
        why = v.clean_text(reason, field="reason", max_length=500)
        record = self._load(case_id)
        self.store.record_access(Access(record.id, who.name, who.role, why, what, self.clock.now()))
        if self._std_log.isEnabledFor(logging.INFO):
            self.log.info("identity_read", case_id=record.id, role=who.role, what=what)
        return record.child

    def compliance_report(self, date_from: str | date, date_to: str | date) -> ComplianceReport:
        """Over the cases reported in ``[date_from, date_to]`` (local dates, inclusive)."""
        from shouhu.engine.audit import ComplianceReport
        from shouhu.engine.audit import replay as _replay

        start = parse_day(date_from, field="from")
        end = parse_day(date_to, field="to")
        if end < start:
            raise InvalidInput("--to is before --from", field="to")
        out = ComplianceReport(start.isoformat(), end.isoformat())
        for record in self.store.list_cases():
            day = local_date(record.reported_at, self.zone)
            if not start <= day <= end:
                continue
            events = self.store.events(record.id)
            out.add(record, _replay(events, zone=self.zone, projection=record), self.zone)
        return out

    # -- the ledger's reports -----------------------------------------------------------------

    def registry_report(
        self, quarter: str, now: Instant | None = None, *, township: str | None = None
    ) -> reg.LedgerReturn:
        """The quarter's return (``2026Q1``) per township and village, read from the watches'
        histories as of the quarter's end, or ``now`` (default: the clock) while it runs;
        ``township``: that township's villages only."""
        from shouhu.engine import registry as reg

        q = reg.Quarter.parse(quarter)
        at = self._as_of(now)
        store = self.store
        seen: set[str] = set()

        def watches() -> Iterator[tuple[CaseRecord, Callable[[], list[Event]]]]:
            for type_ in reg.KINDS:
                for record in store.list_cases(type=type_):
                    seen.add(record.location.township)
                    if township is None or record.location.township == township:
                        yield record, partial(store.events, record.id)

        windows = {r.name: r.window_months for r in self.policy.tracked() if r.align}
        ret = reg.ledger_return(watches(), q, at, self.zone, windows)
        if township is not None and township not in seen:
            raise _unknown_township(township, seen)
        return ret

    def screening(
        self, before: str | date, now: Instant | None = None, *, township: str | None = None
    ) -> reg.Screening:
        """The children on the ledger due a safety visit before a holiday starting ``before``
        (a local date): no visit within the pack's ``screening_visit`` bound of that day, or a
        report about them still open (001 §四(三)5)."""
        from shouhu.engine import registry as reg

        day = parse_day(before, field="before")
        at = self._as_of(now)
        if day < local_date(at, self.zone):
            raise InvalidInput(
                f"--before {day.isoformat()} is in the past (today is "
                f"{local_date(at, self.zone).isoformat()}): a screening plans visits ahead",
                field="before",
            )
        rule = self.policy.check("screening_visit") or default_pack().check("screening_visit")
        assert rule is not None  # the default pack has it
        assert rule.period is not None
        holiday = parse_instant(day, self.zone)

        def report_open(case_id: str) -> bool:
            record = self.store.load(case_id)
            return record is not None and record.closed_at is None

        on_ledger = 0
        entries: list[reg.ScreeningEntry] = []
        seen: set[str] = set()
        for record in self.store.list_cases(type="child_watch", state="on_ledger"):
            seen.add(record.location.township)
            if township is not None and record.location.township != township:
                continue
            on_ledger += 1
            entry = reg.screening_entry(
                record, self.store.events(record.id), holiday, rule.period, self.zone, report_open
            )
            if entry is not None:
                entries.append(entry)
        if township is not None and township not in seen:
            raise _unknown_township(township, seen, "with a child on the ledger")
        entries.sort(key=lambda e: (e.township, e.village, e.case_id))
        return reg.Screening(day, at, rule.period, self.zone, on_ledger, tuple(entries))

    def _as_of(self, now: Instant | None) -> datetime:
        clock_now = self.clock.now()
        at = clock_now if now is None else parse_instant(now, self.zone, field="now")
        if at > clock_now + FUTURE_TOLERANCE:
            raise InvalidInput(
                f"now {local_iso(at, self.zone)} is later than the clock "
                f"({local_iso(clock_now, self.zone)})",
                field="now",
            )
        return at

    def accesses(self, case_id: str | None = None) -> list[Access]:
        """Who read identities: the access log, oldest first."""
        cid = None if case_id is None else self._load(case_id).id
        return self.store.accesses(cid)

    # -- internals ---------------------------------------------------------------------------

    def _load(self, case_id: str, tx: Transaction | None = None) -> CaseRecord:
        if not isinstance(case_id, str) or not case_id.strip() or len(case_id) > 64:
            raise InvalidInput("case: expected a case id", field="case")
        # A case id is ASCII (Crockford base-32): other text names no case, and may not even
        # be encodable for the store (a lone surrogate from undecodable bytes in argv).
        record = (tx or self.store).load(case_id.strip().upper()) if case_id.isascii() else None
        if record is None:
            raise NotFound(f"no case {case_id.strip()[:64]!r}", case_id=case_id.strip()[:64])
        return record

    def _view(self, record: CaseRecord, events: list[Event] | None = None) -> CaseView:
        wf = workflows.get(record.type, record.workflow_version)
        loader = (lambda: events) if events is not None else (lambda: self.store.events(record.id))

        def deadlines() -> list[dict[str, Any]]:
            rows = self.store.deadlines(case_id=record.id)
            return [dl.view(d, self.policy, self.zone) for d in rows]

        return CaseView(record=record, workflow=wf, events=loader, deadline_rows=deadlines)

    def _occurred(
        self, value: Instant | None, now: datetime, field: str = "occurred_at"
    ) -> datetime:
        when = now if value is None else parse_instant(value, self.zone, field=field)
        if when > now + FUTURE_TOLERANCE:
            raise InvalidInput(
                f"{field} {local_iso(when, self.zone)} is in the future "
                f"(now {local_iso(now, self.zone)})",
                field=field,
            )
        return when

    def _not_after(
        self, data: Mapping[str, Any], fields: Iterable[FieldDef], when: datetime
    ) -> None:
        """Dates and times in data describe the past: none may follow the event itself."""
        for f in fields:
            value = data.get(f.name)
            if value is None:
                continue
            if f.kind == "datetime" and parse_instant(value, self.zone) > when:
                raise InvalidInput(f"{f.name} {value} is after the event itself", field=f.name)
            if f.kind == "date" and date.fromisoformat(value) > local_date(when, self.zone):
                raise InvalidInput(f"{f.name} {value} is after the event itself", field=f.name)

    def _event(
        self,
        case_id: str,
        seq: int,
        wf: WorkflowDef,
        trigger: str,
        from_state: str | None,
        to_state: str,
        actor: str,
        role: str,
        occurred_at: datetime,
        recorded_at: datetime,
        data: dict[str, Any],
        prev_hash: str,
        effects: dict[str, Any] | None = None,
    ) -> Event:
        effects = effects or {}
        h, data_json, effects_json = sealed(
            case_id=case_id,
            seq=seq,
            workflow=wf.type,
            workflow_version=wf.version,
            policy_version=self.policy_version,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            role=role,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            data=data,
            effects=effects,
            prev_hash=prev_hash,
        )
        ev = Event(
            case_id,
            seq,
            wf.type,
            wf.version,
            self.policy_version,
            trigger,
            from_state,
            to_state,
            actor,
            role,
            occurred_at,
            recorded_at,
            data,
            prev_hash,
            h,
            effects,
        )
        object.__setattr__(ev, "data_json", data_json)  # what was hashed is what is stored
        object.__setattr__(ev, "effects_json", effects_json)
        return ev

    def check_report(self, request: ReportRequest) -> None:
        """Validate a report exactly as filing it would, writing nothing (batch intake)."""
        self._report_checked(request, self.clock.now())

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        """Which external ids from ``source`` were imported already (external id → case id)."""
        return self.store.known_external(source, list(ids))

    def _report_commit(
        self,
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
        ) = self._report_checked(req, now)
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
            workflow=wf.type,
        )
        effects: dict[str, Any] = {}
        delay = int((occurred - discovered).total_seconds())
        late = False
        bound = self.policy.check("report_delay")
        if bound is not None:
            late = occurred > bound.due(discovered, self.zone)
            effects["report"] = {"late": late, "delay_seconds": delay, "bound": str(bound.period)}
        if changes.effects:
            effects["deadlines"] = changes.effects
        ev = self._event(
            case_id,
            1,
            wf,
            "report",
            None,
            wf.initial,
            reporter_name,
            "reporter",
            occurred,
            now,
            event_data,
            GENESIS,
            effects,
        )
        record = CaseRecord(
            id=case_id,
            type=wf.type,
            workflow_version=wf.version,
            state=wf.initial,
            version=1,
            head_hash=ev.hash,
            child=child,
            location=loc,
            reporter=Reporter(kind, reporter_name, mandatory),
            discovered_at=discovered,
            reported_at=occurred,
            last_occurred_at=occurred,
            created_at=now,
            updated_at=now,
            facts={**facts, **changes.facts},
            late=late,
            report_delay_seconds=delay,
        )
        return Commit(record, (ev,), None, tuple(changes.writes), external=external)

    def _report_checked(self, req: ReportRequest, now: datetime) -> _CheckedReport:
        """Every check filing a report makes, and the clean values; nothing is built."""
        if not isinstance(req.type, str) or req.type not in workflows.types():
            raise InvalidInput(_unknown_type(str(req.type)), field="type")
        wf = workflows.latest(req.type)
        child = v.child(req.child)
        reporter = v.reporter(req.reporter)
        loc = parse_location(req.location)
        occurred = self._occurred(req.occurred_at, now)
        discovered = (
            occurred
            if req.discovered_at is None
            else self._occurred(req.discovered_at, now, field="discovered_at")
        )
        if discovered > occurred:
            raise InvalidInput(
                f"discovered_at {local_iso(discovered, self.zone)} follows the report itself "
                f"({local_iso(occurred, self.zone)})",
                field="discovered_at",
            )
        age = self._age_check(child[1], discovered)
        data = v.validate_data(f"report {wf.type}", wf.report_data, req.data, self.zone)
        self._not_after(data, wf.report_data, occurred)
        return wf, child, reporter, loc, occurred, discovered, age, data

    def _age_check(self, birth: date, discovered: datetime) -> int:
        """Whole years of age at discovery (Civil Code counting); refuses adults and the unborn.

        A period of N years from the birth date ends at the end of its anniversary (Arts.
        201–203), so the age is N from 00:00 of the day after the N-th birthday — the same
        instant :func:`~shouhu.engine.periods.period_end` gives for ``P{N}Y``.
        """
        day = local_date(discovered, self.zone)
        if birth > day:
            raise InvalidInput(
                "child_birthdate is after the discovery date", field="child_birthdate"
            )
        age = day.year - birth.year
        if day <= anniversary(birth, age):
            age -= 1
        if age >= 18:
            raise InvalidInput(
                "the child is 18 or older on the discovery date: the mechanism covers minors "
                "(004 §四)",
                field="child_birthdate",
            )
        return age

    def _log_events(self, events: Iterable[Event]) -> None:
        """At DEBUG, each event with its data, for whoever runs the engine. Personal keys
        (the child or person, names, birthdates, id numbers, guardians) are redacted by the
        log processor; free text (notes, descriptions, reasons) is left out, since a narrative
        may name anyone; so is the data of an event counted from a birthdate (``turns_16``)."""
        if not self._std_log.isEnabledFor(logging.DEBUG):
            return
        rules = self.policy.tracked_by_name
        for e in events:
            rule = rules.get(e.trigger)
            wf = workflows.get(e.workflow, e.workflow_version)
            data: Any = WITHHELD
            if rule is None or not dl.personal(rule):
                data = _without_text(e.data, wf.fields(e.trigger))
                if e.seq == 1 and isinstance(data.get(e.trigger), Mapping):
                    data[e.trigger] = _without_text(data[e.trigger], wf.report_data)
            self.log.debug(
                "event_recorded",
                case_id=e.case_id,
                seq=e.seq,
                trigger=e.trigger,
                role=e.role,
                to_state=e.to_state,
                data=data,
            )

    def _log_report(self, case: CaseRecord) -> None:
        self.log.info(
            "case_reported",
            case_id=case.id,
            type=case.type,
            reporter_kind=case.reporter.kind,
            township=case.location.township,
            left_behind=case.child.left_behind,
        )


#: What :meth:`Engine._report_checked` gives: the workflow, (name, birthdate, id number),
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
#: Where the ids of deadline rows new in a batch start while it is staged (above any id a
#: store hands out, so they keep the rows' age order and cannot be taken for stored rows).
_STAGED_ID = 1 << 62


class _Staged:
    """A write transaction seen through what a batch (``fire_many``) has staged.

    Each case and its deadline rows are read from the store once, then served as the batch
    has left them; the batch's commits are merged per case — the last projection, every event,
    each deadline row's first and last state — and written together by :meth:`flush`: one
    update per case and every event in one insert, instead of one round of statements per
    step. What is written is what firing the steps one by one would write; the version and
    status checks are made against the store as it was read.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.cases: dict[str, CaseRecord | None] = {}
        self.rows: dict[str, list[Deadline]] = {}
        self.commits: dict[str, list[Commit]] = {}
        self.read_status: dict[int, str | None] = {}  # of each stored row the batch moved
        self.next_id = _STAGED_ID

    def load(self, case_id: str) -> CaseRecord | None:
        if case_id not in self.cases:
            self.cases[case_id] = self.tx.load(case_id)
        return self.cases[case_id]

    def deadlines(self, case_id: str) -> list[Deadline]:
        rows = self.rows.get(case_id)
        if rows is None:
            rows = self.rows[case_id] = self.tx.deadlines(case_id)
        return list(rows)

    def append(self, commit: Commit) -> None:
        cid = commit.case.id
        if cid not in self.rows:
            self.rows[cid] = [] if commit.expected_version is None else self.tx.deadlines(cid)
        rows = self.rows[cid]
        for w in commit.deadlines:
            d = w.deadline
            if d.id is None:
                rows.append(replace(d, id=self.next_id))
                self.next_id += 1
                continue
            if d.id < _STAGED_ID:
                self.read_status.setdefault(d.id, w.expected_status)
            rows[next(i for i, old in enumerate(rows) if old.id == d.id)] = d
        self.cases[cid] = commit.case
        self.commits.setdefault(cid, []).append(commit)

    def append_many(self, commits: Sequence[Commit]) -> None:
        for c in commits:
            self.append(c)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        return self.tx.due(now, limit)

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        return self.tx.notices_due(now, limit)

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        self.tx.update_notice(notice, at=at)

    def same_person(
        self, types: Sequence[str], id_number: str | None, name: str, birthdate: date, village: str
    ) -> str | None:
        return self.tx.same_person(types, id_number, name, birthdate, village)

    def open_report(
        self,
        type: str,
        id_number: str | None,
        name: str,
        birthdate: date,
        since: datetime,
        until: datetime,
    ) -> str | None:
        """The store's answer, and the reports this batch has filed (``raise_report``) so far;
        a stored case this batch has closed is open no longer."""
        found = [
            cid
            for cid, commits in self.commits.items()
            if commits[0].expected_version is None
            and (c := self.cases[cid]) is not None
            and c.type == type
            and c.closed_at is None
            and c.child.birthdate == birthdate
            and since <= c.reported_at <= until
            and same_child(c.child.id_number, c.child.name, id_number, name)
        ]
        stored = self.tx.open_report(type, id_number, name, birthdate, since, until)
        if stored is not None and stored in self.cases:
            staged = self.cases[stored]
            if staged is not None and staged.closed_at is not None:
                stored = None
        return min([*found, *([stored] if stored is not None else [])], default=None)

    def flush(self) -> None:
        """Write what the batch staged, merged per case, in one go."""
        merged = []
        for cid, commits in self.commits.items():
            writes = [
                DeadlineWrite(replace(d, id=None))
                if d.id is not None and d.id >= _STAGED_ID
                else DeadlineWrite(d, self.read_status[d.id])
                for d in self.rows[cid]
                if d.id is not None and (d.id >= _STAGED_ID or d.id in self.read_status)
            ]
            case = self.cases[cid]
            assert case is not None  # a case the batch wrote
            merged.append(
                Commit(
                    case,
                    tuple(e for c in commits for e in c.events),
                    commits[0].expected_version,
                    tuple(writes),
                    tuple(n for c in commits for n in c.notices),
                    commits[0].external,
                )
            )
        if merged:
            self.tx.append_many(merged)


_Row = TypeVar("_Row", CaseRecord, CaseRecord | CaseHead)
_Ev = TypeVar("_Ev", Event, Link)


def _check_batch(source: str | None, new_case: object) -> None:
    """A batch's ``new_case`` flag is a bool, and its source is not the keys' reserved one."""
    _check_flag(new_case, "new_case")
    if source is not None and _clean_source(source) == IDEMPOTENCY_SOURCE:
        raise InvalidInput(
            f"source: {IDEMPOTENCY_SOURCE!r} is reserved for the idempotency keys of "
            "Engine.report(key=...)",
            field="source",
        )


def _check_expected(expected_version: object) -> None:
    if expected_version is not None and (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 1
    ):
        raise InvalidInput(
            "expected_version: expected a case version, a whole number from 1",
            field="expected_version",
        )


def _check_flag(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name}: expected True or False", field=name)


def _clean_source(source: object) -> str:
    return v.clean_text(source, field="source", max_length=60)


@cache
def _default_check(name: str) -> DeadlineRule | None:
    """A check of the default pack (read once): what a city pack without it keeps."""
    return default_pack().check(name)


def _backoff(attempt: int) -> None:
    """A short random pause before trying a write again, longer after each lost race (up to
    about 50 ms), so that the writers racing for one case spread out."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))


def _kept_moving(case_id: str, what: str, last: Conflict) -> Conflict:
    return Conflict(
        f"case {case_id} kept changing while {what} was being written: {FIRE_ATTEMPTS} "
        "attempts each found that another writer had moved it first; nothing was written; "
        "try again",
        case_id=case_id,
        expected=None,
        actual=last.actual,
        attempts=FIRE_ATTEMPTS,
    )


def _check_trigger(trigger: object) -> None:
    if not isinstance(trigger, str) or not trigger:
        raise InvalidInput("trigger: expected a trigger name", field="trigger")


def _operator(actor: Mapping[str, Any] | BaseModel, trigger: object) -> tuple[str, str]:
    """The actor's name and role; the reserved roles (``system``, ``auditor``) are refused."""
    name, role = v.actor_parts(actor)
    if role in RESERVED_ROLES:
        raise TransitionRefused(
            f"refused by rule role (engine): the {role} role is the scheduler's alone; "
            "no operator may claim it",
            rule="role",
            citation="engine",
            trigger=str(trigger),
            state="",
            role=role,
        )
    return name, role


def _join(
    cases: Iterable[_Row], events: Iterable[_Ev]
) -> Iterator[tuple[str, list[_Ev], _Row | None]]:
    """(case id, events, case row) for every case, joining two streams ordered by case id; a
    case with events but no row, or a row without events, comes out too."""
    rows = iter(cases)
    groups = itertools.groupby(events, key=_case_of)
    case = next(rows, None)
    group = next(groups, None)
    while case is not None or group is not None:
        if group is not None and (case is None or group[0] < case.id):
            yield group[0], list(group[1]), None
            group = next(groups, None)
        elif case is not None and (group is None or case.id < group[0]):
            yield case.id, [], case
            case = next(rows, None)
        elif case is not None and group is not None:
            yield case.id, list(group[1]), case
            case = next(rows, None)
            group = next(groups, None)


def _advanced(
    case: CaseRecord,
    *,
    state: str,
    version: int,
    head_hash: str,
    facts: dict[str, Any],
    outcome: str | None,
    last_occurred_at: datetime,
    updated_at: datetime,
    closed_at: datetime | None,
) -> CaseRecord:
    """``dataclasses.replace(case, ...)`` with what a transition changes, built directly
    (``replace`` walks the dataclass's fields on every call); every other field is copied, as
    the tests check field by field."""
    return CaseRecord(
        id=case.id,
        type=case.type,
        workflow_version=case.workflow_version,
        state=state,
        version=version,
        head_hash=head_hash,
        child=case.child,
        location=case.location,
        reporter=case.reporter,
        discovered_at=case.discovered_at,
        reported_at=case.reported_at,
        last_occurred_at=last_occurred_at,
        created_at=case.created_at,
        updated_at=updated_at,
        facts=facts,
        outcome=outcome,
        closed_at=closed_at,
        late=case.late,
        report_delay_seconds=case.report_delay_seconds,
    )


def _without_text(data: Mapping[str, Any], fields: Iterable[FieldDef]) -> dict[str, Any]:
    """``data`` with the values of free-text fields replaced by ``[text]``."""
    text = {f.name for f in fields if f.kind == "text"}
    return {k: ("[text]" if k in text and v else v) for k, v in data.items()}


def _unknown_township(
    name: str, known: Iterable[str], which: str = "on the ledger"
) -> InvalidInput:
    shown = ", ".join(sorted(known)[:20]) or "none yet"
    return InvalidInput(
        f"--township: no township {name[:40]!r} {which} (townships: {shown})", field="township"
    )


def _same_person(tx: Transaction, case: CaseRecord) -> str | None:
    return tx.same_person(
        (case.type,),
        case.child.id_number,
        case.child.name,
        case.child.birthdate,
        case.location.village,
    )


def _duplicate(case: CaseRecord, same: str) -> Conflict:
    return Conflict(
        f"refused by rule duplicate ({workflows.latest(case.type).citation} — 一人一档): "
        f"this person is already on the ledger as case {same}",
        case_id=same,
        expected=None,
        actual=None,
        rule="duplicate",
    )


def _id_of(r: CaseRecord) -> str:
    return r.id


def _case_of(e: Event | Link) -> str:
    return e.case_id


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built and written.

    A batch allocates tens of thousands of small acyclic objects (records, rows, JSON text)
    that all stay alive until it is written; the collector would walk them again and again
    (about a tenth of a batch's time) and free none. Reference counting still frees everything
    at once afterwards; the collector is re-enabled on the way out, as it was found.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _guard_status(
    guard: Any, facts: Mapping[str, Any], fields: tuple[FieldDef, ...]
) -> dict[str, Any]:
    """Whether a guard holds now; for a guard that reads a choice, for which choices it holds."""
    choice = next((f for f in fields if f.kind == "choice" and f.required), None)
    if choice is not None:
        holds_for = [c for c in choice.choices if guard.check(facts, {choice.name: c}) is None]
        return {
            "name": guard.name,
            "description": guard.description,
            "citation": guard.citation,
            "holds": bool(holds_for),
            "holds_for": {choice.name: holds_for},
        }
    reason = guard.check(facts, {})
    return {
        "name": guard.name,
        "description": guard.description,
        "citation": guard.citation,
        "holds": reason is None,
        **({"reason": reason} if reason else {}),
    }


def _unknown_type(type_: str) -> str:
    return f"unknown report type {type_[:40]!r} (types: {', '.join(workflows.types())})"


def _text_or_none(**values: Any) -> None:
    """Bad input unless each value is text or None (filters a caller passes to a read)."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name}: expected text, not {type(value).__name__}", field=name)
