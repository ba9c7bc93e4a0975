"""Operators: the registry of who may act (``operator_log``), each event's signer and
signature, and the transparency log's leaves (``tlog``).

``operator_log`` is append-only and hash-chained like the journal; each entry is signed by the
admin who made it (:mod:`shouhu.engine.operators`). ``events`` gains ``operator_id`` and
``signature`` (NULL for every event recorded before: ``verify`` reports those as "unsigned,
before operators existed"). ``tlog`` is the order in which ``audit anchor`` took events into
the Merkle tree (RFC 9162): a position, the event, and the leaf it contributed.

Revision ID: 0006_operators
Revises: 0005_journal
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_operators"
down_revision: str | None = "0005_journal"
branch_labels: str | None = None
depends_on: str | None = None

_CHAINED_TABLES = (("operator_log", "the operator registry"), ("tlog", "the transparency log"))
APPEND_ONLY = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{what} BEFORE {what.upper()} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{label} is append-only'); END"
    for table, label in _CHAINED_TABLES
    for what in ("update", "delete")
)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("operator_log"):
        op.create_table(
            "operator_log",
            sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("operator_id", sa.String(32), nullable=False),
            sa.Column("body", sa.JSON(), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("signer", sa.String(32), nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("signature", sa.String(100), nullable=False),
        )
    if not inspector.has_table("tlog"):
        op.create_table(
            "tlog",
            sa.Column("leaf_index", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("case_id", sa.String(32), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("leaf", sa.String(64), nullable=False),
            sa.UniqueConstraint("case_id", "seq", name="uq_tlog_event"),
        )
    columns = {c["name"] for c in inspector.get_columns("events")}
    with op.batch_alter_table("events", recreate="never") as batch:
        if "operator_id" not in columns:
            batch.add_column(sa.Column("operator_id", sa.String(32), nullable=True))
        if "signature" not in columns:
            batch.add_column(sa.Column("signature", sa.String(100), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        for ddl in APPEND_ONLY:
            op.execute(ddl)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("signature")
        batch.drop_column("operator_id")
    op.drop_table("tlog")
    op.drop_table("operator_log")
