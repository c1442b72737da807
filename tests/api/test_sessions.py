"""Web sessions live on the server: logout, a password change or disabling the user end them at once;
one leaked API token can be revoked alone."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.app import create_app
from api.users import disable_user, issue_token, set_password
from hotline.db import transaction
from hotline.models import Role
from hotline.settings import Settings
from hotline_app.cli import app as cli
from tests.api.conftest import PASSWORD, TestClient, Users, login


def test_a_cookie_kept_after_logout_is_no_session(client: TestClient, users: Users) -> None:
    csrf = login(client, "supervisor")
    stolen = client.cookies["hotline_session"]
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("hotline_session", stolen)
    assert client.get("/api/me").status_code == 401


def test_a_password_change_ends_the_sessions_at_once(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    login(client, "analyst")
    assert client.get("/api/me").status_code == 200
    with transaction(factory) as session:
        set_password(session, username="analyst", password="another password")
    assert client.get("/api/me").status_code == 401
    login(client, "analyst", "another password")
    assert client.get("/api/me").status_code == 200


def test_disabling_a_user_ends_the_sessions_at_once(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    login(client, "admin")
    with transaction(factory) as session:
        disable_user(session, username="admin")
    assert client.get("/api/me").status_code == 401


def test_other_sessions_of_a_user_survive_one_logout(client: TestClient, users: Users) -> None:
    login(client, "supervisor")
    on_the_wallboard = client.cookies["hotline_session"]
    client.cookies.clear()
    csrf = login(client, "supervisor")
    client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert client.get("/api/me").status_code == 401
    client.cookies.set("hotline_session", on_the_wallboard)
    assert client.get("/api/me").status_code == 200


def test_revoke_token_ends_one_token_and_leaves_the_user(
    settings: Settings, factory: sessionmaker[Session], users: Users
) -> None:
    runner = CliRunner()
    env = {"HOTLINE_DEMO": "true", "HOTLINE_DATABASE__URL": settings.database.url}
    with transaction(factory) as session:
        spare = issue_token(session, username="analyst", name="spare")
    listed = runner.invoke(cli, ["users", "tokens", "analyst"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [line.split("\t")[1] for line in lines] == ["tests", "spare"]
    leaked_id = lines[0].split("\t")[0]
    revoked = runner.invoke(cli, ["users", "revoke-token", "analyst", leaked_id], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(cli, ["users", "tokens", "analyst"], env=env).output.splitlines()[0]
    with TestClient(create_app(settings, factory, auth_cache_s=0)) as client:
        assert client.get("/api/me", headers=users.bearer(Role.ANALYST)).status_code == 401
        assert client.get("/api/me", headers={"Authorization": f"Bearer {spare}"}).status_code == 200
        assert (
            client.post("/api/login", json={"username": "analyst", "password": PASSWORD}).status_code == 200
        )
    unknown = runner.invoke(cli, ["users", "revoke-token", "analyst", "999"], env=env)
    assert unknown.exit_code != 0
