"""listener health beyond `connected`, and calls recovered from Asterisk's own records

pbx: `heartbeat_at` (written by the listener even when idle, so the API can tell a dead listener
from a quiet PBX) and counters of what went wrong apart from parse errors: state-machine errors,
calls lost during a disconnect, values cleaned at entry, rows the database refused, records dropped
from a full retry buffer.
call: `recovered` marks records rebuilt from queue_log/CDR for the time the listener was down.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

COUNTERS = (
    "state_errors_total",
    "lost_calls_total",
    "values_cleaned_total",
    "rows_rejected_total",
    "records_lost_total",
)


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not batch mode: SQLite's table rebuild would break the triggers of 0003.
    op.add_column("pbx", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    for name in COUNTERS:
        op.add_column("pbx", sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("call", sa.Column("recovered", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute('ALTER TABLE "call" DROP COLUMN recovered')
    for name in (*reversed(COUNTERS), "heartbeat_at"):
        op.execute(f"ALTER TABLE pbx DROP COLUMN {name}")
