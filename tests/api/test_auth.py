"""Sign-in, sessions, tokens, rate limiting, and the `hotline users` commands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.users import disable_user
from hotline.db import transaction
from hotline.models import ApiToken, AuditLog, Role, User
from hotline.settings import Settings
from hotline_app.cli import app as cli
from tests.api.conftest import PASSWORD, TestClient, Users, login


def test_web_login_sets_a_lax_httponly_cookie_and_redirects_locally(client: TestClient, users: Users) -> None:
    answer = client.post(
        "/login",
        data={"username": "supervisor", "password": PASSWORD, "next": "/wallboard"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/wallboard"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert client.get("/wallboard").status_code == 200


def test_login_never_redirects_to_another_site(client: TestClient, users: Users) -> None:
    answer = client.post(
        "/login",
        data={"username": "supervisor", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_secure_cookie_by_default(settings: Settings, factory: sessionmaker[Session], users: Users) -> None:
    from api.app import create_app

    secure = settings.model_copy(update={"api": settings.api.model_copy(update={"cookie_secure": True})})
    with TestClient(create_app(secure, factory)) as https_client:
        answer = https_client.post("/api/login", json={"username": "admin", "password": PASSWORD})
    assert "secure" in answer.headers["set-cookie"].lower()


def test_wrong_password_is_401_and_audited(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    answer = client.post("/api/login", json={"username": "supervisor", "password": "wrong password"})
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    with factory() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.username == "supervisor")).all()
    assert actions == ["login_failed"]


def test_login_attempts_are_rate_limited(client: TestClient, users: Users) -> None:
    for _ in range(5):
        client.post("/api/login", json={"username": "analyst", "password": "guess-guess"})
    answer = client.post("/api/login", json={"username": "analyst", "password": PASSWORD})
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    page = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert page.status_code == 429


def test_cross_origin_login_is_refused(client: TestClient, users: Users) -> None:
    answer = client.post(
        "/api/login",
        json={"username": "supervisor", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_sign_out_and_the_session_ends(client: TestClient, users: Users, role: Role) -> None:
    csrf = login(client, role.value)
    assert client.get("/api/me").json()["role"] == role.value
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_logout_answers_what_its_openapi_documents(client: TestClient, users: Users) -> None:
    documented = client.get("/openapi.json").json()["paths"]["/logout"]["post"]["responses"]
    csrf = login(client, "supervisor")
    answer = client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert list(documented) == [str(answer.status_code)]
    assert "content" not in documented[str(answer.status_code)]
    assert answer.content == b""
    assert answer.headers["location"] == "/login"


def test_a_tampered_cookie_is_no_session(client: TestClient, users: Users) -> None:
    login(client, "admin")
    value = client.cookies["hotline_session"]
    client.cookies.set("hotline_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get("/api/me").status_code == 401


def test_tokens_are_stored_hashed_and_die_with_the_user_within_the_cache_time(
    settings: Settings, users: Users, factory: sessionmaker[Session]
) -> None:
    from api.app import create_app

    token = users.tokens[Role.ANALYST]
    with factory() as session:
        hashes = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in hashes
    assert all(len(h) == 64 for h in hashes)
    with TestClient(create_app(settings, factory, auth_cache_s=0.3)) as client:
        assert client.get("/api/me", headers=users.bearer(Role.ANALYST)).json()["role"] == "analyst"
        login(client, "analyst")
        with transaction(factory) as session:
            disable_user(session, username="analyst")
        time.sleep(0.35)
        assert client.get("/api/me", headers=users.bearer(Role.ANALYST)).status_code == 401
        assert client.get("/api/me").status_code == 401  # the cookie session too


def test_users_cli_add_token_disable_list(
    settings: Settings, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"HOTLINE_DEMO": "true", "HOTLINE_DATABASE__URL": settings.database.url}
    added = runner.invoke(
        cli,
        ["users", "add", "olga", "--role", "supervisor", "--password"],
        input="s3cret-pass\ns3cret-pass\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    token = runner.invoke(cli, ["users", "token", "olga"], env=env)
    assert token.exit_code == 0
    assert token.output.strip().startswith("hl_")
    listed = runner.invoke(cli, ["users", "list"], env=env)
    assert "olga\tsupervisor\tactive" in listed.output
    bad = runner.invoke(cli, ["users", "add", "ivan", "--role", "boss"], env=env)
    assert bad.exit_code != 0
    assert runner.invoke(cli, ["users", "disable", "olga"], env=env).exit_code == 0
    with factory() as session:
        olga = session.scalar(select(User).where(User.username == "olga"))
        assert olga is not None
        assert olga.disabled
        assert olga.password_hash.startswith("$argon2")
