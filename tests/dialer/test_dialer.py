"""The dialer against the PBX answers of the `callback_dial` capture, served over TCP.

The listener first replays `callback_dial.ami` (the `hotline` user's view of the same minutes): that
gives the live view (the `other` queue's operators free, nobody waiting) and the call records of the
dial-back legs. The dialer then calls back through its own AMI connection, answered by the capture's
originator bytes: OriginateResponse Reason 4 (answered), 3 (no answer), 5 (busy), 8 (congestion), 0.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ami_listener.replay import ReplayServer
from ami_listener.runner import replay_settings, run_until_stream_ends
from ami_listener.service import AmiService
from dialer import policy
from dialer.replay import OriginateReplay
from dialer.service import DialerService
from hotline import callbacks, db
from hotline.catalogue import load_catalogue
from hotline.db import transaction
from hotline.live import LiveView, publish, read_views
from hotline.models import AttemptResult, Call, CallbackAttempt, CallbackRequest, CallbackStatus
from hotline.settings import Settings
from ivr.store import CallInfo, IvrStore
from tests.conftest import demo_settings

# ../shared/fixtures next to the repository (a worktree may sit one level deeper).
CAPTURE = next(
    (
        found
        for parent in Path(__file__).resolve().parents
        if (found := parent / "shared" / "fixtures" / "asterisk-live" / "callback_dial").exists()
    ),
    Path("../shared/fixtures/asterisk-live/callback_dial"),
)
CITIZEN = "+79163330702"  # the capture's dial-back citizen Db1 (answered by Оператор 101)


@pytest.fixture
def factory(sqlite_engine: Engine) -> sessionmaker[Session]:
    return db.make_session_factory(sqlite_engine)


@pytest.fixture
def settings(sqlite_engine: Engine, tmp_path: Path) -> Settings:
    if not CAPTURE.exists():
        pytest.fail(f"the callback_dial capture is missing: {CAPTURE}")
    return demo_settings(sqlite_engine.url.render_as_string(hide_password=False), tmp_path)


async def _listener_replay(settings: Settings, factory: sessionmaker[Session]) -> None:
    server = ReplayServer(CAPTURE / "callback_dial.ami", speed=0)
    port = await server.start()
    try:
        await run_until_stream_ends(AmiService(replay_settings(settings, "lab", port), factory), server)
    finally:
        await server.close()
    # The replay server hangs up after the capture's last byte, so the listener's last view says
    # "disconnected" (and the dialer rightly dials nobody then). A production listener stays connected:
    # keep the capture's final state as the live one.
    with transaction(factory) as session:
        (view,) = read_views(session)
        publish(session, view.model_copy(update={"connected": True}))


def _ask_callback(factory: sessionmaker[Session], settings: Settings, number: str, topic: str) -> int:
    """The IVR's own path: what `create_callback` writes when a caller presses 2."""
    store = IvrStore(factory, lookups_per_hour=10, zone=settings.zone)
    call = CallInfo("lab", f"visit-{number}", None, number, None)
    visit_id, _ = store.begin_visit(call, datetime.now(UTC))
    return store.create_callback(
        call, topic=topic, lang="ru", visit_id=visit_id, register_request=False, now=datetime.now(UTC)
    )


def _dialer(settings: Settings, factory: sessionmaker[Session], port: int, **dialer: object) -> DialerService:
    wired = replay_settings(settings, "lab", 5038).model_copy(
        update={
            "dialer": settings.dialer.model_copy(
                update={"enabled": True, "port": port, "backoff_s": [0.0], "ring_timeout_s": 30.0, **dialer}
            )
        }
    )
    return DialerService(wired, factory)


async def _run(service: DialerService, rounds: int) -> list[int]:
    sent = []
    await service.ami.connect()
    try:
        for _ in range(rounds):
            sent.append(await service.tick())
            await service.drain()
        await asyncio.to_thread(service.store.resolve_in_queue, datetime.now(UTC))
    finally:
        await service.ami.close()
    return sent


def _attempts(factory: sessionmaker[Session], callback_id: int) -> list[CallbackAttempt]:
    with factory() as session:
        return callbacks.attempts_of(session, callback_id)


def test_a_busy_citizen_is_called_again_and_the_callback_ends_done_with_its_call_record(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    asyncio.run(_listener_replay(settings, factory))
    callback_id = _ask_callback(factory, settings, CITIZEN, "operator")

    async def scenario() -> tuple[list[int], OriginateReplay]:
        pbx = OriginateReplay(CAPTURE, ["busy", "answer"], speed=20.0)
        port = await pbx.start()
        try:
            return await _run(_dialer(settings, factory, port), rounds=3), pbx
        finally:
            await pbx.close()

    sent, pbx = asyncio.run(scenario())
    assert sent == [1, 1, 0]  # busy, called again, then nothing left to dial
    originate = next(action for action in pbx.received if action["Action"] == "Originate")
    assert originate["Channel"] == f"Local/{CITIZEN}@hotline-callback-out/n"
    assert (originate["Context"], originate["Exten"]) == ("hotline-callback", "other")
    first, second = _attempts(factory, callback_id)
    assert (first.result, first.reason_code, first.linkedid) == (AttemptResult.BUSY, 5, None)
    assert (second.result, second.reason_code) == (AttemptResult.ANSWERED, 4)
    assert second.linkedid == "1796224406.350"  # the OriginateResponse Uniqueid of the capture
    with factory() as session:
        callback = session.get(CallbackRequest, callback_id)
        assert callback is not None
        assert (callback.status, callback.attempts, callback.handled_by) == (CallbackStatus.DONE, 2, "dialer")
        call = session.get(Call, second.call_id)
        assert call is not None
        # The call record the listener made of the dial-back leg: queued in `other`, answered by 101.
        assert (call.caller_number, call.queue, call.agent) == (CITIZEN, "other", "Оператор 101")
        assert callback.handled_at == call.answered_at


def test_failed_attempts_are_retried_then_given_up_with_the_reason(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    asyncio.run(_listener_replay(settings, factory))
    callback_id = _ask_callback(factory, settings, "+79163330703", "status")

    async def scenario() -> list[int]:
        pbx = OriginateReplay(CAPTURE, ["no_answer", "congestion", "failed"], speed=30.0)
        port = await pbx.start()
        try:
            return await _run(_dialer(settings, factory, port, max_attempts=3), rounds=4)
        finally:
            await pbx.close()

    assert asyncio.run(scenario()) == [1, 1, 1, 0]
    attempts = _attempts(factory, callback_id)
    assert [(a.result, a.reason_code) for a in attempts] == [
        (AttemptResult.NO_ANSWER, 3), (AttemptResult.CONGESTION, 8), (AttemptResult.FAILED, 0),
    ]  # fmt: skip
    with factory() as session:
        callback = session.get(CallbackRequest, callback_id)
        assert callback is not None
        assert callback.status == CallbackStatus.FAILED
        assert callback.give_up_reason == "3 attempt(s), last: the call could not be placed"
        kpis = callbacks.kpis(
            session, settings, since=datetime(2020, 1, 1, tzinfo=UTC), until=datetime.now(UTC)
        )
    assert (kpis.given_up, kpis.attempts_per_callback) == (1, 3.0)


def test_nobody_is_called_without_a_free_operator_or_outside_the_topics_hours() -> None:
    view = LiveView.model_validate(
        {
            "pbx": "lab",
            "connected": True,
            "at": "2026-12-02T15:12:00Z",
            "queues": [
                {"name": "other", "waiting": [], "members": [
                    {"interface": "Local/op101@x/n", "name": "Оп 101", "state": "paused", "paused": True},
                    {"interface": "Local/op103@x/n", "name": "Оператор 103", "state": "talking"},
                ]},
                {"name": "passes", "waiting": [
                    {"uniqueid": "1", "linkedid": "1", "position": 1, "joined_at": "2026-12-02T15:11:00Z"},
                ], "members": [{"interface": "Local/op102@x/n", "name": "Оператор 102", "state": "free"}]},
            ],
        }
    )  # fmt: skip
    rooms = {name: cap.room for name, cap in policy.capacities(view).items()}
    assert rooms == {"other": 0, "passes": 0}  # paused/talking, and a caller already waits
    assert policy.capacities(view.model_copy(update={"connected": False})) == {}
    catalogue = load_catalogue()
    subsidies = catalogue.topic("subsidies")
    assert not catalogue.is_open(subsidies, datetime(2026, 12, 2, 15, 5, tzinfo=UTC))  # 18:05 Moscow
    assert catalogue.is_open(subsidies, datetime(2026, 12, 3, 7, 0, tzinfo=UTC))  # 10:00 Moscow, Thursday
    assert policy.result_of("Success", 4) is AttemptResult.IN_QUEUE
    assert policy.result_of("Failure", 7) is AttemptResult.FAILED


def test_an_attempt_whose_response_never_came_is_settled_as_lost_and_retried(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    """The dialer stopped (or the link dropped) between Originate and OriginateResponse."""
    from datetime import timedelta

    from dialer.store import DialerStore

    callback_id = _ask_callback(factory, settings, CITIZEN, "operator")
    store = DialerStore(
        factory, pbx="lab", max_attempts=3, backoff_s=[60.0], response_within=timedelta(seconds=45)
    )
    started = datetime.now(UTC) - timedelta(minutes=5)
    due = store.due(started)[0]
    placed = store.start_attempt(due, action_id="x-1", channel="Local/x@y/n", queue="other", now=started)
    assert placed is not None
    assert store.due(datetime.now(UTC)) == []  # dialing: not due again
    now = datetime.now(UTC)
    assert store.resolve_in_queue(now) == 1
    (attempt,) = _attempts(factory, callback_id)
    assert attempt.result is AttemptResult.LOST
    with factory() as session:
        callback = session.get(CallbackRequest, callback_id)
        assert callback is not None
        assert callback.status is CallbackStatus.PENDING
        assert callback.next_attempt_at == now + timedelta(seconds=60)
