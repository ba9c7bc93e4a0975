"""The stores' write transactions: :class:`_SqlTx` on a SQLAlchemy connection (the PostgreSQL
store) and :class:`_SqliteTx` on a SQLite driver cursor (the SQLite store)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouhu.adapters.sqlcodec import CASE, DEADLINE, NOTICE
from shouhu.adapters.sqlite_fast import SqliteFast
from shouhu.adapters.sqlrows import (
    _CASE_DEADLINES,
    _DUE,
    _NOTICE_MUTABLE,
    _REPORT_LOCK,
    _journal_append,
    _report_lock_key,
    _sqlite_dt,
    _sqlite_journal_append,
    registry_rows,
)
from shouhu.adapters.sqlwrite import apply_core, apply_sqlite
from shouhu.adapters.tables import (
    CASES,
    DEADLINES,
    OPEN_WATCH,
    OUTBOX,
)
from shouhu.engine.columns import (
    notice_body,
)
from shouhu.engine.model import (
    CaseRecord,
    Child,
    Deadline,
    Notice,
    RegistryEntry,
)
from shouhu.engine.ports import Commit
from shouhu.workflows.vocab import WATCH_TYPES

if TYPE_CHECKING:
    from shouhu.adapters.pgstore import PostgresStore
    from shouhu.adapters.sqlitestore import SqliteStore


def _open_watch(types: Sequence[str]) -> str:
    """The open-watch predicate of the partial unique indexes (so the planner uses them) for
    the shipped watch types; for a watch type an embedding system adds, which those indexes
    do not cover, only ``closed_at IS NULL``."""
    return OPEN_WATCH if set(types) <= _SHIPPED_WATCHES else "closed_at IS NULL"


_SHIPPED_WATCHES = frozenset(WATCH_TYPES)

_LOAD_MANY = sa.select(CASES).where(CASES.c.id == sa.func.any(sa.bindparam("ids")))
_DEADLINES_MANY = (
    sa.select(DEADLINES)
    .where(DEADLINES.c.case_id == sa.func.any(sa.bindparam("ids")))
    .order_by(DEADLINES.c.id)
)


class _SqlTx:
    """A :class:`~shouhu.engine.ports.Transaction` on one connection inside BEGIN … COMMIT."""

    def __init__(self, store: PostgresStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn

    def load(self, case_id: str) -> CaseRecord | None:
        return self.store._load(self.conn, case_id)

    def append(self, commit: Commit) -> None:
        apply_core(self.conn, [commit])

    def registry_since(self, after: int) -> list[RegistryEntry]:
        return registry_rows(self.conn, after)

    def append_many(self, commits: Sequence[Commit]) -> None:
        apply_core(self.conn, commits)

    def deadlines(self, case_id: str) -> list[Deadline]:
        rows = self.conn.execute(_CASE_DEADLINES, {"case_id": case_id}).mappings()
        return [DEADLINE.record(r) for r in rows]

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        rows = self.conn.execute(_LOAD_MANY, {"ids": list(case_ids)}).mappings()
        return {r["id"]: CASE.record(r) for r in rows}

    def deadlines_many(self, case_ids: Sequence[str]) -> dict[str, list[Deadline]]:
        found: dict[str, list[Deadline]] = {}
        for r in self.conn.execute(_DEADLINES_MANY, {"ids": list(case_ids)}).mappings():
            found.setdefault(r["case_id"], []).append(DEADLINE.record(r))
        return found

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        stmt = (
            sa.select(OUTBOX)
            .where(
                OUTBOX.c.status == "pending",
                sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
            )
            .order_by(OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [NOTICE.record(r) for r in self.conn.execute(stmt).mappings()]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        values = NOTICE.values(notice)
        self.conn.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == notice.id)
            .values({k: values[k] for k in _NOTICE_MUTABLE})
        )
        _journal_append(self.conn, "notice", notice.case_id, notice_body(notice), at)

    def same_person(self, types: Sequence[str], child: Child, village: str) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        for t in sorted(set(types) - _SHIPPED_WATCHES):  # no unique index: serialise twins
            self.conn.execute(_REPORT_LOCK, _report_lock_key(t, birthdate))
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
                .where(sa.text(_open_watch(types)), CASES.c.type.in_(list(types)), same)
                .order_by(CASES.c.id)
                .limit(1)
            )
            found += [str(i) for i in self.conn.execute(stmt).scalars()]
        return min(found, default=None)

    def open_report(self, type: str, child: Child, since: datetime, until: datetime) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        # Held to the end of the transaction: a twin filing the same child waits here until
        # this report is committed (or rolled back), then finds it.
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
        rows = self.conn.execute(_DUE, {"now": now, "limit": limit}).mappings()
        return [DEADLINE.record(r) for r in rows]


class _SqliteTx:
    """A :class:`~shouhu.engine.ports.Transaction` on a driver cursor inside BEGIN … COMMIT."""

    def __init__(self, store: SqliteStore, fast: SqliteFast, cur: Any) -> None:
        self.store = store
        self.fast = fast
        self.cur = cur

    def load(self, case_id: str) -> CaseRecord | None:
        return self.fast.load_record(self.cur, case_id)

    def append(self, commit: Commit) -> None:
        apply_sqlite(self.cur, self.fast, [commit])

    def registry_since(self, after: int) -> list[RegistryEntry]:
        return self.fast.registry(self.cur, after)

    def append_many(self, commits: Sequence[Commit]) -> None:
        apply_sqlite(self.cur, self.fast, commits)

    def deadlines(self, case_id: str) -> list[Deadline]:
        return self.fast.case_deadline_records(self.cur, case_id)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        return self.fast.due_records(self.cur, now, limit)

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        return [NOTICE.record(r) for r in self.fast.notices_due(self.cur, now, limit)]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        self.fast.update_notice(self.cur, NOTICE.values(notice))
        _sqlite_journal_append(self.cur, "notice", notice.case_id, notice_body(notice), at)

    def same_person(self, types: Sequence[str], child: Child, village: str) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        head = (
            f"SELECT id FROM cases WHERE {_open_watch(types)} "
            f"AND type IN ({', '.join('?' * len(types))})"
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

    def open_report(self, type: str, child: Child, since: datetime, until: datetime) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
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
