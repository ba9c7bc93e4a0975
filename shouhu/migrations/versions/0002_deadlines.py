"""Durable deadlines, and what each event did to them: ``events.effects``.

Events recorded before this revision get ``effects = {}`` (they started no deadline). The
column then loses its server default: the engine always writes it, as the model says. On
SQLite the events table is rebuilt (batch mode) to drop the default and put ``effects`` after
``data``, where the model has it; the rebuild drops the table's triggers, so they are made
again.

Revision ID: 0002_deadlines
Revises: 0001_cases_events
Create Date: 2026-03-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_deadlines"
down_revision: str | None = "0001_cases_events"
branch_labels: str | None = None
depends_on: str | None = None

EVENTS_COLUMNS = (
    "id",
    "case_id",
    "seq",
    "workflow",
    "workflow_version",
    "policy_version",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "role",
    "occurred_at",
    "recorded_at",
    "data",
    "effects",
    "prev_hash",
    "hash",
)

EVENTS_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
)


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _has_column(table: str, column: str) -> bool:
    return any(c["name"] == column for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    # A database made by create_all in a build between 0001 and 0002 may hold part of this.
    if not _has_table("deadlines"):
        op.create_table(
            "deadlines",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("kind", sa.String(40), nullable=False),
            sa.Column("status", sa.String(12), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("started_seq", sa.Integer(), nullable=False),
            sa.Column("policy_version", sa.String(80), nullable=False),
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("closed_seq", sa.Integer(), nullable=True),
            sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        )
        op.create_index("ix_deadlines_status_due", "deadlines", ["status", "due_at"])
        op.create_index("ix_deadlines_case", "deadlines", ["case_id"])

    if not _has_column("events", "effects"):
        _add_effects()


def _add_effects() -> None:
    op.add_column("events", sa.Column("effects", sa.JSON(), nullable=False, server_default="{}"))
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table(
            "events", recreate="always", partial_reordering=[EVENTS_COLUMNS]
        ) as batch:
            batch.alter_column("effects", existing_type=sa.JSON(), server_default=None)
        for ddl in EVENTS_APPEND_ONLY:
            op.execute(ddl)
    else:
        op.alter_column("events", "effects", existing_type=sa.JSON(), server_default=None)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("events", recreate="always") as batch:
            batch.drop_column("effects")
        for ddl in EVENTS_APPEND_ONLY:
            op.execute(ddl)
    else:
        op.drop_column("events", "effects")
    op.drop_index("ix_deadlines_case", table_name="deadlines")
    op.drop_index("ix_deadlines_status_due", table_name="deadlines")
    op.drop_table("deadlines")
