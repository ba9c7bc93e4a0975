"""The cases per type, state and place counted from an index (``ix_cases_counts``).

The desk's worklist shows how many cases of the operator's scope are in each state; the
count (``count_cases``, one ``GROUP BY`` over ``cases``) read every row of the table and
sorted them: 1.1 s on a SQLite file of 1,000,000 cases. With an index on exactly the grouped
columns it reads the index alone, in order: 0.08 s (issue 17's page figure: the first pages
after the service starts wait for the first count).

Revision ID: 0008_case_counts
Revises: 0007_web_logins
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_case_counts"
down_revision: str | None = "0007_web_logins"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ["type", "state", "county", "township", "village"]


def upgrade() -> None:
    names = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("cases")}
    if "ix_cases_counts" not in names:
        op.create_index("ix_cases_counts", "cases", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_cases_counts", table_name="cases")
