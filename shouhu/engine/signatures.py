"""``verify``'s check of who recorded each event: the signature against the key the operator
held at ``recorded_at`` (the operator registry, :mod:`shouhu.engine.operators`).

An event is, in order of the questions asked:

- **unsigned, before operators existed** — no operator, no signature, recorded before the
  registry's first entry (and no more such events than the log held then);
- an **anonymous report** — no operator, no signature, the first event of a report (anyone may
  report, 001 §四(三)1; the chain and the transparency log protect it);
- **signed** — by an operator whose key at ``recorded_at`` verifies the signature over
  :func:`~shouhu.engine.signing.event_statement`, who was not disabled then, and whose role is
  the event's (but for the scheduler's ``system`` events, recorded by whoever's act caught
  them up, and a case's opening event, whose role is the reporter's);
- anything else is **broken**: ``signature``, named with the case and ``seq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shouhu.engine.model import Event, Link
from shouhu.engine.operators import Registry
from shouhu.engine.signing import event_statement, verify
from shouhu.engine.timeutil import utc_iso
from shouhu.engine.verification import Broken
from shouhu.i18n import _

#: Opening triggers a report is filed by (an anonymous one has no signature).
REPORT_TRIGGERS = frozenset({"report"})


@dataclass
class SignatureCheck:
    """Checks each case's events against the registry, counting what it saw."""

    registry: Registry
    signed: int = 0
    anonymous: int = 0
    unsigned_before: int = 0

    def __post_init__(self) -> None:
        first = self.registry.entries[0] if self.registry.entries else None
        self._since = None if first is None else utc_iso(first.recorded_at)

    def check(self, case_id: str, chain: Sequence[Event | Link]) -> Broken | None:
        """The first event of the case whose signature does not hold, or None."""
        for e in chain:
            why = self._judge(e)
            if why is not None:
                return Broken(
                    case_id, e.seq, _("event {seq}: {why} (signature)").format(seq=e.seq, why=why)
                )
        return None

    def _judge(self, e: Event | Link) -> str | None:
        recorded = e.recorded_utc if isinstance(e, Link) else utc_iso(e.recorded_at)
        if e.operator_id is None and e.signature is None:
            if self._since is None or recorded < self._since:
                self.unsigned_before += 1
                return None
            if e.seq == 1 and e.from_state is None and e.trigger in REPORT_TRIGGERS:
                self.anonymous += 1
                return None
            return _("unsigned, but recorded after operators existed")
        if e.operator_id is None or e.signature is None:
            return _("a signature without its operator, or an operator without a signature")
        op = self.registry.operators.get(e.operator_id)
        if op is None:
            return _("signed by {id}, who is not in the operator registry").format(id=e.operator_id)
        at = datetime.fromisoformat(recorded)
        key = op.key_at(at)
        if key is None:
            if op.disabled_at is not None and at > op.disabled_at:
                return _("dated after {name} ({id}) was disabled").format(name=op.name, id=op.id)
            return _("dated when {name} ({id}) held no key").format(name=op.name, id=op.id)
        if not verify(key, event_statement(e.hash, e.operator_id), e.signature):
            return _("{name}'s key at recorded_at does not verify it").format(name=op.name)
        if e.role != op.role and e.role != "system" and e.seq != 1:
            return _("recorded as role {recorded}, but {name} holds role {role}").format(
                recorded=e.role, name=op.name, role=op.role
            )
        self.signed += 1
        return None

    def unsigned_overflow(self) -> str | None:
        """More unsigned events dated before operators existed than the log held then: some
        were forged with an old date."""
        if self.unsigned_before > self.registry.events_before and self.registry.entries:
            return _(
                "{unsigned} unsigned events are dated before operators existed, "
                "but the log held {held} then (signature)"
            ).format(unsigned=self.unsigned_before, held=self.registry.events_before)
        return None
