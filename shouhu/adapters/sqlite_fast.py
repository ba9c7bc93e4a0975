"""The SQLite hot path: the three statements of a transition on the DBAPI connection.

SQLAlchemy Core costs about 130 µs per statement in Python (execution context, parameter
processing, result set-up) against about 10 µs for SQLite itself; a transition runs three
(load, update, insert) plus the commit's fsync. Inside the same SQLAlchemy-managed
transaction, this module runs them on the driver's cursor with SQL generated from the table
definitions and one codec per column, writing exactly what SQLAlchemy would write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from shouhu.adapters.tables import CASES, DEADLINES, EVENTS, OUTBOX, UTCDateTime

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


def dumps(value: Any) -> str:
    """JSON as stored: UTF-8 text with non-ASCII kept readable for DBAs."""
    return json.dumps(value, ensure_ascii=False)


def _enc_dt(v: datetime | None) -> str | None:
    if v is None:
        return None
    if v.tzinfo is not UTC:
        v = v.astimezone(UTC)
    return v.isoformat(" ", "microseconds")[:26]  # naive UTC text, as SQLAlchemy writes it


def _dec_dt(v: str | None) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v).replace(tzinfo=UTC)


def _enc_date(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def _dec_date(v: str | None) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _enc_json(v: Any) -> str:
    return dumps(v)


def _dec_json(v: str | None) -> Any:
    return None if v is None else json.loads(v)


def _enc_bool(v: bool | None) -> int | None:
    return None if v is None else int(v)


def _dec_bool(v: int | None) -> bool | None:
    return None if v is None else bool(v)


def _same(v: Any) -> Any:
    return v


def _codec(column: sa.Column[Any]) -> tuple[Encoder, Decoder]:
    t = column.type
    if isinstance(t, UTCDateTime):
        return _enc_dt, _dec_dt
    if isinstance(t, sa.JSON):
        return _enc_json, _dec_json
    if isinstance(t, sa.Boolean):
        return _enc_bool, _dec_bool
    if isinstance(t, sa.Date):
        return _enc_date, _dec_date
    return _same, _same


class _Table:
    def __init__(self, table: sa.Table, *, skip: Iterable[str] = ()) -> None:
        skipped = set(skip)
        self.columns = [c for c in table.columns if c.name not in skipped]
        self.names = [c.name for c in self.columns]
        codecs = [_codec(c) for c in self.columns]
        self.enc = [e for e, _ in codecs]
        self.dec = [d for _, d in codecs]
        self.select = f"SELECT {', '.join(self.names)} FROM {table.name}"
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(self.names)}) "
            f"VALUES ({', '.join('?' for _ in self.names)})"
        )

    def encode(self, values: Mapping[str, Any], names: Sequence[str] | None = None) -> list[Any]:
        if names is None:
            return [e(values[n]) for e, n in zip(self.enc, self.names, strict=True)]
        index = {n: e for e, n in zip(self.enc, self.names, strict=True)}
        return [index[n](values[n]) for n in names]

    def decode(self, row: Sequence[Any]) -> dict[str, Any]:
        return {n: d(v) for n, d, v in zip(self.names, self.dec, row, strict=True)}


class SqliteFast:
    """Prepared SQL and codecs for the cases and events tables."""

    def __init__(self) -> None:
        self.cases = _Table(CASES)
        self.events = _Table(EVENTS, skip={"id"})
        self.deadlines_all = _Table(DEADLINES)
        self.deadlines = _Table(DEADLINES, skip={"id"})
        self.deadline_update_names = [n for n in self.deadlines.names if n != "case_id"]
        self.deadline_update_sql = (
            f"UPDATE deadlines SET {', '.join(f'{n} = ?' for n in self.deadline_update_names)} "
            "WHERE id = ? AND status = ?"
        )
        self.case_deadlines_sql = f"{self.deadlines_all.select} WHERE case_id = ? ORDER BY id"
        self.due_sql = (
            f"{self.deadlines_all.select} WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?"
        )
        self.load_sql = f"{self.cases.select} WHERE id = ?"
        self.events_all = _Table(EVENTS)
        self.outbox_all = _Table(OUTBOX)
        self.outbox = _Table(OUTBOX, skip={"id"})
        self.notices_due_sql = (
            f"{self.outbox_all.select} WHERE status = 'pending' AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?"
        )
        self.notice_update_names = [
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "delivered_at",
            "channel",
        ]
        self.notice_update_sql = (
            f"UPDATE outbox SET {', '.join(f'{n} = ?' for n in self.notice_update_names)} "
            "WHERE id = ?"
        )
        self.all_events_sql = f"{self.events_all.select} ORDER BY case_id, seq"
        self.update_names = [n for n in self.cases.names if n != "id"]
        self.update_sql = (
            f"UPDATE cases SET {', '.join(f'{n} = ?' for n in self.update_names)} "
            "WHERE id = ? AND version = ?"
        )

    def stream(self, cursor: Any, sql: str, params: Sequence[Any], table: _Table) -> Any:
        """Decoded rows of a query, fetched in chunks (memory stays flat)."""
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(1000)
            if not chunk:
                return
            for row in chunk:
                yield table.decode(row)

    def version(self, cursor: Any, case_id: str) -> int | None:
        row = cursor.execute("SELECT version FROM cases WHERE id = ?", (case_id,)).fetchone()
        return None if row is None else int(row[0])

    def load(self, cursor: Any, case_id: str) -> dict[str, Any] | None:
        row = cursor.execute(self.load_sql, (case_id,)).fetchone()
        return None if row is None else self.cases.decode(row)

    def insert_cases(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.cases.insert, [self.cases.encode(r) for r in rows])

    def update_case(self, cursor: Any, values: Mapping[str, Any], expected: int) -> int:
        params = self.cases.encode(values, self.update_names)
        params += [values["id"], expected]
        cursor.execute(self.update_sql, params)
        return int(cursor.rowcount)

    def insert_events(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.events.insert, [self.events.encode(r) for r in rows])

    def insert_notices(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.outbox.insert, [self.outbox.encode(r) for r in rows])

    def notices_due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.notices_due_sql, (_enc_dt(now), limit)).fetchall()
        return [self.outbox_all.decode(r) for r in rows]

    def update_notice(self, cursor: Any, values: Mapping[str, Any]) -> None:
        params = [*self.outbox_all.encode(values, self.notice_update_names), values["id"]]
        cursor.execute(self.notice_update_sql, params)

    def insert_deadlines(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.deadlines.insert, [self.deadlines.encode(r) for r in rows])

    def update_deadline(self, cursor: Any, values: Mapping[str, Any], expected: str) -> int:
        params = self.deadlines.encode(values, self.deadline_update_names)
        params += [values["id"], expected]
        cursor.execute(self.deadline_update_sql, params)
        return int(cursor.rowcount)

    def case_deadlines(self, cursor: Any, case_id: str) -> list[dict[str, Any]]:
        rows = cursor.execute(self.case_deadlines_sql, (case_id,)).fetchall()
        return [self.deadlines_all.decode(r) for r in rows]

    def due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.due_sql, (_enc_dt(now), limit)).fetchall()
        return [self.deadlines_all.decode(r) for r in rows]
