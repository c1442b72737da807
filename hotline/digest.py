"""What each department owes: the daily digest (open, due this week, overdue) and overdue escalation.

The same digest is shown on the department page and sent by e-mail over SMTP (settings
`routing.mail`); overdue requests are escalated once to the department head, by e-mail and in the
request's history. Mail goes out with smtplib from the CLI or a worker thread, never the event loop.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.citizen import is_overdue, overdue_clause
from hotline.domain import OPEN_STATUSES
from hotline.loop_settings import MailSettings
from hotline.models import AuditLog, CitizenRequest, Department, RequestStatusChange
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)


@dataclass
class Digest:
    department: str
    title: str
    email: str | None
    as_of: date
    open: list[CitizenRequest] = field(default_factory=list)
    due_this_week: list[CitizenRequest] = field(default_factory=list)
    overdue: list[CitizenRequest] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "open": len(self.open),
            "due_this_week": len(self.due_this_week),
            "overdue": len(self.overdue),
        }

    def text(self) -> str:
        lines = [f"{self.title}: requests as of {self.as_of.isoformat()}", ""]
        for label, rows in (
            ("Overdue", self.overdue),
            ("Due within 7 days", self.due_this_week),
            ("Open", self.open),
        ):
            lines.append(f"{label}: {len(rows)}")
            lines.extend(
                f"  {row.number}  due {row.expected_at.isoformat()}  {row.status.value}  {row.topic or ''}"
                for row in rows
            )
            lines.append("")
        return "\n".join(lines)


def build_digest(session: Session, department: Department, *, today: date) -> Digest:
    rows = session.scalars(
        select(CitizenRequest)
        .where(CitizenRequest.department_id == department.id, CitizenRequest.status.in_(OPEN_STATUSES))
        .order_by(CitizenRequest.expected_at, CitizenRequest.number)
    ).all()
    digest = Digest(department.name, department.title or department.name, department.email, today)
    for row in rows:
        digest.open.append(row)
        if is_overdue(row, today):
            digest.overdue.append(row)
        elif row.expected_at < today + WEEK:
            digest.due_this_week.append(row)
    return digest


def all_digests(session: Session, *, today: date) -> list[Digest]:
    departments = session.scalars(select(Department).order_by(Department.name)).all()
    return [build_digest(session, department, today=today) for department in departments]


def send_mail(settings: MailSettings, *, to: str, subject: str, body: str) -> None:
    """One plain-text message over SMTP; raises OSError/SMTPException for the caller to count."""
    if settings.host is None:
        raise smtplib.SMTPException("routing.mail.host is not set")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username and settings.password is not None:
            smtp.login(settings.username, settings.password.get_secret_value())
        smtp.send_message(message)


def send_digests(session: Session, mail: MailSettings, *, today: date) -> dict[str, str]:
    """Mail every department with an address its digest; returns department -> "sent" or the error."""
    results: dict[str, str] = {}
    for digest in all_digests(session, today=today):
        if not digest.email:
            results[digest.department] = "no e-mail address"
            continue
        subject = (
            f"[hotline] {digest.title}: {len(digest.open)} open, {len(digest.due_this_week)} due this week, "
            f"{len(digest.overdue)} overdue"
        )
        try:
            send_mail(mail, to=digest.email, subject=subject, body=digest.text())
        except (OSError, smtplib.SMTPException) as exc:
            log.error("digest not sent", extra={"department": digest.department, "error": str(exc)})
            results[digest.department] = f"error: {exc}"
        else:
            results[digest.department] = "sent"
    return results


def escalate_overdue(session: Session, mail: MailSettings | None, *, today: date) -> list[CitizenRequest]:
    """Escalate every overdue open request not escalated yet to its department head (once each)."""
    now = utcnow()
    rows = list(
        session.scalars(
            select(CitizenRequest)
            .where(overdue_clause(today), CitizenRequest.escalated_at.is_(None))
            .order_by(CitizenRequest.expected_at, CitizenRequest.number)
        )
    )
    by_department: dict[int | None, list[CitizenRequest]] = {}
    for row in rows:
        row.escalated_at = now
        head = _head_name(session, row.department_id)
        note = f"overdue since {row.expected_at.isoformat()}: escalated to {head or 'the supervisors'}"
        row.history.append(
            RequestStatusChange(status=row.status, note=note, changed_by="hotline", changed_at=now)
        )
        session.add(
            AuditLog(
                at=now,
                username="hotline",
                action="request.escalate",
                object_type="request",
                object_id=row.number,
                details={"head": head, "expected_at": row.expected_at.isoformat()},
            )
        )
        by_department.setdefault(row.department_id, []).append(row)
    session.flush()
    if mail is not None and mail.host is not None:
        for department_id, items in by_department.items():
            department = session.get(Department, department_id) if department_id else None
            if department is None or not department.email:
                continue
            body = "\n".join(
                f"{row.number}  due {row.expected_at.isoformat()}  {row.topic or ''}  {row.summary[:120]}"
                for row in items
            )
            try:
                send_mail(
                    mail,
                    to=department.email,
                    subject=f"[hotline] {department.title}: {len(items)} overdue request(s) escalated",
                    body=body,
                )
            except (OSError, smtplib.SMTPException) as exc:
                log.error(
                    "escalation mail not sent", extra={"department": department.name, "error": str(exc)}
                )
    return rows


def _head_name(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    from hotline.models import User

    department = session.get(Department, department_id)
    if department is None or department.head_user_id is None:
        return None
    head = session.get(User, department.head_user_id)
    return head.username if head else None
