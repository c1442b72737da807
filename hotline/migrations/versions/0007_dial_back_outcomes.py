"""call outcomes `dial_back` and `dial_back_failed`: legs the PBX placed itself are not citizens' calls

The outcome column is VARCHAR(32) without a CHECK (native_enum=False), so the new values need no DDL.
The records already stored as `ivr_only` that are certainly dial-back legs are reclassified: Asterisk's
`OutgoingSpoolFailed` channel of a failed Originate (it runs exten `failed`, so dialed_number is
`failed`) and the never-queued call of an attempt the dialer linked to it. The Local channels of a
failed Originate stored before cannot be told from stored columns and stay `ivr_only`.
Downgrade turns both back into `ivr_only`, which the older code can read.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

call = sa.table(
    "call",
    sa.column("id", sa.Integer()),
    sa.column("outcome", sa.String(32)),
    sa.column("queue", sa.String(64)),
    sa.column("dialed_number", sa.String(64)),
)
attempt = sa.table("callback_attempt", sa.column("call_id", sa.Integer()))
never_queued = sa.and_(call.c.outcome == "ivr_only", call.c.queue.is_(None))


def upgrade() -> None:
    op.execute(
        call.update().where(never_queued, call.c.dialed_number == "failed").values(outcome="dial_back_failed")
    )
    linked = sa.select(attempt.c.call_id).where(attempt.c.call_id.is_not(None))
    op.execute(call.update().where(never_queued, call.c.id.in_(linked)).values(outcome="dial_back"))


def downgrade() -> None:
    op.execute(
        call.update().where(call.c.outcome.in_(("dial_back", "dial_back_failed"))).values(outcome="ivr_only")
    )
