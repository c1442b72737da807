"""Read-only TV mode of the wallboard: a wall screen holds a token from settings, not a user session.

Open /tv?token=... once: the token moves into an HttpOnly cookie (off the address bar) and the screen
shows the wallboard in large type, callers always masked, no controls. Its stream reconnects by itself.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.deps import SessionDep, SettingsDep, WiringDep
from api.i18n import pick_language
from api.render import render
from api.routes.live import stream_response, today_curve
from api.schemas import LiveToday
from hotline.settings import Settings

router = APIRouter(tags=["live"])
TV_COOKIE = "hotline_tv"
TV_COOKIE_MAX_AGE_S = 365 * 86400


class TvNotAllowed(Exception):
    """No valid TV token: 401. `offered` tells a wrong token from none, so the screen can say which."""

    def __init__(self, *, offered: bool) -> None:
        super().__init__("the TV token is not valid" if offered else "no TV token")
        self.offered = offered


def screen_of(settings: Settings, token: str | None) -> str:
    """The name of the TV screen whose token this is; raises TvNotAllowed."""
    offered = (token or "").encode()
    if offered:
        for name, secret in settings.wallboard.tv_tokens.items():
            if hmac.compare_digest(offered, secret.get_secret_value().encode()):
                return name
    raise TvNotAllowed(offered=bool(offered))


def tv_screen(request: Request, settings: SettingsDep) -> str:
    """The TV screen whose token cookie this request carries; raises TvNotAllowed."""
    return screen_of(settings, request.cookies.get(TV_COOKIE))


TvScreen = Annotated[str, Depends(tv_screen)]


@router.get("/tv", include_in_schema=False)
def tv_page(
    request: Request, wiring: WiringDep, token: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    # An empty ?token= (a link cut short) is no token: the screen keeps the cookie it has. A wrong one
    # is refused before the cookie is touched.
    if token:
        screen_of(wiring.settings, token)
        response = RedirectResponse("/tv", status_code=303)
        response.set_cookie(
            TV_COOKIE,
            token,
            max_age=TV_COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=wiring.settings.api.cookie_secure,
            path="/",
        )
        return response
    return render(
        request,
        "wallboard.html",
        None,
        tv=screen_of(wiring.settings, request.cookies.get(TV_COOKIE)),
        topic_names=wiring.topics.names(pick_language(request)),
        alert_sound=wiring.settings.wallboard.alert_sound,
    )


@router.get(
    "/api/tv/stream",
    summary="The wallboard stream for a TV screen (cookie from /tv?token=...): callers masked.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def tv_stream(screen: TvScreen, wiring: WiringDep) -> StreamingResponse:
    return stream_response(wiring.hub, masked=True)


@router.get("/api/tv/today", summary="Today's curve for a TV screen (cookie from /tv?token=...).")
def tv_today(screen: TvScreen, session: SessionDep, settings: SettingsDep) -> LiveToday:
    return today_curve(session, settings, 5)
