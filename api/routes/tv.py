"""Read-only TV mode of the wallboard: a wall screen holds a token from settings, not a user session.

Open /tv?token=... once: the token moves into an HttpOnly cookie (off the address bar) and the screen
shows the wallboard in large type, callers always masked, no controls. Its stream reconnects by itself.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.i18n import pick_language
from api.render import render
from api.routes.live import stream_response, today_curve
from api.schemas import LiveToday
from api.wiring import wiring_of

router = APIRouter(tags=["live"])
TV_COOKIE = "hotline_tv"
TV_COOKIE_MAX_AGE_S = 365 * 86400


class TvNotAllowed(Exception):
    """No valid TV token: 401."""


def tv_screen(request: Request, token: str | None = None) -> str:
    """The name of the TV screen whose token this request carries; raises TvNotAllowed."""
    offered = (token or request.cookies.get(TV_COOKIE) or "").encode()
    if offered:
        for name, secret in wiring_of(request).settings.wallboard.tv_tokens.items():
            if hmac.compare_digest(offered, secret.get_secret_value().encode()):
                return name
    raise TvNotAllowed()


@router.get("/tv", include_in_schema=False)
def tv_page(request: Request, token: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    if token is not None:
        tv_screen(request, token)
        response = RedirectResponse("/tv", status_code=303)
        response.set_cookie(
            TV_COOKIE,
            token,
            max_age=TV_COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=wiring_of(request).settings.api.cookie_secure,
            path="/",
        )
        return response
    screen = tv_screen(request)
    wiring = wiring_of(request)
    return render(
        request,
        "wallboard.html",
        None,
        tv=screen,
        topic_names=wiring.topics.names(pick_language(request)),
        alert_sound=wiring.settings.wallboard.alert_sound,
    )


@router.get(
    "/api/tv/stream",
    summary="The wallboard stream for a TV screen (cookie from /tv?token=...): callers masked.",
    response_class=StreamingResponse,
)
async def tv_stream(request: Request) -> StreamingResponse:
    tv_screen(request)
    return stream_response(wiring_of(request).hub, masked=True)


@router.get("/api/tv/today", summary="Today's curve for a TV screen (cookie from /tv?token=...).")
def tv_today(request: Request) -> LiveToday:
    tv_screen(request)
    wiring = wiring_of(request)
    with wiring.session_factory() as session:
        return today_curve(session, wiring.settings, 5)
