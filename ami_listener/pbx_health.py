"""The `pbx` health row the listener keeps for /health and /metrics in other processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Pbx
from hotline.timeutil import utcnow


@dataclass
class PbxHealth:
    name: str
    host: str
    connected: bool
    last_event_at: datetime | None
    events_total: int
    parse_errors_total: int
    reconnects_total: int
    asterisk_version: str | None = None
    connected_changed_at: datetime | None = None
    heartbeat_at: datetime | None = None
    state_errors_total: int = 0
    lost_calls_total: int = 0
    values_cleaned_total: int = 0
    rows_rejected_total: int = 0
    records_lost_total: int = 0


def write_health(session: Session, health: PbxHealth) -> None:
    row = session.scalar(select(Pbx).where(Pbx.name == health.name))
    if row is None:
        row = Pbx(name=health.name)
        session.add(row)
    changed = row.connected != health.connected
    row.host = health.host
    row.connected = health.connected
    row.last_event_at = health.last_event_at or row.last_event_at
    row.events_total = health.events_total
    row.parse_errors_total = health.parse_errors_total
    row.reconnects_total = health.reconnects_total
    row.heartbeat_at = health.heartbeat_at or utcnow()
    row.state_errors_total = health.state_errors_total
    row.lost_calls_total = health.lost_calls_total
    row.values_cleaned_total = health.values_cleaned_total
    row.rows_rejected_total = health.rows_rejected_total
    row.records_lost_total = health.records_lost_total
    if health.asterisk_version:
        row.asterisk_version = health.asterisk_version
    if changed or (row.last_connected_at is None and health.connected):
        if health.connected:
            row.last_connected_at = health.connected_changed_at or utcnow()
        else:
            row.last_disconnected_at = health.connected_changed_at or utcnow()
