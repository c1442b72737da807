"""Pages of the loop: the callback list, the department queue and the operator's desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.render import render
from api.routes.callbacks import CALLBACK_ROLES
from api.routes.departments import NAME, WORK_ROLES
from api.routes.desk import DESK_ROLES
from api.wiring import wiring_of
from hotline import routing

router = APIRouter(include_in_schema=False)


@router.get("/callbacks")
def callbacks_page(*, request: Request, user: Annotated[Principal, require(*CALLBACK_ROLES)]) -> Response:
    return render(request, "callbacks.html", user)


@router.get("/department")
def department_page(
    *,
    request: Request,
    user: Annotated[Principal, require(*WORK_ROLES)],
    department: Annotated[str | None, Query(pattern=NAME)] = None,
) -> Response:
    with wiring_of(request).session_factory() as session:
        names = [row.name for row in routing.list_departments(session)]
    return render(request, "department.html", user, departments=names, chosen=department or "")


@router.get("/desk")
def desk_page(*, request: Request, user: Annotated[Principal, require(*DESK_ROLES)]) -> Response:
    return render(request, "desk.html", user)
