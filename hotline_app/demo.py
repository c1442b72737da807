"""`hotline demo`: every part of hotline in one process on SQLite, fed by a replayed real capture.

The wiring point for the demo process: it builds settings, database, users, and starts, in one
asyncio loop, the capture replay server (a stand-in PBX on 127.0.0.1), the real AMI listener connected
to it, the FastAGI IVR with simulated callers on real TCP connections, and the API with its pages.
A worker thread transcribes the shipped recordings with a Vosk model, or stores their script without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hotline import db
from hotline.domain import Role
from hotline.lifecycle import Lifecycle
from hotline.settings import Settings, load_settings

log = logging.getLogger(__name__)

DEMO_PBX = "demo"
DEMO_USERS = (("supervisor", Role.SUPERVISOR), ("analyst", Role.ANALYST), ("admin", Role.ADMIN))
# Callers the IVR simulator plays: (number, name); names are invented, like the capture's.
DEMO_CALLERS = (
    ("+79161234501", "Ирина Белова"),
    ("+79031234502", "Андрей Орлов"),
    ("+380441234503", "Олена Шевченко"),
    ("84951234504", ""),
    ("+79261234505", "Никита Зайцев"),
)


@dataclass(frozen=True)
class DemoOptions:
    folder: Path
    host: str = "127.0.0.1"
    api_port: int = 8000
    agi_port: int = 4573
    speed: float = 1.0
    simulated_callers: bool = True
    caller_interval_s: float = 6.0


def demo_settings(options: DemoOptions, config: Path | None, replay_port: int) -> Settings:
    folder = options.folder.resolve()
    return load_settings(
        config,
        demo=True,
        database={"url": f"sqlite:///{folder / 'hotline.db'}"},
        ami={"pbxes": [{"name": DEMO_PBX, "host": "127.0.0.1", "port": replay_port, "secret": "hotline"}]},
        agi={"host": options.host, "port": options.agi_port, "sounds_dir": str(folder / "sounds")},
        recordings={"dir": str(folder / "recordings")},
        api={"host": options.host, "port": options.api_port, "cookie_secure": False},
        # A wall screen's link (printed in the banner); a new token every start, like the passwords.
        wallboard={"tv_tokens": {"demo": secrets.token_urlsafe(24)}},
    )


def prepare_folder(folder: Path) -> None:
    """The demo folder holds the database and a copy of the capture's recordings."""
    recordings = folder / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    source = resources.files("hotline_app") / "demo_data" / "recordings"
    for item in source.iterdir():
        target = recordings / item.name
        if not target.exists():
            with resources.as_file(item) as path:
                shutil.copyfile(path, target)


def capture_path() -> Path:
    return Path(str(resources.files("hotline_app") / "demo_data" / "load.ami.gz"))


def ensure_users(factory: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """Create (or reset) the demo logins; returns (username, role, password) to print."""
    from api.users import create_user, set_password
    from hotline.errors import NotFoundError

    logins = []
    with db.transaction(factory) as session:
        for username, role in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            try:
                set_password(session, username=username, password=password)
            except NotFoundError:
                create_user(session, username=username, role=role, password=password)
            logins.append((username, role.value, password))
    return logins


async def simulate_callers(settings: Settings, options: DemoOptions, port: int, stop: asyncio.Event) -> None:
    """Callers dial in over real FastAGI connections and walk the menu, so visits and routing move."""
    from ivr.peer import simulate_call

    rng = random.Random(7)
    serial = 0
    while not stop.is_set():
        serial += 1
        number, name = rng.choice(DEMO_CALLERS)
        presses = rng.choice([["1"], ["2"], ["3"], ["2", "1"], ["9", "1"], [], ["0"]])
        try:
            await simulate_call(
                options.host if options.host != "0.0.0.0" else "127.0.0.1",  # noqa: S104
                port,
                caller_number=number,
                caller_name=name,
                uniqueid=f"{1795400000 + serial}.{serial}",
                presses=presses,
                hangup_after=None,
            )
        except (TimeoutError, OSError) as exc:
            log.warning("simulated caller failed", extra={"error": str(exc)})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=options.caller_interval_s)


async def run_demo(options: DemoOptions, config: Path | None, *, on_ready: Callable[[str], None]) -> None:
    """Run until SIGINT/SIGTERM; every component is stopped and awaited before returning."""
    from ami_listener.replay import ReplayServer
    from ami_listener.service import AmiService
    from api.app import create_app
    from api.server import serve
    from hotline.catalogue import load_catalogue
    from hotline_app import demo_loop
    from hotline_app.demo_transcripts import demo_transcripts_in_thread, model_missing
    from ivr.server import AgiServer

    options.folder.mkdir(parents=True, exist_ok=True)
    prepare_folder(options.folder)
    transcriber_stop = threading.Event()
    transcriber: threading.Thread | None = None
    engine = None
    try:
        async with Lifecycle("demo") as life:

            async def stop_transcriber() -> None:
                transcriber_stop.set()

            life.on_shutdown(stop_transcriber)
            # Re-timed to now, so the wallboard shows today's calls and real waiting times.
            replay = ReplayServer(capture_path(), speed=options.speed, loop=True, present=True)
            replay_port = await replay.start()
            settings = demo_settings(options, config, replay_port)
            engine = db.make_engine(settings.database)
            await asyncio.to_thread(db.upgrade, engine)
            factory = db.make_session_factory(engine)
            logins = await asyncio.to_thread(ensure_users, factory)
            logins += await asyncio.to_thread(demo_loop.seed, factory, settings)

            agi = AgiServer(settings, factory, load_catalogue(settings.agi.catalogue_path))
            agi_port = await agi.start()
            listener = AmiService(settings, factory)
            # Stop accepting in this order; the tasks then end by themselves within the grace period.
            life.on_shutdown(listener.stop)
            life.on_shutdown(agi.close)
            life.on_shutdown(replay.close)
            api_ready = asyncio.Event()
            app = create_app(settings, factory)
            life.spawn(listener.run(), name="ami-listener")
            life.spawn(serve(settings, ready=api_ready, stop=life.stop, app=app), name="api")
            if options.simulated_callers:
                life.spawn(simulate_callers(settings, options, agi_port, life.stop), name="callers")
            life.spawn(demo_loop.run_dialer(settings, factory, life.stop), name="dialer")
            # A model configured or downloaded into models_dir (what `hotline models download` does) counts.
            missing = model_missing(settings)
            if missing is not None:
                log.warning(
                    "recordings are not transcribed, the shipped ones get the capture's script: %s", missing
                )
            transcriber = threading.Thread(
                target=demo_transcripts_in_thread,
                args=(settings, factory, transcriber_stop),
                kwargs={"with_model": missing is None},
                name="transcriber",
            )
            transcriber.start()

            await life.wait(api_ready)
            await _until_listener_connected(factory, life.stop)
            if not life.stop.is_set():
                # With --port 0 the system picks a free port: print the one actually bound.
                api_port = getattr(app.state, "bound_port", options.api_port)
                host = "127.0.0.1" if options.host == "0.0.0.0" else options.host  # noqa: S104
                url = f"http://{host}:{api_port}/"
                tv = f"{url}tv?token={settings.wallboard.tv_tokens['demo'].get_secret_value()}"
                on_ready(_banner(url, logins, agi_port, replay_port, options.folder, tv))
                await life.wait()
    finally:
        transcriber_stop.set()
        if transcriber is not None:
            await asyncio.to_thread(transcriber.join)
        if engine is not None:
            engine.dispose()


async def _until_listener_connected(
    factory: sessionmaker[Session], stop: asyncio.Event, *, within_s: float = 30.0
) -> None:
    """Wait until the listener has stored the demo PBX as connected, so `/health` says up when the banner
    does: the listener writes its health with its next batch, a moment after it logs in."""
    from sqlalchemy import select

    from hotline.models import Pbx

    def stored_connected() -> bool:
        with factory() as session:
            return bool(session.scalar(select(Pbx.connected).where(Pbx.name == DEMO_PBX)))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not stop.is_set() and loop.time() < deadline:
        if await asyncio.to_thread(stored_connected):
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)
    if not stop.is_set():
        log.warning("the AMI listener has not connected to the replayed PBX in %.0f s", within_s)


BANNER_END = "press Ctrl-C to stop"  # the banner's last words: the demo is up


@dataclass(frozen=True)
class Banner:
    url: str  # without the trailing slash
    passwords: dict[str, str]  # username -> password
    tv: str | None = None  # the wall screen's link, token included


def read_banner(text: str) -> Banner | None:
    """The URL and logins from the demo's start-up text (the end-to-end test and screenshots read it)."""
    found = re.search(r"open (http://\S+?)/?$", text, re.MULTILINE)
    if found is None or BANNER_END not in text:
        return None
    passwords = dict(re.findall(r"^  (\w+)\s+(\S+)\s+\(\w+\)$", text, re.MULTILINE))
    tv = re.search(r"^wall screen .*: (http://\S+)$", text, re.MULTILINE)
    return Banner(found.group(1), passwords, tv.group(1) if tv else None)


def _banner(
    url: str, logins: list[tuple[str, str, str]], agi_port: int, replay_port: int, folder: Path, tv: str
) -> str:
    lines = [
        "",
        f"hotline demo is running: open {url}",
        "logins (new passwords every start):",
        *[f"  {username:<11} {password:<14} ({role})" for username, role, password in logins],
        f"wall screen (read-only TV mode, no login): {tv}",
        f"also: {url}staffing (Erlang staffing), {url}reports, {url}analytics",
        f"FastAGI IVR on port {agi_port}; AMI replay of a real Asterisk 22 capture on port {replay_port}",
        f"data in {folder.resolve()}; {BANNER_END}",
        "",
    ]
    return "\n".join(lines)
