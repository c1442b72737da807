"""The one database schema of hotline (SQLAlchemy 2.0, typed declarative).

Sections: PBX and live state · calls and queues · agents · IVR · citizen requests and callbacks ·
recordings and transcription · analytics · users, tokens and audit.
Every timestamp is an aware UTC datetime (UtcDateTime). Telephony rows are keyed by
(pbx, Asterisk id) because Linkedid and Uniqueid are only unique within one server.
The tables are split by section into modules of this package; import them from here.
Any change here goes into hotline/migrations/versions too (tests/core/test_migrations.py checks).
"""

from __future__ import annotations

from hotline.domain import (
    AgentPeriodKind,
    AttemptResult,
    CallbackStatus,
    CallOutcome,
    HitKind,
    IvrOutcome,
    JobStatus,
    RequestStatus,
    Role,
    Speaker,
)
from hotline.models.access import (
    ApiToken,
    AuditLog,
    LoginFailure,
    LoginFailureRun,
    User,
    WebSession,
)
from hotline.models.base import NAMING, Base
from hotline.models.calls import (
    Agent,
    AgentPeriod,
    Call,
    CallbackRequest,
    CallerPreference,
    CitizenRequest,
    IvrVisit,
    LiveSnapshot,
    Pbx,
    QueueEntry,
    RequestStatusChange,
    StatusLookup,
)
from hotline.models.routing import (
    CallbackAttempt,
    Department,
    DepartmentMember,
    SupervisorAlert,
)
from hotline.models.transcripts import (
    Incident,
    KeywordHit,
    Recording,
    TopicScore,
    Transcript,
    TranscriptionJob,
    TranscriptSegment,
    TranscriptWord,
)

__all__ = [
    "NAMING",
    "Agent",
    "AgentPeriod",
    "AgentPeriodKind",
    "ApiToken",
    "AttemptResult",
    "AuditLog",
    "Base",
    "Call",
    "CallOutcome",
    "CallbackAttempt",
    "CallbackRequest",
    "CallbackStatus",
    "CallerPreference",
    "CitizenRequest",
    "Department",
    "DepartmentMember",
    "HitKind",
    "Incident",
    "IvrOutcome",
    "IvrVisit",
    "JobStatus",
    "KeywordHit",
    "LiveSnapshot",
    "LoginFailure",
    "LoginFailureRun",
    "Pbx",
    "QueueEntry",
    "Recording",
    "RequestStatus",
    "RequestStatusChange",
    "Role",
    "Speaker",
    "StatusLookup",
    "SupervisorAlert",
    "TopicScore",
    "Transcript",
    "TranscriptSegment",
    "TranscriptWord",
    "TranscriptionJob",
    "User",
    "WebSession",
]
