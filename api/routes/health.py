"""GET /health: each dependency's state for load balancers and monitoring (no login)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from sqlalchemy import func, select, text

from api.deps import WiringDep
from api.schemas import BacklogCheck, DatabaseCheck, Health, HealthChecks, LiveCheck, PbxCheck
from hotline.jobs import waiting_for_model
from hotline.live import liveness
from hotline.models import JobStatus, Pbx, TranscriptionJob
from hotline.timeutil import utcnow

router = APIRouter(tags=["health"])
# What the listener counts and never hides (a state error is a listener bug: it must stay 0).
LISTENER_COUNTERS = (
    "parse_errors_total",
    "state_errors_total",
    "lost_calls_total",
    "values_cleaned_total",
    "rows_rejected_total",
    "records_lost_total",
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@router.get(
    "/health",
    summary="Dependency health; 503 when one is down. No login needed.",
    responses={503: {"model": Health, "description": "a dependency is down"}},
)
def health(wiring: WiringDep, response: Response) -> Health:
    ok = True
    try:
        with wiring.session_factory() as session:
            session.execute(text("SELECT 1"))
            rows = {row.name: row for row in session.scalars(select(Pbx))}
            queued, oldest = session.execute(
                select(func.count(), func.min(TranscriptionJob.queued_at)).where(
                    TranscriptionJob.status == JobStatus.QUEUED
                )
            ).one()
            running = session.scalar(select(func.count()).where(TranscriptionJob.status == JobStatus.RUNNING))
            waiting = waiting_for_model(session, wiring.settings.transcription)
    except Exception as exc:
        response.status_code = 503
        return Health(
            status="down", checks=HealthChecks(database=DatabaseCheck(ok=False, error=type(exc).__name__))
        )
    pbxes: dict[str, PbxCheck] = {}
    now = utcnow()
    for configured in wiring.settings.ami.pbxes:
        row = rows.get(configured.name)
        state = liveness(row, now, wiring.settings.ami.stale_after_s)
        ok &= state.live
        pbxes[configured.name] = PbxCheck(
            ok=state.live,
            connected=bool(row and row.connected),
            heartbeat_at=_iso(row.heartbeat_at) if row else None,
            not_live_since=_iso(state.since),
            last_event_at=_iso(row.last_event_at) if row else None,
            last_disconnected_at=_iso(row.last_disconnected_at) if row else None,
            reconnects_total=row.reconnects_total if row else 0,
            **{name: getattr(row, name) if row else 0 for name in LISTENER_COUNTERS},
            error=state.reason,
        )
    oldest_age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    hub = wiring.hub
    live_ok = hub.failing == 0
    ok &= live_ok
    checks = HealthChecks(
        database=DatabaseCheck(ok=True),
        ami=pbxes,
        transcription_backlog=BacklogCheck(
            ok=True,
            queued=queued,
            running=running,
            oldest_queued_age_s=round(oldest_age, 1),
            waiting_for_model=waiting,
        ),
        live=LiveCheck(
            ok=live_ok, viewers=hub.viewers, last_poll_ok=_iso(hub.last_poll_ok), failing_polls=hub.failing
        ),
    )
    if not ok:
        response.status_code = 503
    return Health(status="ok" if ok else "down", checks=checks)
