"""Live queues: the current snapshot and a Server-Sent Events stream of changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.auth import Principal, require, roles_note
from api.history import waiting_series
from api.live_hub import sse, sse_stream
from api.wiring import wiring_of
from hotline.models import QueueEntry, Role
from hotline.timeutil import utcnow

router = APIRouter(tags=["live"])
LIVE_ROLES = (Role.SUPERVISOR, Role.ADMIN)
# A stream ends after this long and the browser reconnects at once (SSE retry), so a disabled user's
# open wallboard stops within minutes and every viewer re-checks its session now and then.
STREAM_MAX_S = 600.0


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
    events = sse_stream(hub, b"retry: 1000\n\n" + sse("snapshot", hub.snapshot()), max_s=STREAM_MAX_S)
    headers: dict[str, Any] = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.get(
    "/api/live/today",
    summary="Today's curve for the wallboard chart: most callers waiting per step (from queue records) "
    "and the service level per hour (hotline.kpi). " + roles_note(*LIVE_ROLES),
)
def live_today(
    *,
    request: Request,
    step_min: Annotated[int, Query(ge=1, le=60)] = 5,
    user: Annotated[Principal, require(*LIVE_ROLES)],
) -> dict[str, Any]:
    from sqlalchemy import or_, select

    from hotline.kpi import compute_kpis

    wiring = wiring_of(request)
    zone = wiring.settings.zone
    now = utcnow()
    start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    with wiring.session_factory() as session:
        stays = session.execute(
            select(QueueEntry.entered_at, QueueEntry.left_at).where(
                QueueEntry.entered_at < now,
                or_(QueueEntry.left_at.is_(None), QueueEntry.left_at >= start),
                # Open stays older than a day are leftovers of an outage, not callers still waiting.
                QueueEntry.entered_at >= start - timedelta(days=1),
            )
        ).all()
        hours = compute_kpis(session, group_by="hour", since=start, until=now, settings=wiring.settings)
    series = waiting_series(
        [(entered, left) for entered, left in stays], start=start, end=now, step=timedelta(minutes=step_min)
    )
    # Rows come per (PBX, hour): the wallboard shows the hotline as a whole.
    totals: dict[str, tuple[int, int]] = {}
    for row in hours:
        answered, within = totals.get(row.key, (0, 0))
        totals[row.key] = (answered + row.answered, within + row.answered_within_sl)
    return {
        "step_min": step_min,
        "waiting": [{"at": at.isoformat(), "waiting": count} for at, count in series],
        "service_level_by_hour": [
            {"hour": key, "service_level_pct": round(100 * within / answered, 1) if answered else None}
            for key, (answered, within) in sorted(totals.items())
        ],
    }
