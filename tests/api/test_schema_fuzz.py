"""Fuzz every documented operation from the OpenAPI schema (schemathesis): no answer is a 5xx."""

from __future__ import annotations

import warnings

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from hotline.models import Role
from tests.api.conftest import Users

# The push stream never ends by design; its guard is covered in test_access.
ENDLESS = {"/api/live/stream"}


@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(app: FastAPI, users: Users) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's TestClient notice (httpx vs httpx2)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = users.bearer(Role.ADMIN)  # admin passes every guard, so the fuzz reaches the handlers
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS:
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def fuzz(case: schemathesis.Case) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                response = case.call(headers=headers)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.query,
                response.text[:300],
            )

        fuzz()
    assert len(tried) >= 15
