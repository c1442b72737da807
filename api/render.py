"""The HTML shell of every page: the template with the user's language, messages and security headers.

The app's exception handlers render the login and error pages too, and a handler gets no dependencies:
so these read the wiring from the request, where routes get theirs through `api.deps`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.auth import Principal, authenticate
from api.i18n import LANGUAGES, catalogue, pick_language, translator
from api.wiring import wiring_of


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
