"""Cases and their event log, as the first version had them (events without ``effects``).

Revision ID: 0001_cases_events
Revises:
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_cases_events"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: The log is append-only in the database itself (SQLite; on PostgreSQL, by grants).
EVENTS_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("child_name", sa.String(50), nullable=False),
        sa.Column("child_birthdate", sa.Date(), nullable=False),
        sa.Column("child_id_number", sa.String(18), nullable=True),
        sa.Column("left_behind", sa.Boolean(), nullable=False),
        sa.Column("age_at_discovery", sa.Integer(), nullable=False),
        sa.Column("village", sa.String(50), nullable=False),
        sa.Column("township", sa.String(50), nullable=False),
        sa.Column("county", sa.String(50), nullable=True),
        sa.Column("reporter_kind", sa.String(40), nullable=False),
        sa.Column("reporter_name", sa.String(100), nullable=False),
        sa.Column("reporter_mandatory", sa.Boolean(), nullable=False),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("report_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_child_id_number", "cases", ["child_id_number"])
    op.create_index("ix_cases_township", "cases", ["township"])
    op.create_index("ix_cases_reported_at", "cases", ["reported_at"])
    op.create_index("ix_cases_type_state_id", "cases", ["type", "state", "id"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(40), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(80), nullable=True),
        sa.Column("trigger", sa.String(60), nullable=False),
        sa.Column("from_state", sa.String(40), nullable=True),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
    )
    if op.get_context().dialect.name == "sqlite":
        for ddl in EVENTS_APPEND_ONLY:
            op.execute(ddl)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS events_append_only_delete")
    op.drop_table("events")
    op.drop_index("ix_cases_type_state_id", table_name="cases")
    op.drop_index("ix_cases_reported_at", table_name="cases")
    op.drop_index("ix_cases_township", table_name="cases")
    op.drop_index("ix_cases_child_id_number", table_name="cases")
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_table("cases")
