"""The live view contract between the AMI listener (writer) and the API (reader).

The listener keeps the state in memory and publishes a `LiveView` per PBX into the `live_snapshot`
table (coalesced, a few times a second at most, `seq` grows by one per publish). API processes watch
the small (pbx, seq) pairs with one background task per process and push changes to their viewers,
so the view follows the PBX within a second without any viewer polling a heavy query.

A view is only as good as the listener behind it: the listener writes a heartbeat into `pbx` every
few seconds (also when the PBX is idle). `liveness` calls a PBX not live when that heartbeat is older
than `ami.stale_after_s` (the listener is dead) or the PBX is disconnected; readers then show
`LiveView.not_live` (no numbers, "not live since ...") instead of a frozen picture.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import LiveSnapshot, Pbx
from hotline.timeutil import utcnow


class AgentState(StrEnum):
    FREE = "free"
    RINGING = "ringing"
    TALKING = "talking"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"


class CallState(StrEnum):
    IVR = "ivr"
    QUEUED = "queued"
    RINGING = "ringing"
    TALKING = "talking"
    OTHER = "other"


class WaitingCaller(BaseModel):
    uniqueid: str
    linkedid: str
    caller_number: str | None = None
    caller_name: str | None = None
    topic: str | None = None
    position: int
    joined_at: datetime


class QueueMemberView(BaseModel):
    interface: str
    name: str
    state: AgentState
    paused: bool = False
    pause_reason: str | None = None
    in_call: bool = False
    calls_taken: int = 0
    penalty: int = 0
    # Asterisk device status code (0..8) and its name, as QueueMemberStatus reports it.
    device_status: int = 0
    device_status_text: str = "UNKNOWN"
    last_call_at: datetime | None = None


class QueueView(BaseModel):
    name: str
    waiting: list[WaitingCaller] = Field(default_factory=list)
    members: list[QueueMemberView] = Field(default_factory=list)
    strategy: str | None = None


class CallView(BaseModel):
    linkedid: str
    caller_number: str | None = None
    caller_name: str | None = None
    started_at: datetime
    state: CallState
    topic: str | None = None
    queue: str | None = None
    agent: str | None = None
    answered_at: datetime | None = None


class AgentView(BaseModel):
    """One operator across all their queues (the wallboard's "agents by state")."""

    interface: str
    name: str
    state: AgentState
    pause_reason: str | None = None
    queues: list[str] = Field(default_factory=list)
    calls_taken: int = 0
    state_since: datetime | None = None
    talking_to: str | None = None


class LiveView(BaseModel):
    pbx: str
    connected: bool
    at: datetime
    queues: list[QueueView] = Field(default_factory=list)
    calls: list[CallView] = Field(default_factory=list)
    agents: list[AgentView] = Field(default_factory=list)
    # Set by readers (never by the listener): False when the numbers above can no longer be trusted.
    live: bool = True
    not_live_since: datetime | None = None
    not_live_reason: str | None = None

    def not_live(self, since: datetime | None, reason: str) -> LiveView:
        """The same PBX without its old numbers, saying since when and why it is not live."""
        return LiveView(
            pbx=self.pbx,
            connected=self.connected,
            at=self.at,
            live=False,
            not_live_since=since,
            not_live_reason=reason,
        )


@dataclass(frozen=True)
class Liveness:
    live: bool
    since: datetime | None = None  # the last heartbeat, or the disconnect
    reason: str | None = None  # "never connected" | "listener silent" | "disconnected"


def liveness(row: Pbx | None, now: datetime, stale_after_s: float) -> Liveness:
    """Whether a PBX's published state is current: a fresh listener heartbeat and a connected PBX."""
    if row is None:
        return Liveness(False, None, "never connected")
    if row.heartbeat_at is None or (now - row.heartbeat_at).total_seconds() > stale_after_s:
        return Liveness(False, row.heartbeat_at, "listener silent")
    if not row.connected:
        return Liveness(False, row.last_disconnected_at, "disconnected")
    return Liveness(True)


def pbx_liveness(session: Session, now: datetime, stale_after_s: float) -> dict[str, Liveness]:
    return {row.name: liveness(row, now, stale_after_s) for row in session.scalars(select(Pbx))}


def publish(session: Session, view: LiveView) -> int:
    """Store `view` as the PBX's latest snapshot; returns the new sequence number."""
    row = session.get(LiveSnapshot, view.pbx)
    data = view.model_dump(mode="json")
    if row is None:
        row = LiveSnapshot(pbx=view.pbx, seq=1, data=data, updated_at=utcnow())
        session.add(row)
    elif datetime.fromisoformat(row.data["at"]) > view.at:
        return row.seq  # a newer view was written meanwhile (views may be written concurrently)
    else:
        row.seq += 1
        row.data = data
        row.updated_at = utcnow()
    session.flush()
    return row.seq


def sequences(session: Session) -> dict[str, int]:
    """The cheap query API processes poll: current seq per PBX."""
    rows = session.execute(select(LiveSnapshot.pbx, LiveSnapshot.seq))
    return dict(rows.all())  # (Result.tuples() is deprecated in SQLAlchemy 2.1)


def view_times(session: Session, pbxes: Collection[str]) -> dict[str, datetime]:
    """When each stored view was built, without reading the views (tens of kilobytes each)."""
    rows = session.execute(
        select(LiveSnapshot.pbx, LiveSnapshot.data["at"].as_string()).where(LiveSnapshot.pbx.in_(pbxes))
    )
    return {pbx: datetime.fromisoformat(at) for pbx, at in rows if at}


def read_views(session: Session, pbxes: Collection[str] | None = None) -> list[LiveView]:
    query = select(LiveSnapshot).order_by(LiveSnapshot.pbx)
    if pbxes is not None:
        query = query.where(LiveSnapshot.pbx.in_(pbxes))
    return [LiveView.model_validate(row.data) for row in session.scalars(query)]


def checked(view: LiveView, state: Liveness | None) -> LiveView:
    """`view` as a reader must show it: unchanged while live, else without its numbers."""
    if state is None:
        state = Liveness(False, None, "never connected")
    return view if state.live else view.not_live(state.since, state.reason or "not live")
