"""The desk's world for tests: call L02 of the ivr_languages capture while Оператор 103 talks to it.

L02 (+79163330101, Елена Волкова) chose English, then water (keys 9,3,2,1), queued in utilities and
was answered by Оператор 103 (summary.json). The IVR visit is written through the IVR's own store;
the live view is the listener's published contract (hotline/live.py) for that moment of the call.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from api.users import create_user, issue_token
from hotline import live, routing
from hotline.db import transaction
from hotline.live import AgentState, CallState, CallView, LiveView, QueueMemberView, QueueView
from hotline.models import IvrOutcome, Role
from hotline.settings import Settings
from ivr.steps import VisitRecord
from ivr.store import CallInfo, IvrStore

LINKEDID = "1796223864.58"
CALLER = "+79163330101"
AGENT = "Оператор 103"
STARTED = datetime(2026, 12, 2, 15, 4, 24, tzinfo=UTC)


def set_up(factory: sessionmaker[Session], settings: Settings) -> str:
    """Operator op103 on call L02; returns op103's API token."""
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone)
    call = CallInfo("lab", LINKEDID, "Local/cL02@hl-caller-00000001;1", CALLER, "Елена Волкова")
    visit_id, _ = store.begin_visit(call, STARTED)
    record = VisitRecord(
        lang="en", key_path="9321", topic="water", queue="utilities", outcome=IvrOutcome.QUEUED
    )
    store.end_visit(visit_id, call, record, STARTED)
    with transaction(factory) as session:
        routing.add_department(session, name="water_utility", head="supervisor")
        create_user(
            session, username="op103", role=Role.OPERATOR, full_name=AGENT, password="correct horse battery"
        )
        token = issue_token(session, username="op103")
        member = QueueMemberView(interface="Local/op103@hl-operators/n", name=AGENT, state=AgentState.TALKING)
        live.publish(
            session,
            LiveView(
                pbx="lab",
                connected=True,
                at=datetime.now(UTC),
                queues=[QueueView(name="utilities", members=[member])],
                calls=[
                    CallView(
                        linkedid=LINKEDID,
                        caller_number=CALLER,
                        caller_name="Елена Волкова",
                        started_at=STARTED,
                        state=CallState.TALKING,
                        topic="water",
                        queue="utilities",
                        agent=AGENT,
                        answered_at=STARTED,
                    )
                ],
            ),
        )
    return token
