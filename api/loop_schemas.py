"""Response models of the loop's JSON routes: departments, callbacks, the desk, alerts."""

from __future__ import annotations

from pydantic import BaseModel

from api.schemas import Open311Request


class DepartmentInfo(BaseModel):
    name: str
    title: str
    head: str | None
    email: str | None
    members: list[str]
    open: int
    overdue: int


class DepartmentList(BaseModel):
    total: int
    items: list[DepartmentInfo]


class DigestCounts(BaseModel):
    open: int
    due_this_week: int
    overdue: int


class QueueRequest(Open311Request):
    overdue: bool


class DepartmentQueue(BaseModel):
    department: str
    title: str
    digest: DigestCounts
    items: list[QueueRequest]


class DepartmentDigest(BaseModel):
    department: str
    as_of: str
    counts: DigestCounts
    numbers: dict[str, list[str]]


class CallbackItem(BaseModel):
    id: int
    caller_number: str | None
    caller_name: str | None
    topic: str | None
    language: str
    status: str
    attempts: int
    requested_at: str
    done_at: str | None
    next_attempt_at: str | None
    claimed_by: str | None
    give_up_reason: str | None


class CallbackKpis(BaseModel):
    requested: int
    done: int
    done_within_min: int
    done_in_time: int
    done_in_time_pct: float | None
    given_up: int
    attempts_per_callback: float | None


class DeskCall(BaseModel):
    pbx: str
    linkedid: str
    call_id: int | None
    caller_number: str | None
    caller_name: str | None
    topic: str | None
    language: str | None
    queue: str | None
    started_at: str
    answered_at: str | None


class DeskPastCall(BaseModel):
    started_at: str
    topic: str | None
    queue: str | None
    outcome: str
    agent: str | None


class DeskRequestItem(BaseModel):
    number: str
    topic: str | None
    status: str
    department: str | None
    expected_at: str


class DeskCallback(BaseModel):
    id: int
    topic: str | None
    status: str
    requested_at: str
    attempts: int


class DeskView(BaseModel):
    agent: str
    call: DeskCall | None
    calls: list[DeskPastCall] = []
    requests: list[DeskRequestItem] = []
    callbacks: list[DeskCallback] = []


class DeskRegistered(BaseModel):
    number: str
    spoken: str
    department: str | None
    expected_at: str
    topic: str | None
    call_id: int | None


class AlertItem(BaseModel):
    id: int
    kind: str
    message: str
    at: str


class AlertAck(BaseModel):
    id: int
    acknowledged_by: str
