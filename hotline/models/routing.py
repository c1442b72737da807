"""Departments, dial-back attempts and supervisor alerts (revision 0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.domain import AttemptResult
from hotline.models.base import Base, stored_enum
from hotline.timeutil import utcnow


class Department(Base):
    """A competent service (water utility, power grid...) that answers requests on its topics."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    head_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # Where the daily digest and escalations go (the head's mailbox or the department's).
    email: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DepartmentMember(Base):
    """A user of role `department` works the requests of exactly one department."""

    __tablename__ = "department_member"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)


class CallbackAttempt(Base):
    """One dial-back call: the Originate, its outcome and the call record the PBX made of it."""

    __tablename__ = "callback_attempt"
    __table_args__ = (
        UniqueConstraint("callback_id", "number"),
        Index("ix_callback_attempt_pbx_linkedid", "pbx", "linkedid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    pbx: Mapped[str] = mapped_column(String(64))
    action_id: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(255))
    queue: Mapped[str | None] = mapped_column(String(64))
    # The originated channel's Uniqueid = the linkedid of its call record (None when it failed).
    linkedid: Mapped[str | None] = mapped_column(String(64))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    result: Mapped[AttemptResult] = mapped_column(stored_enum(AttemptResult), default=AttemptResult.DIALING)
    reason_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SupervisorAlert(Base):
    """Something a supervisor must look at (e.g. the global status-lookup limit tripped)."""

    __tablename__ = "supervisor_alert"
    __table_args__ = (Index("ix_supervisor_alert_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
