"""Every route: no user is 401, a wrong role 403, the right role passes; CSRF guards cookie sessions."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.deps import api_routes, route_roles
from hotline.models import Role
from tests.api.conftest import TestClient, Users, login

# Citizen self-service needs no login (api/routes/public.py): FAQ and the status check.
PUBLIC = {"/health", "/login", "/api/login", "/docs", "/public", "/public/status"}
SAMPLE = {
    "number": "2601010001", "recording_id": "1", "transcript_id": "1", "incident_id": "1",
    "name": "water_utility", "callback_id": "1", "alert_id": "1",
}  # fmt: skip
# Routes whose right-role answer is a stream that never ends; their 401/403 are still checked.
STREAMS = {"/api/live/stream", "/api/desk/stream"}
# Wall screens: a TV token from settings (api/routes/tv.py), never a user; tested in test_wallboard.py.
TV_ROUTES = {"/tv", "/api/tv/stream", "/api/tv/today"}


# Who works the loop (pinned here, apart from the aliases in api/deps.py that state them).
SUPERVISING = {Role.SUPERVISOR, Role.ADMIN}
LOOP_ROLES = {
    ("GET", "/"): set(Role),
    ("GET", "/api/departments"): {Role.OPERATOR, Role.DEPARTMENT, *SUPERVISING},
    ("GET", "/api/department/requests"): {Role.DEPARTMENT, *SUPERVISING},
    ("POST", "/api/requests/{number}/take"): {Role.DEPARTMENT, *SUPERVISING},
    ("POST", "/api/requests/{number}/reassign"): SUPERVISING,
    ("GET", "/department"): {Role.DEPARTMENT, *SUPERVISING},
    ("GET", "/api/callbacks"): {Role.OPERATOR, *SUPERVISING},
    ("POST", "/api/callbacks/{callback_id}/claim"): {Role.OPERATOR, *SUPERVISING},
    ("GET", "/callbacks"): {Role.OPERATOR, *SUPERVISING},
    ("GET", "/api/desk"): {Role.OPERATOR, *SUPERVISING},
    ("GET", "/api/desk/stream"): {Role.OPERATOR, *SUPERVISING},
    ("GET", "/desk"): {Role.OPERATOR, *SUPERVISING},
    ("GET", "/api/alerts"): SUPERVISING,
    ("GET", "/api/reports/staffing"): {Role.ANALYST, *SUPERVISING},
}


def _allowed(route: APIRoute) -> frozenset[Role] | None:
    return route_roles(route)


def _cases(app: FastAPI) -> list[tuple[str, str, frozenset[Role] | None]]:
    cases = []
    for route in api_routes(app):
        url = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], route.path)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                cases.append((method, url, _allowed(route)))
    return cases


def test_every_route_but_health_and_login_declares_its_roles(app: FastAPI) -> None:
    cases = _cases(app)
    assert len(cases) > 20
    undeclared = [
        (method, url) for method, url, roles in cases if roles is None and url not in PUBLIC | TV_ROUTES
    ]
    assert undeclared == []


def test_the_loop_keeps_its_roles(app: FastAPI) -> None:
    declared = {
        (method, route.path): route_roles(route)
        for route in api_routes(app)
        for method in route.methods or ()
    }
    assert {key: declared[key] for key in LOOP_ROLES} == LOOP_ROLES


def test_tv_routes_refuse_users_and_missing_tokens(client: TestClient, users: Users) -> None:
    for url in TV_ROUTES:
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers=users.bearer(Role.ADMIN)).status_code == 401, url


def test_no_user_is_401_and_a_wrong_role_is_403_on_every_route(
    app: FastAPI, client: TestClient, users: Users
) -> None:
    for method, url, roles in _cases(app):
        if roles is None:
            continue
        answer = client.request(method, url, headers={"Accept": "application/json"})
        assert answer.status_code == 401, (method, url, answer.text)
        forged = client.request(method, url, headers={"Authorization": "Bearer hl_not-a-real-token"})
        assert forged.status_code == 401, (method, url)
        for role in set(Role) - roles:
            answer = client.request(method, url, headers=users.bearer(role))
            assert answer.status_code == 403, (method, url, role, answer.text)


def test_the_right_role_gets_past_the_guard_on_every_route(
    app: FastAPI, client: TestClient, users: Users
) -> None:
    for method, url, roles in _cases(app):
        if roles is None or url in STREAMS:
            continue
        for role in roles:
            answer = client.request(method, url, headers=users.bearer(role), json={})
            # 404 (sample id absent) or 422 (empty body) are the route's own answers, past the guard.
            assert answer.status_code not in (401, 403), (method, url, role, answer.text)
            assert answer.status_code < 500, (method, url, role, answer.text)


def test_pages_without_a_session_show_the_login_form_with_401(client: TestClient, users: Users) -> None:
    answer = client.get("/wallboard", headers={"Accept": "text/html"})
    assert answer.status_code == 401
    assert 'action="/login"' in answer.text
    assert 'name="next" value="/wallboard"' in answer.text


def test_a_page_for_another_role_is_403(client: TestClient, users: Users) -> None:
    login(client, "analyst")
    answer = client.get("/wallboard", headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert "Недостаточно прав" in answer.text


def test_cookie_session_needs_the_csrf_token_to_change_anything(client: TestClient, users: Users) -> None:
    csrf = login(client, "supervisor")
    body = {"summary": "Нет воды в доме 5"}
    assert client.post("/api/requests", json=body).status_code == 403
    assert client.post("/api/requests", json=body, headers={"X-CSRF-Token": "guess"}).status_code == 403
    assert client.post("/api/requests", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # A token is not a cookie: scripts need no CSRF token.
    client.cookies.clear()
    answer = client.post("/api/requests", json=body, headers=users.bearer(Role.SUPERVISOR))
    assert answer.status_code == 201


def test_docs_and_schema_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/live" in schema["paths"]
    # The roles stated once in a route's user type reach its documentation.
    assert schema["paths"]["/api/audit"]["get"]["summary"].endswith("Roles: admin.")
    assert schema["paths"]["/api/live"]["get"]["summary"].endswith("Roles: supervisor, admin.")
    assert client.get("/openapi.json").json() == schema
    summaries = [
        op.get("summary", "") for operations in schema["paths"].values() for op in operations.values()
    ]
    assert [summary for summary in summaries if summary.count("Roles:") > 1] == []
