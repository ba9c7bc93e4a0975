"""What callers see: case views, events, trigger options — typed, with a JSON form.

Identity (the child's name, birthdate and id number) appears in a JSON form only when asked
for with ``identity=True``; the default form carries none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from shouhu.engine.model import CaseRecord, Event, Location
from shouhu.engine.redact import WITHHELD, public_deadline, public_effects, redact
from shouhu.engine.timeutil import local_iso
from shouhu.i18n import N_
from shouhu.workflows.spec import WorkflowDef

# the identity rule lives in shouhu.engine.redact; these stay importable from here
__all__ = [
    "WITHHELD",
    "CaseSummary",
    "CaseView",
    "EventView",
    "TriggerOption",
    "child_block",
    "event_view",
    "public_deadline",
    "public_effects",
]


@dataclass(frozen=True, slots=True)
class EventView:
    """One event as shown to people: the stored event plus its citation and label."""

    event: Event
    citation: str
    label: str

    def __getattr__(self, name: str) -> Any:  # seq, trigger, actor, … straight from the event
        return getattr(self.event, name)

    def to_dict(self, tz: str, *, identity: bool = False) -> dict[str, Any]:
        e = self.event
        data = redact(e.data, identity=identity)  # the opening event's child or person
        return {
            "seq": e.seq,
            "trigger": e.trigger,
            "from": e.from_state,
            "to": e.to_state,
            "actor": e.actor,
            "role": e.role,
            "occurred_at": local_iso(e.occurred_at, tz),
            "recorded_at": local_iso(e.recorded_at, tz),
            "data": data,
            "effects": e.effects if identity else public_effects(e.effects),
            "citation": self.citation,
            "workflow_version": e.workflow_version,
            "policy_version": e.policy_version,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            # who recorded it, signing its hash (None: an anonymous report, or recorded
            # before operators existed)
            "operator_id": e.operator_id,
            "signature": e.signature,
        }


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """A trigger possible now: who may fire it, where it leads, what data it takes, its guards."""

    trigger: str
    label: str
    roles: tuple[str, ...]
    to: tuple[str, ...]
    data: tuple[dict[str, Any], ...]
    citation: str
    guards: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "label": self.label,
            "roles": list(self.roles),
            "to": list(self.to),
            "data": list(self.data),
            "citation": self.citation,
            "guards": list(self.guards),
        }


@dataclass(frozen=True)
class CaseView:
    """A case as the engine knows it now: projection, deadlines and history.

    The history is read from the store on first use, so firing a trigger does not re-read it.
    """

    record: CaseRecord
    workflow: WorkflowDef
    events: Callable[[], list[Event]] = field(repr=False, compare=False, default=list)
    deadline_rows: Callable[[], list[dict[str, Any]]] = field(
        repr=False, compare=False, default=list
    )

    @cached_property
    def deadlines(self) -> tuple[dict[str, Any], ...]:
        """The case's deadlines (kind, due_at local, status, met_at, lateness, basis)."""
        return tuple(self.deadline_rows())

    @cached_property
    def history(self) -> tuple[EventView, ...]:
        return tuple(event_view(self.workflow, e) for e in self.events())

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def type(self) -> str:
        return self.record.type

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def version(self) -> int:
        return self.record.version

    @property
    def outcome(self) -> str | None:
        return self.record.outcome

    @property
    def child(self) -> Any:
        return self.record.child

    @property
    def facts(self) -> dict[str, Any]:
        return self.record.facts

    @property
    def late(self) -> bool:
        """Reported later after discovery than the policy's bound (mandatory reporters)."""
        return self.record.late

    @property
    def head_hash(self) -> str:
        return self.record.head_hash

    @property
    def head_hash_short(self) -> str:
        return self.record.head_hash[:12]

    @property
    def state_labels(self) -> tuple[str, str]:
        s = self.workflow.state(self.record.state)
        return s.zh, s.en

    def to_dict(self, tz: str, *, identity: bool = False) -> dict[str, Any]:
        r = self.record
        zh, en = self.state_labels
        return {
            "id": r.id,
            "type": r.type,
            "type_zh": self.workflow.zh,
            "workflow_version": r.workflow_version,
            "state": r.state,
            "state_zh": zh,
            "state_en": en,
            "version": r.version,
            "outcome": r.outcome,
            "child": child_block(r, identity=identity),
            "location": r.location.as_dict(),
            "reporter": {
                "kind": r.reporter.kind,
                "name": r.reporter.name,
                "mandatory": r.reporter.mandatory,
            },
            "discovered_at": local_iso(r.discovered_at, tz),
            "reported_at": local_iso(r.reported_at, tz),
            "report_delay_seconds": r.report_delay_seconds,
            "late": r.late,
            "closed_at": local_iso(r.closed_at, tz) if r.closed_at else None,
            "facts": r.facts,
            "head_hash": r.head_hash,
            "deadlines": [d if identity else public_deadline(d) for d in self.deadlines],
            "history": [e.to_dict(tz, identity=identity) for e in self.history],
        }


def child_block(r: CaseRecord, *, identity: bool) -> dict[str, Any]:
    """The case's child as shown: name, birthdate and id number only with ``identity``."""
    child = {
        "name": r.child.name,
        "birthdate": r.child.birthdate.isoformat(),
        "id_number": r.child.id_number,
        "left_behind": r.child.left_behind,
        "age_at_discovery": r.child.age_at_discovery,
    }
    shown: dict[str, Any] = redact({"child": child}, identity=identity)["child"]
    return shown


#: The columns of ``cases`` a case's line needs, in the order :meth:`CaseSummary.from_row`
#: takes them (a store's ``list_summaries`` reads these alone).
LINE_COLUMNS = (
    "id", "type", "state", "version", "township", "village", "county", "reported_at", "outcome"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A line of ``case list``: no identity."""

    id: str
    type: str
    state: str
    version: int
    township: str
    village: str
    reported_at: datetime
    outcome: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any], reported_at: datetime) -> tuple[CaseSummary, Location]:
        """A case's line and place from a row of :data:`LINE_COLUMNS` (``reported_at``
        decoded by the store)."""
        id_, type_, state, version, township, village, county, _at, outcome = row
        return (
            cls(id_, type_, state, version, township, village, reported_at, outcome),
            Location(village, township, county),
        )

    @classmethod
    def of(cls, r: CaseRecord) -> CaseSummary:
        return cls(
            r.id,
            r.type,
            r.state,
            r.version,
            r.location.township,
            r.location.village,
            r.reported_at,
            r.outcome,
        )

    def to_dict(self, tz: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "state": self.state,
            "version": self.version,
            "township": self.township,
            "village": self.village,
            "reported_at": local_iso(self.reported_at, tz),
            "outcome": self.outcome,
        }


def event_view(wf: WorkflowDef, e: Event) -> EventView:
    """An event with the citation and label of the row that produced it."""
    if e.trigger == "report":
        return EventView(e, wf.citation, N_("report filed (强制报告)"))
    if e.seq == 1 and e.trigger == "register":
        return EventView(e, wf.citation, N_("put on the ledger (登记入台账, 一人一档)"))
    for row in wf.rows(e.trigger):
        if row.when is None or e.data.get(row.when[0]) == row.when[1]:
            return EventView(e, row.citation, row.label)
    return EventView(e, wf.citation, e.trigger)
