"""The tables DBAs and auditors read: ``cases`` (the projection) and ``events`` (the log).

SQLModel table models give the schema; the store writes with SQLAlchemy Core statements over
these tables (the ORM unit of work is not the hot path). Instants are stored in UTC.

Every command that opens a store imports this module, so its cost is kept down: the fields'
annotations are objects, not strings for SQLModel and SQLAlchemy to compile and evaluate (no
``from __future__ import annotations``), and the row models are never validated (only their
tables are used), so pydantic builds no validator for them (``defer_build``).
"""

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import JSON, Column, Field, SQLModel

from shouhu.workflows.vocab import WATCH_TYPES


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps it as naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


#: Row models are schema only: pydantic builds their validators if one is ever validated.
_ROW_CONFIG = SQLModel.model_config.copy()
_ROW_CONFIG["defer_build"] = True


#: An open watch (a person on the ledger), as the partial unique indexes and the engine's
#: duplicate lookup say it, word for word (a partial index serves a query that repeats its
#: condition): one open watch per person and kind (一人一档; migration 0004).
OPEN_WATCH = "closed_at IS NULL AND type IN (" + ", ".join(f"'{t}'" for t in WATCH_TYPES) + ")"
OPEN_WATCH_WITH_ID = OPEN_WATCH + " AND child_id_number IS NOT NULL"


#: The columns of the indexes the auditor's report counts from (migration 0009).
WINDOW_COLUMNS = (
    "reported_at", "type", "state", "reporter_kind", "reporter_mandatory", "late", "id",
)  # fmt: skip
DEADLINE_TALLY_COLUMNS = ("case_id", "kind", "status", "not_extended", "met_at", "due_at")


class CaseRow(SQLModel, table=True):
    """One row per case: the state after its last event (a projection, never the truth)."""

    model_config = _ROW_CONFIG

    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_type_state_id", "type", "state", "id"),
        # the desk's counts per state and place read this index alone (migration 0008)
        sa.Index("ix_cases_counts", "type", "state", "county", "township", "village"),
        # the auditor's report reads the cases reported in a window from this index alone
        # (migration 0009; it replaced the one on reported_at, its first column)
        sa.Index("ix_cases_window", *WINDOW_COLUMNS),
        sa.Index(
            "uq_open_watch_person",
            "type",
            "child_name",
            "child_birthdate",
            "village",
            unique=True,
            sqlite_where=sa.text(OPEN_WATCH),  # PostgreSQL's: postgresql_conditions()
        ),
        sa.Index(
            "uq_open_watch_id_number",
            "type",
            "child_id_number",
            unique=True,
            sqlite_where=sa.text(OPEN_WATCH_WITH_ID),
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    type: str = Field(max_length=40)
    workflow_version: int
    state: str = Field(max_length=40, index=True)
    version: int
    head_hash: str = Field(max_length=64)
    outcome: str | None = Field(default=None, max_length=40)
    child_name: str = Field(max_length=50)
    child_birthdate: date
    child_id_number: str | None = Field(default=None, max_length=18, index=True)
    left_behind: bool
    age_at_discovery: int
    village: str = Field(max_length=50)
    township: str = Field(max_length=50, index=True)
    county: str | None = Field(default=None, max_length=50)
    reporter_kind: str = Field(max_length=40)
    reporter_name: str = Field(max_length=100)
    reporter_mandatory: bool
    discovered_at: datetime = _utc()
    reported_at: datetime = _utc()
    last_occurred_at: datetime = _utc()
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    closed_at: datetime | None = _utc(nullable=True)
    late: bool = False
    report_delay_seconds: int = 0
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EventRow(SQLModel, table=True):
    """The append-only log: one row per event, hash-chained per case."""

    model_config = _ROW_CONFIG

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, foreign_key="cases.id")
    seq: int
    workflow: str = Field(max_length=40)
    workflow_version: int
    policy_version: str | None = Field(default=None, max_length=80)
    trigger: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str = Field(max_length=40)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=40)
    occurred_at: datetime = _utc()
    recorded_at: datetime = _utc()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    effects: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    operator_id: str | None = Field(default=None, max_length=32)
    signature: str | None = Field(default=None, max_length=100)


class DeadlineRow(SQLModel, table=True):
    """Durable deadlines: the scheduler's truth. The sweep finds due rows by (status, due_at)."""

    model_config = _ROW_CONFIG

    __tablename__ = "deadlines"
    __table_args__ = (
        sa.Index("ix_deadlines_status_due", "status", "due_at"),
        # a case's rows, and what the auditor's report counts of them, from the index alone
        # (migration 0009; it replaced the one on case_id alone)
        sa.Index("ix_deadlines_case", *DEADLINE_TALLY_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, foreign_key="cases.id")
    kind: str = Field(max_length=40)
    status: str = Field(max_length=12)
    due_at: datetime = _utc()
    started_at: datetime = _utc()
    started_seq: int
    policy_version: str = Field(max_length=80)
    closed_at: datetime | None = _utc(nullable=True)
    closed_seq: int | None = None
    met_at: datetime | None = _utc(nullable=True)
    #: Due without Art. 203's extension for want of the year's rest days (migration 0009).
    not_extended: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )


class AccessRow(SQLModel, table=True):
    """Who read a case's identity, when and why (append-only)."""

    model_config = _ROW_CONFIG

    __tablename__ = "access_log"
    __table_args__ = (sa.Index("ix_access_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, foreign_key="cases.id")
    actor: str = Field(max_length=100)
    role: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    what: str = Field(max_length=40)
    at: datetime = _utc()


class NoticeRow(SQLModel, table=True):
    """The outbox: notices written with their events, delivered at least once."""

    model_config = _ROW_CONFIG

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),
        sa.Index("ix_outbox_case", "case_id"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    case_id: str = Field(max_length=32, foreign_key="cases.id")
    seq: int
    kind: str = Field(max_length=40)
    recipient: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=12)
    created_at: datetime = _utc()
    attempts: int = 0
    next_attempt_at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = _utc(nullable=True)
    channel: str | None = Field(default=None, max_length=40)


class IntakeRow(SQLModel, table=True):
    """Reports that came in from another system: one row per (source, external id)."""

    model_config = _ROW_CONFIG

    __tablename__ = "intake"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_intake_source_id"),
        sa.Index("ix_intake_case", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=60)
    external_id: str = Field(max_length=100)
    case_id: str = Field(max_length=32, foreign_key="cases.id")
    imported_at: datetime = _utc()


class JournalRow(SQLModel, table=True):
    """The journal: what is not a case's event (identity reads, notice deliveries), append-only
    and hash-chained in one chain (``seq`` 1, 2, …); ``access_log`` and the outbox's delivery
    columns are derived from it (:mod:`shouhu.engine.derive`)."""

    model_config = _ROW_CONFIG

    __tablename__ = "journal"
    __table_args__ = (sa.Index("ix_journal_case", "case_id"),)

    seq: int = Field(sa_column=Column(sa.Integer(), primary_key=True, autoincrement=False))
    kind: str = Field(max_length=20)
    case_id: str | None = Field(default=None, max_length=32)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = _utc()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class OperatorLogRow(SQLModel, table=True):
    """The operator registry: who may act, in which role and scope, with which key;
    append-only and hash-chained (``seq`` 1, 2, …), each change signed
    (:mod:`shouhu.engine.operators`)."""

    model_config = _ROW_CONFIG

    __tablename__ = "operator_log"

    seq: int = Field(sa_column=Column(sa.Integer(), primary_key=True, autoincrement=False))
    kind: str = Field(max_length=20)
    operator_id: str = Field(max_length=32)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = _utc()
    signer: str = Field(max_length=32)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    signature: str = Field(max_length=100)


class TreeLeafRow(SQLModel, table=True):
    """The transparency log's leaves: the order in which ``audit anchor`` took events into
    the Merkle tree (RFC 9162), with the leaf each contributed."""

    model_config = _ROW_CONFIG

    __tablename__ = "tlog"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_tlog_event"),)

    leaf_index: int = Field(sa_column=Column(sa.Integer(), primary_key=True, autoincrement=False))
    case_id: str = Field(max_length=32)
    seq: int
    leaf: str = Field(max_length=64)


class WebLoginRow(SQLModel, table=True):
    """An operator's signing key wrapped under their password, for ``shouhu serve``
    (Argon2id + AES-256-GCM: :mod:`shouhu.adapters.weblogins`; migration 0007)."""

    model_config = _ROW_CONFIG

    __tablename__ = "web_logins"

    operator_id: str = Field(max_length=32, primary_key=True)
    public_key: str = Field(max_length=64)
    kdf: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    nonce: str = Field(max_length=32)
    wrapped: str = Field(sa_column=Column(sa.Text(), nullable=False))
    set_at: datetime = _utc()


class LoginAttemptRow(SQLModel, table=True):
    """Every login to ``shouhu serve``: who tried, when, from where, and how it ended."""

    model_config = _ROW_CONFIG

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_login_at", "login", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc()
    login: str = Field(max_length=100)
    operator_id: str | None = Field(default=None, max_length=32)
    remote: str = Field(max_length=64)
    outcome: str = Field(max_length=20)


CASES: sa.Table = CaseRow.__table__  # type: ignore[attr-defined]
EVENTS: sa.Table = EventRow.__table__  # type: ignore[attr-defined]
DEADLINES: sa.Table = DeadlineRow.__table__  # type: ignore[attr-defined]
ACCESS_LOG: sa.Table = AccessRow.__table__  # type: ignore[attr-defined]
OUTBOX: sa.Table = NoticeRow.__table__  # type: ignore[attr-defined]
INTAKE: sa.Table = IntakeRow.__table__  # type: ignore[attr-defined]
JOURNAL: sa.Table = JournalRow.__table__  # type: ignore[attr-defined]
OPERATOR_LOG: sa.Table = OperatorLogRow.__table__  # type: ignore[attr-defined]
TLOG: sa.Table = TreeLeafRow.__table__  # type: ignore[attr-defined]
WEB_LOGINS: sa.Table = WebLoginRow.__table__  # type: ignore[attr-defined]
LOGIN_ATTEMPTS: sa.Table = LoginAttemptRow.__table__  # type: ignore[attr-defined]
METADATA = SQLModel.metadata

#: The ledger's partial unique indexes and their condition (:func:`postgresql_conditions`).
_PARTIAL = {"uq_open_watch_person": OPEN_WATCH, "uq_open_watch_id_number": OPEN_WATCH_WITH_ID}


def postgresql_conditions() -> sa.MetaData:
    """:data:`METADATA` with the PostgreSQL ``WHERE`` of the ledger's two partial unique
    indexes (SQLite's is declared on the model).

    Not on the model: naming a dialect's option makes SQLAlchemy import that dialect to check
    the name (about 25 ms), which every command on a SQLite file would pay for nothing. The
    PostgreSQL store adds it when it opens; migration 0004 builds the indexes with both."""
    for index in CaseRow.__table__.indexes:  # type: ignore[attr-defined]
        where = _PARTIAL.get(str(index.name))
        if where is not None and index.dialect_options["postgresql"]["where"] is None:
            index.dialect_options["postgresql"]["where"] = sa.text(where)
    return METADATA


#: The operator registry and the transparency log's leaves: append-only too (migration 0006).
_CHAINED_TABLES = (("operator_log", "the operator registry"), ("tlog", "the transparency log"))

#: Triggers that make the log append-only at the database level (SQLite).
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS access_log_append_only_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS access_log_append_only_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS journal_append_only_update BEFORE UPDATE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS journal_append_only_delete BEFORE DELETE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{what} BEFORE {what.upper()} "
        f"ON {table} BEGIN SELECT RAISE(ABORT, '{label} is append-only'); END"
        for table, label in _CHAINED_TABLES
        for what in ("update", "delete")
    ),
)
