"""The PostgreSQL store: SQLAlchemy Core statements, rows and records by the tables' codecs
(:mod:`~shouhu.adapters.sqlcodec`); commits by :func:`~shouhu.adapters.sqlwrite.apply_core`.

Concurrency is the server's: a version-guarded update per case, ``FOR UPDATE SKIP LOCKED``
for the sweep's deadlines and the outbox's notices, advisory locks for the journal's appends
and the duplicate-report check (:mod:`~shouhu.adapters.sqlrows`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouhu.adapters.sqlcodec import ACCESS, CASE, DEADLINE, EVENT, JOURNAL_CODEC, NOTICE
from shouhu.adapters.sqlrows import _DERIVED, _journal_append
from shouhu.adapters.sqlstore import SqlStore
from shouhu.adapters.sqltx import _LOAD_MANY, _SqlTx
from shouhu.adapters.sqlwrite import apply_core
from shouhu.adapters.tables import (
    ACCESS_LOG,
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    JOURNAL,
    OUTBOX,
)
from shouhu.engine import columns
from shouhu.engine.columns import access_body
from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Deadline,
    Event,
    JournalEntry,
    Link,
    Location,
    Notice,
)
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.views import LINE_COLUMNS, CaseSummary

# Statements built once: SQLAlchemy's compiled cache then serves every call (the hot path).
_LOAD = sa.select(CASES).where(CASES.c.id == sa.bindparam("case_id"))
# One statement for any number of ids (an array): a statement built per call with its ids in
# an IN list was a reference cycle holding them, freed only by the cyclic collector, which
# ``import reports`` pauses — 85 MB more over a 1,000,000-row import.
_KNOWN = sa.select(INTAKE.c.external_id, INTAKE.c.case_id).where(
    INTAKE.c.source == sa.bindparam("source"),
    INTAKE.c.external_id == sa.func.any(sa.bindparam("ids")),
)
_EVENTS = (
    sa.select(EVENTS).where(EVENTS.c.case_id == sa.bindparam("case_id")).order_by(EVENTS.c.seq)
)


#: What a case's line in a listing needs (:meth:`PostgresStore.list_summaries`).
_SUMMARY = [CASES.c[name] for name in LINE_COLUMNS]


def _listing(
    stmt: sa.Select[Any],
    type: str | None,
    state: str | None,
    limit: int | None,
    after: str | None,
    overdue: bool,
    township: str | None,
) -> sa.Select[Any]:
    """A listing: ``stmt`` filtered as ``list_cases`` says, in id order."""
    stmt = stmt.order_by(CASES.c.id)
    if township is not None:
        stmt = stmt.where(CASES.c.township == township)
    if overdue:
        late = sa.select(DEADLINES.c.case_id).where(
            DEADLINES.c.status == "missed", DEADLINES.c.met_at.is_(None)
        )
        stmt = stmt.where(CASES.c.id.in_(late))
    if type:
        stmt = stmt.where(CASES.c.type == type)
    if state:
        stmt = stmt.where(CASES.c.state == state)
    if after:
        stmt = stmt.where(CASES.c.id > after)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


class PostgresStore(SqlStore):
    """The :class:`~shouhu.engine.ports.Store` on a PostgreSQL server."""

    def _opened(self) -> None:
        from shouhu.adapters.tables import postgresql_conditions

        postgresql_conditions()  # the models as PostgreSQL has them, for whoever reads them

    # -- reads -------------------------------------------------------------------------------

    def _stream(self, stmt: Any, per: int = 1000) -> Iterator[Any]:
        """The rows of a query, streamed from a server-side cursor (memory stays flat)."""
        with self._errors(), self.engine.connect() as conn:
            yield from conn.execution_options(stream_results=True, yield_per=per).execute(stmt)

    def load(self, case_id: str) -> CaseRecord | None:
        with self._errors(), self.engine.connect() as conn:
            return self._load(conn, case_id)

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        with self._errors(), self.engine.connect() as conn:
            rows = conn.execute(_LOAD_MANY, {"ids": list(case_ids)}).mappings()
            return {r["id"]: CASE.record(r) for r in rows}

    def _load(self, conn: Connection, case_id: str) -> CaseRecord | None:
        row = conn.execute(_LOAD, {"case_id": case_id}).mappings().first()
        return None if row is None else CASE.record(row)

    def events(self, case_id: str) -> list[Event]:
        with self._errors(), self.engine.connect() as conn:
            rows = conn.execute(_EVENTS, {"case_id": case_id}).mappings()
            return [EVENT.record(r) for r in rows]

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
        stmt = _listing(sa.select(CASES), type, state, limit, after, overdue, township)
        for row in self._stream(stmt, 500):
            yield CASE.record(row._mapping)

    def list_summaries(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[tuple[CaseSummary, Location]]:
        """:meth:`list_cases`' cases as their lines (:class:`~shouhu.engine.ports.ListsSummaries`):
        the nine columns a line needs, nothing else read or decoded."""
        stmt = _listing(sa.select(*_SUMMARY), type, state, limit, after, overdue, township)
        for row in self._stream(stmt, 2000):
            yield CaseSummary.from_row(row, row[7])

    def count_cases(self) -> list[tuple[str, str, str | None, str, str, int]]:
        c = CASES.c
        keys = (c.type, c.state, c.county, c.township, c.village)
        stmt = sa.select(*keys, sa.func.count()).group_by(*keys)
        with self._errors(), self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[Deadline]:
        stmt = sa.select(DEADLINES).order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        if kind is not None:
            stmt = stmt.where(DEADLINES.c.kind == kind)
        if case_id is not None:
            stmt = stmt.where(DEADLINES.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(DEADLINES.c.status == status)
        if due_before is not None:
            stmt = stmt.where(DEADLINES.c.due_at <= due_before)
        for row in self._stream(stmt, 500):
            yield DEADLINE.record(row._mapping)

    def next_due(self) -> datetime | None:
        stmt = (
            sa.select(DEADLINES.c.due_at)
            .where(DEADLINES.c.status == "pending")
            .order_by(DEADLINES.c.due_at)
            .limit(1)
        )
        with self._errors(), self.engine.connect() as conn:
            value: datetime | None = conn.execute(stmt).scalar_one_or_none()
        return value

    def all_events(self) -> Iterator[Event]:
        for row in self._stream(sa.select(EVENTS).order_by(EVENTS.c.case_id, EVENTS.c.seq)):
            yield EVENT.record(row._mapping)

    def audit_links(self) -> Iterator[Link]:
        """Every event as ``verify`` reads it (:class:`~shouhu.engine.ports.AuditReads`)."""
        yield from map(Link.of, self.all_events())

    def audit_heads(self) -> Iterator[CaseHead]:
        """Every case row's head and projection, in id order."""
        for r in self.list_cases():
            yield CaseHead(r.id, r.version, r.head_hash, r.state, r.outcome, r.facts)

    def notices(self, *, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        stmt = sa.select(OUTBOX).order_by(OUTBOX.c.id)
        if status is not None:
            stmt = stmt.where(OUTBOX.c.status == status)
        if case_id is not None:
            stmt = stmt.where(OUTBOX.c.case_id == case_id)
        with self._errors(), self.engine.connect() as conn:
            return [NOTICE.record(r) for r in conn.execute(stmt).mappings()]

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        with self._errors(), self.engine.connect() as conn:
            rows = conn.execute(_KNOWN, {"source": source, "ids": list(ids)})
            return {str(ext): str(case_id) for ext, case_id in rows}

    def heads(self, at: datetime | None = None) -> Iterator[tuple[str, int, str]]:
        last = sa.select(EVENTS.c.case_id, sa.func.max(EVENTS.c.seq).label("seq"))
        if at is not None:
            last = last.where(EVENTS.c.recorded_at <= at)
        sub = last.group_by(EVENTS.c.case_id).subquery()
        stmt = (
            sa.select(EVENTS.c.case_id, EVENTS.c.seq, EVENTS.c.hash)
            .join(sub, sa.and_(EVENTS.c.case_id == sub.c.case_id, EVENTS.c.seq == sub.c.seq))
            .order_by(EVENTS.c.case_id)
        )
        yield from ((case_id, seq, head) for case_id, seq, head in self._stream(stmt))

    def accesses(self, case_id: str | None = None) -> list[Access]:
        stmt = sa.select(ACCESS_LOG).order_by(ACCESS_LOG.c.id)
        if case_id is not None:
            stmt = stmt.where(ACCESS_LOG.c.case_id == case_id)
        with self._errors(), self.engine.connect() as conn:
            return [ACCESS.record(r) for r in conn.execute(stmt).mappings()]

    # -- the journal and the derived tables, for verify ---------------------------------------

    def journal(self) -> Iterator[JournalEntry]:
        for row in self._stream(sa.select(JOURNAL).order_by(JOURNAL.c.seq)):
            yield JOURNAL_CODEC.record(row._mapping)

    def journal_head(self, at: datetime | None = None) -> tuple[int, str] | None:
        stmt = sa.select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)
        if at is not None:
            stmt = stmt.where(JOURNAL.c.recorded_at <= at)
        with self._errors(), self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def stored_cells(self, table: str, *, case_id: str | None = None) -> Iterator[tuple[Any, ...]]:
        t = _DERIVED[table]
        names = columns.DERIVED_TABLES[table]
        order = [t.c.id] if "case_id" not in t.c or table == "access_log" else [t.c.case_id]
        if table not in ("cases", "access_log"):
            order.append(t.c.id)
        key = t.c.id if table == "cases" else t.c.case_id
        stmt = sa.select(*[t.c[n] for n in names]).order_by(*order)
        if case_id is not None:
            stmt = stmt.where(key == case_id)
        for typed in self._stream(stmt):
            yield tuple(columns.cell(v) for v in typed)

    # -- writes ------------------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Transaction]:
        """One write transaction: load, then append; commits when the block ends."""
        return self._write_tx()

    @contextmanager
    def _write_tx(self) -> Iterator[Transaction]:
        with self._errors(), self._write() as conn:
            yield _SqlTx(self, conn)

    def commit_many(self, commits: Sequence[Commit]) -> None:
        if not commits:
            return
        with self._errors(), self._write() as conn:
            apply_core(conn, commits)

    def record_access(self, access: Access) -> None:
        with self._errors(), self._write() as conn:
            conn.execute(ACCESS_LOG.insert(), ACCESS.values(access))
            _journal_append(conn, "access", access.case_id, access_body(access), access.at)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction on a pooled connection."""
        with self.engine.connect() as conn, conn.begin():
            yield conn
