"""The engine's records: what the store keeps (events, case projections) and what callers see.

Records are frozen dataclasses with no ORM in sight; ``shouhu.adapters`` maps them to tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from shouhu.engine.hashing import event_hash, journal_hash, registry_hash, stored_row_hash
from shouhu.engine.timeutil import utc_iso


@dataclass(frozen=True, slots=True)
class Child:
    """The child a report is about. Personal data: never logged, never in a notice."""

    name: str
    birthdate: date
    id_number: str | None
    left_behind: bool  # under 16 on the discovery date (001, opening paragraph)
    age_at_discovery: int


@dataclass(frozen=True, slots=True)
class Location:
    """Where the child is: ``VILLAGE, TOWNSHIP[, COUNTY]``."""

    village: str
    township: str
    county: str | None = None

    def __str__(self) -> str:
        return ", ".join(p for p in (self.village, self.township, self.county) if p)

    def as_dict(self) -> dict[str, str | None]:
        return {"village": self.village, "township": self.township, "county": self.county}


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reported, and whether they are a mandatory reporter (001 §四(三)1)."""

    kind: str
    name: str
    mandatory: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """Who fires a trigger, in which role. The engine trusts the embedding system's login."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class Event:
    """One fact in a case's history. Append-only; ``hash`` chains it to the previous one."""

    case_id: str
    seq: int
    workflow: str
    workflow_version: int
    policy_version: str | None
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    prev_hash: str
    hash: str
    effects: dict[str, Any] = field(default_factory=dict)
    #: The operator who recorded it and their signature (:mod:`shouhu.engine.signing`), not
    #: hashed: the signature is over the hash. None for an event recorded before operators
    #: existed, and for an anonymous report (anyone may report, 001 §四(三)1).
    operator_id: str | None = None
    signature: str | None = None
    # The canonical JSON of ``data`` and ``effects`` as the engine hashed them when it made the
    # event (None for events read back): a store may write these texts instead of encoding the
    # values again. Not init fields, so ``dataclasses.replace`` drops them with the old values.
    data_json: str | None = field(default=None, init=False, compare=False, repr=False)
    effects_json: str | None = field(default=None, init=False, compare=False, repr=False)

    def hashed(self) -> dict[str, Any]:
        """Every hashed field exactly as hashed (:mod:`shouhu.engine.hashing`, documented in
        ``docs/concepts.md``): instants as UTC text, ``from``/``to`` as the hash names them,
        ``effects`` only when it is not empty — what a third party recomputes the hash from."""
        out: dict[str, Any] = {
            "case_id": self.case_id,
            "seq": self.seq,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "policy_version": self.policy_version,
            "trigger": self.trigger,
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor,
            "role": self.role,
            "occurred_at": utc_iso(self.occurred_at),
            "recorded_at": utc_iso(self.recorded_at),
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        if self.effects:
            out["effects"] = dict(self.effects)
        return out

    def computed_hash(self, *, empty_effects_key: bool = False) -> str:
        """The hash this event's content and ``prev_hash`` should have.

        ``empty_effects_key``: hash an empty ``effects`` as ``"effects": {}`` — the form some
        early builds wrote; it commits to the same content.
        """
        return event_hash(
            case_id=self.case_id,
            seq=self.seq,
            workflow=self.workflow,
            workflow_version=self.workflow_version,
            policy_version=self.policy_version,
            trigger=self.trigger,
            from_state=self.from_state,
            to_state=self.to_state,
            actor=self.actor,
            role=self.role,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            data=self.data,
            effects=self.effects,
            prev_hash=self.prev_hash,
            empty_effects_key=empty_effects_key,
        )


class Link(NamedTuple):
    """An event as ``verify`` reads it: the hashed fields with the instants already in the
    hash's canonical text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UTC), so a store can hand them over
    without making datetimes that would only be formatted again. ``computed_hash`` gives what
    :meth:`Event.computed_hash` gives for the same event."""

    case_id: str
    seq: int
    workflow: str
    workflow_version: int
    policy_version: str | None
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    occurred_utc: str
    recorded_utc: str
    data: dict[str, Any]
    effects: dict[str, Any]
    prev_hash: str
    hash: str
    operator_id: str | None = None
    signature: str | None = None

    @classmethod
    def of(cls, e: Event) -> Link:
        return cls(
            e.case_id,
            e.seq,
            e.workflow,
            e.workflow_version,
            e.policy_version,
            e.trigger,
            e.from_state,
            e.to_state,
            e.actor,
            e.role,
            utc_iso(e.occurred_at),
            utc_iso(e.recorded_at),
            e.data,
            e.effects,
            e.prev_hash,
            e.hash,
            e.operator_id,
            e.signature,
        )

    def event(self) -> Event:
        """The event itself (aware UTC datetimes), for a full replay."""
        return Event(
            self.case_id,
            self.seq,
            self.workflow,
            self.workflow_version,
            self.policy_version,
            self.trigger,
            self.from_state,
            self.to_state,
            self.actor,
            self.role,
            datetime.fromisoformat(self.occurred_utc),
            datetime.fromisoformat(self.recorded_utc),
            self.data,
            self.prev_hash,
            self.hash,
            self.effects,
            self.operator_id,
            self.signature,
        )

    def computed_hash(self, *, empty_effects_key: bool = False) -> str:
        """The hash this event's content and ``prev_hash`` should have (see
        :meth:`Event.computed_hash`)."""
        return stored_row_hash(self, empty_effects_key)  # a Link is laid out as STORED_ROW


class CaseHead(NamedTuple):
    """What ``verify`` needs of a case row: the chain's head, and the projection replay
    compares with."""

    id: str
    version: int
    head_hash: str
    state: str
    outcome: str | None
    facts: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """The case row: a projection of the events, written in the same transaction as they are."""

    id: str
    type: str
    workflow_version: int
    state: str
    version: int
    head_hash: str
    child: Child
    location: Location
    reporter: Reporter
    discovered_at: datetime
    reported_at: datetime
    last_occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    closed_at: datetime | None = None
    late: bool = False
    report_delay_seconds: int = 0


DEADLINE_STATUSES = ("pending", "met", "missed", "fired", "cancelled")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A durable deadline row, written in the same transaction as the event that changes it.

    ``pending`` → ``met`` (its duty done in time, or late before a sweep saw it), ``missed``
    (a sweep recorded ``deadline_missed``; ``met_at`` is set if the duty is done later),
    ``fired`` (a maturity matured) or ``cancelled`` (by a trigger, or the case closed).
    """

    id: int | None
    case_id: str
    kind: str
    status: str
    due_at: datetime
    started_at: datetime
    started_seq: int
    policy_version: str
    closed_at: datetime | None = None
    closed_seq: int | None = None
    met_at: datetime | None = None
    #: Its due time was computed without Civil Code Art. 203's extension, for want of the
    #: year's rest days in the pack, and not re-judged since (issue 14's flag; the report's
    #: ``not_extended_no_calendar``).
    not_extended: bool = False


@dataclass(frozen=True, slots=True)
class DeadlineWrite:
    """A deadline to insert (``expected_status`` None) or to update from ``expected_status``."""

    deadline: Deadline
    expected_status: str | None = None


@dataclass(frozen=True, slots=True)
class Access:
    """A read of a case's identity: who, in which role, when, why (auditors see who looked)."""

    case_id: str
    actor: str
    role: str
    reason: str
    what: str
    at: datetime


NOTICE_STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice in the outbox, written in the same transaction as the event that calls for it.

    ``key`` (``case:seq:kind``) is the idempotency key, stable across retries. ``payload``
    names the case, its type, the kind of notice, the recipient body, the location and due
    times — never the child's name, birthdate or id number.
    """

    id: int | None
    key: str
    case_id: str
    seq: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    status: str
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    channel: str | None = None

    def to_dict(self, zone: str) -> dict[str, Any]:
        """The notice as ``shouhu outbox list --json`` and the API give it (times local to
        ``zone``, ISO 8601)."""
        from shouhu.engine.timeutil import local_iso

        def when(dt: datetime | None) -> str | None:
            return None if dt is None else local_iso(dt, zone)

        return {
            "id": self.id,
            "key": self.key,
            "case_id": self.case_id,
            "seq": self.seq,
            "kind": self.kind,
            "recipient": self.recipient,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": when(self.next_attempt_at),
            "last_error": self.last_error,
            "created_at": when(self.created_at),
            "delivered_at": when(self.delivered_at),
            "channel": self.channel,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class Intake:
    """A report taken in from another system: ``(source, external_id)`` names it there."""

    source: str
    external_id: str
    case_id: str
    imported_at: datetime


#: The kinds of journal entry: an identity read, a notice's new delivery state, and an intake
#: row adopted when the journal began (migration 0005: its report event does not record it).
JOURNAL_KINDS = ("access", "notice", "intake")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One entry of the journal: the append-only, hash-chained record of what is not a case's
    event — who read an identity (``access``), what became of a notice (``notice``). The
    tables ``access_log`` and ``outbox`` (its delivery columns) are derived from it, and
    ``audit verify`` recomputes them; the chain's head goes into every anchor."""

    seq: int
    kind: str
    case_id: str | None
    body: dict[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        """The hash this entry's content and ``prev_hash`` should have."""
        return journal_hash(
            seq=self.seq,
            kind=self.kind,
            case_id=self.case_id,
            body=self.body,
            recorded_at=utc_iso(self.recorded_at),
            prev_hash=self.prev_hash,
        )


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One change to the operator registry, as stored (table ``operator_log``; see
    :mod:`shouhu.engine.operators`): chained as a case's events are, signed by its
    ``signer`` over :func:`~shouhu.engine.signing.registry_statement`."""

    seq: int
    kind: str
    operator_id: str
    body: dict[str, Any]
    recorded_at: datetime
    signer: str
    prev_hash: str
    hash: str
    signature: str

    def computed_hash(self) -> str:
        """The hash this entry's content and ``prev_hash`` should have."""
        return registry_hash(
            seq=self.seq,
            kind=self.kind,
            operator_id=self.operator_id,
            body=self.body,
            recorded_at=utc_iso(self.recorded_at),
            signer=self.signer,
            prev_hash=self.prev_hash,
        )
