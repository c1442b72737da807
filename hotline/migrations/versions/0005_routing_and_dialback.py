"""departments, request routing, dial-back attempts, supervisor alerts

Requests get the competent department, the user who took them there and the answer text; callbacks
get their attempt count, the time of the next attempt and the reason they were given up. New tables:
department (with its head and digest address), department_member, callback_attempt (one row per
Originate, linked to the call record the PBX made of it) and supervisor_alert.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ATTEMPT_RESULTS = (
    "dialing", "in_queue", "answered", "no_answer", "busy", "congestion", "failed", "hung_up", "lost",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("head_user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_user_id"],
            ["app_user.id"],
            name=op.f("fk_department_head_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "department_member",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_department_member_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_department_member_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_department_member")),
    )
    op.create_index(
        op.f("ix_department_member_department_id"), "department_member", ["department_id"], unique=False
    )
    op.create_table(
        "callback_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pbx", sa.String(length=64), nullable=False),
        sa.Column("action_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(*ATTEMPT_RESULTS, name="attemptresult", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason_code", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callback_request.id"],
            name=op.f("fk_callback_attempt_callback_id_callback_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_callback_attempt_call_id_call"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempt")),
        sa.UniqueConstraint("action_id", name=op.f("uq_callback_attempt_action_id")),
        sa.UniqueConstraint("callback_id", "number", name=op.f("uq_callback_attempt_callback_id")),
    )
    op.create_index("ix_callback_attempt_pbx_linkedid", "callback_attempt", ["pbx", "linkedid"], unique=False)
    op.create_table(
        "supervisor_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_alert")),
    )
    op.create_index("ix_supervisor_alert_at", "supervisor_alert", ["at"], unique=False)
    with op.batch_alter_table("citizen_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assignee", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("answer_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_citizen_request_department_id_department"),
            "department",
            ["department_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_citizen_request_department_id"), ["department_id"], unique=False)
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("give_up_reason", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_column("give_up_reason")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("citizen_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_request_department_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_citizen_request_department_id_department"), type_="foreignkey"
        )
        batch_op.drop_column("answered_at")
        batch_op.drop_column("answer_text")
        batch_op.drop_column("assignee")
        batch_op.drop_column("department_id")
    op.drop_index("ix_supervisor_alert_at", table_name="supervisor_alert")
    op.drop_table("supervisor_alert")
    op.drop_index("ix_callback_attempt_pbx_linkedid", table_name="callback_attempt")
    op.drop_table("callback_attempt")
    op.drop_index(op.f("ix_department_member_department_id"), table_name="department_member")
    op.drop_table("department_member")
    op.drop_table("department")
