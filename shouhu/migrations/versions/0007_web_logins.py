"""Web logins: an operator's signing key wrapped under their password (``web_logins``), and
every login attempt (``login_attempts``) — for ``shouhu serve`` (issue 17).

``web_logins`` holds, per operator, the Ed25519 key they sign with, encrypted (AES-256-GCM)
under a key derived from their password by Argon2id (RFC 9106) with the parameters and salt
stored beside it: a copy of the database alone cannot sign as anyone
(:mod:`shouhu.adapters.weblogins`, docs/security.md). ``login_attempts`` records who tried to
log in, when, from where and how it ended; failures there rate-limit further tries.

Revision ID: 0007_web_logins
Revises: 0006_operators
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_web_logins"
down_revision: str | None = "0006_operators"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("web_logins"):
        op.create_table(
            "web_logins",
            sa.Column("operator_id", sa.String(32), primary_key=True),
            sa.Column("public_key", sa.String(64), nullable=False),
            sa.Column("kdf", sa.JSON(), nullable=False),
            sa.Column("nonce", sa.String(32), nullable=False),
            sa.Column("wrapped", sa.Text(), nullable=False),
            sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        )
    if not inspector.has_table("login_attempts"):
        op.create_table(
            "login_attempts",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("login", sa.String(100), nullable=False),
            sa.Column("operator_id", sa.String(32), nullable=True),
            sa.Column("remote", sa.String(64), nullable=False),
            sa.Column("outcome", sa.String(20), nullable=False),
        )
        op.create_index("ix_login_attempts_login_at", "login_attempts", ["login", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_login_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("web_logins")
