"""Live queues: the current snapshot and a Server-Sent Events stream of changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from api.auth import Principal, require, roles_note
from api.live_hub import sse
from api.wiring import wiring_of
from hotline.models import Role

router = APIRouter(tags=["live"])
LIVE_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@router.get(
    "/api/live",
    summary="Current live snapshot: per PBX its calls, queues with waiting callers, agents; today's "
    "KPIs per queue. " + roles_note(*LIVE_ROLES),
)
async def live(*, request: Request, user: Annotated[Principal, require(*LIVE_ROLES)]) -> Response:
    # Served from the process's hub memory: no query per viewer.
    return Response(wiring_of(request).hub.snapshot_json(), media_type="application/json")


@router.get(
    "/api/live/stream",
    summary="Server-Sent Events: `snapshot` first, then `view` (one PBX's new view) and `kpis` on change. "
    + roles_note(*LIVE_ROLES),
    response_class=StreamingResponse,
)
async def live_stream(
    *, request: Request, user: Annotated[Principal, require(*LIVE_ROLES)]
) -> StreamingResponse:
    hub = wiring_of(request).hub
    queue = hub.subscribe()

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 1000\n\n" + sse("snapshot", hub.snapshot())
            while True:
                yield await queue.get()
        finally:
            hub.unsubscribe(queue)

    headers: dict[str, Any] = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
