"""The demo's part of the loop: departments and their users, routed requests, callbacks and the dialer.

At start the demo sets up the departments the catalogue routes to, an operator and a department
user, registers requests from the demo callers (routed by topic; one answered by its department,
one overdue and escalated to the head), and records callbacks the way the IVR does when a caller
presses 2. The dialer then calls them back through its own AMI connection to a second replay server
that answers Originate with the bytes of the real `callback_dial` capture (busy, answered, no answer...).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline import db
from hotline.audit import Actor
from hotline.models import CitizenRequest, Department, Role
from hotline.settings import Settings
from hotline.timeutil import utcnow

DEPARTMENTS = (
    ("water_utility", "Водоканал"),
    ("power_grid", "Электросети"),
    ("transport_office", "Транспортное управление"),
    ("social_payments", "Социальные выплаты"),
    ("passes_office", "Отдел пропусков"),
    ("housing", "Жилищная инспекция"),
)
# The operator is a queue member of the replayed capture, so the desk shows their calls.
OPERATOR = ("operator", "Игорь Попов")
DEPARTMENT_USER = ("department", "water_utility")
REQUESTS = (
    ("+79161234501", "Ирина Белова", "water", "Нет горячей воды, ул. Садовая 5", 0),
    ("+79031234502", "Андрей Орлов", "electricity", "Мигает свет во всём подъезде", 0),
    ("+79261234505", "Никита Зайцев", "transport", "Автобус 15 не ходит с утра", 0),
    ("+79161234501", "Ирина Белова", "heating", "Холодные батареи в квартире", 20),  # overdue
)
CALLBACKS = (
    ("+79161234501", "Ирина Белова", "operator", "ru"),
    ("+380441234503", "Олена Шевченко", "subsidies", "uk"),
    ("+79031234502", "Андрей Орлов", "status", "en"),
)
# What the stand-in PBX answers to the demo dialer's Originates, in turn (callback_dial cases).
DIAL_SCRIPT = ["busy", "answer", "no_answer", "congestion", "answer", "failed"] * 20


def seed(factory: sessionmaker[Session], settings: Settings) -> list[tuple[str, str, str]]:
    """Departments, users, requests and callbacks (once per demo folder); returns the new logins."""
    from api.users import create_user, find_user, set_password
    from hotline import citizen, digest, routing
    from ivr.store import CallInfo, IvrStore

    logins = []
    with db.transaction(factory) as session:
        for name, title in DEPARTMENTS:
            if session.scalar(select(Department.id).where(Department.name == name)) is not None:
                continue
            routing.add_department(
                session, name=name, head="supervisor", title=title, email=f"{name}@city.example"
            )
        for username, role, full_name in (
            (OPERATOR[0], Role.OPERATOR, OPERATOR[1]),
            (DEPARTMENT_USER[0], Role.DEPARTMENT, ""),
        ):
            password = secrets.token_urlsafe(9)
            user = find_user(session, username)
            if user is None:
                user = create_user(
                    session, username=username, role=role, password=password, full_name=full_name
                )
            else:
                set_password(session, username=username, password=password)
            if role is Role.DEPARTMENT:
                routing.add_member(
                    session, user=user, department=routing.find_department(session, DEPARTMENT_USER[1])
                )
            logins.append((username, role.value, password))
        if session.scalar(select(func.count()).select_from(CitizenRequest)):
            return logins  # the demo folder has its requests from an earlier start
        now = utcnow()
        registered = [
            citizen.register_request(
                session,
                settings,
                summary=summary,
                caller_number=number,
                caller_name=name,
                topic=topic,
                created_by="operator",
                now=now - timedelta(days=age),
            )
            for number, name, topic, summary, age in REQUESTS
        ]
        worker = Actor("department", find_user(session, "department").id)  # type: ignore[union-attr]
        water = routing.find_department(session, "water_utility")
        routing.take(session, registered[0], actor=worker, department=water)
        routing.answer(
            session,
            registered[0],
            text="Подача горячей воды восстановлена в 14:00.",
            actor=worker,
            department=water,
        )
        digest.escalate_overdue(session, None, today=routing.local_today(settings))
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone)
    for index, (number, name, topic, lang) in enumerate(CALLBACKS):
        call = CallInfo("demo", f"demo-callback-{index}", None, number, name)
        visit_id, _ = store.begin_visit(call, utcnow())
        store.create_callback(
            call, topic=topic, lang=lang, visit_id=visit_id, register_request=False, now=utcnow()
        )
    return logins


def originate_capture() -> Path:
    return Path(str(resources.files("hotline_app") / "demo_data"))


async def run_dialer(settings: Settings, factory: sessionmaker[Session], stop: asyncio.Event) -> None:
    """The real dialer against a stand-in PBX that answers Originate as the callback_dial capture shows."""
    from dialer.replay import OriginateReplay
    from dialer.service import DialerService

    pbx = OriginateReplay(originate_capture(), list(DIAL_SCRIPT), speed=3.0)
    port = await pbx.start()
    dialer = settings.dialer.model_copy(
        update={
            "enabled": True,
            "port": port,
            "backoff_s": [20.0, 40.0],
            "poll_s": 2.0,
            "ring_timeout_s": 30.0,
        }
    )
    service = DialerService(settings.model_copy(update={"dialer": dialer}), factory)
    try:
        await service.run(stop)
    finally:
        await pbx.close()
