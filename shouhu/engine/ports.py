"""The ports through which the engine talks to the world. Adapters implement them.

A :class:`Store` keeps events and case projections. ``commit`` writes a case's new events and
its new projection in **one transaction**, or nothing: a new case must not exist yet
(``expected_version is None``), an existing one must still be at ``expected_version``;
otherwise it raises :class:`shouhu.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Child,
    Deadline,
    DeadlineWrite,
    Event,
    JournalEntry,
    Link,
    Notice,
    RegistryEntry,
)

if TYPE_CHECKING:
    from shouhu.engine.model import Location
    from shouhu.engine.views import CaseSummary


@dataclass(frozen=True, slots=True)
class Commit:
    """One atomic write: a case's projection after ``events``, guarded by ``expected_version``."""

    case: CaseRecord
    events: tuple[Event, ...]
    expected_version: int | None
    deadlines: tuple[DeadlineWrite, ...] = ()
    notices: tuple[Notice, ...] = ()
    external: tuple[str, str] | None = None  # (source, external id) of an imported report


class Transaction(Protocol):
    """A write transaction: reads see the committed state, appends land together at the end.

    Leaving the ``with`` block normally commits; an exception rolls everything back.
    """

    def load(self, case_id: str) -> CaseRecord | None:
        """The case's projection as of this transaction."""
        ...

    def append(self, commit: Commit) -> None:
        """Stage a commit (checked for version conflicts at once or at the end)."""
        ...

    def append_many(self, commits: Sequence[Commit]) -> None:
        """Stage several commits at once (a batch: fewer statements than one by one)."""
        ...

    def registry_since(self, after: int) -> list[RegistryEntry]:
        """The operator registry's entries after ``seq`` ``after``, read in this transaction
        (an act is judged against the registry as it is when the act is written)."""
        ...

    def deadlines(self, case_id: str) -> list[Deadline]:
        """Every deadline row of a case, oldest first."""
        ...

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        """Pending deadlines due at ``now`` or before, oldest due first, claimed for this
        transaction (``FOR UPDATE SKIP LOCKED`` where the database has it)."""
        ...

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        """Pending notices whose next attempt is due, oldest first, claimed likewise."""
        ...

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        """Write a notice's delivery state (status, attempts, next attempt, error), and the
        same state as a journal entry recorded ``at`` (the outbox's delivery columns are
        derived from the journal, and ``verify`` checks them against it)."""
        ...

    def same_person(self, types: Sequence[str], child: Child, village: str) -> str | None:
        """The id of an open case of ``types`` about the same person (the same id number, or
        the same name, birthdate and village), or None: the ledger's duplicate check, made
        inside the write transaction."""
        ...

    def open_report(self, type: str, child: Child, since: datetime, until: datetime) -> str | None:
        """The id of the earliest open case of report ``type`` about the same child — the same
        id number, or the same name and birthdate where the two do not carry different id
        numbers — reported from ``since`` to ``until``, or None: the duplicate-report check,
        made inside the write transaction. Two transactions asking about the same child must
        not both miss each other's report: SQLite serialises its writers; on PostgreSQL the
        check first takes a transaction-scoped advisory lock on (``type``, ``birthdate``)."""
        ...


def same_child(stored_id: str | None, stored_name: str, id_number: str | None, name: str) -> bool:
    """Whether a child of the same birthdate is the one asked about (``open_report``): the
    same id number, or the same name where the two do not carry different id numbers (an id
    number, checked against the birthdate, tells two namesakes apart)."""
    if id_number and stored_id:
        return stored_id == id_number
    return stored_name == name


@runtime_checkable
class LoadsMany(Protocol):
    """A write transaction that can also read many cases and their deadline rows in one query
    each (an optional part of the port): where a round trip costs more than the row, as on
    PostgreSQL, a batch (``fire_many``) reads its cases this way before it fires. Cases not
    found are left out; each case's rows are in id order, as :meth:`Transaction.deadlines`."""

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]: ...

    def deadlines_many(self, case_ids: Sequence[str]) -> dict[str, list[Deadline]]: ...


@runtime_checkable
class ListsSummaries(Protocol):
    """A store that can also list cases as their lines alone (an optional part of the port):
    the same cases as :meth:`Store.list_cases` with the same filters, in the same order, each
    as its :class:`~shouhu.engine.views.CaseSummary` and its place — without decoding the
    rest of the record. ``Engine.cases`` uses it where the store has it (a listing of every
    case reads nothing else), else summarises ``list_cases``' records."""

    def list_summaries(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[tuple[CaseSummary, Location]]: ...


def summarised(records: Iterable[CaseRecord]) -> Iterator[tuple[CaseSummary, Location]]:
    """Records as :class:`ListsSummaries` gives them: each one's line and place."""
    from shouhu.engine.views import CaseSummary

    return ((CaseSummary.of(r), r.location) for r in records)


class Store(Protocol):
    """Where cases and their histories live."""

    def write(self) -> AbstractContextManager[Transaction]:
        """A write transaction (on SQLite the write lock is taken at its start)."""
        ...

    def load(self, case_id: str) -> CaseRecord | None:
        """The case's projection, or ``None``."""
        ...

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        """The projections of those of ``case_ids`` on file, by id, read at once."""
        ...

    def events(self, case_id: str) -> list[Event]:
        """The case's events in ``seq`` order (empty if there is no such case)."""
        ...

    def commit(self, commit: Commit) -> None:
        """Write one commit atomically; ``Conflict`` if the version moved."""
        ...

    def commit_many(self, commits: Sequence[Commit]) -> None:
        """Write several commits in one transaction: all or none."""
        ...

    def list_cases(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[CaseRecord]:
        """Cases in id order, filtered; ``overdue``: with a missed deadline still undone;
        ``township``: only the cases of that township (a scope's, read through its index)."""
        ...

    def count_cases(self) -> list[tuple[str, str, str | None, str, str, int]]:
        """How many cases there are per ``(type, state, county, township, village)``: the
        desk's counts per state, aggregated by the database rather than read case by case."""
        ...

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[Deadline]:
        """Deadline rows, by due time; streamed (``kind``: of one duty only)."""
        ...

    def next_due(self) -> datetime | None:
        """The earliest pending due time, if any."""
        ...

    def all_events(self) -> Iterator[Event]:
        """Every event, ordered by case id then ``seq``; streamed."""
        ...

    def notices(self, *, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        """The outbox, oldest first."""
        ...

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        """Which of ``ids`` from ``source`` were imported already: external id → case id."""
        ...

    def heads(self, at: datetime | None = None) -> Iterator[tuple[str, int, str]]:
        """(case id, seq, hash) of each case's last event recorded at or before ``at``."""
        ...

    def record_access(self, access: Access) -> None:
        """Append an access to the access log and to the journal (one transaction)."""
        ...

    def accesses(self, case_id: str | None = None) -> list[Access]:
        """The access log, oldest first."""
        ...

    def journal(self) -> Iterator[JournalEntry]:
        """The journal, in ``seq`` order; streamed."""
        ...

    def journal_head(self, at: datetime | None = None) -> tuple[int, str] | None:
        """(seq, hash) of the journal's last entry recorded at or before ``at``, or None."""
        ...

    def stored_cells(self, table: str, *, case_id: str | None = None) -> Iterator[tuple[Any, ...]]:
        """The rows of a derived table (``cases``, ``deadlines``, ``outbox``, ``intake``,
        ``access_log``) as ``verify`` compares them: one tuple per row, the columns in the
        table's order (:data:`shouhu.engine.derive.DERIVED_TABLES`), each value in
        :func:`shouhu.engine.derive.cell` form (instants as UTC text, dates as ISO text, JSON
        decoded); ordered by case id, then row id (``access_log``: by id; ``cases``: by id);
        only one case's with ``case_id``. Streamed."""
        ...

    def registry_entries(self, after: int = 0) -> list[RegistryEntry]:
        """The operator registry's entries after ``seq`` ``after``, in order."""
        ...

    def append_registry(self, entry: RegistryEntry) -> None:
        """Append one registry entry (its ``seq`` the next); ``Conflict`` if taken."""
        ...

    def events_recorded(self) -> int:
        """How many events the log holds."""
        ...

    def tree_leaves(self) -> list[tuple[int, str, int, str]]:
        """The transparency log's leaves in order: ``(index, case_id, seq, leaf)``."""
        ...

    def stream_leaves(
        self, *, by_event: bool = False, case_id: str | None = None
    ) -> Iterator[tuple[int, str, int, str]]:
        """The leaves streamed: in index order, or ``by_event`` in ``(case_id, seq)`` order;
        only one case's with ``case_id``."""
        ...

    def unsequenced(self) -> list[Event]:
        """The events not yet in the transparency log, in the order they were stored."""
        ...

    def append_leaves(self, leaves: Sequence[tuple[int, str, int, str]]) -> None:
        """Append leaves (indexes following the last); ``Conflict`` if another came first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class AuditReads(Protocol):
    """What a store may add for ``verify`` over a whole database: the log and the case rows as
    the audit needs them, without building full records. A store without it is read through
    ``all_events`` and ``list_cases``."""

    def audit_links(self) -> Iterator[Link]:
        """Every event as a :class:`Link`, ordered by case id then ``seq``; streamed."""
        ...

    def audit_heads(self) -> Iterator[CaseHead]:
        """Every case row as a :class:`CaseHead`, in id order; streamed."""
        ...


class DeliveryError(Exception):
    """A channel could not deliver a notice. ``permanent`` (e.g. HTTP 4xx): do not retry."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class Channel(Protocol):
    """Where notices go (log, a JSON Lines file, a webhook…). ``send`` raises DeliveryError."""

    name: str

    def send(self, notice: Notice) -> None:
        """Deliver one notice; the same ``notice.key`` may arrive more than once."""
        ...
