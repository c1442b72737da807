"""Pages of the loop: the callback list, the department queue and the operator's desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import DepartmentUser, OperatorUser, SessionDep
from api.render import render
from api.routes.departments import NAME
from hotline import routing

router = APIRouter(include_in_schema=False)


@router.get("/callbacks")
def callbacks_page(*, request: Request, user: OperatorUser) -> Response:
    return render(request, "callbacks.html", user)


@router.get("/department")
def department_page(
    *,
    request: Request,
    user: DepartmentUser,
    session: SessionDep,
    department: Annotated[str | None, Query(pattern=NAME)] = None,
) -> Response:
    names = [row.name for row in routing.list_departments(session)]
    return render(request, "department.html", user, departments=names, chosen=department or "")


@router.get("/desk")
def desk_page(*, request: Request, user: OperatorUser) -> Response:
    return render(request, "desk.html", user)
