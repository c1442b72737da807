"""Fuzz every documented operation from the OpenAPI schema (schemathesis), as each role, on SQLite and
PostgreSQL: no answer is a 5xx, and every answer the schema documents matches it (response models).

Bounded for CI: a few examples per operation and role, derandomized.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Engine

from api.app import create_app
from api.deps import api_routes, route_roles
from api.live_hub import LiveHub
from api.users import create_user, issue_token
from hotline import db
from hotline.db import transaction
from hotline.models import Role
from tests.api.conftest import api_settings


def success_matches_its_model(ctx: CheckContext, response: Response, case: schemathesis.Case) -> bool | None:
    """A successful answer matches the route's response model (errors are FastAPI's own shapes)."""
    if response.status_code >= 300:
        return None
    return response_schema_conformance(ctx, response, case)


# The push stream never ends by design; its guard is covered in test_access.
ENDLESS = {"/api/live/stream", "/api/desk/stream"}
# A few per operation and role in CI; HOTLINE_FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def fuzzed(engine: Engine, tmp_path: Path) -> Iterator[tuple[FastAPI, dict[Role, str]]]:
    (tmp_path / "recordings").mkdir()
    config = api_settings(engine.url.render_as_string(hide_password=False), tmp_path)
    factory = db.make_session_factory(engine)
    with transaction(factory) as session:
        tokens = {}
        for role in Role:
            create_user(session, username=role.value, role=role)
            tokens[role] = issue_token(session, username=role.value)
    yield create_app(config, factory, hub=LiveHub(factory, config, interval_s=0.05)), tokens
    # Schemathesis keeps each app's lifespan running for the whole process. Stop it (and the live hub's
    # polling) before the engine is disposed, as a server stops before its database goes away: a poll
    # still holding a connection at that moment leaves it open for the garbage collector.
    shutdown_lifespans()


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role))
def test_no_operation_answers_with_a_server_error(
    fuzzed: tuple[FastAPI, dict[Role, str]], role: Role
) -> None:
    app, tokens = fuzzed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's TestClient notice (httpx vs httpx2)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    allowed = {
        (method.lower(), route.path)
        for route in api_routes(app)
        if (roles := route_roles(route)) is None or role in roles
        for method in route.methods or ()
    }
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS or (operation.method.lower(), operation.path) not in allowed:
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
        )
        def fuzz(case: schemathesis.Case) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error, success_matches_its_model])

        fuzz()
    # The narrow roles (operator, department) have fewer routes; each role must still have run some.
    assert len(tried) >= (10 if role in (Role.SUPERVISOR, Role.ANALYST, Role.ADMIN) else 5)
