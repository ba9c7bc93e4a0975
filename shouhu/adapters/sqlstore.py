"""The SQL store: SQLite (WAL, ``synchronous=FULL``) embedded, PostgreSQL at scale.

Each :class:`~shouhu.engine.ports.Commit` is one transaction: insert the events, insert or
update the case row *where its version is still the one the engine read*. A lost race writes
nothing and raises :class:`~shouhu.errors.Conflict`. A new SQLite file is created readable by
its owner only (0600): it holds children's names.

The store's parts: :mod:`~shouhu.adapters.sqlwrite` writes commits (Core statements, or the
SQLite driver cursor), :mod:`~shouhu.adapters.sqltx` holds the write transactions,
:mod:`~shouhu.adapters.sqlitewriters` a SQLite file's write connections,
:mod:`~shouhu.adapters.sqlrows` the row codecs, conflicts and journal appends, and
:mod:`~shouhu.adapters.sqlbase` the error mapping, PRAGMAs and private file creation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool

from shouhu.adapters.sqlbase import (
    BUSY_TIMEOUT_MS,
    _create_private,
    _cursor,
    _DbErrors,
    _sqlite_pragmas,
)
from shouhu.adapters.sqlite_fast import SqliteFast, dumps
from shouhu.adapters.sqlitewriters import _SqliteWrite, _Writers
from shouhu.adapters.sqlrows import (
    _DERIVED,
    _deadline,
    _event,
    _journal_append,
    _notice,
    _record,
    _sqlite_cell_codecs,
)
from shouhu.adapters.sqltx import _SqliteTx, _SqlTx
from shouhu.adapters.sqlwrite import _version_conflict, apply_core, apply_sqlite
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
from shouhu.engine.columns import (
    access_body,
)
from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Deadline,
    Event,
    JournalEntry,
    Link,
    Notice,
)
from shouhu.engine.ports import Commit, Transaction
from shouhu.errors import Conflict, InvalidInput

# Statements built once: SQLAlchemy's compiled cache then serves every call (the hot path).
_LOAD = sa.select(CASES).where(CASES.c.id == sa.bindparam("case_id"))
_EVENTS = (
    sa.select(EVENTS).where(EVENTS.c.case_id == sa.bindparam("case_id")).order_by(EVENTS.c.seq)
)


class SqlStore:
    """A :class:`~shouhu.engine.ports.Store` on any SQLAlchemy URL (SQLite or PostgreSQL)."""

    def __init__(
        self, url: str, *, create: bool = True, make_dirs: bool = False, echo: bool = False
    ) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise InvalidInput(
                f"database URL {url[:80]!r} is not valid ({exc})", field="db"
            ) from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            path = parsed.database
            if path and path != ":memory:" and not path.startswith("file:"):
                _create_private(Path(path), make_dirs=make_dirs)
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        kwargs["json_serializer"] = dumps
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except Exception as exc:
            shown = parsed.render_as_string(hide_password=True)
            raise InvalidInput(
                f"database URL {shown!r} cannot be used: {exc}", field="db"
            ) from None
        self.fast: SqliteFast | None = None
        self._writers: _Writers | None = None
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)
            self.fast = SqliteFast()
            pool = self.engine.pool
            if isinstance(pool, QueuePool):  # a file: one database whichever connection
                self._writers = _Writers(self.engine, pool.size())
        if create:
            self.create_schema()

    # -- schema ------------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (a new file gets it on first use).

        At the head already: one ``SELECT`` of ``alembic_version``. Otherwise Alembic runs the
        missing revisions in one transaction; a database made by ``create_all`` before there
        were migrations is stamped at the revision its tables match first
        (:mod:`shouhu.adapters.migrate`).
        """
        from shouhu.adapters.migrate import ensure

        with self._errors():
            ensure(self.engine)

    # -- reads -------------------------------------------------------------------------------

    def load(self, case_id: str) -> CaseRecord | None:
        with self._errors(), self.engine.connect() as conn:
            return self._load(conn, case_id)

    def _load(self, conn: Connection, case_id: str) -> CaseRecord | None:
        if self.fast is not None:
            return self.fast.load_record(_cursor(conn), case_id)
        row = conn.execute(_LOAD, {"case_id": case_id}).mappings().first()
        return None if row is None else _record(row)

    def events(self, case_id: str) -> list[Event]:
        with self._errors(), self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(_EVENTS, {"case_id": case_id}).mappings()]

    def list_cases(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
    ) -> Iterator[CaseRecord]:
        if self.fast is not None:
            yield from self._list_fast(self.fast, type, state, limit, after, overdue)
            return
        stmt = sa.select(CASES).order_by(CASES.c.id)
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
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=500).execute(stmt)
            for row in result.mappings():
                yield _record(row)

    def _list_fast(
        self,
        fast: SqliteFast,
        type: str | None,
        state: str | None,
        limit: int | None,
        after: str | None,
        overdue: bool,
    ) -> Iterator[CaseRecord]:
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (("type = ?", type), ("state = ?", state), ("id > ?", after)):
            if value:
                where.append(clause)
                params.append(value)
        if overdue:
            where.append(
                "id IN (SELECT case_id FROM deadlines WHERE status = 'missed' AND met_at IS NULL)"
            )
        sql = fast.cases.select + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._errors(), self.engine.connect() as conn:
            for values in fast.stream(_cursor(conn), sql, params, fast.cases):
                yield _record(values)

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
    ) -> Iterator[Deadline]:
        stmt = sa.select(DEADLINES).order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        if case_id is not None:
            stmt = stmt.where(DEADLINES.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(DEADLINES.c.status == status)
        if due_before is not None:
            stmt = stmt.where(DEADLINES.c.due_at <= due_before)
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=500).execute(stmt)
            for row in result.mappings():
                yield _deadline(row)

    def all_events(self) -> Iterator[Event]:
        if self.fast is not None:
            fast = self.fast
            with self._errors(), self.engine.connect() as conn:
                cur = _cursor(conn)
                for values in fast.stream(cur, fast.all_events_sql, (), fast.events_all):
                    yield _event(values)
            return
        stmt = sa.select(EVENTS).order_by(EVENTS.c.case_id, EVENTS.c.seq)
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            for row in result.mappings():
                yield _event(row)

    def audit_links(self) -> Iterator[Link]:
        """Every event as ``verify`` reads it (:class:`~shouhu.engine.ports.AuditReads`)."""
        if self.fast is None:
            yield from map(Link.of, self.all_events())
            return
        with self._errors(), self.engine.connect() as conn:
            yield from self.fast.links(_cursor(conn))

    def audit_heads(self) -> Iterator[CaseHead]:
        """Every case row's head and projection, in id order."""
        if self.fast is None:
            for r in self.list_cases():
                yield CaseHead(r.id, r.version, r.head_hash, r.state, r.outcome, r.facts)
            return
        with self._errors(), self.engine.connect() as conn:
            yield from self.fast.heads(_cursor(conn))

    def notices(self, *, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        stmt = sa.select(OUTBOX).order_by(OUTBOX.c.id)
        if status is not None:
            stmt = stmt.where(OUTBOX.c.status == status)
        if case_id is not None:
            stmt = stmt.where(OUTBOX.c.case_id == case_id)
        with self._errors(), self.engine.connect() as conn:
            return [_notice(r) for r in conn.execute(stmt).mappings()]

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._errors(), self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                stmt = sa.select(INTAKE.c.external_id, INTAKE.c.case_id).where(
                    INTAKE.c.source == source, INTAKE.c.external_id.in_(chunk)
                )
                out.update((ext, cid) for ext, cid in conn.execute(stmt))
        return out

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
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            yield from ((case_id, seq, head) for case_id, seq, head in result)

    def record_access(self, access: Access) -> None:
        values = {
            "case_id": access.case_id,
            "actor": access.actor,
            "role": access.role,
            "reason": access.reason,
            "what": access.what,
            "at": access.at,
        }
        with self._errors(), self._write() as conn:
            conn.execute(ACCESS_LOG.insert(), values)
            _journal_append(conn, "access", access.case_id, access_body(access), access.at)

    # -- the journal and the derived tables, for verify ---------------------------------------

    def journal(self) -> Iterator[JournalEntry]:
        stmt = sa.select(JOURNAL).order_by(JOURNAL.c.seq)
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            for r in result.mappings():
                yield JournalEntry(
                    r["seq"],
                    r["kind"],
                    r["case_id"],
                    dict(r["body"] or {}),
                    r["recorded_at"],
                    r["prev_hash"],
                    r["hash"],
                )

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
        if self.fast is not None:  # SQLite: the stored text as it is, no datetimes made
            sql = f"SELECT {', '.join(names)} FROM {table}"
            params: list[Any] = []
            if case_id is not None:
                sql += f" WHERE {key.name} = ?"
                params.append(case_id)
            sql += " ORDER BY " + ", ".join(c.name for c in order)
            convert = [(i, f) for i, f in enumerate(_sqlite_cell_codecs(t, names)) if f is not None]
            with self._errors(), self.engine.connect() as conn:
                cur = _cursor(conn)
                cur.execute(sql, params)
                while batch := cur.fetchmany(1000):
                    for raw in batch:
                        row = list(raw)
                        for i, f in convert:
                            v = row[i]
                            if v is not None:
                                row[i] = f(v)
                        yield tuple(row)
            return
        stmt = sa.select(*[t.c[n] for n in names]).order_by(*order)
        if case_id is not None:
            stmt = stmt.where(key == case_id)
        with self._errors(), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            for typed in result:
                yield tuple(columns.cell(v) for v in typed)

    def accesses(self, case_id: str | None = None) -> list[Access]:
        stmt = sa.select(ACCESS_LOG).order_by(ACCESS_LOG.c.id)
        if case_id is not None:
            stmt = stmt.where(ACCESS_LOG.c.case_id == case_id)
        with self._errors(), self.engine.connect() as conn:
            return [
                Access(r["case_id"], r["actor"], r["role"], r["reason"], r["what"], r["at"])
                for r in conn.execute(stmt).mappings()
            ]

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

    # -- writes ------------------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Transaction]:
        """One write transaction: load, then append; commits when the block ends."""
        if self._writers is not None:  # a SQLite file: the hot path, one object per write
            return _SqliteWrite(self, self._writers)
        return self._write_tx()

    @contextmanager
    def _write_tx(self) -> Iterator[Transaction]:
        if self.fast is not None:
            with self._errors(), self._write_raw() as cur:
                yield _SqliteTx(self, self.fast, cur)
            return
        with self._errors(), self._write() as conn:
            yield _SqlTx(self, conn)

    def commit(self, commit: Commit) -> None:
        self.commit_many([commit])

    def commit_many(self, commits: Sequence[Commit]) -> None:
        if not commits:
            return
        if self.fast is not None:
            with self._errors(), self._write_raw() as cur:
                self._apply_fast(cur, self.fast, commits)
            return
        with self._errors(), self._write() as conn:
            self._apply(conn, commits)

    def _apply(self, conn: Connection, commits: Sequence[Commit]) -> None:
        apply_core(conn, commits)

    def close(self) -> None:
        if self._writers is not None:
            self._writers.close()
        self.engine.dispose()

    # -- internals ---------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; SQLite takes the write lock at BEGIN (no upgrade deadlocks)."""
        with self.engine.connect() as conn:
            conn.execution_options(shouhu_write=True)
            with conn.begin():
                yield conn

    def _apply_fast(self, cur: Any, fast: SqliteFast, commits: Sequence[Commit]) -> None:
        apply_sqlite(cur, fast, commits)

    @contextmanager
    def _write_raw(self) -> Iterator[Any]:
        """SQLite: a write transaction on a driver connection (no Core wrapper); on a file, one
        of the store's own write connections (:class:`_Writers`: no pool checkout per write)."""
        if self._writers is not None:
            with _SqliteWrite(self, self._writers) as tx:
                yield tx.cur
            return
        raw = self.engine.raw_connection()
        try:
            driver = raw.driver_connection
            cur = driver.cursor()  # type: ignore[union-attr]
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                driver.rollback()  # type: ignore[union-attr]
                raise
            driver.commit()  # type: ignore[union-attr]
        finally:
            raw.close()

    def _conflict(self, conn: Connection, c: Commit) -> Conflict:
        return _version_conflict(conn, c)

    def _errors(self) -> _DbErrors:
        return _DbErrors(self)
