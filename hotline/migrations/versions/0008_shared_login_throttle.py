"""login throttle counts in the database, so that every API worker and host counts the same failures

Each process used to keep its own counts: with N workers an attacker had N times the attempts.
`login_failure_run` holds an (address, user name) pair's run of failures (upserted atomically);
`login_failure` one row per failure for the per-address window. With `api.redis_url` set the counts
live in Redis and these tables only serve while Redis is down. Both hold nothing worth keeping:
downgrade drops them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure_run",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", "username", name=op.f("pk_login_failure_run")),
    )
    with op.batch_alter_table("login_failure_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failure_run_last_failure_at"), ["last_failure_at"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_address_at", ["address", "at"])
        batch_op.create_index(batch_op.f("ix_login_failure_at"), ["at"])


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("login_failure_run")
