"""Live views built from the `abandon` capture's facts (queue `other`, its callers and member)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.live import AgentState, AgentView, LiveView, QueueMemberView, QueueView, WaitingCaller, publish
from hotline.live_patch import apply
from hotline.models import Pbx
from hotline.timeutil import utcnow

PAVEL = QueueMemberView(interface="Local/agent7@agents/n", name="Павел Лебедев", state=AgentState.FREE)


def caller(number: str, name: str, uniqueid: str, position: int, joined_at: datetime) -> WaitingCaller:
    return WaitingCaller(
        uniqueid=uniqueid,
        linkedid=uniqueid,
        caller_number=number,
        caller_name=name,
        topic="musor",
        position=position,
        joined_at=joined_at,
    )


def view_with_waiting(count: int, *, connected: bool = True, paused: bool = False) -> LiveView:
    now = utcnow()
    callers = [
        caller("+79497260626", "Елена Козлова", "1795316951.12", 1, now - timedelta(seconds=40)),
        caller("89299917908", "Владимир Соколов", "1795316969.14", 2, now - timedelta(seconds=12)),
    ][:count]
    member = PAVEL.model_copy(
        update={"state": AgentState.PAUSED, "paused": True, "pause_reason": "обед"} if paused else {}
    )
    return LiveView(
        pbx="lab",
        connected=connected,
        at=now,
        queues=[QueueView(name="other", waiting=callers, members=[member], strategy="fewestcalls")],
        agents=[
            AgentView(
                interface=member.interface,
                name=member.name,
                state=member.state,
                pause_reason=member.pause_reason,
                queues=["other"],
            )
        ],
    )


def publish_view(factory: sessionmaker[Session], view: LiveView) -> int:
    """Publish as the listener does: the view and, in the same transaction, its heartbeat."""
    with transaction(factory) as session:
        row = session.scalar(select(Pbx).where(Pbx.name == view.pbx)) or Pbx(name=view.pbx)
        row.connected, row.heartbeat_at = view.connected, utcnow()
        session.add(row)
        return publish(session, view)


def follow(events: Iterable[tuple[str, Any]]) -> Iterator[dict[str, Any]]:
    """Whole views from a live stream's `view` and `patch` events (patches applied as a viewer does)."""
    views: dict[str, dict[str, Any]] = {}
    for kind, data in events:
        if kind == "snapshot":
            views = {view["pbx"]: view for view in data["views"]}
        elif kind == "view":
            views[data["pbx"]] = data
            yield data
        elif kind == "patch" and data["pbx"] in views:
            views[data["pbx"]] = apply(views[data["pbx"]], data["changes"])
            yield views[data["pbx"]]


async def stream_views(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any] | None]]:
    """From a live stream: ("snapshot", None) once connected, then ("view", the whole view) per change."""
    event = ""
    views: dict[str, dict[str, Any]] = {}
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
            continue
        if not line.startswith("data: "):
            continue
        data = json.loads(line[6:])
        if event == "snapshot":
            views = {view["pbx"]: view for view in data["views"]}
            yield "snapshot", None
        elif event == "view":
            views[data["pbx"]] = data
            yield "view", data
        elif event == "patch" and data["pbx"] in views:
            views[data["pbx"]] = apply(views[data["pbx"]], data["changes"])
            yield "view", views[data["pbx"]]
