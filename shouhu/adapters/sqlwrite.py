"""Writing commits: :func:`apply_core` with SQLAlchemy Core statements (PostgreSQL, and SQLite
in memory), :func:`apply_sqlite` on a SQLite driver cursor. Both write the same rows: a new
case's row or a version-guarded update, the events, the deadline rows (inserted, or updated
from the status the engine read), the intake rows and the notices; a lost race writes nothing
and raises :class:`~shouhu.errors.Conflict`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shouhu.adapters.sqlite_fast import SqliteFast
from shouhu.adapters.sqlrows import (
    _case_values,
    _conflict,
    _deadline_conflict,
    _deadline_values,
    _event_values,
    _external_conflict,
    _intake_values,
    _notice_values,
    _sqlite_dt,
)
from shouhu.adapters.tables import (
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    OUTBOX,
)
from shouhu.engine.ports import Commit
from shouhu.errors import Conflict

_INSERT_CASE = CASES.insert()
_INSERT_EVENT = EVENTS.insert()
_UPDATE_CASE = CASES.update().where(
    CASES.c.id == sa.bindparam("b_id"), CASES.c.version == sa.bindparam("b_expected")
)
_INSERT_DEADLINE = DEADLINES.insert()
_UPDATE_DEADLINE = DEADLINES.update().where(
    DEADLINES.c.id == sa.bindparam("b_id"), DEADLINES.c.status == sa.bindparam("b_expected")
)
_VERSION = sa.select(CASES.c.version).where(CASES.c.id == sa.bindparam("case_id"))


def _version_conflict(conn: Connection, c: Commit) -> Conflict:
    return _conflict(conn.execute(_VERSION, {"case_id": c.case.id}).scalar_one_or_none(), c)


def apply_core(conn: Connection, commits: Sequence[Commit]) -> None:
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
            raise _version_conflict(conn, c)
    events = [_event_values(e) for c in commits for e in c.events]
    if events:
        try:
            conn.execute(_INSERT_EVENT, events)
        except IntegrityError:
            raise _conflict(None, commits[0]) from None
    writes = [w for c in commits for w in c.deadlines]
    inserts = [_deadline_values(w.deadline) for w in writes if w.deadline.id is None]
    if inserts:
        conn.execute(_INSERT_DEADLINE, [{k: v for k, v in d.items() if k != "id"} for d in inserts])
    intake = _intake_values(commits)
    if intake:
        try:
            conn.execute(INTAKE.insert(), intake)
        except IntegrityError:
            raise _external_conflict(commits) from None
    notices = [_notice_values(n) for c in commits for n in c.notices]
    if notices:
        conn.execute(OUTBOX.insert(), [{k: v for k, v in n.items() if k != "id"} for n in notices])
    for w in writes:
        if w.deadline.id is None:
            continue
        values = _deadline_values(w.deadline)
        values["b_id"] = values.pop("id")
        values["b_expected"] = w.expected_status
        if conn.execute(_UPDATE_DEADLINE, values).rowcount != 1:
            raise _deadline_conflict(w)


def apply_sqlite(cur: Any, fast: SqliteFast, commits: Sequence[Commit]) -> None:
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
