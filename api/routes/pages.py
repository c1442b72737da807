"""Server-rendered pages: login, wallboard, search, analytics, requests (Russian and English)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal, authenticate, require
from api.deps import AnalystUser, CurrentUser, SessionDep, SettingsDep, SupervisorUser, WiringDep, masking
from api.i18n import LANGUAGES, catalogue, pick_language, translator
from api.routes.requests import NUMBER, WRITE_ROLES
from api.wiring import wiring_of
from hotline import citizen
from hotline.models import CitizenRequest, RequestStatus, Role
from hotline.timeutil import utcnow

router = APIRouter(include_in_schema=False)


def render(
    request: Request, name: str, user: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    language = pick_language(request, user.language if user else None)
    wiring = wiring_of(request)
    response = wiring.templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf": user.csrf if user else None,
            "lang": language,
            "t": translator(language),
            "messages": catalogue(language),
            "topic_names": wiring.topics.names(language) if user else {},
            "timezone": wiring.settings.timezone,  # times are shown in the hotline's zone
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'"
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def login_page(request: Request, *, status_code: int = 200, message_key: str | None = None) -> HTMLResponse:
    t = translator(pick_language(request))
    target = request.url.path if request.method == "GET" and request.url.path != "/login" else "/"
    return render(
        request,
        "login.html",
        None,
        status_code=status_code,
        message=t(message_key) if message_key else None,
        next=request.query_params.get("next", target),
    )


def error_page(request: Request, *, status_code: int, message_key: str) -> HTMLResponse:
    user = authenticate(request)
    return render(
        request,
        "error.html",
        user,
        status_code=status_code,
        message=translator(pick_language(request, user.language if user else None))(message_key),
    )


@router.get("/login")
def login(request: Request) -> Response:
    return login_page(request)


@router.get("/")
def home(user: Annotated[Principal, require(*Role)]) -> Response:
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
def analytics_page(user: CurrentUser, request: Request, settings: SettingsDep) -> Response:
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
    user: CurrentUser,
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
    user: CurrentUser,
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
