"""Server-rendered pages: login, wallboard, search, analytics, requests (Russian and English)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import (
    AnalystUser,
    AnyUser,
    SessionDep,
    SettingsDep,
    SupervisionUser,
    SupervisorUser,
    WiringDep,
    masking,
)
from api.i18n import pick_language
from api.render import login_page, render
from api.routes.requests import NUMBER, WRITE_ROLES
from hotline import citizen
from hotline.models import CitizenRequest, RequestStatus, Role
from hotline.timeutil import utcnow

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login(request: Request) -> Response:
    return login_page(request)


@router.get("/")
def home(user: AnyUser) -> Response:
    target = {
        Role.SUPERVISOR: "/wallboard",
        Role.ANALYST: "/search",
        Role.OPERATOR: "/desk",
        Role.DEPARTMENT: "/department",
    }.get(user.role, "/wallboard")
    return RedirectResponse(target, status_code=303)


@router.get("/wallboard")
def wallboard(user: SupervisorUser, request: Request) -> Response:
    return render(request, "wallboard.html", user)


@router.get("/search")
def search_page(user: AnalystUser, request: Request) -> Response:
    return render(request, "search.html", user)


@router.get("/analytics")
def analytics_page(user: SupervisionUser, request: Request, settings: SettingsDep) -> Response:
    today = citizen.local_day(settings, utcnow())
    return render(
        request,
        "analytics.html",
        user,
        since=(today - timedelta(days=13)).isoformat(),
        until=today.isoformat(),
    )


@router.get("/requests")
def requests_page(
    *,
    user: SupervisionUser,
    request: Request,
    session: SessionDep,
    wiring: WiringDep,
    view: Literal["all", "overdue"] = "all",
) -> Response:
    from sqlalchemy import select

    today = citizen.local_day(wiring.settings, utcnow())
    overdue = citizen.overdue_requests(session, today=today)
    rows: list[CitizenRequest] = (
        overdue
        if view == "overdue"
        else list(
            session.scalars(select(CitizenRequest).order_by(CitizenRequest.created_at.desc()).limit(200))
        )
    )
    mask = masking(wiring.settings, user)
    items = [
        {
            "number": row.number,
            "created": row.created_at.astimezone(wiring.settings.zone).strftime("%Y-%m-%d %H:%M"),
            "topic": row.topic,
            "caller": " ".join(filter(None, [mask.name(row.caller_name), mask.number(row.caller_number)])),
            "status": row.status.value,
            "expected": row.expected_at.isoformat(),
            "overdue": citizen.is_overdue(row, today),
            "escalated": row.escalated_at is not None,
        }
        for row in rows
    ]
    return render(
        request,
        "requests.html",
        user,
        items=items,
        view=view,
        overdue_total=len(overdue),
        can_write=user.role in WRITE_ROLES,
        request_topics=wiring.topics.request_topics(pick_language(request, user.language)),
    )


@router.get("/requests/{number}")
def request_page(
    user: SupervisionUser,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    number: Annotated[str, Path(pattern=NUMBER)],
) -> Response:
    row = citizen.find_request(session, number)
    if row is None:
        raise HTTPException(404, "no such request")
    data = masking(settings, user).record(citizen.as_open311(row))
    return render(
        request,
        "request_detail.html",
        user,
        r=data,
        statuses=[status.value for status in RequestStatus],
        can_write=user.role in WRITE_ROLES,
    )
