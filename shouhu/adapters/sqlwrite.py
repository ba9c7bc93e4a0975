"""Writing commits, one writer per dialect: :func:`apply_core` with SQLAlchemy Core statements
(the PostgreSQL store), :func:`apply_sqlite` on a SQLite driver cursor (the SQLite store, a
file or memory). Both write the same rows, with the same codecs: a new
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

from shouhu.adapters.sqlcodec import CASE, DEADLINE, EVENT, INTAKE_CODEC, NOTICE
from shouhu.adapters.sqlite_fast import SqliteFast
from shouhu.adapters.sqlrows import (
    _conflict,
    _deadline_conflict,
    _external_conflict,
    _intake_values,
)
from shouhu.adapters.tables import (
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    OUTBOX,
)
from shouhu.engine.model import DeadlineWrite
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


_STATUS = sa.select(DEADLINES.c.status).where(DEADLINES.c.id == sa.bindparam("row_id"))


def _guarded_updates(conn: Connection, stmt: Any, rows: list[tuple[dict[str, Any], Any]]) -> bool:
    """Each row's values written where its row still holds the value read (``b_expected``):
    one statement for one row (a single fire), else one ``executemany``, which psycopg sends
    in pipeline mode (one round trip, not one a row). Whether every row was found: the row
    count of an ``executemany`` is the sum, and each update can match one row at most."""
    if not rows:
        return True
    params = []
    for values, expected in rows:
        values["b_id"] = values.pop("id")
        values["b_expected"] = expected
        params.append(values)
    done = conn.execute(stmt, params[0] if len(params) == 1 else params).rowcount
    return bool(done == len(params))


def _version(conn: Connection, c: Commit) -> int | None:
    found = conn.execute(_VERSION, {"case_id": c.case.id}).scalar_one_or_none()
    return None if found is None else int(found)


def _status(conn: Connection, w: DeadlineWrite) -> str | None:
    found = conn.execute(_STATUS, {"row_id": w.deadline.id}).scalar_one_or_none()
    return None if found is None else str(found)


def _version_conflict(conn: Connection, c: Commit) -> Conflict:
    return _conflict(conn.execute(_VERSION, {"case_id": c.case.id}).scalar_one_or_none(), c)


def apply_core(conn: Connection, commits: Sequence[Commit]) -> None:
    new = [c for c in commits if c.expected_version is None]
    if new:
        try:
            conn.execute(_INSERT_CASE, [CASE.values(c.case) for c in new])
        except IntegrityError:  # PostgreSQL aborts the transaction: no lookup after this
            raise _conflict(None, new[0]) from None
    updated = [c for c in commits if c.expected_version is not None]
    cases = [(CASE.values(c.case), c.expected_version) for c in updated]
    if not _guarded_updates(conn, _UPDATE_CASE, cases):
        # the rows this statement updated are at their new version within the transaction
        lost = next((c for c in updated if _version(conn, c) != c.case.version), updated[0])
        raise _version_conflict(conn, lost)
    events = [EVENT.values(e) for c in commits for e in c.events]
    if events:
        try:
            conn.execute(_INSERT_EVENT, events)
        except IntegrityError:
            raise _conflict(None, commits[0]) from None
    writes = [w for c in commits for w in c.deadlines]
    inserts = [DEADLINE.values(w.deadline) for w in writes if w.deadline.id is None]
    if inserts:
        conn.execute(_INSERT_DEADLINE, [{k: v for k, v in d.items() if k != "id"} for d in inserts])
    intake = _intake_values(commits)
    if intake:
        try:
            conn.execute(INTAKE.insert(), intake)
        except IntegrityError:
            raise _external_conflict(commits) from None
    notices = [NOTICE.values(n) for c in commits for n in c.notices]
    if notices:
        conn.execute(OUTBOX.insert(), [{k: v for k, v in n.items() if k != "id"} for n in notices])
    moved = [w for w in writes if w.deadline.id is not None]
    rows = [(DEADLINE.values(w.deadline), w.expected_status) for w in moved]
    if not _guarded_updates(conn, _UPDATE_DEADLINE, rows):
        raise _deadline_conflict(
            next((w for w in moved if _status(conn, w) != w.deadline.status), moved[0])
        )


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
    notices = [NOTICE.values(n) for c in commits for n in c.notices]
    if notices:
        fast.insert_notices(cur, notices)
    intake = _intake_values(commits)
    if intake:
        try:
            cur.executemany(INTAKE_CODEC.insert, [INTAKE_CODEC.encode(i) for i in intake])
        except sqlite3.IntegrityError:
            raise _external_conflict(commits) from None
    for w in writes:
        if w.deadline.id is None or w.expected_status is None:
            continue
        if fast.update_deadline(cur, DEADLINE.values(w.deadline), w.expected_status) != 1:
            raise _deadline_conflict(w)
