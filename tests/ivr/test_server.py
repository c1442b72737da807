"""Real TCP FastAGI sessions against the server, spoken by the capture-driven peer."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from asterisk_conf.dialplan import globals_of, load_dialplan, walk
from hotline import db
from hotline.catalogue import load_catalogue
from hotline.live import LiveView, QueueView, WaitingCaller, publish
from hotline.models import (
    CallbackRequest,
    CallerPreference,
    CitizenRequest,
    IvrOutcome,
    IvrVisit,
    LiveSnapshot,
    RequestStatus,
    StatusLookup,
)
from hotline.settings import DatabaseSettings, load_settings
from ivr.captured import vocabulary
from ivr.peer import PeerResult, environment, simulate_call
from ivr.server import AgiServer, pbx_resolver
from ivr.steps import RateLimited, StatusFound, StatusNotFound
from ivr.store import IvrStore
from tests.conftest import CAPTURES, demo_settings
from tests.ivr import live
from tests.ivr.live import AgiSession

TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
SATURDAY_NIGHT = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
CALLER = "+79977541208"
NAME = "Алексей Соколов"
MEDIA = ("STREAM FILE", "GET DATA", "SAY DIGITS", "SAY DATE", "WAIT FOR DIGIT")


class Lab:
    """A running server plus handles on its database."""

    def __init__(self, server: AgiServer, port: int, factory: sessionmaker[Session]) -> None:
        self.server = server
        self.port = port
        self.factory = factory

    async def call(self, presses: list[str], **kwargs: Any) -> PeerResult:
        kwargs.setdefault("caller_number", CALLER)
        kwargs.setdefault("caller_name", NAME)
        kwargs.setdefault("uniqueid", f"1795316914.{id(presses)}")
        return await simulate_call("127.0.0.1", self.port, presses=presses, timeout_s=20, **kwargs)

    def visits(self) -> list[IvrVisit]:
        with self.factory() as session:
            return list(session.scalars(select(IvrVisit).order_by(IvrVisit.id)))

    def visit(self, result: PeerResult) -> IvrVisit:
        with self.factory() as session:
            visit = session.get(IvrVisit, int(result.variables["HOTLINE_VISIT"]))
            assert visit is not None
            return visit


LabFactory = Callable[..., Any]


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def _settled(lab: Lab) -> None:
    """The worker hands its result to the event loop just after the socket closes."""
    for _ in range(100):
        if lab.server.active_calls == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{lab.server.active_calls} calls still running")


@pytest.fixture
async def lab_factory(tmp_path: Path) -> AsyncIterator[LabFactory]:
    servers: list[AgiServer] = []
    engines = []

    async def start(
        db_url: str | None = None, *, now: datetime = TUESDAY_MORNING, store_class: type[IvrStore] = IvrStore,
        **agi: Any,
    ) -> Lab:  # fmt: skip
        url = db_url or f"sqlite:///{tmp_path / 'ivr.db'}"
        settings = demo_settings(
            url, tmp_path, agi={"port": 0, "sounds_dir": str(tmp_path / "sounds"), **agi}
        )
        engine = db.make_engine(DatabaseSettings(url=url, pool_size=20))
        db.upgrade(engine)
        engines.append(engine)
        factory = db.make_session_factory(engine)
        store = store_class(
            factory, lookups_per_hour=settings.agi.status_lookups_per_hour, zone=settings.zone
        )
        server = AgiServer(
            settings, factory, load_catalogue(), store=store, clock=lambda: now, grace_s=1.0,
            cut_after_expiry_s=0.2, handoff_wait_s=1.0,
        )  # fmt: skip
        servers.append(server)
        return Lab(server, await server.start(), factory)

    yield start
    for server in servers:
        await server.close()
    for engine in engines:
        engine.dispose()


def test_visits_are_named_after_the_pbx_that_connects() -> None:
    pbxes = [
        {"name": "city", "host": "10.0.0.5", "agi_peer": "127.0.0.1"},
        {"name": "region", "host": "10.0.0.6"},
    ]
    settings = load_settings(None, demo=True, ami={"pbxes": pbxes})
    name_of = pbx_resolver(settings)
    assert name_of("127.0.0.1") == "city"
    assert name_of("::ffff:10.0.0.6") == "region"
    assert name_of("10.9.9.9") == "default"


async def test_peer_sends_the_captured_environment_block() -> None:
    """With the capture's own identity the peer's environment is the capture, line for line."""
    captured = []
    for line in (CAPTURES / "ivr_to_agent" / "ivr_to_agent.agi.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[1] == "<":
            captured.append(parts[2] if len(parts) == 3 else "")
        if captured and captured[-1] == "":
            break
    sent = environment(
        vocabulary(), caller_number=CALLER, caller_name=NAME, uniqueid="1795316914.8", host="127.0.0.1",
        port=4573, script="ivr", args=("ca001", "main_ivr_to_agent"),
    )  # fmt: skip
    # The .txt transcript strips trailing blanks ("agi_accountcode: " -> "agi_accountcode:").
    assert [line.rstrip() for line in sent] == captured[:-1]


async def test_two_keys_route_the_call_and_record_the_visit(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url)
    result = await lab.call(["2", "1"], uniqueid="1795316914.8")
    assert result.commands[0] == "ANSWER"
    assert result.commands[3] == "GET DATA hotline/ru/menu_main 5000 1"
    assert result.variables["HOTLINE_TOPIC"] == "water"
    assert result.variables["HOTLINE_QUEUE"] == "utilities"
    assert result.variables["HOTLINE_LANG"] == "ru"
    assert result.variables["HOTLINE_OUTCOME"] == "queued"
    assert result.closed_by_server
    visit = lab.visit(result)
    assert (visit.pbx, visit.uniqueid, visit.caller_number, visit.caller_name) == (
        "default", "1795316914.8", CALLER, NAME,
    )  # fmt: skip
    assert (visit.outcome, visit.topic, visit.queue, visit.key_path) == (
        IvrOutcome.QUEUED, "water", "utilities", "21",
    )  # fmt: skip
    assert visit.menu_path == ["menu:main", "menu:utilities", "queue:utilities"]
    assert visit.ended_at is not None
    assert visit.duration_s is not None


@pytest.mark.parametrize("hangup_after", [0, 1, 2, 3, 4, 5, 6])
async def test_hangup_mid_command_completes_the_visit(lab_factory: LabFactory, hangup_after: int) -> None:
    lab = await lab_factory()
    result = await lab.call(["1", "3", "1", ""], hangup_after=hangup_after)
    assert result.hung_up
    # After the -1 and HANGUP the server never sends media to the dead channel again.
    hung = next(i for i, c in enumerate(result.commands) if c.startswith(MEDIA) and i >= hangup_after)
    assert not any(c.startswith(MEDIA) for c in result.commands[hung + 1 :]), result.commands
    assert result.variables["HOTLINE_QUEUE"] == ""
    visit = lab.visit(result)
    assert visit.outcome in (IvrOutcome.HANGUP, IvrOutcome.FAQ)
    assert visit.ended_at is not None
    await _settled(lab)


async def test_rejected_commands_are_survived(lab_factory: LabFactory) -> None:
    """A missing sound file (here every one, the digits of the status message too): the call goes on."""
    lab = await lab_factory()
    with lab.factory.begin() as session:
        session.add(
            CitizenRequest(
                number="20261234", caller_number=CALLER, topic="water", status=RequestStatus.IN_PROGRESS,
                created_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), expected_at=date(2026, 12, 17),
            )
        )  # fmt: skip
    result = await lab.call(["5", "0"], faults={"STREAM FILE": "missing"})
    assert 'STREAM FILE hotline/ru/year_2026 "" 0' in result.commands
    assert 'STREAM FILE hotline/ru/digit_4 "" 0' in result.commands
    assert result.variables["HOTLINE_QUEUE"] == "other"
    assert result.variables["HOTLINE_TOPIC"] == "status"
    await _settled(lab)
    assert lab.server.stats.commands_rejected >= 4


async def test_get_data_refused_counts_as_silence(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    result = await lab.call(["1"], faults={"GET DATA": "520"})
    assert result.variables["HOTLINE_OUTCOME"] == "operator_fallback"
    assert result.variables["HOTLINE_QUEUE"] == "other"


async def test_language_is_remembered_for_the_next_call(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url)
    first = await lab.call(["9", "3", "0"])
    assert first.variables["HOTLINE_LANG"] == "en"
    second = await lab.call(["0"], uniqueid="1795316999.1")
    assert second.commands[1] == 'SET VARIABLE "CHANNEL(language)" "en"'
    assert second.commands[2].startswith("STREAM FILE hotline/en/welcome")
    with lab.factory() as session:
        preference = session.get(CallerPreference, CALLER)
        assert preference is not None
        assert preference.language == "en"


async def test_dialplan_arguments_choose_language_and_entry_menu(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    result = await lab.call(["1"], args=("ce001", "lang=en", "menu=utilities"))
    assert result.commands[2] == 'STREAM FILE hotline/en/welcome "" 0'
    assert result.commands[3] == "GET DATA hotline/en/menu_utilities 5000 1"
    assert result.variables["HOTLINE_TOPIC"] == "water"


async def test_status_of_the_callers_latest_request(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    with lab.factory.begin() as session:
        for number, day in (("11", 1), ("20261234", 20)):
            session.add(
                CitizenRequest(
                    number=number, caller_number=CALLER, status=RequestStatus.REGISTERED,
                    created_at=datetime(2026, 11, day, 21, 30, tzinfo=UTC), expected_at=date(2026, 12, 30),
                )
            )  # fmt: skip
    result = await lab.call(["5", ""])
    plays = [c.split()[2].rsplit("/", 1)[1] for c in result.commands if c.startswith("STREAM FILE")]
    assert not [c for c in result.commands if c.startswith("SAY")]  # no phrase from the distribution's sounds
    said = plays.index("status_latest") + 1
    assert plays[said : said + 8] == [f"digit_{d}" for d in "20261234"]
    # 21:30 UTC on 20 November is already 21 November in Moscow.
    registered = plays.index("status_registered_on") + 1
    assert plays[registered : registered + 3] == ["day_21", "month_11", "year_2026"]
    expected = plays.index("status_expected_by") + 1
    assert plays[expected : expected + 3] == ["day_30", "month_12", "year_2026"]
    assert result.variables["HOTLINE_OUTCOME"] == "status_told"


async def test_guessing_request_numbers_is_rate_limited(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url, status_lookups_per_hour=2)
    first = await lab.call(["5", "111#", "112#", "113#"], caller_number="", uniqueid="a.1")
    assert first.variables["HOTLINE_OUTCOME"] == "operator_fallback"  # three unknown numbers
    assert 'STREAM FILE hotline/ru/status_unknown "" 0' in first.commands
    second = await lab.call(["5", "114#"], caller_number="", uniqueid="a.2")
    assert 'STREAM FILE hotline/ru/status_limited "" 0' in second.commands
    with lab.factory() as session:
        tried = session.scalars(select(StatusLookup.number_tried).order_by(StatusLookup.id)).all()
    assert tried == ["111", "112"]


async def test_after_hours_callback_is_recorded(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url, now=SATURDAY_NIGHT)
    result = await lab.call(["3", "2"])
    assert result.variables["HOTLINE_OUTCOME"] == "callback"
    assert result.variables["HOTLINE_QUEUE"] == ""
    with lab.factory() as session:
        callback = session.scalars(select(CallbackRequest)).one()
    assert (callback.caller_number, callback.caller_name, callback.topic, callback.source) == (
        CALLER, NAME, "transport", "ivr",
    )  # fmt: skip
    assert callback.ivr_visit_id == int(result.variables["HOTLINE_VISIT"])
    plays = [c.split()[2] for c in result.commands if c.startswith("STREAM FILE")]
    done = plays.index("hotline/ru/callback_done") + 1
    assert plays[done : done + len(str(callback.id))] == [f"hotline/ru/digit_{d}" for d in str(callback.id)]


def _publish_waiting(lab: Lab, queue: str, count: int, at: datetime, *, connected: bool = True) -> None:
    waiting = [
        WaitingCaller(uniqueid=f"w.{n}", linkedid=f"w.{n}", position=n + 1, joined_at=at)
        for n in range(count)
    ]
    view = LiveView(
        pbx="default", connected=connected, at=at, queues=[QueueView(name=queue, waiting=waiting)]
    )
    with lab.factory.begin() as session:
        publish(session, view)
        row = session.get(LiveSnapshot, "default")
        assert row is not None
        row.updated_at = at


async def test_long_queue_callback_instead_of_waiting(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url)
    _publish_waiting(lab, "utilities", 6, TUESDAY_MORNING)
    result = await lab.call(["2", "1", "2"])
    assert "GET DATA hotline/ru/queue_long 5000 1" in result.commands
    assert result.variables["HOTLINE_OUTCOME"] == "callback"
    assert result.variables["HOTLINE_QUEUE"] == ""
    with lab.factory() as session:
        callback = session.scalars(select(CallbackRequest)).one()
    assert (callback.topic, callback.caller_number) == ("water", CALLER)
    # Another caller waits instead; a short queue elsewhere is joined without the offer.
    stays = await lab.call(["2", "1", ""], uniqueid="s.1")
    assert stays.variables["HOTLINE_QUEUE"] == "utilities"
    other = await lab.call(["4"], uniqueid="s.2")
    assert "GET DATA hotline/ru/queue_long 5000 1" not in other.commands
    assert other.variables["HOTLINE_QUEUE"] == "other"


async def test_stale_or_disconnected_live_view_does_not_delay_queueing(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    _publish_waiting(lab, "utilities", 9, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # an hour old
    result = await lab.call(["2", "1"])
    assert result.variables["HOTLINE_QUEUE"] == "utilities"
    assert not any("queue_long" in c for c in result.commands)
    lab.server.handler.store.WAITING_CACHE_S = 0.0
    _publish_waiting(lab, "utilities", 9, TUESDAY_MORNING, connected=False)  # the AMI link is down
    result = await lab.call(["2", "1"], uniqueid="d.2")
    assert not any("queue_long" in c for c in result.commands)


async def test_connections_from_unknown_addresses_are_refused(
    lab_factory: LabFactory, caplog: pytest.LogCaptureFixture
) -> None:
    lab = await lab_factory(allowed_peers=["10.20.30.40"])
    result = await lab.call(["1"])
    assert result.commands == []
    assert result.closed_by_server
    assert lab.server.stats.refused_peer == 1
    assert "refused FastAGI connection from 127.0.0.1" in caplog.text
    assert lab.visits() == []


def _silent_pbx(port: int) -> socket.socket:
    """A PBX connection that sends the environment and then never answers."""
    sock = socket.create_connection(("127.0.0.1", port))
    env = environment(
        vocabulary(), caller_number=CALLER, caller_name=NAME, uniqueid="9.9", host="127.0.0.1", port=port,
        script="ivr", args=("x",),
    )  # fmt: skip
    sock.sendall(("\n".join(env) + "\n\n").encode())
    return sock


async def test_over_capacity_is_refused_at_once(lab_factory: LabFactory) -> None:
    lab = await lab_factory(max_sessions=1)
    held = _silent_pbx(lab.port)
    try:
        await _until(lambda: lab.server.active_calls == 1)
        result = await lab.call(["0"])
        assert result.commands == []
        assert lab.server.stats.refused_capacity == 1
    finally:
        held.close()


async def test_call_time_limit_ends_a_stuck_call(lab_factory: LabFactory) -> None:
    lab = await lab_factory(call_timeout_s=0.3)
    held = _silent_pbx(lab.port)
    try:
        await _until(lambda: lab.server.stats.completed == 1)
        assert lab.server.stats.expired == 1
        assert held.recv(100) == b"ANSWER\n"
        assert held.recv(100) == b""  # cut by the server
    finally:
        held.close()
    assert [v.outcome for v in lab.visits()] == [IvrOutcome.TIMED_OUT]


async def test_a_caller_still_in_the_menu_at_the_time_limit_goes_to_an_operator(
    lab_factory: LabFactory,
) -> None:
    lab = await lab_factory(call_timeout_s=0.5)
    result = await lab.call(["1", "*", "1", "*", "1", "*", "1", "*"], media_s=0.2)
    assert result.variables["HOTLINE_OUTCOME"] == "timed_out"
    assert result.variables["HOTLINE_QUEUE"] == "other"
    assert lab.visit(result).outcome is IvrOutcome.TIMED_OUT


class _Faulty(IvrStore):
    """A store with a bug that hits one caller only."""

    def lookup_status(
        self, caller_number: str | None, number: str | None, now: datetime
    ) -> StatusFound | StatusNotFound | RateLimited:
        if caller_number == "+70000000000":
            raise ZeroDivisionError("bug in one call")
        return super().lookup_status(caller_number, number, now)


async def test_a_crashing_call_goes_to_the_operator_and_spares_the_others(lab_factory: LabFactory) -> None:
    lab = await lab_factory(store_class=_Faulty)
    calls = [lab.call(["2", "1"], caller_number=f"+7999000{n:04d}", uniqueid=f"c.{n}") for n in range(30)]
    calls.append(lab.call(["5"], caller_number="+70000000000", uniqueid="crash"))
    results = await asyncio.gather(*calls)
    crashed = results[-1]
    assert crashed.variables["HOTLINE_OUTCOME"] == "error"
    assert crashed.variables["HOTLINE_QUEUE"] == "other"
    assert all(r.variables["HOTLINE_QUEUE"] == "utilities" for r in results[:-1])
    outcomes = [v.outcome for v in lab.visits()]
    assert outcomes.count(IvrOutcome.QUEUED) == 30
    assert outcomes.count(IvrOutcome.ERROR) == 1
    await _settled(lab)
    assert lab.server.stats.errors == 1


async def test_close_hands_off_then_cuts_a_pbx_that_never_answers(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    held = _silent_pbx(lab.port)
    try:
        await _until(lambda: lab.server.active_calls == 1)
        await lab.server.close()
        assert lab.server.active_calls == 0
        assert [t.name for t in threading.enumerate() if t.name.startswith("agi-call")] == []
        assert [v.outcome for v in lab.visits()] == [IvrOutcome.OPERATOR_FALLBACK]
        held.settimeout(5)
        sent = b""
        while chunk := held.recv(4096):
            sent += chunk
        # The caller's final variables went out before our side closed; HOTLINE_OUTCOME last.
        assert sent.decode().splitlines()[-2:] == [
            'SET VARIABLE "HOTLINE_VISIT" "1"',
            'SET VARIABLE "HOTLINE_OUTCOME" "operator_fallback"',
        ]
        assert 'SET VARIABLE "HOTLINE_QUEUE" "other"' in sent.decode()
    finally:
        held.close()


@pytest.mark.slow
async def test_300_concurrent_calls_complete(lab_factory: LabFactory) -> None:
    lab = await lab_factory()
    presses = [["2", "1"], ["1", "2"], ["0"], ["4"], ["7", "3", "0"]]
    results = await asyncio.gather(
        *(lab.call(presses[n % 5], caller_number=f"+7916{n:07d}", uniqueid=f"l.{n}") for n in range(300))
    )
    assert all(r.closed_by_server for r in results)
    assert {r.variables["HOTLINE_QUEUE"] for r in results} == {"utilities", "passes", "other"}
    await _settled(lab)
    assert lab.server.stats.completed == 300
    assert lab.server.stats.refused_capacity == 0
    visits = lab.visits()
    assert len(visits) == 300
    assert all(v.ended_at is not None for v in visits)


async def test_callers_are_routed_while_the_database_is_down(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    settings = demo_settings(url, tmp_path)
    engine = db.make_engine(settings.database)
    server = AgiServer(
        settings, db.make_session_factory(engine), load_catalogue(), clock=lambda: TUESDAY_MORNING
    )
    port = await server.start()
    try:
        routed = await simulate_call(
            "127.0.0.1", port, caller_number=CALLER, caller_name=NAME, uniqueid="1", presses=["2", "1"]
        )
        assert routed.variables["HOTLINE_QUEUE"] == "utilities"
        assert routed.variables["HOTLINE_VISIT"] == ""
        status = await simulate_call(
            "127.0.0.1", port, caller_number=CALLER, caller_name=NAME, uniqueid="2", presses=["5"]
        )
        assert status.variables["HOTLINE_QUEUE"] == "other"  # the lookup failed: an operator answers
        assert status.variables["HOTLINE_OUTCOME"] == "error"
    finally:
        await server.close()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_locked_table_delays_the_caller_only_briefly(lab_factory: LabFactory, db_url: str) -> None:
    lab = await lab_factory(db_url)
    lab.server.handler.store.STATEMENT_TIMEOUT_MS = 300
    blocker = create_engine(db_url)
    try:
        with blocker.connect() as connection:
            connection.execute(text("LOCK TABLE ivr_visit IN ACCESS EXCLUSIVE MODE"))  # e.g. a migration
            started = time.perf_counter()
            result = await lab.call(["0"])
            waited = time.perf_counter() - started
            connection.rollback()
    finally:
        blocker.dispose()
    assert result.variables["HOTLINE_QUEUE"] == "other"
    assert result.variables["HOTLINE_VISIT"] == ""  # no record this time, but the caller got through
    assert waited < 2.5  # one 0.3 s statement timeout, not the 30 s lock wait


# ---------------------------------------------------------------------------- the live captures replayed
def _captured(scenario: str, cid: str) -> tuple[AgiSession, datetime]:
    call = next(c for c in live.summary(scenario)["calls"] if c["cid"] == cid)
    session = next(s for s in live.agi_sessions(scenario) if s.number in call["agi_sessions"])
    return session, datetime.fromtimestamp(session.header["start_wall"], tz=UTC)


def _dialplan_after(variables: dict[str, str]) -> str | None:
    """Where our [hotline-ivr] sends the call after the IVR left these variables."""
    conf = Path(__file__).resolve().parents[2] / "asterisk_conf" / "extensions.conf"

    def agi(values: dict[str, str]) -> bool:
        values.update(variables)
        values["AGISTATUS"] = "SUCCESS"  # res_agi's verdict whenever the FastAGI peer closes
        return True

    return walk(load_dialplan(conf), "hotline-ivr", "s", globals_of(conf), agi).reached_queue()


async def test_stop_mid_call_hands_the_caller_to_the_operator_queue(lab_factory: LabFactory) -> None:
    """ivr_killed K02: SIGTERM while the caller who pressed 0 heard topic_operator; it was hung up."""
    session, started = _captured("ivr_killed", "K02")
    lab = await lab_factory(now=started, grace_s=0.0)
    cut = asyncio.Event()
    call = asyncio.create_task(live.replay_session(lab.port, session, reached_cut=cut))
    reached = asyncio.create_task(cut.wait())
    await asyncio.wait({call, reached}, return_when=asyncio.FIRST_COMPLETED)
    assert cut.is_set(), call.result()  # a different conversation would end (or raise) first
    await lab.server.close()  # SIGTERM: the grace period is over at once
    replayed = await call
    assert replayed.interrupted == 'STREAM FILE hotline/ru/topic_operator "" 0'
    assert replayed.variables["HOTLINE_QUEUE"] == "other"
    assert replayed.variables["HOTLINE_OUTCOME"] == "operator_fallback"
    assert list(replayed.variables)[-1] == "HOTLINE_OUTCOME"
    assert _dialplan_after(replayed.variables) == "other"
    assert [v.outcome for v in lab.visits()] == [IvrOutcome.OPERATOR_FALLBACK]
    assert lab.server.stats.errors == 0


@pytest.mark.parametrize("cid", ["B28", "B38"])
async def test_hang_up_during_the_queued_prompt_is_a_hang_up(lab_factory: LabFactory, cid: str) -> None:
    """burst B28/B38 hung up while "queued" played; the IVR used to end them with `error`."""
    session, started = _captured("burst", cid)
    lab = await lab_factory(now=started)
    _publish_waiting(lab, "passes", 6, started)  # they heard the long-queue offer: 5+ waited
    replayed = await live.replay_session(lab.port, session)
    assert replayed.commands[-6] == "CHANNEL STATUS"  # the same conversation as on the PBX up to here
    assert replayed.variables["HOTLINE_OUTCOME"] == "hangup"
    assert replayed.variables["HOTLINE_QUEUE"] == ""
    assert replayed.variables["HOTLINE_TOPIC"] == "passes"
    await _settled(lab)
    assert [v.outcome for v in lab.visits()] == [IvrOutcome.HANGUP]
    assert lab.server.stats.errors == 0
