"""``audit verify``'s verdicts: a chain checked hash by hash (:func:`verify_chain`), the first
problem of a case (:class:`Broken`) and the outcome of a whole verify (:class:`Verification`).
Replay and the anchors are :mod:`shouhu.engine.audit`'s and :mod:`shouhu.engine.anchors`'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shouhu.engine.anchors import Anchor
from shouhu.engine.compare import Difference
from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import CaseHead, CaseRecord, Event, Link
from shouhu.engine.timeutil import utc_iso
from shouhu.engine.transparency import TreeHead
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.audit import Replay


@dataclass(frozen=True, slots=True)
class Broken:
    """A case whose record does not hold: the first bad ``seq`` and why."""

    case_id: str
    seq: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "seq": self.seq, "reason": self.reason}


def verify_chain(
    case_id: str,
    events: Sequence[Event | Link],
    case: CaseRecord | CaseHead | None,
) -> Broken | None:
    """Recompute every hash from content and predecessor, check ``seq`` has no gaps, and
    check the chain's head against the case row. The first problem, or None."""
    prev = GENESIS
    for i, e in enumerate(events, start=1):
        if e.seq != i:
            return Broken(case_id, i, _("seq {i} is missing (found {seq})").format(i=i, seq=e.seq))
        if e.case_id != case_id:
            return Broken(
                case_id, i, _("event {i} belongs to case {case_id}").format(i=i, case_id=e.case_id)
            )
        if e.prev_hash != prev:
            return Broken(
                case_id, i, _("event {i} does not link to event {prev}").format(i=i, prev=i - 1)
            )
        if e.computed_hash() != e.hash and (
            e.effects or e.computed_hash(empty_effects_key=True) != e.hash
        ):
            return Broken(case_id, i, _("event {i}'s content does not match its hash").format(i=i))
        prev = e.hash
    if case is None:
        return Broken(case_id, None, _("events without a case row (cases.id)"))
    if not events:
        return Broken(case_id, 1, _("the case row has no events (cases.id)"))
    last = events[-1]
    if case.version != last.seq:
        seq = min(case.version, last.seq) + 1
        return Broken(
            case_id,
            seq,
            _("the case row is at version {version}, the log at {seq} (cases.version)").format(
                version=case.version, seq=last.seq
            ),
        )
    if case.head_hash != last.hash:
        return Broken(
            case_id,
            last.seq,
            _("the case row's head hash is not the last event's hash (cases.head_hash)"),
        )
    return None


@dataclass
class Verification:
    """The outcome of ``audit verify``."""

    cases: int = 0
    events: int = 0
    broken: list[Broken] = field(default_factory=list)
    replay_failures: list[Replay] = field(default_factory=list)
    anchor: Anchor | None = None
    anchor_holds: bool | None = None
    anchor_count: int | None = None
    #: The signed tree head given as the anchor (:mod:`shouhu.engine.transparency`), if any.
    tree_head: TreeHead | None = None
    #: Where the transparency log does not hold: a leaf whose event is gone or differs, the
    #: tree head's root, signature or consistency.
    tree_broken: list[str] = field(default_factory=list)
    tree_size: int = 0
    #: Rows of the derived tables (case rows, deadlines, notices, intake, access log) that are
    #: not what the events and the journal say (:mod:`shouhu.engine.derive`).
    derived: list[Difference] = field(default_factory=list)
    #: Where the journal's own chain breaks (identity reads, notice deliveries).
    journal_broken: list[str] = field(default_factory=list)
    journal_entries: int = 0
    #: Whether the derived tables were checked (``verify(replay=True)``, the default).
    tables_checked: bool = False
    #: The operator registry: its entries, and where its chain or signatures break.
    registry_entries: int = 0
    registry_broken: list[str] = field(default_factory=list)
    #: Events by how they are attributed (:mod:`shouhu.engine.signatures`).
    signed: int = 0
    anonymous: int = 0
    unsigned_before: int = 0

    @property
    def ok(self) -> bool:
        return (
            not self.broken
            and not self.replay_failures
            and not self.derived
            and not self.journal_broken
            and not self.registry_broken
            and not self.tree_broken
            and self.anchor_holds is not False
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cases": self.cases,
            "events": self.events,
            "journal_entries": self.journal_entries,
            "tables_checked": self.tables_checked,
            "registry_entries": self.registry_entries,
            "registry_broken": list(self.registry_broken),
            "signed": self.signed,
            "anonymous_reports": self.anonymous,
            "unsigned_before_operators": self.unsigned_before,
            "broken": [b.to_dict() for b in self.broken],
            "tree_size": self.tree_size,
            "tree_broken": list(self.tree_broken),
            "tree_head": None
            if self.tree_head is None
            else {**self.tree_head.to_dict(), "holds": self.anchor_holds},
            "journal_broken": list(self.journal_broken),
            "derived": [d.to_dict() for d in self.derived],
            "replay_failures": [
                {
                    "case_id": r.case_id,
                    "illegal": [{"seq": s, "reason": why} for s, why in r.illegal],
                    "differences": list(r.differences),
                }
                for r in self.replay_failures
            ],
            "anchor": None
            if self.anchor is None
            else {
                "at": utc_iso(self.anchor.at),
                "digest": self.anchor.digest,
                "cases": self.anchor.count,
                "holds": self.anchor_holds,
                "cases_now": self.anchor_count,
            },
        }
