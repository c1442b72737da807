"""The running listener: one PbxLink (`link.py`) per configured PBX, started and stopped together."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from ami_listener.link import OnChange, PbxLink, _Item
from ami_listener.store import Store
from hotline.errors import AmiError
from hotline.settings import Settings
from hotline.timeutil import utcnow

log = logging.getLogger(__name__)


class AmiService:
    """Listens to every configured PBX until stopped; the one object a process needs to run AMI."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        on_change: OnChange | None = None,
        link_class: type[PbxLink] = PbxLink,
    ) -> None:
        self.settings = settings
        publisher = None
        if settings.api.redis_url:
            from ami_listener.live_publish import LivePublisher

            publisher = LivePublisher(settings.api.redis_url)
        self._publisher = publisher
        self.store = Store(session_factory, publisher=publisher)
        self.links = [
            link_class(settings, pbx, self.store, on_change=on_change) for pbx in settings.ami.pbxes
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        if not self.links:
            raise AmiError("no PBX configured (ami.pbxes is empty)")
        self._consumers = [asyncio.create_task(link.run_consumer()) for link in self.links]
        self._tasks = [asyncio.create_task(link.run_connection()) for link in self.links]
        try:
            await self._stopped.wait()
        finally:
            await self._shutdown()

    async def stop(self) -> None:
        """Stop reading, apply what is queued, flush everything, close the connections."""
        self._stopped.set()
        await self._shutdown()

    async def _shutdown(self) -> None:
        for link in self.links:
            await link.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        for link in self.links:
            link.queue.put_nowait(_Item("stop", utcnow()))
        if self._consumers:
            results = await asyncio.gather(*self._consumers, return_exceptions=True)
            self._consumers = []
            for result in results:
                if isinstance(result, BaseException):
                    log.error("AMI consumer ended with an error: %r", result)
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
