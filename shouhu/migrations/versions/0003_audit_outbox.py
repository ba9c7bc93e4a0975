"""Who read a child's identity (``access_log``, append-only), the notices ``outbox``, and the
reports taken in from other systems (``intake``: one row per source and external id).

Revision ID: 0003_audit_outbox
Revises: 0002_deadlines
Create Date: 2026-03-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_audit_outbox"
down_revision: str | None = "0002_deadlines"
branch_labels: str | None = None
depends_on: str | None = None

ACCESS_LOG_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS access_log_append_only_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS access_log_append_only_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
)


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    # A database made by create_all in a build between 0002 and 0003 may hold part of this.
    if not _has_table("access_log"):
        op.create_table(
            "access_log",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("actor", sa.String(100), nullable=False),
            sa.Column("role", sa.String(40), nullable=False),
            sa.Column("reason", sa.String(500), nullable=False),
            sa.Column("what", sa.String(40), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_access_case", "access_log", ["case_id"])
    if op.get_context().dialect.name == "sqlite":
        for ddl in ACCESS_LOG_APPEND_ONLY:
            op.execute(ddl)

    if not _has_table("outbox"):
        op.create_table(
            "outbox",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("key", sa.String(120), nullable=False),
            sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(40), nullable=False),
            sa.Column("recipient", sa.String(200), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(12), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("last_error", sa.String(500), nullable=True),
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("channel", sa.String(40), nullable=True),
            sa.UniqueConstraint("key", name="uq_outbox_key"),
        )
        op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])

    if not _has_table("intake"):
        op.create_table(
            "intake",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("source", sa.String(60), nullable=False),
            sa.Column("external_id", sa.String(100), nullable=False),
            sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("source", "external_id", name="uq_intake_source_id"),
        )


def downgrade() -> None:
    op.drop_table("intake")
    op.drop_index("ix_outbox_status_next", table_name="outbox")
    op.drop_table("outbox")
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only_delete")
    op.drop_index("ix_access_case", table_name="access_log")
    op.drop_table("access_log")
