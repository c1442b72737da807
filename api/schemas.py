"""Response models: what each JSON route returns, so the OpenAPI schema tells clients the truth.

Times are ISO 8601 strings as the routes have always written them (UTC offsets included).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from hotline.kpi import KpiRow
from hotline.text.analytics import Trend

# A route that can also answer `format=csv` documents that second media type with this.
CSV_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}
}


class Me(BaseModel):
    username: str
    role: str
    language: str
    csrf: str | None


class LoginAnswer(BaseModel):
    username: str
    role: str
    csrf: str


class Detail(BaseModel):
    detail: str


# ---------------------------------------------------------------------------- health
class DatabaseCheck(BaseModel):
    ok: bool
    error: str | None = None


class PbxCheck(BaseModel):
    """One PBX: ok only while the listener's heartbeat is fresh and the PBX connected."""

    ok: bool
    connected: bool  # as the listener last wrote it: not to be believed when `heartbeat_at` is old
    heartbeat_at: str | None
    not_live_since: str | None
    last_event_at: str | None
    last_disconnected_at: str | None
    reconnects_total: int
    parse_errors_total: int = 0
    state_errors_total: int = 0  # the listener's state machine failed on a well-formed event: a bug
    lost_calls_total: int = 0
    values_cleaned_total: int = 0
    rows_rejected_total: int = 0
    records_lost_total: int = 0
    error: str | None  # "never connected" | "listener silent" | "disconnected"


class BacklogCheck(BaseModel):
    ok: bool
    queued: int
    running: int
    oldest_queued_age_s: float
    # Jobs in a language with no usable Vosk model, per language: {"queued": n, "failed": n}.
    # They wait for `hotline models download`; the rest of the backlog is not held up by them.
    waiting_for_model: dict[str, dict[str, int]] = {}


class LiveCheck(BaseModel):
    ok: bool
    viewers: int
    last_poll_ok: str | None
    failing_polls: int


class HealthChecks(BaseModel):
    database: DatabaseCheck
    ami: dict[str, PbxCheck] | None = None
    transcription_backlog: BacklogCheck | None = None
    live: LiveCheck | None = None


class Health(BaseModel):
    status: Literal["ok", "down"]
    checks: HealthChecks


# ---------------------------------------------------------------------------- citizen requests
class StatusHistoryEntry(BaseModel):
    status: str
    note: str
    changed_by: str | None
    changed_at: str


class Open311Request(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    detailed_status: str
    status_notes: str
    service_code: str | None
    description: str
    address: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str
    closed_datetime: str | None
    escalated_datetime: str | None
    # Routing: the competent department, who works it there, and its answer (hotline/routing.py).
    department: str | None = None
    assignee: str | None = None
    answer_text: str | None = None
    answered_datetime: str | None = None
    caller_number: str | None
    caller_name: str | None
    history: list[StatusHistoryEntry]


class RequestPage(BaseModel):
    total: int
    items: list[Open311Request]


class OverdueRequest(Open311Request):
    days_overdue: int


class OverdueList(BaseModel):
    as_of: str
    total: int
    items: list[OverdueRequest]


class Escalated(BaseModel):
    escalated: list[str]


# ---------------------------------------------------------------------------- reports and audit
class KpiReport(BaseModel):
    group_by: str
    since: str
    until: str
    rows: list[KpiRow]


class CallRow(BaseModel):
    """One call as hotline.reports.CALL_COLUMNS (the CLI's `report calls` has the same columns)."""

    id: int
    pbx: str
    linkedid: str
    started_at: str
    caller_number: str | None
    caller_name: str | None
    dialed_number: str | None
    ivr_topic: str | None
    language: str | None
    queue: str | None
    queue_entered_at: str | None
    initial_position: int | None
    answered_at: str | None
    outcome: str
    agent: str | None
    wait_s: float | None
    talk_s: float | None
    hangup_cause: int | None
    hangup_cause_text: str | None
    ended_at: str | None
    has_recording: bool


class CallPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CallRow]


class AuditEntry(BaseModel):
    id: int
    at: str
    username: str
    action: str
    object_type: str
    object_id: str
    client_addr: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    items: list[AuditEntry]


# ---------------------------------------------------------------------------- live
class LiveSnapshot(BaseModel):
    at: str
    views: list[dict[str, Any]]  # one per PBX: calls, queues with waiting callers, agents
    kpis: list[dict[str, Any]] | None
    kpi_error: str | None


class WaitingPoint(BaseModel):
    at: str
    waiting: int


class HourServiceLevel(BaseModel):
    hour: str
    service_level_pct: float | None


class LiveToday(BaseModel):
    day_start: str  # local midnight today: the chart's x axis spans the whole day from here
    step_min: int
    waiting: list[WaitingPoint]
    service_level_by_hour: list[HourServiceLevel]


# ---------------------------------------------------------------------------- analytics
class IncidentOut(BaseModel):
    id: int
    topic: str
    key_words: str
    window_start: str
    window_end: str
    call_count: int
    call_ids: list[Any]
    detected_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    reason: str  # why it was raised, in the detector's terms


class IncidentList(BaseModel):
    items: list[IncidentOut]


class SearchHitOut(BaseModel):
    call_id: int | None
    recording_id: int
    transcript_id: int
    segment_id: int
    speaker: str
    start_s: float
    end_s: float
    snippet: str
    highlights: list[str]
    score: float
    started_at: str | None
    queue: str | None
    topic: str | None
    agent: str | None
    pbx: str | None
    audio_url: str


class SearchPageOut(BaseModel):
    total: int
    total_capped: bool
    limit: int
    offset: int
    hits: list[SearchHitOut]


class TopicShareOut(BaseModel):
    day: str
    topic: str
    calls: int
    base_count: int
    share_pct: float
    base: str
    label: str


class TopicShareReport(BaseModel):
    base: str
    since: str
    until: str
    rows: list[TopicShareOut]


class TopicCall(BaseModel):
    call_id: int | None
    recording_id: int | None
    transcript_id: int | None
    started_at: str
    queue: str | None
    agent: str | None
    caller_number: str | None  # masked for the caller's role
    outcome: str | None
    offset_s: float | None  # where to start listening: the topic's first mention
    audio_url: str | None  # for roles that may listen to recordings


class TopicCalls(BaseModel):
    start: str
    period: Literal["day", "week", "month"]
    topic: str
    base: Literal["offered", "answered", "transcribed"]
    items: list[TopicCall]


class KeywordTrends(BaseModel):
    day: str
    window_days: int
    rows: list[Trend]


class AbuseOut(BaseModel):
    call_id: int | None
    recording_id: int
    transcript_id: int
    speaker: str
    words: list[str]
    count: int
    first_offset_s: float
    started_at: str | None
    queue: str | None
    agent: str | None


class AbuseReport(BaseModel):
    rows: list[AbuseOut]


# ---------------------------------------------------------------------------- transcripts
class TranscriptSegmentOut(BaseModel):
    segment_id: int
    start_s: float
    end_s: float
    text: str
    confidence: float | None


class Turn(BaseModel):
    speaker: str
    start_s: float
    end_s: float
    segments: list[TranscriptSegmentOut]


class TranscriptCall(BaseModel):
    id: int
    pbx: str
    started_at: str
    queue: str | None
    agent: str | None
    caller_number: str | None


class Highlight(BaseModel):
    keyword: str
    kind: str
    topic: str | None
    speaker: str
    segment_id: int | None
    start_s: float
    end_s: float


class TranscriptView(BaseModel):
    id: int
    recording_id: int
    language: str
    model: str
    duration_s: float
    topic: str | None
    abusive: bool
    redacted: bool
    call: TranscriptCall | None
    turns: list[Turn]
    highlights: list[Highlight]
