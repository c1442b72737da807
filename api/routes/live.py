"""Live queues: the current snapshot and a Server-Sent Events stream of changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from api.deps import SUPERVISING, SessionDep, SettingsDep, SupervisorUser, WiringDep
from api.history import waiting_series
from api.live_hub import LiveHub
from api.live_stream import LiveStream
from api.schemas import HourServiceLevel, LiveSnapshot, LiveToday, WaitingPoint
from hotline.models import QueueEntry
from hotline.privacy import masks
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(tags=["live"])
LIVE_ROLES = SUPERVISING
# A stream ends after this long and the browser reconnects at once (SSE retry), so a disabled user's
# open wallboard stops within minutes and every viewer re-checks its session now and then.
STREAM_MAX_S = 600.0


@router.get(
    "/api/live",
    summary="Current live snapshot: per PBX its calls, queues with waiting callers, agents; today's "
    "KPIs per queue.",
    response_class=Response,
    responses={200: {"model": LiveSnapshot, "description": "the snapshot"}},
)
async def live(user: SupervisorUser, wiring: WiringDep) -> Response:
    # Served from the process's hub memory, encoded once per change: no query, no validation per viewer.
    masked = masks(wiring.settings, user.role)
    return Response(wiring.hub.snapshot_json(masked=masked), media_type="application/json")


@router.get(
    "/api/live/stream",
    summary="Server-Sent Events: `snapshot` first, then per change `patch` (what changed in one PBX's view, "
    "hotline.live_patch) or `view` (the whole view), `kpis`, and `alerts` (every threshold breach now, "
    "wallboard.thresholds).",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def live_stream(user: SupervisorUser, wiring: WiringDep) -> LiveStream:
    return stream_response(wiring.hub, masked=masks(wiring.settings, user.role))


def stream_response(hub: LiveHub, *, masked: bool) -> LiveStream:
    """One viewer's stream (the wallboard's and a TV screen's)."""
    return LiveStream(
        hub, b"retry: 1000\n\n" + hub.snapshot_message(masked=masked), masked=masked, max_s=STREAM_MAX_S
    )


@router.get(
    "/api/live/today",
    summary="Today's curve for the wallboard chart: most callers waiting per step (from queue records) "
    "and the service level per hour (hotline.kpi).",
)
def live_today(
    *,
    user: SupervisorUser,
    session: SessionDep,
    settings: SettingsDep,
    step_min: Annotated[int, Query(ge=1, le=60)] = 5,
) -> LiveToday:
    return today_curve(session, settings, step_min)


def today_curve(session: Session, settings: Settings, step_min: int) -> LiveToday:
    from sqlalchemy import or_, select

    from hotline.kpi import compute_kpis

    now = utcnow()
    start = now.astimezone(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    stays = session.execute(
        select(QueueEntry.entered_at, QueueEntry.left_at).where(
            QueueEntry.entered_at < now,
            or_(QueueEntry.left_at.is_(None), QueueEntry.left_at >= start),
            # Open stays older than a day are leftovers of an outage, not callers still waiting.
            QueueEntry.entered_at >= start - timedelta(days=1),
        )
    ).all()
    hours = compute_kpis(session, group_by="hour", since=start, until=now, settings=settings)
    series = waiting_series(
        [(entered, left) for entered, left in stays], start=start, end=now, step=timedelta(minutes=step_min)
    )
    # Rows come per (PBX, hour): the wallboard shows the hotline as a whole.
    totals: dict[str, tuple[int, int]] = {}
    for row in hours:
        answered, within = totals.get(row.key, (0, 0))
        totals[row.key] = (answered + row.answered, within + row.answered_within_sl)
    return LiveToday(
        day_start=start.isoformat(),
        step_min=step_min,
        waiting=[WaitingPoint(at=at.isoformat(), waiting=count) for at, count in series],
        service_level_by_hour=[
            HourServiceLevel(
                hour=key, service_level_pct=round(100 * within / answered, 1) if answered else None
            )
            for key, (answered, within) in sorted(totals.items())
        ],
    )
