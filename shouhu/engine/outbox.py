"""The notice outbox: :meth:`Engine.notices` reads it, :meth:`Engine.deliver` sends what is due
(at least once, with backoff); :func:`step_notices` is what a transition writes into it.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shouhu.engine import deadlines as dl
from shouhu.engine.model import NOTICE_STATUSES, CaseRecord, Deadline, DeadlineWrite, Event, Notice
from shouhu.engine.notices import notices_for
from shouhu.engine.ports import Channel, DeliveryError
from shouhu.engine.records import load, text_or_none
from shouhu.errors import InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.core import Engine


def notices(self: Engine, status: str | None = None, case_id: str | None = None) -> list[Notice]:
    """The outbox, oldest first."""
    text_or_none(status=status)
    if status is not None and status not in NOTICE_STATUSES:
        raise InvalidInput(
            _("unknown notice status {status!r} ({statuses})").format(
                status=str(status)[:20], statuses=", ".join(NOTICE_STATUSES)
            ),
            field="status",
        )
    cid = None if case_id is None else load(self, case_id).id
    return self.store.notices(status=status, case_id=cid)


def deliver(
    self: Engine,
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
    with the answer. Returns the notices as they ended. No channel at all is bad input: a
    notice marked delivered to no one would be lost.
    """
    if not channels:
        raise InvalidInput(
            _("deliver: no channel given: a notice delivered to no one would be lost"),
            field="channels",
        )
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


def step_notices(
    self: Engine,
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
