"""The callbacks the IVR promised: listed for supervisors and operators, worked by hand, counted live."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hotline.models import AuditLog, Role
from hotline.settings import Settings
from hotline_app.cli import app as cli_app
from ivr.store import CallInfo, IvrStore
from tests.api.conftest import TestClient, Users

# The callers of the ivr_languages capture who were offered a callback (L12) or could have been.
CALLERS = [
    ("+79163330111", "subsidies", "ru"),
    ("+79163330105", "passes", "uk"),
    ("+79163330112", "water", "en"),
]


def _ask(factory: sessionmaker[Session], settings: Settings) -> list[int]:
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone)
    ids = []
    for index, (number, topic, lang) in enumerate(CALLERS):
        call = CallInfo("lab", f"1796223889.{80 + index}", None, number, None)
        visit_id, _ = store.begin_visit(call, datetime.now(UTC))
        ids.append(
            store.create_callback(
                call, topic=topic, lang=lang, visit_id=visit_id, register_request=False, now=datetime.now(UTC)
            )
        )
    return ids


def test_the_list_shows_who_what_language_and_state_masked_for_supervisors(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    ids = _ask(factory, settings)
    operator = client.get("/api/callbacks", headers=users.bearer(Role.OPERATOR)).json()
    assert [item["id"] for item in operator] == ids[::-1]  # newest first
    newest = operator[0]
    shown = ("caller_number", "topic", "language", "status", "attempts", "done_at")
    assert {k: newest[k] for k in shown} == {
        "caller_number": "+79163330112", "topic": "water", "language": "en", "status": "pending",
        "attempts": 0, "done_at": None,
    }  # fmt: skip
    supervisor = client.get("/api/callbacks", headers=users.bearer(Role.SUPERVISOR)).json()
    assert supervisor[0]["caller_number"] == "**********12"
    assert client.get("/api/callbacks", headers=users.bearer(Role.ANALYST)).status_code == 403


def test_claim_done_and_give_up_change_the_state_once_and_are_audited(
    client: TestClient, users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    first, second, _third = _ask(factory, settings)
    operator = users.bearer(Role.OPERATOR)
    claimed = client.post(f"/api/callbacks/{first}/claim", headers=operator).json()
    assert (claimed["status"], claimed["claimed_by"]) == ("claimed", "operator")
    assert client.post(f"/api/callbacks/{first}/claim", headers=operator).status_code == 409
    done = client.post(f"/api/callbacks/{first}/done", headers=operator).json()
    assert done["status"] == "done"
    assert done["done_at"] is not None
    no_reason = client.post(f"/api/callbacks/{second}/give-up", json={"reason": ""}, headers=operator)
    assert no_reason.status_code == 422
    gave_up = client.post(
        f"/api/callbacks/{second}/give-up", json={"reason": "номер не обслуживается"}, headers=operator
    ).json()
    assert (gave_up["status"], gave_up["give_up_reason"]) == ("failed", "номер не обслуживается")
    assert client.post(f"/api/callbacks/{second}/done", headers=operator).status_code == 409
    assert client.post("/api/callbacks/999999/done", headers=operator).status_code == 404
    with factory() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.object_type == "callback").order_by(AuditLog.id)
        ).all()
    assert actions == ["callback.claim", "callback.done", "callback.give_up"]
    kpis = client.get("/api/callbacks/kpis", headers=operator).json()
    assert (kpis["requested"], kpis["done"], kpis["given_up"], kpis["done_in_time"]) == (3, 1, 1, 1)


def test_the_cli_lists_the_same_callbacks_as_json(
    users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    ids = _ask(factory, settings)
    result = CliRunner().invoke(
        cli_app,
        ["callbacks", "list", "--format", "json"],
        env={"HOTLINE_DATABASE__URL": settings.database.url, "HOTLINE_DEMO": "true"},
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [item["id"] for item in items] == ids[::-1]
    assert set(items[0]) >= {"id", "caller_number", "topic", "language", "status", "attempts", "requested_at"}
    assert items[-1]["caller_number"] == "+79163330111"


def test_the_wallboard_snapshot_counts_waiting_callbacks_per_queue(
    users: Users, factory: sessionmaker[Session], settings: Settings
) -> None:
    from api.app import create_app
    from api.live_hub import LiveHub
    from tests.api.conftest import TestClient as Client

    _ask(factory, settings)
    app = create_app(settings, factory, hub=LiveHub(factory, settings, interval_s=0.05))
    with Client(app) as client:
        snapshot = client.get("/api/live", headers=users.bearer(Role.SUPERVISOR)).json()
    # subsidies -> other, passes -> passes, water -> utilities (the catalogue's queues).
    assert snapshot["callbacks"] == {"other": 1, "passes": 1, "utilities": 1}
