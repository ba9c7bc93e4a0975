"""The journal: identity reads and notice deliveries in one append-only hash chain (and the
outbox and intake rows indexed by case, as verify reads them).

``audit verify`` rebuilds every table the engine fills from the log and compares it with what
is stored. The case rows, deadline rows, notices and (from now on) intake rows follow from the
events; who read an identity (``access_log``) and what became of a notice (the outbox's
delivery columns) are not events, so from this revision on each is also written as an entry of
the **journal**, chained like a case's events, and derived from it.

What was there before this revision is adopted, in one go, as the journal's first entries:
each ``access_log`` row (in id order), each notice's delivery state that is not a new notice's,
and each ``intake`` row (a report imported before this revision does not record its external
id in its report event). The journal proves nothing about those rows before they were adopted;
the adoption's time is each entry's ``recorded_at``.

Revision ID: 0005_journal
Revises: 0004_one_open_watch
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005_journal"
down_revision: str | None = "0004_one_open_watch"
branch_labels: str | None = None
depends_on: str | None = None

JOURNAL_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS journal_append_only_update BEFORE UPDATE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS journal_append_only_delete BEFORE DELETE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END",
)


def _utc(value: Any) -> datetime:
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def upgrade() -> None:
    from shouhu.adapters.tables import JOURNAL
    from shouhu.engine.columns import (
        access_body,
        chain_entry,
        intake_body,
        journal_columns,
        notice_body,
    )
    from shouhu.engine.model import Access, Intake, Notice

    bind = op.get_bind()
    if not sa.inspect(bind).has_table("journal"):
        op.create_table(
            "journal",
            sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("case_id", sa.String(32), nullable=True),
            sa.Column("body", sa.JSON(), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
        )
        op.create_index("ix_journal_case", "journal", ["case_id"])
    # verify reads the outbox and the intake rows case by case, as it reads the deadlines
    indexes = {
        table: {i["name"] for i in sa.inspect(bind).get_indexes(table)}
        for table in ("outbox", "intake")
    }
    if "ix_outbox_case" not in indexes["outbox"]:
        op.create_index("ix_outbox_case", "outbox", ["case_id"])
    if "ix_intake_case" not in indexes["intake"]:
        op.create_index("ix_intake_case", "intake", ["case_id"])
    if op.get_context().dialect.name == "sqlite":
        for ddl in JOURNAL_APPEND_ONLY:
            op.execute(ddl)
    if bind.execute(sa.text("SELECT COUNT(*) FROM journal")).scalar_one():
        return
    now = datetime.now(UTC)  # the adoption's own time: a migration runs outside the engine
    entries: list[dict[str, Any]] = []
    head: tuple[int, str] | None = None

    def add(kind: str, case_id: str, body: dict[str, Any]) -> None:
        nonlocal head
        e = chain_entry(head, kind, case_id, body, now)
        head = (e.seq, e.hash)
        entries.append(journal_columns(e))

    rows = bind.execute(
        sa.text("SELECT case_id, actor, role, reason, what, at FROM access_log ORDER BY id")
    )
    for case_id, actor, role, reason, what, at in rows:
        add("access", case_id, access_body(Access(case_id, actor, role, reason, what, _utc(at))))
    rows = bind.execute(
        sa.text(
            "SELECT key, case_id, seq, kind, status, attempts, next_attempt_at, last_error, "
            "delivered_at, channel FROM outbox ORDER BY id"
        )
    )
    for key, case_id, seq, kind, status, attempts, nxt, error, delivered, channel in rows:
        fresh = status == "pending" and not attempts and nxt is None and error is None
        if fresh and delivered is None and channel is None:
            continue
        n = Notice(
            None,
            key,
            case_id,
            seq,
            kind,
            "",
            {},
            status,
            now,
            attempts,
            None if nxt is None else _utc(nxt),
            error,
            None if delivered is None else _utc(delivered),
            channel,
        )
        add("notice", case_id, notice_body(n))
    rows = bind.execute(
        sa.text("SELECT source, external_id, case_id, imported_at FROM intake ORDER BY id")
    )
    for source, external_id, case_id, imported_at in rows:
        add("intake", case_id, intake_body(Intake(source, external_id, case_id, _utc(imported_at))))
    if entries:
        bind.execute(JOURNAL.insert(), entries)


def downgrade() -> None:
    op.drop_index("ix_intake_case", table_name="intake")
    op.drop_index("ix_outbox_case", table_name="outbox")
    op.drop_index("ix_journal_case", table_name="journal")
    op.drop_table("journal")
