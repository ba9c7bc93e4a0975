"""The deadline sweep: :meth:`Engine.run_due` claims the due rows and fires each once, in the
same transaction as its event (:func:`fire_row`, also used by a step's catch-up).

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine.acting import signing, system_acting
from shouhu.engine.machines import step
from shouhu.engine.model import CaseRecord, Deadline, DeadlineWrite
from shouhu.engine.outbox import step_notices
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.records import FUTURE_TOLERANCE, advance, load, log_events
from shouhu.engine.rejudge import rejudge
from shouhu.engine.requests import Fired, Instant
from shouhu.engine.staged import _Staged
from shouhu.engine.timeutil import local_iso, parse_instant
from shouhu.engine.views import WITHHELD
from shouhu.errors import Conflict, InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.signing import Credential


def run_due(
    self: Engine,
    now: Instant | None = None,
    *,
    batch: int = 500,
    credential: Credential | None = None,
) -> list[Fired]:
    """Fire every deadline due at ``now`` (default: the clock), oldest first, exactly once.

    A duty that passed unmet becomes ``deadline_missed`` (role ``system``) and its row
    ``missed``; a maturity becomes its own event (e.g. ``nonperformance_six_months``) and
    its row ``fired``. Each in the same transaction as its row's change: whatever crashes
    or repeats, a deadline fires once.

    ``now`` is the sweep's horizon: every pending deadline due at or before it fires. It
    may not be later than the clock, or than a horizon this engine swept to before (if the
    wall clock stepped back since, that instant has passed all the same); the horizon a
    sweep used is kept in :attr:`swept_to` (the latest) and logged with each firing.

    Each sweep first re-judges the duties due by its horizon that were flagged for a year the
    pack now has rest days for (Civil Code Art. 203, :func:`shouhu.engine.rejudge.rejudge`),
    so that a due time only the old computation passed is not reported missed; the others
    are re-judged when the daemon starts, before a step on their case, or by
    ``shouhu deadlines rejudge``.

    On a database with operators the sweep's events are signed by an operator of role
    ``system``: ``credential``, else the engine's own (:attr:`Engine.credential`).
    """
    acting = system_acting(self, credential or self.credential)
    clock_now = self.clock.now()
    at = clock_now if now is None else parse_instant(now, self.zone, field="now")
    latest = clock_now if self.swept_to is None else max(clock_now, self.swept_to)
    if at > latest + FUTURE_TOLERANCE:
        raise InvalidInput(
            _(
                "now {now} is later than the clock ({clock}): deadlines cannot be fired early"
            ).format(now=local_iso(at, self.zone), clock=local_iso(clock_now, self.zone)),
            field="now",
        )
    if self.rejudged_under != self.policy.id:
        # Art. 203: a duty due now but flagged for a year this pack has rest days for is
        # judged anew first, so that a due time only the old computation passed is not
        # reported missed (the others: the daemon's start, a step, `deadlines rejudge`)
        signer = None if acting is None else acting.credential
        rejudge(self, at, actor="shouhu scheduler", due_by=at, credential=signer)
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
            with self.store.write() as store_tx:
                # The claim's rows are fired on a staged view of the transaction (as
                # fire_many's steps): their cases and deadline rows read in one go where the
                # store can, each case's commits merged and written together at the end.
                staged = _Staged(store_tx)
                tx = signing(staged, acting)
                due = sorted(staged.due(at, batch), key=partial(firing_order, self))
                staged.prefetch([d.case_id for d in due])
                for d in due:
                    if d.case_id in held:
                        waiting = waiting or d.case_id not in closed
                        continue
                    f, new, then = fire_row(self, tx, load(self, d.case_id, tx), d, clock_now)
                    done.append(f)
                    spawned.extend(then)
                    if new.closed_at is not None or then:
                        held.add(new.id)
                    if new.closed_at is not None:
                        closed.add(new.id)
                staged.flush()
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
            log_events(self, [e for e in self.store.events(f.case_id) if e.seq == f.seq])
    return fired


def fire_row(
    self: Engine, tx: Transaction, case: CaseRecord, d: Deadline, recorded: datetime
) -> tuple[Fired, CaseRecord, list[datetime]]:
    wf = self.workflows.get(case.type, case.workflow_version)
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
        gone = dl.on_close(tx.deadlines(case.id), when, seq, self.zone, fired=d.id)
        writes += gone.writes
        effects += gone.effects
    elif rule is not None and rule.align:  # the next window's duty starts (if any)
        following = dl.next_aligned(self.policy, self.zone, rule, d, when, seq)
        if following is not None:
            write, started = following
            writes.append(write)
            effects.append(started)
            spawned.append(write.deadline.due_at)
    ev, new = advance(
        self,
        case,
        wf,
        done,
        trigger,
        ("shouhu scheduler", "system"),
        when,
        recorded,
        clean,
        {"deadlines": effects},
        done.facts,
    )
    notices = step_notices(self, done.row, new, ev, clean, tx.deadlines(case.id), writes)
    tx.append(Commit(new, (ev,), case.version, tuple(writes), notices))
    return Fired(case.id, d.kind, d.due_at, trigger, seq), new, spawned


def firing_order(self: Engine, d: Deadline) -> tuple[datetime, int, int]:
    """Due time first; at one instant duties before maturities (a duty's period ended
    before a maturity, e.g. ``turns_16``, closes the case); then the row's age."""
    rule = self.policy.tracked_by_name.get(d.kind)
    return (d.due_at, 1 if rule is not None and rule.kind == "maturity" else 0, d.id or 0)
