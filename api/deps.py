"""Typed dependencies for routes: the wiring, settings, a database session, and the caller by role.

A route states its roles once, in the type of its user parameter (`SupervisionUser` for the
supervision side: supervisor, analyst and admin; `SupervisorUser`, `AnalystUser`, `AdminUser`, and for
the loop's narrower roles `OperatorUser`, `DepartmentUser`, `RoutingUser`; `AnyUser` for any signed-in
user); the roles also reach the route's OpenAPI summary
(see `document_roles`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from api.auth import Principal, require, roles_note, roles_of
from api.wiring import Wiring, wiring_of
from hotline.models import Role
from hotline.privacy import Masking, masking_for
from hotline.settings import Settings


def get_wiring(request: Request) -> Wiring:
    return wiring_of(request)


WiringDep = Annotated[Wiring, Depends(get_wiring)]


def get_settings(wiring: WiringDep) -> Settings:
    return wiring.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(wiring: WiringDep) -> Iterator[Session]:
    """One session per request, closed (and rolled back unless committed) when the route returns."""
    with wiring.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

SUPERVISION = (Role.SUPERVISOR, Role.ANALYST, Role.ADMIN)  # the supervision side, not the loop's roles
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)
ANALYSING = (Role.ANALYST, Role.ADMIN)
ADMIN_ONLY = (Role.ADMIN,)
OPERATING = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)  # the desk and callbacks
DEPARTMENT_WORK = (Role.DEPARTMENT, Role.SUPERVISOR, Role.ADMIN)  # a department's request queue
ROUTING = (Role.DEPARTMENT, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)  # who sees the departments

SupervisionUser = Annotated[Principal, require(*SUPERVISION)]
SupervisorUser = Annotated[Principal, require(*SUPERVISING)]
AnalystUser = Annotated[Principal, require(*ANALYSING)]
AdminUser = Annotated[Principal, require(*ADMIN_ONLY)]
OperatorUser = Annotated[Principal, require(*OPERATING)]
DepartmentUser = Annotated[Principal, require(*DEPARTMENT_WORK)]
RoutingUser = Annotated[Principal, require(*ROUTING)]
AnyUser = Annotated[Principal, require(*Role)]


def masking(settings: Settings, user: Principal) -> Masking:
    """The masking policy for this caller's role (hotline.privacy), applied to whatever they receive."""
    return masking_for(settings, user.role)


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of the app, through included routers."""
    found: list[APIRoute] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(list(app.routes))
    return found


def route_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route's user dependency allows; None for a public route."""
    for dependency in route.dependant.dependencies:
        if dependency.call is not None and (roles := roles_of(dependency.call)) is not None:
            return roles
    return None


def document_roles(app: FastAPI) -> None:
    """Each operation's OpenAPI summary ends with its roles, read from the one place they are stated."""
    order = {role: index for index, role in enumerate(Role)}
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for route in api_routes(app):
            roles = route_roles(route)
            operations = schema["paths"].get(route.path, {})
            for method in route.methods or ():
                if roles is not None and (operation := operations.get(method.lower())) is not None:
                    note = roles_note(*sorted(roles, key=order.__getitem__))
                    operation["summary"] = f"{operation.get('summary', '')} {note}".strip()
        return schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way to extend the schema
