"""Triggers: :meth:`Engine.fire` and :meth:`Engine.fire_many`. One step (validate, catch up the
duties due before it, run the workflow machine, seal the event, stage the commit) and the
retries of a write without an expected version that lost a race to another writer.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine import deadlines as dl
from shouhu.engine import guardianship
from shouhu.engine import validation as v
from shouhu.engine.acting import Acting, check_scope, resolve, signing
from shouhu.engine.duplicates import refuse_raised_twin
from shouhu.engine.intake import report_commit
from shouhu.engine.machines import allowed_rows, step
from shouhu.engine.model import CaseRecord, Deadline
from shouhu.engine.outbox import step_notices
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.records import (  # _advanced: a test of the projection imports it here
    _advanced,  # noqa: F401
    advance,
    case_view,
    load,
    log_events,
    not_after,
    occurred_instant,
)
from shouhu.engine.rejudge import before_step
from shouhu.engine.requests import FireRequest, Instant, ReportRequest
from shouhu.engine.signing import Credential
from shouhu.engine.staged import _Staged
from shouhu.engine.sweep import fire_row, firing_order
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseSummary, CaseView
from shouhu.errors import Conflict, InvalidInput, ShouhuError, TransitionRefused
from shouhu.i18n import _
from shouhu.workflows.vocab import RESERVED_ROLES

if TYPE_CHECKING:
    from shouhu.engine.core import Engine

#: How many times a write without an expected version is tried against a case that other
#: writers keep moving (``fire``, ``fire_many``) before it gives up with a ``Conflict``.
FIRE_ATTEMPTS = 50


def fire(
    self: Engine,
    case_id: str,
    trigger: str,
    *,
    actor: Mapping[str, Any] | BaseModel | Credential,
    occurred_at: Instant | None = None,
    data: Mapping[str, Any] | BaseModel | None = None,
    expected_version: int | None = None,
) -> CaseView:
    """Fire ``trigger`` on a case as ``actor``; returns the case after it.

    ``actor`` is the operator's :class:`~shouhu.engine.signing.Credential` on a database with
    operators (``NotAuthenticated`` otherwise; the role is the registry's, the case must be in
    the operator's scope: rule ``scope``), or ``{"name": …, "role": …}`` on one without.

    Raises ``InvalidInput`` (bad input), ``NotFound``, ``TransitionRefused`` (state, role,
    guard) or ``Conflict`` (the version moved); in each case nothing is written. Without
    ``expected_version`` a race lost to another writer is not a conflict: the case is read
    again and the trigger judged again, up to :data:`FIRE_ATTEMPTS` times.
    """
    _check_expected(expected_version)
    return _fire(self, case_id, trigger, actor, occurred_at, data, expected_version)


def fire_many(self: Engine, requests: Iterable[FireRequest]) -> list[CaseSummary]:
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
            return _fire_batch(self, batch)
        except Conflict as exc:
            if not again or "index" in exc.data:
                raise
            last = exc
            _backoff(attempt)
    raise _kept_moving(last.case_id, _("a batch of fire_many"), last) from None


def _fire_batch(self: Engine, requests: Sequence[FireRequest]) -> list[CaseSummary]:
    out: list[CaseSummary] = []
    fired: list[tuple[FireRequest, str, CaseRecord, CaseRecord]] = []
    with self.store.write() as store_tx:
        tx = _Staged(store_tx)
        tx.prefetch(
            [
                r.case_id
                for r in requests
                if isinstance(r, FireRequest) and isinstance(r.case_id, str)
            ]
        )
        for index, r in enumerate(requests):
            try:
                if not isinstance(r, FireRequest):
                    raise InvalidInput(
                        _("expected a FireRequest, not {type}").format(type=type(r).__name__),
                        field="request",
                    )
                _check_expected(r.expected_version)
                acting = _operator(self, r.actor, r.trigger, tx)
                role = acting.role
                _check_trigger(r.trigger)
                case = load(self, r.case_id, tx)
                check_scope(acting, case, r.trigger)
                new = _step(
                    self, signing(tx, acting), case, r.trigger, acting.name, role, r.occurred_at,
                    r.data, r.expected_version,
                )  # fmt: skip
            except ShouhuError as exc:  # which one, for the caller and the one-line error
                exc.message = _("request {index}: {message}").format(
                    index=index, message=exc.message
                )
                exc.args = (exc.message,)
                exc.data["index"] = index
                raise
            fired.append((r, role, case, new))
            out.append(CaseSummary.of(new))
        tx.flush()
    for r, role, case, new in fired:
        _log_fired(self, r.trigger, role, case, new)
    return out


def _fire(
    self: Engine,
    case_id: str,
    trigger: str,
    actor: Mapping[str, Any] | BaseModel | Credential,
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
                # who acts, judged against the registry as this transaction sees it
                acting = _operator(self, actor, trigger, tx)
                role = acting.role
                case = load(self, case_id, tx)
                seen = case.id
                check_scope(acting, case, trigger)
                new = _step(
                    self, signing(tx, acting), case, trigger, acting.name, role, occurred_at,
                    data, expected_version,
                )  # fmt: skip
        except Conflict as exc:
            if expected_version is not None:
                raise
            last = exc
            _backoff(attempt)
            continue
        _log_fired(self, trigger, role, case, new)
        return case_view(self, new)
    raise _kept_moving(seen, trigger, last) from None


def _log_fired(
    self: Engine, trigger: str, role: str, before: CaseRecord, after: CaseRecord
) -> None:
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
        log_events(self, self.store.events(after.id)[before.version : after.version])


def _step(
    self: Engine,
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
            _(
                "case {case_id} is at version {actual}, not {expected}: "
                "someone else wrote first; look again and retry"
            ).format(case_id=case.id, actual=case.version, expected=expected_version),
            case_id=case.id,
            expected=expected_version,
            actual=case.version,
        )
    wf = self.workflows.get(case.type, case.workflow_version)
    now = self.clock.now()
    when = occurred_instant(self, occurred_at, now)
    if when < case.last_occurred_at:
        raise InvalidInput(
            _("occurred_at {when} precedes the case's previous event ({previous})").format(
                when=local_iso(when, self.zone),
                previous=local_iso(case.last_occurred_at, self.zone),
            ),
            field="occurred_at",
        )
    # A standing duty whose window ended before this event is fired first (as the sweep
    # would have), so the event is judged against the case as it then stood.
    case, existing = catch_up(self, tx, case, when, now)
    # Trigger, state and role come first: they say more than a data error would.
    allowed_rows(wf, case.state, trigger, role)
    fields = wf.fields(trigger)
    _refuse_given(fields, data)
    clean = v.validate_data(trigger, fields, data, self.zone)
    not_after(self, clean, fields, when)
    if any(f.name == "reporter_kind" and f.by_engine for f in fields):
        # the guard judges the reporter's kind (commend_reporter, 001 §四(三)1): the case row
        # holds it, the event's data records it, so replay and verify judge the same
        clean["reporter_kind"] = case.reporter.kind
    linked: Commit | None = None
    if wf.opening == "register" and trigger == "raise_report":
        linked = _raised_report(self, case, (actor_name, role), when, clean)
        refuse_raised_twin(self, tx, case, linked.case)
        clean["report_case"] = linked.case.id
    # The one executor decides (machines.step: the definition's rows as a table, held to its
    # ``transitions`` machine by the tests); replay and verify judge with the same function.
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
        workflow=wf,
    )
    ev, new = advance(
        self,
        case,
        wf,
        done,
        trigger,
        (actor_name, role),
        when,
        now,
        clean,
        {"deadlines": changes.effects} if changes.effects else None,
        {**done.facts, **changes.facts},
    )
    notices = step_notices(self, done.row, new, ev, clean, existing, changes.writes)
    if linked is not None:
        tx.append(linked)
    tx.append(Commit(new, (ev,), case.version, tuple(changes.writes), notices))
    _tell_watch(self, tx, case, trigger, clean, when)
    return new


def _tell_watch(
    self: Engine,
    tx: Transaction,
    report: CaseRecord,
    trigger: str,
    data: Mapping[str, Any],
    when: datetime,
) -> None:
    """A court decision that changes the child's guardian, recorded on the child's open
    watch in the same transaction (:mod:`shouhu.engine.guardianship`): judged and staged as
    any event on the watch, its duties due before it caught up first."""
    tell = guardianship.watch_to_tell(tx, self.workflows, report, trigger, data)
    if tell is None:
        return
    watch = load(self, tell[0], tx)
    at = max(when, watch.last_occurred_at)
    wf = self.workflows.get(watch.type, watch.workflow_version)
    watch, _due = catch_up(self, tx, watch, at, self.clock.now())
    if wf.state(watch.state).final:  # aged out before the decision: off the ledger already
        return
    _step(self, tx, watch, guardianship.TRIGGER, "shouhu", "system", at, tell[1], None)


def _refuse_given(fields: Iterable[Any], data: Mapping[str, Any] | BaseModel | None) -> None:
    """A field the engine fills (``reporter_kind``) is refused when a caller gives it."""
    if not isinstance(data, Mapping):
        return
    for f in fields:
        if f.by_engine and f.name == "reporter_kind" and data.get(f.name) is not None:
            raise InvalidInput(
                _("{field} is set by the engine, not given").format(field=f.name), field=f.name
            )


def _raised_report(
    self: Engine,
    watch: CaseRecord,
    actor: tuple[str, str],
    when: datetime,
    data: dict[str, Any],
) -> Commit:
    """The report ``raise_report`` files about a watched child: the body that raised it (the
    village committee, the only role the watches let raise one) as the mandatory reporter,
    the watch's child and place; it records the watch's id."""
    actor_name, role = actor
    if data.get("report_case"):
        raise InvalidInput(
            _("{field} is set by the engine, not given").format(field="report_case"),
            field="report_case",
        )
    c = watch.child
    extra = {k: data[k] for k in ("description", "nonperformance_since") if data.get(k) is not None}
    req = ReportRequest(
        type=data["type"],
        child={
            "name": c.name,
            "birthdate": c.birthdate.isoformat(),
            **({"id_number": c.id_number} if c.id_number else {}),
        },
        location=watch.location,
        reporter={"kind": role, "name": actor_name},
        discovered_at=data.get("discovered_at") or when,
        occurred_at=when,
        data=extra,
    )
    return report_commit(self, req, watch_case=watch.id)


def catch_up(
    self: Engine, tx: Transaction, case: CaseRecord, when: datetime, recorded: datetime
) -> tuple[CaseRecord, list[Deadline]]:
    """Fire this case's calendar duties whose window ended at or before ``when``, and a
    maturity that closes it (``turns_16``), before an event at ``when`` is judged. Returns
    the case then and its deadline rows as they then stand (read once, used by the event).
    First, its duties flagged for a year the pack now has rest days for are re-judged (Civil
    Code Art. 203, :func:`shouhu.engine.rejudge.before_step`)."""
    wf = self.workflows.get(case.type, case.workflow_version)
    rules = self.policy.tracked_by_name
    judged = False  # Civil Code Art. 203: flagged duties this pack can judge, re-judged first
    while True:
        rows = tx.deadlines(case.id)
        if not judged:
            judged = True
            rejudged = before_step(self, tx, case, rows, when, recorded)
            if rejudged is not None:
                case = rejudged
                continue
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
        d = min(due, key=partial(firing_order, self))
        _fired, case, _next = fire_row(self, tx, case, d, recorded)


def _check_expected(expected_version: object) -> None:
    if expected_version is not None and (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 1
    ):
        raise InvalidInput(
            _("expected_version: expected a case version, a whole number from 1"),
            field="expected_version",
        )


def _backoff(attempt: int) -> None:
    """A short random pause before trying a write again, longer after each lost race (up to
    about 50 ms), so that the writers racing for one case spread out."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))


def _kept_moving(case_id: str, what: str, last: Conflict) -> Conflict:
    return Conflict(
        _(
            "case {case_id} kept changing while {what} was being written: {attempts} "
            "attempts each found that another writer had moved it first; nothing was written; "
            "try again"
        ).format(case_id=case_id, what=what, attempts=FIRE_ATTEMPTS),
        case_id=case_id,
        expected=None,
        actual=last.actual,
        attempts=FIRE_ATTEMPTS,
    )


def _check_trigger(trigger: object) -> None:
    if not isinstance(trigger, str) or not trigger:
        raise InvalidInput(_("trigger: expected a trigger name"), field="trigger")


def _operator(
    self: Engine,
    actor: Mapping[str, Any] | BaseModel | Credential,
    trigger: object,
    tx: Transaction | None = None,
) -> Acting:
    """Who acts (:func:`~shouhu.engine.acting.resolve`: a credential on a governed database);
    the reserved role (``system``: the scheduler's) is refused."""
    acting = resolve(self, actor, tx=tx)
    role = acting.role
    if role in RESERVED_ROLES:
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="role",
                citation="engine",
                why=_("the {role} role is the scheduler's alone; no operator may claim it").format(
                    role=role
                ),
            ),
            rule="role",
            citation="engine",
            trigger=str(trigger),
            state="",
            role=role,
        )
    return acting
