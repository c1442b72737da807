"""Who is calling: a session cookie (web pages) or a personal Bearer token (scripts), and their role.

Every protected route declares its roles with `require(...)`; no user is 401, a wrong role 403.
Cookie sessions must also send the CSRF token (header X-CSRF-Token) on state-changing requests;
Bearer requests need none because a browser never attaches them on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from api.wiring import Wiring, wiring_of
from hotline.db import transaction
from hotline.models import Role, User

SESSION_COOKIE = "hotline_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_ROLES = (Role.SUPERVISOR, Role.ANALYST, Role.ADMIN)


class NotAuthenticated(Exception):
    """No valid session or token: 401."""


class Forbidden(Exception):
    """Authenticated, but the role (or CSRF token) does not allow this: 403."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    language: str
    via_token: bool
    csrf: str | None = None


def make_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hotline-session")


def _password_stamp(user: User) -> str:
    # Changing the password (or disabling) ends every session made with the old one.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def start_session(response: Response, wiring: Wiring, user: User) -> str:
    csrf = secrets.token_urlsafe(24)
    value = wiring.signer.dumps({"u": user.id, "c": csrf, "p": _password_stamp(user)})
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=wiring.settings.api.cookie_secure,
        path="/",
    )
    return csrf


def end_session(response: Response, wiring: Wiring) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=wiring.settings.api.cookie_secure
    )


def authenticate(request: Request) -> Principal | None:
    """The caller of this request, or None. Runs in a worker thread (sync DB access)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    wiring = wiring_of(request)
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        from api.users import user_for_token

        with transaction(wiring.session_factory) as session:
            user = user_for_token(session, credentials.strip())
            if user is not None:
                principal = Principal(user.id, user.username, user.role, user.language, via_token=True)
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        try:
            data: Any = wiring.signer.loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("u"), int):
            with wiring.session_factory() as session:
                user = session.get(User, data["u"])
                if user is not None and not user.disabled and data.get("p") == _password_stamp(user):
                    principal = Principal(
                        user.id, user.username, user.role, user.language, via_token=False, csrf=data.get("c")
                    )
    request.state.principal = principal
    return principal


def _check_csrf(request: Request, principal: Principal) -> None:
    if principal.via_token or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not principal.csrf or not hmac.compare_digest(sent.encode(), principal.csrf.encode()):
        raise Forbidden("csrf")


def require(*roles: Role) -> Any:
    """Dependency: the current user, who must have one of `roles`."""
    allowed = frozenset(roles)

    def current_user(request: Request) -> Principal:
        principal = authenticate(request)
        if principal is None:
            raise NotAuthenticated()
        if principal.role not in allowed:
            raise Forbidden("role")
        _check_csrf(request, principal)
        return principal

    current_user.allowed_roles = allowed  # type: ignore[attr-defined] # the route tests read it
    return Depends(current_user)


def roles_of(dependency: Callable[..., Any]) -> frozenset[Role] | None:
    return getattr(dependency, "allowed_roles", None)


def roles_note(*roles: Role) -> str:
    return "Roles: " + ", ".join(role.value for role in roles) + "."
