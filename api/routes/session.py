"""Sign in and out: web login into a session cookie (rate-limited), and who am I."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth import end_session, new_csrf_token, start_session
from api.deps import AnyUser, WiringDep
from api.render import login_page
from api.schemas import Detail, LoginAnswer, Me
from api.users import find_user, verify_password
from api.validation import Text
from api.wiring import Wiring
from hotline.db import transaction
from hotline.models import AuditLog, User
from hotline.timeutil import utcnow

router = APIRouter(tags=["session"])


class LoginBody(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def _same_origin(request: Request) -> bool:
    # Login has no session to carry a CSRF token yet; a foreign Origin is refused instead.
    origin = request.headers.get("origin")
    return origin is None or origin == "null" or urlsplit(origin).netloc == request.url.netloc


def _attempt(request: Request, wiring: Wiring, username: str, password: str) -> tuple[User | None, float]:
    """(user or None, retry_after_s)."""
    address = client_addr(request) or "-"
    # Counted as a failure already, in the step that let it through: parallel guesses cannot all pass.
    attempt = wiring.throttle.attempt(address, username)
    if attempt.retry_after_s > 0:
        return None, attempt.retry_after_s
    with transaction(wiring.session_factory) as session:
        user = find_user(session, username)
        if not verify_password(user, password):
            user = None
            session.add(
                AuditLog(
                    username=username[:64],
                    action="login_failed",
                    object_type="user",
                    object_id=username[:128],
                    client_addr=client_addr(request),
                )
            )
        else:
            assert user is not None
            user.last_login_at = utcnow()
            session.add(
                AuditLog(
                    user_id=user.id,
                    username=user.username,
                    action="login",
                    object_type="user",
                    object_id=user.username,
                    client_addr=client_addr(request),
                )
            )
    # After the transaction: the shared throttle may take a connection of its own, and a login holding
    # two at once could starve the pool under a flood of attempts.
    if user is not None:
        wiring.throttle.succeeded(address, username, attempt)
    return user, 0.0


@router.post("/login", include_in_schema=False)
def login_form(
    request: Request,
    wiring: WiringDep,
    username: Annotated[Text, Form(max_length=64)],
    password: Annotated[Text, Form(max_length=1024)],
    next: Annotated[Text, Form(max_length=512)] = "/",
) -> Response:
    if not _same_origin(request):
        return login_page(request, status_code=403, message_key="forbidden")
    user, wait = _attempt(request, wiring, username, password)
    if wait > 0:
        limited = login_page(request, status_code=429, message_key="login_limited")
        limited.headers["Retry-After"] = str(int(wait) + 1)
        return limited
    if user is None:
        return login_page(request, status_code=401, message_key="login_failed")
    # Only local paths: an open redirect after login would help phishing.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    redirect = RedirectResponse(target, status_code=303)
    start_session(redirect, wiring, user, client_addr=client_addr(request))
    return redirect


@router.post(
    "/api/login",
    summary="Sign in with user name and password; sets the session cookie and returns the CSRF token.",
    response_model=LoginAnswer,
    responses={
        401: {"model": Detail, "description": "wrong user name or password"},
        403: {"model": Detail, "description": "cross-origin login refused"},
        429: {"model": Detail, "description": "too many attempts"},
    },
)
def login_json(request: Request, wiring: WiringDep, body: LoginBody) -> JSONResponse:
    if not _same_origin(request):
        return JSONResponse({"detail": "cross-origin login refused"}, status_code=403)
    user, wait = _attempt(request, wiring, body.username, body.password)
    if wait > 0:
        return JSONResponse(
            {"detail": "too many login attempts"},
            status_code=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    if user is None:
        return JSONResponse({"detail": "wrong user name or password"}, status_code=401)
    csrf = new_csrf_token()
    answer = LoginAnswer(username=user.username, role=user.role.value, csrf=csrf)
    response = JSONResponse(answer.model_dump())
    start_session(response, wiring, user, csrf, client_addr=client_addr(request))
    return response


@router.post(
    "/logout",
    summary="End the web session and send the browser to the login page.",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "session ended; Location is /login"}},
)
def logout(wiring: WiringDep, user: AnyUser) -> Response:
    # Every signed-in role has the sign-out button (the desk and department pages too).
    response = RedirectResponse("/login", status_code=303)
    end_session(response, wiring, user)
    return response


@router.get("/api/me", summary="The current user and the CSRF token to send.")
def me(user: AnyUser) -> Me:
    return Me(username=user.username, role=user.role.value, language=user.language, csrf=user.csrf)
