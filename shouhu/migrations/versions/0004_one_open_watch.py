"""One open watch per person (一人一档): partial unique indexes on ``cases``.

The engine refuses a second registration of a person already on the ledger (same id number,
or same name, birthdate and village, on an open watch of the same kind). These indexes make
that hold when two registrations race on PostgreSQL (on SQLite the write lock already orders
them), and serve the engine's lookup. Report cases are not covered: several open reports about
one child are normal.

Revision ID: 0004_one_open_watch
Revises: 0003_audit_outbox
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_one_open_watch"
down_revision: str | None = "0003_audit_outbox"
branch_labels: str | None = None
depends_on: str | None = None

# Frozen here (a migration never follows the code): the watch types of this revision.
OPEN_WATCH = "closed_at IS NULL AND type IN ('child_watch', 'woman_watch', 'elderly_watch')"
WITH_ID = OPEN_WATCH + " AND child_id_number IS NOT NULL"


def _has_index(name: str) -> bool:
    return name in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("cases")}


def upgrade() -> None:
    # A database made by create_all (before there were migrations, stamped at the revision
    # of its tables) may already have them.
    if _has_index("uq_open_watch_person"):
        return
    op.create_index(
        "uq_open_watch_person",
        "cases",
        ["type", "child_name", "child_birthdate", "village"],
        unique=True,
        sqlite_where=sa.text(OPEN_WATCH),
        postgresql_where=sa.text(OPEN_WATCH),
    )
    op.create_index(
        "uq_open_watch_id_number",
        "cases",
        ["type", "child_id_number"],
        unique=True,
        sqlite_where=sa.text(WITH_ID),
        postgresql_where=sa.text(WITH_ID),
    )


def downgrade() -> None:
    op.drop_index("uq_open_watch_id_number", table_name="cases")
    op.drop_index("uq_open_watch_person", table_name="cases")
