"""Rows and records: the codecs between the engine's records and the tables' rows, the
conflicts a write raises, the journal's appends, and the cells ``verify`` compares."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouhu.adapters.sqlite_fast import _dec_dt_text, dumps
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
    case_columns,
    chain_entry,
    deadline_columns,
    journal_columns,
    notice_columns,
)
from shouhu.engine.model import (
    CaseRecord,
    Child,
    Deadline,
    DeadlineWrite,
    Event,
    Location,
    Notice,
    Reporter,
)
from shouhu.engine.ports import Commit
from shouhu.errors import Conflict

if TYPE_CHECKING:
    pass


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
    """Append an entry after the journal's head, inside the caller's write transaction (on
    SQLite that transaction holds the write lock; on PostgreSQL an advisory lock orders the
    appends, so no two take the same head)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_JOURNAL_LOCK})")
    row = conn.execute(_JOURNAL_HEAD).first()
    e = chain_entry(None if row is None else (int(row[0]), str(row[1])), kind, case_id, body, at)
    conn.execute(JOURNAL.insert(), journal_columns(e))


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
