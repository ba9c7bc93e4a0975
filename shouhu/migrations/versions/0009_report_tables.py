"""The auditor's report counted from the tables: each deadline row says whether its due time
was computed without Civil Code Art. 203's extension (``deadlines.not_extended``), and two
indexes hold what the report counts, so it reads them alone.

The flag was in the events only (a ``started`` effect's ``rest_days.unknown_year``, cleared by a
``rejudged`` one), so the auditor's report (``audit report``: ``not_extended_no_calendar``)
had to replay every case to count it. With the flag on the row, the report is counted in SQL
from the tables ``audit verify`` recomputes from the events (issue 18: a year of 1,000,000
cases in seconds, not minutes). Rows written before are flagged here from their events, in
the order they were recorded; ``verify`` compares the column like any other.

``ix_cases_window`` (the cases reported in a window, with the columns counted) replaces
``ix_cases_reported_at`` and ``ix_deadlines_case`` gains the columns counted after
``case_id``: each index still serves what the old one did (its first column), and no write
maintains one more index than before.

Revision ID: 0009_report_tables
Revises: 0008_case_counts
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009_report_tables"
down_revision: str | None = "0008_case_counts"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    from shouhu.adapters.tables import DEADLINE_TALLY_COLUMNS, WINDOW_COLUMNS

    bind = op.get_bind()
    inspector = sa.inspect(bind)
    columns = {c["name"] for c in inspector.get_columns("deadlines")}
    if "not_extended" not in columns:
        with op.batch_alter_table("deadlines", recreate="never") as batch:
            batch.add_column(
                sa.Column("not_extended", sa.Boolean(), nullable=False, server_default=sa.false())
            )
        _flag_from_events(bind)
    cases = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("cases")}
    if "ix_cases_window" not in cases:
        op.create_index("ix_cases_window", "cases", list(WINDOW_COLUMNS))
    if "ix_cases_reported_at" in cases:
        op.drop_index("ix_cases_reported_at", table_name="cases")
    deadlines = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("deadlines")}
    if deadlines.get("ix_deadlines_case") != list(DEADLINE_TALLY_COLUMNS):
        if "ix_deadlines_case" in deadlines:
            op.drop_index("ix_deadlines_case", table_name="deadlines")
        op.create_index("ix_deadlines_case", "deadlines", list(DEADLINE_TALLY_COLUMNS))


def _flag_from_events(bind: sa.engine.Connection) -> None:
    """Set the flag of the rows whose events flagged them, event by event: a ``started`` item
    with ``rest_days.unknown_year`` sets it, a ``rejudged`` one sets what it says (judged:
    cleared). Only the events that mention either are read."""
    from shouhu.adapters.tables import DEADLINES as rows
    from shouhu.adapters.tables import EVENTS as events
    from shouhu.engine.restdays import unknown_year
    from shouhu.engine.timeutil import parse_instant

    found = bind.execute(
        sa.select(events.c.case_id, events.c.effects)
        .where(
            sa.or_(
                sa.cast(events.c.effects, sa.Text).like('%"unknown_year"%'),
                sa.cast(events.c.effects, sa.Text).like('%"rejudged"%'),
            )
        )
        .order_by(events.c.case_id, events.c.seq)
    ).all()
    for case_id, effects in found:
        if isinstance(effects, str):
            effects = json.loads(effects)
        for item in (effects or {}).get("deadlines", []):
            action = item.get("action")
            if action not in {"started", "rejudged"}:
                continue
            due = item["due_at"] if action == "started" else item["to"]
            at: datetime = parse_instant(str(due), "UTC").astimezone(UTC)
            bind.execute(
                rows.update()
                .where(rows.c.case_id == case_id, rows.c.kind == item["kind"], rows.c.due_at == at)
                .values(not_extended=unknown_year(item) is not None)
            )


def downgrade() -> None:
    op.drop_index("ix_deadlines_case", table_name="deadlines")
    op.create_index("ix_deadlines_case", "deadlines", ["case_id"])
    op.create_index("ix_cases_reported_at", "cases", ["reported_at"])
    op.drop_index("ix_cases_window", table_name="cases")
    with op.batch_alter_table("deadlines", recreate="never") as batch:
        batch.drop_column("not_extended")
