"""What both SQL stores' writes share besides the codecs (:mod:`~shouhu.adapters.sqlcodec`):
the conflicts a write raises, the journal's appends, and the cells ``verify`` compares."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouhu.adapters.sqlcodec import JOURNAL_CODEC, _dec_dt_text, _enc_dt
from shouhu.adapters.tables import (
    ACCESS_LOG,
    CASES,
    DEADLINES,
    INTAKE,
    JOURNAL,
    OUTBOX,
    UTCDateTime,
)
from shouhu.engine.columns import (
    chain_entry,
    journal_columns,
)
from shouhu.engine.model import (
    DeadlineWrite,
    RegistryEntry,
)
from shouhu.engine.ports import Commit
from shouhu.errors import Conflict
from shouhu.i18n import _


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
        _(
            "deadline {kind} of case {case_id} is no longer {expected_status}: someone "
            "else changed it first"
        ).format(kind=d.kind, case_id=d.case_id, expected_status=w.expected_status),
        case_id=d.case_id,
        expected=None,
        actual=None,
    )


_DERIVED = {
    "cases": CASES,
    "deadlines": DEADLINES,
    "outbox": OUTBOX,
    "intake": INTAKE,
    "access_log": ACCESS_LOG,
}


def _sqlite_cell_codecs(table: sa.Table, names: Sequence[str]) -> list[Any]:
    """Per column, what turns SQLite's stored value into its :func:`columns.cell` form (None:
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
    """Append an entry after the journal's head, inside the caller's write transaction
    (PostgreSQL: an advisory lock orders the appends, so no two take the same head)."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_JOURNAL_LOCK})")
    row = conn.execute(_JOURNAL_HEAD).first()
    e = chain_entry(None if row is None else (int(row[0]), str(row[1])), kind, case_id, body, at)
    conn.execute(JOURNAL.insert(), journal_columns(e))


def _sqlite_journal_append(
    cur: Any, kind: str, case_id: str | None, body: dict[str, Any], at: datetime
) -> None:
    """:func:`_journal_append` on a SQLite driver cursor inside ``BEGIN IMMEDIATE`` (which
    holds the write lock: no two take the same head)."""
    row = cur.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    e = chain_entry(None if row is None else (int(row[0]), str(row[1])), kind, case_id, body, at)
    cur.execute(JOURNAL_CODEC.insert, JOURNAL_CODEC.row(e))


_NOTICE_MUTABLE = ("status", "attempts", "next_attempt_at", "last_error", "delivered_at", "channel")


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
        _("a report in this batch was imported already (same source and external_id)"),
        case_id=first.case.id,
        expected=None,
        actual=None,
    )


def _sqlite_dt(value: datetime) -> str:
    return _enc_dt(value) or ""


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
    .with_for_update(skip_locked=True)
)


def registry_rows(conn: Connection, after: int) -> list[RegistryEntry]:
    """The operator registry's entries after ``seq`` ``after``, in order, on ``conn`` (a
    store's read, or a write transaction's)."""
    from shouhu.adapters.sqlcodec import REGISTRY_CODEC
    from shouhu.adapters.tables import OPERATOR_LOG

    q = sa.select(OPERATOR_LOG).where(OPERATOR_LOG.c.seq > after).order_by(OPERATOR_LOG.c.seq)
    return [REGISTRY_CODEC.record(r) for r in conn.execute(q).mappings()]
