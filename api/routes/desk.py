"""The operator's desk: the current call with the caller's history; one click registers a request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal
from api.deps import OperatorUser, SessionDep, SettingsDep, WiringDep, masking
from api.live_hub import sse_stream
from api.loop_schemas import DeskRegistered, DeskView
from api.routes.live import STREAM_MAX_S
from hotline import citizen, desk
from hotline.live import read_views
from hotline.models import Role, User

router = APIRouter(tags=["desk"])


class DeskRequest(BaseModel):
    pbx: str = Field(min_length=1, max_length=64)
    linkedid: str = Field(min_length=1, max_length=64)
    summary: str = Field(min_length=1, max_length=10_000)
    address: str | None = Field(default=None, max_length=512)
    topic: str | None = Field(default=None, max_length=64, description="default: the IVR topic of the call")


def _agent_name(session: Session, user: Principal, agent: str | None) -> str:
    # Operators are their own queue member; supervisors may look over any operator's shoulder.
    if user.role != Role.OPERATOR and agent:
        return agent
    row = session.get(User, user.user_id)
    return (row.full_name if row else "") or user.username


@router.get(
    "/api/desk",
    response_model=DeskView,
    summary="The operator's current call (from the live view): caller, IVR topic and language, earlier "
    "calls, requests and callbacks. Supervisors pass ?agent=NAME.",
)
def current(
    *,
    user: OperatorUser,
    session: SessionDep,
    settings: SettingsDep,
    agent: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    name = _agent_name(session, user, agent)
    found = desk.current_call(session, name)
    if found is None:
        return {"agent": name, "call": None}
    call = found.view
    visit = desk.visit_of(session, found.pbx, call.linkedid)
    record = desk.call_record(session, found.pbx, call.linkedid)
    history = (
        desk.caller_history(session, call.caller_number, exclude_linkedid=call.linkedid)
        if call.caller_number
        else {"calls": [], "requests": [], "callbacks": []}
    )
    return masking(settings, user).record(
        {
            "agent": name,
            "call": {
                "pbx": found.pbx,
                "linkedid": call.linkedid,
                "call_id": record.id if record else None,
                "caller_number": call.caller_number,
                "caller_name": call.caller_name,
                "topic": (visit.topic if visit else None) or call.topic,
                "language": visit.language if visit else (record.language if record else None),
                "queue": call.queue,
                "started_at": call.started_at.isoformat(),
                "answered_at": call.answered_at.isoformat() if call.answered_at else None,
            },
            **history,
        }
    )


CHANGE = b"event: change\ndata: {}\n\n"


def _moved(message: bytes) -> bytes | None:
    # Views of other operators' calls are not this operator's business: only say "moved".
    if message.startswith((b"event: view", b"event: patch", b"event: snapshot")):
        return CHANGE
    return message if message.startswith(b"event: ping") else None


@router.get(
    "/api/desk/stream",
    summary="Server-Sent Events: `change` whenever the live view moves (the desk then reloads /api/desk); "
    "no call data in the stream itself.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def desk_stream(*, user: OperatorUser, wiring: WiringDep) -> StreamingResponse:
    events = sse_stream(wiring.hub, b"retry: 1000\n\n" + CHANGE, max_s=STREAM_MAX_S, pick=_moved)
    headers: dict[str, Any] = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.post(
    "/api/desk/requests",
    response_model=DeskRegistered,
    status_code=201,
    summary="Register a request from the current call: caller and topic prefilled, linked to the call, "
    "routed by topic; returns the number to read out.",
)
def register_from_call(
    *, request: Request, body: DeskRequest, user: OperatorUser, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    live = next(
        (
            (view.pbx, call)
            for view in read_views(session)
            for call in view.calls
            if view.pbx == body.pbx and call.linkedid == body.linkedid
        ),
        None,
    )
    record = desk.call_record(session, body.pbx, body.linkedid)
    if live is None and record is None:
        raise HTTPException(404, f"no call {body.linkedid} on {body.pbx}")
    visit = desk.visit_of(session, body.pbx, body.linkedid)
    caller_number = live[1].caller_number if live else record.caller_number if record else None
    caller_name = live[1].caller_name if live else record.caller_name if record else None
    topic = body.topic or (visit.topic if visit else None) or (live[1].topic if live else None)
    row = citizen.register_request(
        session,
        settings,
        summary=body.summary,
        caller_number=caller_number,
        caller_name=caller_name,
        topic=topic,
        address=body.address,
        call_id=record.id if record else None,
        created_by=user.username,
    )
    audit.record(
        session,
        request,
        user,
        action="request.register",
        object_type="request",
        object_id=row.number,
        pbx=body.pbx,
        linkedid=body.linkedid,
    )
    answer = {
        "number": row.number,
        "spoken": desk.spoken(row.number),
        "department": row.department.name if row.department else None,
        "expected_at": row.expected_at.isoformat(),
        "topic": row.topic,
        "call_id": row.call_id,
    }
    session.commit()
    return answer
