"""Who is calling: a session cookie (web pages) or a personal Bearer token (scripts), and their role.

Every protected route declares its roles with `require(...)`; no user is 401, a wrong role 403.
Cookie sessions must also send the CSRF token (header X-CSRF-Token) on state-changing requests;
Bearer requests need none because a browser never attaches them on its own. A session is a row on
the server (`WebSession`): logout, a password change or disabling the user ends it at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, update
from starlette.responses import Response

from api.wiring import Wiring, wiring_of
from hotline.db import transaction
from hotline.models import Role, User, WebSession
from hotline.timeutil import utcnow

SESSION_COOKIE = "hotline_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    session_key_hash: str | None = None  # the web session this request came with


def make_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hotline-session")


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(
    response: Response, wiring: Wiring, user: User, csrf: str | None = None, client_addr: str | None = None
) -> str:
    """Store a new web session and set its cookie on `response`; returns the session's CSRF token."""
    csrf = csrf or new_csrf_token()
    key = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(wiring.session_factory) as session:
        # Sessions long over are of no use to anyone; a login is a fine moment to forget them.
        session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
        session.add(
            WebSession(
                key_hash=_key_hash(key),
                user_id=user.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_MAX_AGE_S),
                client_addr=client_addr,
            )
        )
    value = wiring.signer.dumps({"s": key})
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        # Lax: a link from an alert e-mail opens the wallboard signed in; changes need the CSRF token.
        samesite="lax",
        secure=wiring.settings.api.cookie_secure,
        path="/",
    )
    return csrf


def end_session(response: Response, wiring: Wiring, principal: Principal) -> None:
    """End the caller's web session on the server (the cookie is dead even if kept) and drop the cookie."""
    if principal.session_key_hash is not None:
        with transaction(wiring.session_factory) as session:
            session.execute(
                update(WebSession)
                .where(WebSession.key_hash == principal.session_key_hash, WebSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=wiring.settings.api.cookie_secure
    )


class PrincipalCache:
    """Who a token belonged to a moment ago, so scripts polling hot routes skip the database.

    Entries live `ttl_s` seconds: disabling a user or revoking a token takes effect within that time
    in every API process (the CLI may run elsewhere, so there is nothing to invalidate directly).
    Web sessions are never cached: ending one must take effect at once.
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, key: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key: str, principal: Principal | None) -> None:
        if self.ttl_s <= 0 or principal is None:
            return  # failures are never cached: a fresh login or token works at once
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl_s, principal)


def _token_key(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return "t:" + hashlib.sha256(credentials.strip().encode()).hexdigest()
    return None


async def authenticate_async(request: Request) -> Principal | None:
    """`authenticate` in a worker thread, with the per-process token cache in front."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    key = _token_key(request)
    if key is None and SESSION_COOKIE not in request.cookies:
        request.state.principal = None
        return None
    cache = wiring_of(request).principals
    hit, principal = cache.get(key) if key is not None else (False, None)
    if not hit:
        principal = await asyncio.to_thread(authenticate, request)
        if key is not None:
            cache.put(key, principal)
    request.state.principal = principal
    return principal


def authenticate(request: Request) -> Principal | None:
    """The caller of this request, or None. Sync database access: call it from a worker thread."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
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
        if isinstance(data, dict) and isinstance(data.get("s"), str):
            principal = _session_principal(wiring, _key_hash(data["s"]))
    request.state.principal = principal
    return principal


def _session_principal(wiring: Wiring, key_hash: str) -> Principal | None:
    with wiring.session_factory() as session:
        row = session.get(WebSession, key_hash)
        if row is None or row.ended_at is not None or row.expires_at <= utcnow():
            return None
        user: User = row.user
        if user.disabled:
            return None
        return Principal(
            user.id,
            user.username,
            user.role,
            user.language,
            via_token=False,
            csrf=row.csrf,
            session_key_hash=key_hash,
        )


def _check_csrf(request: Request, principal: Principal) -> None:
    if principal.via_token or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not principal.csrf or not hmac.compare_digest(sent.encode(), principal.csrf.encode()):
        raise Forbidden("csrf")


def require(*roles: Role) -> Any:
    """Dependency: the current user, who must have one of `roles`."""
    allowed = frozenset(roles)

    async def current_user(request: Request) -> Principal:
        principal = await authenticate_async(request)
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
