"""GET /health: each dependency's state for load balancers and monitoring (no login)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from api.wiring import wiring_of
from hotline.models import JobStatus, Pbx, TranscriptionJob
from hotline.timeutil import utcnow
from transcription.jobs import waiting_for_model

router = APIRouter(tags=["health"])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@router.get("/health", summary="Dependency health; 503 when one is down. No login needed.")
def health(request: Request) -> JSONResponse:
    wiring = wiring_of(request)
    checks: dict[str, Any] = {}
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
        checks["database"] = {"ok": True}
    except Exception as exc:
        return JSONResponse(
            {"status": "down", "checks": {"database": {"ok": False, "error": type(exc).__name__}}},
            status_code=503,
        )
    pbxes: dict[str, Any] = {}
    for configured in wiring.settings.ami.pbxes:
        row = rows.get(configured.name)
        connected = bool(row and row.connected)
        ok &= connected
        pbxes[configured.name] = {
            "ok": connected,
            "connected": connected,
            "last_event_at": _iso(row.last_event_at) if row else None,
            "last_disconnected_at": _iso(row.last_disconnected_at) if row else None,
            "reconnects_total": row.reconnects_total if row else 0,
            "error": None if connected else ("never connected" if row is None else "disconnected"),
        }
    checks["ami"] = pbxes
    oldest_age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    checks["transcription_backlog"] = {
        "ok": True,
        "queued": queued,
        "running": running,
        "oldest_queued_age_s": round(oldest_age, 1),
        # Jobs in a language with no configured model: they wait for `hotline models download`.
        "waiting_for_model": waiting,
    }
    hub = wiring.hub
    live_ok = hub.failing == 0
    ok &= live_ok
    checks["live"] = {
        "ok": live_ok,
        "viewers": hub.viewers,
        "last_poll_ok": _iso(hub.last_poll_ok),
        "failing_polls": hub.failing,
    }
    return JSONResponse({"status": "ok" if ok else "down", "checks": checks}, status_code=200 if ok else 503)
