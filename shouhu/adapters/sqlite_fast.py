"""The SQLite store's statements on the DBAPI cursor.

SQLAlchemy Core costs about 130 µs per statement in Python (execution context, parameter
processing, result set-up) against about 10 µs for SQLite itself; a transition runs three
(load, update, insert) plus the commit's fsync. The SQLite store runs every data statement on
the driver's cursor instead, with SQL generated from the table definitions and the tables'
codecs (:mod:`~shouhu.adapters.sqlcodec`), writing exactly what SQLAlchemy would write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from shouhu.adapters.sqlcodec import (
    CASE,
    DEADLINE,
    EVENT,
    NOTICE,
    REGISTRY_CODEC,
    Codec,
    _dec_dt_text,
    _dec_object,
    _enc_dt,
    case_row,
    deadline_of,
    deadline_row,
    event_row,
    record_of,
)
from shouhu.adapters.sqlrows import _NOTICE_MUTABLE
from shouhu.engine.model import CaseHead, CaseRecord, Deadline, Event, Link, RegistryEntry

# What ``verify`` reads: the events' columns in Link order, the case rows' in CaseHead order.
LINK_COLUMNS = (
    "case_id", "seq", "workflow", "workflow_version", "policy_version", "trigger", "from_state",
    "to_state", "actor", "role", "occurred_at", "recorded_at", "data", "effects", "prev_hash",
    "hash", "operator_id", "signature",
)  # fmt: skip
HEAD_COLUMNS = ("id", "version", "head_hash", "state", "outcome", "facts")
AUDIT_CHUNK = 5000  # rows per fetch while verifying a whole database
IN_CHUNK = 500  # ids per ``IN (…)`` list (SQLite allows 32,766 parameters; 500 stays well inside)


def _set(names: Sequence[str]) -> str:
    return ", ".join(f"{n} = ?" for n in names)


class SqliteFast:
    """The SQLite statements of the hot path, made once from the tables' codecs."""

    def __init__(self) -> None:
        self.cases = CASE
        self.events_all = EVENT
        self.deadlines_all = DEADLINE
        self.outbox_all = NOTICE
        self.deadline_update_names = [n for n in DEADLINE.insert_names if n != "case_id"]
        self.deadline_update_sql = (
            f"UPDATE deadlines SET {_set(self.deadline_update_names)} WHERE id = ? AND status = ?"
        )
        self.case_deadlines_sql = f"{DEADLINE.select} WHERE case_id = ? ORDER BY id"
        self.due_sql = (
            f"{DEADLINE.select} WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?"
        )
        self.load_sql = f"{CASE.select} WHERE id = ?"
        self.notices_due_sql = (
            f"{NOTICE.select} WHERE status = 'pending' AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?"
        )
        self.notice_update_names = list(_NOTICE_MUTABLE)
        self.notice_update_sql = f"UPDATE outbox SET {_set(self.notice_update_names)} WHERE id = ?"
        self.all_events_sql = f"{EVENT.select} ORDER BY case_id, seq"
        self.links_sql = f"SELECT {', '.join(LINK_COLUMNS)} FROM events ORDER BY case_id, seq"
        self.heads_sql = f"SELECT {', '.join(HEAD_COLUMNS)} FROM cases ORDER BY id"
        self.registry_sql = f"{REGISTRY_CODEC.select} WHERE seq > ? ORDER BY seq"
        # id first in the row: the SET list is the rest, then WHERE id, version
        self.update_sql = f"UPDATE cases SET {_set(CASE.names[1:])} WHERE id = ? AND version = ?"

    def stream(self, cursor: Any, sql: str, params: Sequence[Any], table: Codec[Any]) -> Any:
        """Decoded rows of a query, fetched in chunks (memory stays flat)."""
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(1000)
            if not chunk:
                return
            for row in chunk:
                yield table.decode(row)

    def links(self, cursor: Any) -> Iterator[Link]:
        """Every event as ``verify`` reads it, by case id then ``seq``: the columns in
        :class:`Link` order, the instants straight to their hashed text, JSON decoded."""
        cursor.execute(self.links_sql)
        text, obj = _dec_dt_text, _dec_object
        while True:
            chunk = cursor.fetchmany(AUDIT_CHUNK)
            if not chunk:
                return
            for c, s, w, wv, pv, t, f, to, a, r, o, rec, d, eff, prev, h, op, sig in chunk:
                yield Link(
                    c, s, w, wv, pv, t, f, to, a, r, text(o), text(rec), obj(d), obj(eff), prev, h,
                    op, sig,
                )  # fmt: skip

    def registry(self, cursor: Any, after: int) -> list[RegistryEntry]:
        """The operator registry's entries after ``seq`` ``after`` (every act reads its tail,
        usually nothing new, before it is judged); none on a schema from before operators
        that was opened without migrating."""
        try:
            rows = cursor.execute(self.registry_sql, (after,)).fetchall()
        except sqlite3.OperationalError as exc:
            if "operator_log" not in str(exc):
                raise
            return []
        return [REGISTRY_CODEC.of(row) for row in rows]

    def heads(self, cursor: Any) -> Iterator[CaseHead]:
        """Every case row's head and projection, in id order."""
        cursor.execute(self.heads_sql)
        while True:
            chunk = cursor.fetchmany(AUDIT_CHUNK)
            if not chunk:
                return
            for case_id, version, head, state, outcome, facts in chunk:
                yield CaseHead(case_id, version, head, state, outcome, _dec_object(facts))

    def version(self, cursor: Any, case_id: str) -> int | None:
        row = cursor.execute("SELECT version FROM cases WHERE id = ?", (case_id,)).fetchone()
        return None if row is None else int(row[0])

    def load(self, cursor: Any, case_id: str) -> dict[str, Any] | None:
        row = cursor.execute(self.load_sql, (case_id,)).fetchone()
        return None if row is None else CASE.decode(row)

    def load_record(self, cursor: Any, case_id: str) -> CaseRecord | None:
        """``_record(load(...))``, built straight from the row."""
        row = cursor.execute(self.load_sql, (case_id,)).fetchone()
        return None if row is None else record_of(row)

    def load_records(self, cursor: Any, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        """:meth:`load_record` of each of ``case_ids`` on file, by id: one statement per
        :data:`IN_CHUNK` ids."""
        found: dict[str, CaseRecord] = {}
        ids = list(dict.fromkeys(case_ids))
        for at in range(0, len(ids), IN_CHUNK):
            part = ids[at : at + IN_CHUNK]
            sql = f"{CASE.select} WHERE id IN ({', '.join('?' * len(part))})"
            for row in cursor.execute(sql, part):
                record = record_of(row)
                found[record.id] = record
        return found

    def insert_cases(self, cursor: Any, records: Iterable[CaseRecord]) -> None:
        cursor.executemany(CASE.insert, map(case_row, records))

    def update_case(self, cursor: Any, record: CaseRecord, expected: int) -> int:
        row = case_row(record)  # id first: the SET list is the rest, then WHERE id, version
        cursor.execute(self.update_sql, (*row[1:], row[0], expected))
        return int(cursor.rowcount)

    def insert_events(self, cursor: Any, events: Iterable[Event]) -> None:
        cursor.executemany(EVENT.insert, map(event_row, events))

    def insert_notices(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(NOTICE.insert, [NOTICE.encode(r) for r in rows])

    def notices_due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.notices_due_sql, (_enc_dt(now), limit)).fetchall()
        return [NOTICE.decode(r) for r in rows]

    def update_notice(self, cursor: Any, values: Mapping[str, Any]) -> None:
        params = [*NOTICE.encode(values, self.notice_update_names), values["id"]]
        cursor.execute(self.notice_update_sql, params)

    def insert_deadlines(self, cursor: Any, deadlines: Iterable[Deadline]) -> None:
        cursor.executemany(DEADLINE.insert, map(deadline_row, deadlines))

    def update_deadline(self, cursor: Any, values: Mapping[str, Any], expected: str) -> int:
        params = DEADLINE.encode(values, self.deadline_update_names)
        params += [values["id"], expected]
        cursor.execute(self.deadline_update_sql, params)
        return int(cursor.rowcount)

    def case_deadlines(self, cursor: Any, case_id: str) -> list[dict[str, Any]]:
        rows = cursor.execute(self.case_deadlines_sql, (case_id,)).fetchall()
        return [DEADLINE.decode(r) for r in rows]

    def case_deadline_records(self, cursor: Any, case_id: str) -> list[Deadline]:
        """``[_deadline(d) for d in case_deadlines(...)]``, built straight from the rows."""
        rows = cursor.execute(self.case_deadlines_sql, (case_id,)).fetchall()
        return [deadline_of(r) for r in rows]

    def due_records(self, cursor: Any, now: datetime, limit: int) -> list[Deadline]:
        """``[_deadline(d) for d in due(...)]``, built straight from the rows."""
        rows = cursor.execute(self.due_sql, (_enc_dt(now), limit)).fetchall()
        return [deadline_of(r) for r in rows]

    def due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.due_sql, (_enc_dt(now), limit)).fetchall()
        return [DEADLINE.decode(r) for r in rows]
