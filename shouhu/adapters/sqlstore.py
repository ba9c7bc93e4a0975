"""The SQL store: SQLite (WAL, ``synchronous=FULL``) embedded, PostgreSQL at scale.

Each :class:`~shouhu.engine.ports.Commit` is one transaction: insert the events, insert or
update the case row *where its version is still the one the engine read*. A lost race writes
nothing and raises :class:`~shouhu.errors.Conflict`. A new SQLite file is created readable by
its owner only (0600): it holds children's names.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

from shouhu.adapters.sqlite_fast import SqliteFast, _dec_dt_text, dumps
from shouhu.adapters.tables import (
    ACCESS_LOG,
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    JOURNAL,
    OPEN_WATCH,
    OUTBOX,
    UTCDateTime,
)
from shouhu.engine import columns as derive
from shouhu.engine.columns import (
    access_body,
    case_columns,
    chain_entry,
    deadline_columns,
    notice_body,
    notice_columns,
)
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
    Location,
    Notice,
    Reporter,
)
from shouhu.engine.ports import Commit, Transaction
from shouhu.errors import Conflict, InvalidInput, StoreUnavailable

BUSY_TIMEOUT_MS = 5000

# Statements built once: SQLAlchemy's compiled cache then serves every call (the hot path).
_LOAD = sa.select(CASES).where(CASES.c.id == sa.bindparam("case_id"))
_VERSION = sa.select(CASES.c.version).where(CASES.c.id == sa.bindparam("case_id"))
_EVENTS = (
    sa.select(EVENTS).where(EVENTS.c.case_id == sa.bindparam("case_id")).order_by(EVENTS.c.seq)
)
_INSERT_CASE = CASES.insert()
_INSERT_EVENT = EVENTS.insert()
_UPDATE_CASE = CASES.update().where(
    CASES.c.id == sa.bindparam("b_id"), CASES.c.version == sa.bindparam("b_expected")
)
_INSERT_DEADLINE = DEADLINES.insert()
_UPDATE_DEADLINE = DEADLINES.update().where(
    DEADLINES.c.id == sa.bindparam("b_id"), DEADLINES.c.status == sa.bindparam("b_expected")
)
_CASE_DEADLINES = (
    sa.select(DEADLINES)
    .where(DEADLINES.c.case_id == sa.bindparam("case_id"))
    .order_by(DEADLINES.c.id)
)
_DUE = (
    sa.select(DEADLINES)
    .where(DEADLINES.c.status == "pending", DEADLINES.c.due_at <= sa.bindparam("now"))
    .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
    .limit(sa.bindparam("limit"))
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
        names = derive.DERIVED_TABLES[table]
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
                yield tuple(derive.cell(v) for v in typed)

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
        new = [c for c in commits if c.expected_version is None]
        if new:
            try:
                conn.execute(_INSERT_CASE, [_case_values(c.case) for c in new])
            except IntegrityError:  # PostgreSQL aborts the transaction: no lookup after this
                raise _conflict(None, new[0]) from None
        for c in commits:
            if c.expected_version is None:
                continue
            values = _case_values(c.case)
            values["b_id"] = values.pop("id")
            values["b_expected"] = c.expected_version
            if conn.execute(_UPDATE_CASE, values).rowcount != 1:
                raise self._conflict(conn, c)
        events = [_event_values(e) for c in commits for e in c.events]
        if events:
            try:
                conn.execute(_INSERT_EVENT, events)
            except IntegrityError:
                raise _conflict(None, commits[0]) from None
        writes = [w for c in commits for w in c.deadlines]
        inserts = [_deadline_values(w.deadline) for w in writes if w.deadline.id is None]
        if inserts:
            conn.execute(
                _INSERT_DEADLINE, [{k: v for k, v in d.items() if k != "id"} for d in inserts]
            )
        intake = _intake_values(commits)
        if intake:
            try:
                conn.execute(INTAKE.insert(), intake)
            except IntegrityError:
                raise _external_conflict(commits) from None
        notices = [_notice_values(n) for c in commits for n in c.notices]
        if notices:
            conn.execute(
                OUTBOX.insert(), [{k: v for k, v in n.items() if k != "id"} for n in notices]
            )
        for w in writes:
            if w.deadline.id is None:
                continue
            values = _deadline_values(w.deadline)
            values["b_id"] = values.pop("id")
            values["b_expected"] = w.expected_status
            if conn.execute(_UPDATE_DEADLINE, values).rowcount != 1:
                raise _deadline_conflict(w)

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
        new = [c for c in commits if c.expected_version is None]
        if new:
            try:
                fast.insert_cases(cur, [c.case for c in new])
            except sqlite3.IntegrityError:
                raise _conflict(fast.version(cur, new[0].case.id), new[0]) from None
        for c in commits:
            if c.expected_version is None:
                continue
            if fast.update_case(cur, c.case, c.expected_version) != 1:
                raise _conflict(fast.version(cur, c.case.id), c)
        events = [e for c in commits for e in c.events]
        if events:
            try:
                fast.insert_events(cur, events)
            except sqlite3.IntegrityError:
                raise _conflict(fast.version(cur, commits[0].case.id), commits[0]) from None
        writes = [w for c in commits for w in c.deadlines]
        inserts = [w.deadline for w in writes if w.deadline.id is None]
        if inserts:
            fast.insert_deadlines(cur, inserts)
        notices = [_notice_values(n) for c in commits for n in c.notices]
        if notices:
            fast.insert_notices(cur, notices)
        intake = _intake_values(commits)
        if intake:
            try:
                cur.executemany(
                    "INSERT INTO intake (source, external_id, case_id, imported_at) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        (i["source"], i["external_id"], i["case_id"], _sqlite_dt(i["imported_at"]))
                        for i in intake
                    ],
                )
            except sqlite3.IntegrityError:
                raise _external_conflict(commits) from None
        for w in writes:
            if w.deadline.id is None or w.expected_status is None:
                continue
            if fast.update_deadline(cur, _deadline_values(w.deadline), w.expected_status) != 1:
                raise _deadline_conflict(w)

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
        return _conflict(conn.execute(_VERSION, {"case_id": c.case.id}).scalar_one_or_none(), c)

    def _errors(self) -> _DbErrors:
        return _DbErrors(self)


def _conflict(actual: int | None, c: Commit) -> Conflict:
    if c.expected_version is None:
        msg = f"case {c.case.id} already exists"
    elif actual is None:
        msg = (
            f"case {c.case.id} moved past version {c.expected_version}: someone else wrote "
            "first; look again and retry"
        )
    else:
        msg = (
            f"case {c.case.id} is at version {actual}, not {c.expected_version}: "
            "someone else wrote first; look again and retry"
        )
    return Conflict(msg, case_id=c.case.id, expected=c.expected_version, actual=actual)


#: The duplicate-report check's lock (PostgreSQL): one per report type and birthdate — an id
#: number carries its birthdate, so both ways of naming the same child take the same lock.
_REPORT_LOCK = sa.text("SELECT pg_advisory_xact_lock(:space, :day)")


def _report_lock_key(type_: str, birthdate: date) -> dict[str, int]:
    """The advisory lock's two keys: the report type's (a signed 32-bit CRC) and the day."""
    space = zlib.crc32(f"shouhu.report:{type_}".encode())
    return {"space": space - (1 << 32) if space >= 1 << 31 else space, "day": birthdate.toordinal()}


def _deadline_conflict(w: DeadlineWrite) -> Conflict:
    d = w.deadline
    return Conflict(
        f"deadline {d.kind} of case {d.case_id} is no longer {w.expected_status}: "
        "someone else changed it first",
        case_id=d.case_id,
        expected=None,
        actual=None,
    )


class _SqlTx:
    """A :class:`~shouhu.engine.ports.Transaction` on one connection inside BEGIN … COMMIT."""

    def __init__(self, store: SqlStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn

    def load(self, case_id: str) -> CaseRecord | None:
        return self.store._load(self.conn, case_id)

    def append(self, commit: Commit) -> None:
        self.store._apply(self.conn, [commit])

    def append_many(self, commits: Sequence[Commit]) -> None:
        self.store._apply(self.conn, commits)

    def deadlines(self, case_id: str) -> list[Deadline]:
        rows = self.conn.execute(_CASE_DEADLINES, {"case_id": case_id}).mappings()
        return [_deadline(r) for r in rows]

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        stmt = (
            sa.select(OUTBOX)
            .where(
                OUTBOX.c.status == "pending",
                sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        if self.store.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return [_notice(r) for r in self.conn.execute(stmt).mappings()]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        values = _notice_values(notice)
        self.conn.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == notice.id)
            .values({k: values[k] for k in _NOTICE_MUTABLE})
        )
        _journal_append(self.conn, "notice", notice.case_id, notice_body(notice), at)

    def same_person(
        self, types: Sequence[str], id_number: str | None, name: str, birthdate: date, village: str
    ) -> str | None:
        ways = [
            sa.and_(
                CASES.c.child_name == name,
                CASES.c.child_birthdate == birthdate,
                CASES.c.village == village,
            )
        ]
        if id_number:
            ways.append(CASES.c.child_id_number == id_number)
        found = []
        for same in ways:  # one query per unique index (an OR would scan the kind's watches)
            stmt = (
                sa.select(CASES.c.id)
                .where(sa.text(OPEN_WATCH), CASES.c.type.in_(list(types)), same)
                .order_by(CASES.c.id)
                .limit(1)
            )
            found += [str(i) for i in self.conn.execute(stmt).scalars()]
        return min(found, default=None)

    def open_report(
        self,
        type: str,
        id_number: str | None,
        name: str,
        birthdate: date,
        since: datetime,
        until: datetime,
    ) -> str | None:
        if self.store.dialect == "postgresql":
            # Held to the end of the transaction: a twin filing the same child waits here
            # until this report is committed (or rolled back), then finds it.
            self.conn.execute(_REPORT_LOCK, _report_lock_key(type, birthdate))
        same: Any = CASES.c.child_name == name
        if id_number:
            same = sa.or_(
                CASES.c.child_id_number == id_number,
                sa.and_(CASES.c.child_id_number.is_(None), same),
            )
        stmt = (
            sa.select(CASES.c.id)
            .where(
                CASES.c.reported_at >= since,
                CASES.c.reported_at <= until,
                CASES.c.type == type,
                CASES.c.child_birthdate == birthdate,
                CASES.c.closed_at.is_(None),
                same,
            )
            .order_by(CASES.c.id)
            .limit(1)
        )
        found = self.conn.execute(stmt).scalar_one_or_none()
        return None if found is None else str(found)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        stmt = _DUE
        if self.store.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = self.conn.execute(stmt, {"now": now, "limit": limit}).mappings()
        return [_deadline(r) for r in rows]


def _cursor(conn: Connection) -> Any:
    """The DBAPI cursor of the connection's current transaction."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


class _SqliteTx:
    """A :class:`~shouhu.engine.ports.Transaction` on a driver cursor inside BEGIN … COMMIT."""

    def __init__(self, store: SqlStore, fast: SqliteFast, cur: Any) -> None:
        self.store = store
        self.fast = fast
        self.cur = cur

    def load(self, case_id: str) -> CaseRecord | None:
        return self.fast.load_record(self.cur, case_id)

    def append(self, commit: Commit) -> None:
        self.store._apply_fast(self.cur, self.fast, [commit])

    def append_many(self, commits: Sequence[Commit]) -> None:
        self.store._apply_fast(self.cur, self.fast, commits)

    def deadlines(self, case_id: str) -> list[Deadline]:
        return self.fast.case_deadline_records(self.cur, case_id)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        return self.fast.due_records(self.cur, now, limit)

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        return [_notice(r) for r in self.fast.notices_due(self.cur, now, limit)]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        self.fast.update_notice(self.cur, _notice_values(notice))
        _sqlite_journal_append(self.cur, "notice", notice.case_id, notice_body(notice), at)

    def same_person(
        self, types: Sequence[str], id_number: str | None, name: str, birthdate: date, village: str
    ) -> str | None:
        head = (
            f"SELECT id FROM cases WHERE {OPEN_WATCH} AND type IN ({', '.join('?' * len(types))})"
        )
        asks = [
            (
                " AND child_name = ? AND child_birthdate = ? AND village = ?",
                [name, birthdate, village],
            )
        ]
        if id_number:
            asks.append((" AND child_id_number = ?", [id_number]))
        found = []
        for where, values in asks:  # one query per unique index (an OR would scan the kind's)
            row = self.cur.execute(
                head + where + " ORDER BY id LIMIT 1",
                [*types, *(v.isoformat() if isinstance(v, date) else v for v in values)],
            ).fetchone()
            if row is not None:
                found.append(str(row[0]))
        return min(found, default=None)

    def open_report(
        self,
        type: str,
        id_number: str | None,
        name: str,
        birthdate: date,
        since: datetime,
        until: datetime,
    ) -> str | None:
        # BEGIN IMMEDIATE holds the write lock: no twin can file between this and the commit.
        # The unary + keeps SQLite on the reported_at index (a window's reports), off the type
        # index (every case of the type) and off the id number index for IS NULL (most cases).
        same, values = "child_name = ?", [name]
        if id_number:
            same = f"(child_id_number = ? OR (+child_id_number IS NULL AND {same}))"
            values = [id_number, name]
        row = self.cur.execute(
            "SELECT id FROM cases WHERE reported_at >= ? AND reported_at <= ? AND +type = ? "
            f"AND child_birthdate = ? AND closed_at IS NULL AND {same} ORDER BY id LIMIT 1",
            [_sqlite_dt(since), _sqlite_dt(until), type, birthdate.isoformat(), *values],
        ).fetchone()
        return None if row is None else str(row[0])


class _SqliteWrite:
    """One write transaction on a SQLite file, as one context manager: ``BEGIN IMMEDIATE`` on
    a connection of the store's :class:`_Writers`, ``COMMIT`` when the block ends, ``ROLLBACK``
    if it raises, the connection given back either way; driver errors, the block's included,
    become :class:`StoreUnavailable` as ``SqlStore._errors()`` makes them (what ``_errors()``
    around a generator context manager did, without two generators per transition)."""

    __slots__ = ("cur", "held", "store", "writers")

    def __init__(self, store: SqlStore, writers: _Writers) -> None:
        self.store = store
        self.writers = writers

    def __enter__(self) -> _SqliteTx:
        with self.store._errors():
            held = self.writers.take()
            try:
                cur = held[0].cursor()
                try:
                    cur.execute("BEGIN IMMEDIATE")
                except BaseException:
                    cur.close()
                    raise
            except BaseException:
                self.writers.give(held)
                raise
        self.held, self.cur = held, cur
        assert self.store.fast is not None  # a SQLite store always has its fast path
        return _SqliteTx(self.store, self.store.fast, cur)

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        driver = self.held[0]
        with self.store._errors():
            try:
                try:
                    if exc is None:
                        driver.commit()
                    else:
                        driver.rollback()
                finally:
                    self.cur.close()
            finally:
                self.writers.give(self.held)
            if exc is not None:  # the block's own error: a driver error is mapped, as before
                self.store._errors().__exit__(typ, exc, tb)
        return False


class _Writers:
    """The driver connections a SQLite file's write transactions run on.

    Checking a connection out of SQLAlchemy's pool and back in costs about 7 µs of Python per
    write on a warm CPU, several times that between fsyncs (the pool's records, events and
    reset-on-return); taking one from here, about 1 µs. Each connection here is made
    by that pool once, so its ``connect`` hook has set the PRAGMAs (WAL, ``synchronous=FULL``,
    busy timeout, foreign keys), then detached from it; a write takes one from the idle list,
    holds it alone from ``BEGIN IMMEDIATE`` to ``COMMIT``, and gives it back.

    * Threads: a connection serves one write at a time (the idle list is under a lock), from
      any thread: a file's connections are made with ``check_same_thread=False`` (SQLAlchemy's
      default for a file), as the pool itself hands them from thread to thread.
    * Errors: whatever ended the transaction, a connection still in one is rolled back when it
      comes back; one that stays in a transaction or cannot tell is closed, never reused.
    * ``close``: the idle ones are closed at once (the last one checkpoints the WAL); one that
      another thread is writing on then is closed when its write ends (the generation moved).
    * Fork: SQLite forbids using a connection across ``fork``. A child's first write never
      uses, nor closes, the parent's write connections (they are kept, untouched, in
      ``inherited``) and starts the pool afresh, so its write connection is its own.
    * At most ``keep`` stay idle (the pool's size); a writer beyond that closes its own after.
    """

    def __init__(self, engine: Engine, keep: int) -> None:
        self.engine = engine
        self.keep = keep
        self.idle: list[tuple[Any, int, int]] = []  # (connection, generation, forks)
        self.lock = threading.Lock()
        self.generation = 0
        self.forks = _forks
        self.inherited: list[Any] = []

    def take(self) -> tuple[Any, int, int]:
        if self.forks != _forks:
            self._forked()
        with self.lock:
            if self.idle:
                return self.idle.pop()
            generation = self.generation
        raw = self.engine.raw_connection()  # the pool's connect hook runs the PRAGMAs
        conn = raw.driver_connection
        raw.detach()  # ours now: the pool forgets it, and makes another when it needs one
        return conn, generation, self.forks

    def give(self, held: tuple[Any, int, int]) -> None:
        """Back to the idle list, or closed; never raises (it runs after errors too)."""
        conn, generation, forks = held
        if forks != _forks:  # taken before a fork: the parent's
            self.inherited.append(conn)
            return
        try:
            if conn.in_transaction:
                conn.rollback()
            reusable = not conn.in_transaction
        except Exception:
            reusable = False
        if reusable:
            with self.lock:
                if generation == self.generation and len(self.idle) < self.keep:
                    self.idle.append(held)
                    return
        _close_quietly(conn)

    def close(self) -> None:
        with self.lock:
            self.generation += 1
            idle, self.idle = self.idle, []
        for conn, _, _ in idle:
            _close_quietly(conn)

    def _forked(self) -> None:
        self.lock = threading.Lock()  # a thread of the parent may have held the old one
        self.inherited += [conn for conn, _, _ in self.idle]
        self.idle = []
        self.generation += 1
        self.forks = _forks
        # The pool's connections are the parent's too: a new pool, the old one's left alone
        # (SQLAlchemy's recipe for a forked child), so the next connection is the child's.
        self.engine.dispose(close=False)


#: How many times this process has been the child of a ``fork`` (counted by the hook below):
#: a write connection taken at another count is a parent's (no ``getpid`` call per write).
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def _close_quietly(conn: Any) -> None:
    with suppress(Exception):  # as the pool does: a connection that cannot close is let go
        conn.close()


class _DbErrors:
    """Turns driver failures into :class:`StoreUnavailable` with one clear line."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        if exc is None or isinstance(exc, IntegrityError | sqlite3.IntegrityError):
            return False
        if not isinstance(exc, DBAPIError | sqlite3.Error):
            return False
        detail = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
        where = self.store.url.render_as_string(hide_password=True)
        if isinstance(exc, OperationalError | sqlite3.OperationalError) and "locked" in detail:
            msg = f"database {where} is busy (locked longer than {BUSY_TIMEOUT_MS} ms); try again"
        elif "readonly" in detail or "read-only" in detail:
            msg = f"database {where} is read-only: {detail}"
        elif "disk" in detail and "full" in detail:
            msg = f"database {where}: the disk is full; nothing was written"
        elif detail == "disk I/O error":  # SQLite: a write or a file's growth failed (ENOSPC, EIO)
            code = getattr(getattr(exc, "orig", exc), "sqlite_errorname", None) or "SQLITE_IOERR"
            msg = (
                f"database {where} cannot be used: disk I/O error ({code}): the disk may be "
                "full, out of quota or failing; nothing was written"
            )
        else:
            msg = f"database {where} cannot be used: {detail}"
        raise StoreUnavailable(msg) from None


_DERIVED = {
    "cases": CASES,
    "deadlines": DEADLINES,
    "outbox": OUTBOX,
    "intake": INTAKE,
    "access_log": ACCESS_LOG,
}


def _sqlite_cell_codecs(table: sa.Table, names: Sequence[str]) -> list[Any]:
    """Per column, what turns SQLite's stored value into its :func:`derive.cell` form (None:
    as it is): UTC text for instants, decoded JSON, bool for booleans."""
    out: list[Any] = []
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            out.append(_sqlite_utc_text)
        elif isinstance(kind, sa.JSON):
            out.append(_sqlite_json)
        elif isinstance(kind, sa.Boolean):
            out.append(bool)
        else:
            out.append(None)
    return out


def _sqlite_utc_text(v: Any) -> Any:
    """The stored text of an instant (naive UTC) → the hash's UTC text, by its instant (an
    edited cell in another spelling compares by what it means); text that is no instant stays
    as it is."""
    try:
        return _dec_dt_text(v)
    except (TypeError, ValueError):
        return v


def _sqlite_json(v: Any) -> Any:
    try:
        return json.loads(v)
    except (TypeError, ValueError):
        return v


#: Serialises journal appends on PostgreSQL (``pg_advisory_xact_lock``): one chain, one head.
_JOURNAL_LOCK = 0x73686F75686A  # "shouhj"
_JOURNAL_HEAD = sa.select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)


def _journal_append(
    conn: Connection, kind: str, case_id: str | None, body: dict[str, Any], at: datetime
) -> None:
    """Append an entry after the journal's head, inside the caller's write transaction (on
    SQLite that transaction holds the write lock; on PostgreSQL an advisory lock orders the
    appends, so no two take the same head)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_JOURNAL_LOCK})")
    row = conn.execute(_JOURNAL_HEAD).first()
    e = chain_entry(None if row is None else (int(row[0]), str(row[1])), kind, case_id, body, at)
    conn.execute(
        JOURNAL.insert(),
        {
            "seq": e.seq,
            "kind": e.kind,
            "case_id": e.case_id,
            "body": e.body,
            "recorded_at": e.recorded_at,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        },
    )


def _sqlite_journal_append(
    cur: Any, kind: str, case_id: str | None, body: dict[str, Any], at: datetime
) -> None:
    """:func:`_journal_append` on a SQLite driver cursor inside ``BEGIN IMMEDIATE``."""
    row = cur.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    e = chain_entry(None if row is None else (int(row[0]), str(row[1])), kind, case_id, body, at)
    cur.execute(
        "INSERT INTO journal (seq, kind, case_id, body, recorded_at, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (e.seq, e.kind, e.case_id, dumps(e.body), _sqlite_dt(e.recorded_at), e.prev_hash, e.hash),
    )


def _create_private(path: Path, *, make_dirs: bool) -> None:
    """Create an empty database file readable by its owner only, if it does not exist."""
    try:
        if make_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise StoreUnavailable(f"cannot create database file {str(path)!r}: no such directory")
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot create database file {str(path)!r}: {exc.strerror}"
        ) from None
    os.close(fd)


def _sqlite_pragmas(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("shouhu_write")
        # Straight to the driver: this runs once per transaction, on the hot path.
        _cursor(conn).execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _case_values(r: CaseRecord) -> dict[str, Any]:
    return case_columns(r)


def _record(row: Any) -> CaseRecord:
    return CaseRecord(
        id=row["id"],
        type=row["type"],
        workflow_version=row["workflow_version"],
        state=row["state"],
        version=row["version"],
        head_hash=row["head_hash"],
        child=Child(
            row["child_name"],
            row["child_birthdate"],
            row["child_id_number"],
            bool(row["left_behind"]),
            row["age_at_discovery"],
        ),
        location=Location(row["village"], row["township"], row["county"]),
        reporter=Reporter(
            row["reporter_kind"], row["reporter_name"], bool(row["reporter_mandatory"])
        ),
        discovered_at=row["discovered_at"],
        reported_at=row["reported_at"],
        last_occurred_at=row["last_occurred_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
        late=bool(row["late"]),
        report_delay_seconds=row["report_delay_seconds"],
        facts=dict(row["facts"] or {}),
        outcome=row["outcome"],
    )


def _event_values(e: Event) -> dict[str, Any]:
    return {
        "case_id": e.case_id,
        "seq": e.seq,
        "workflow": e.workflow,
        "workflow_version": e.workflow_version,
        "policy_version": e.policy_version,
        "trigger": e.trigger,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "data": e.data,
        "effects": e.effects,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _event(row: Any) -> Event:
    return Event(
        case_id=row["case_id"],
        seq=row["seq"],
        workflow=row["workflow"],
        workflow_version=row["workflow_version"],
        policy_version=row["policy_version"],
        trigger=row["trigger"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        actor=row["actor"],
        role=row["role"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        data=dict(row["data"] or {}),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        effects=dict(row["effects"] or {}),
    )


def _deadline_values(d: Deadline) -> dict[str, Any]:
    return deadline_columns(d)


def _deadline(row: Any) -> Deadline:
    return Deadline(
        id=row["id"],
        case_id=row["case_id"],
        kind=row["kind"],
        status=row["status"],
        due_at=row["due_at"],
        started_at=row["started_at"],
        started_seq=row["started_seq"],
        policy_version=row["policy_version"],
        closed_at=row["closed_at"],
        closed_seq=row["closed_seq"],
        met_at=row["met_at"],
    )


_NOTICE_MUTABLE = ("status", "attempts", "next_attempt_at", "last_error", "delivered_at", "channel")


def _notice_values(n: Notice) -> dict[str, Any]:
    return notice_columns(n)


def _notice(row: Any) -> Notice:
    return Notice(
        id=row["id"],
        key=row["key"],
        case_id=row["case_id"],
        seq=row["seq"],
        kind=row["kind"],
        recipient=row["recipient"],
        payload=dict(row["payload"] or {}),
        status=row["status"],
        created_at=row["created_at"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        channel=row["channel"],
    )


def _intake_values(commits: Sequence[Commit]) -> list[dict[str, Any]]:
    return [
        {
            "source": c.external[0],
            "external_id": c.external[1],
            "case_id": c.case.id,
            "imported_at": c.case.created_at,
        }
        for c in commits
        if c.external is not None
    ]


def _external_conflict(commits: Sequence[Commit]) -> Conflict:
    first = next(c for c in commits if c.external is not None)
    return Conflict(
        "a report in this batch was imported already (same source and external_id)",
        case_id=first.case.id,
        expected=None,
        actual=None,
    )


def _sqlite_dt(value: datetime) -> str:
    from shouhu.adapters.sqlite_fast import _enc_dt

    return _enc_dt(value) or ""
