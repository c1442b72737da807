"""Users and personal API tokens: passwords as argon2 hashes, tokens stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.errors import HotlineError, NotFoundError
from hotline.models import ApiToken, Role, User, WebSession
from hotline.timeutil import utcnow

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
TOKEN_PREFIX = "hl_"  # noqa: S105 - a marker that makes leaked tokens greppable
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same (no user probing).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(HotlineError):
    """A user command cannot be done as asked (bad name, duplicate, weak password)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True when `password` is this enabled user's password; constant work whether or not the user exists."""
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and bool(user.password_hash) and not user.disabled


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def create_user(
    session: Session,
    *,
    username: str,
    role: Role | str,
    password: str | None = None,
    full_name: str = "",
    language: str = "ru",
) -> User:
    """Add a user; without a password the user can only use API tokens until one is set."""
    if not USERNAME.match(username):
        raise UserError(f"invalid user name {username!r}: letters, digits and _ . @ - only, up to 64")
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}") from None
    if find_user(session, username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        language=language,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, username: str, password: str) -> None:
    """Set the password and end every web session made with the old one."""
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> int:
    """End the user's open web sessions now; returns how many were open."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def issue_token(session: Session, *, username: str, name: str = "") -> str:
    """Create a personal API token; the returned text is shown once and never stored."""
    user = get_user(session, username)
    if user.disabled:
        raise UserError(f"user {username!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name[:64], token_hash=hash_token(token)))
    session.flush()
    return token


def disable_user(session: Session, *, username: str) -> User:
    """Disable the user, end their web sessions and revoke every token."""
    user = get_user(session, username)
    user.disabled = True
    now = utcnow()
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now
    end_sessions(session, user)
    return user


def revoke_token(session: Session, *, username: str, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (a leaked one) and leave the user and other tokens be."""
    user = get_user(session, username)
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFoundError(f"user {username!r} has no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def list_tokens(session: Session, *, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or row.user.disabled:
        return None
    now = utcnow()
    # Written at most once a minute: a script polling the API must not turn reads into writes.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.user
