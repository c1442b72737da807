"""Staffing from history: per half-hour, offered calls and AHT from the records, the operators Erlang C/A
says a target service level needs, and the operators who were actually logged in.

Two views, both as `StaffingRow`s:
- `past_intervals`: every half-hour of a chosen window as it happened;
- `forecast_week`: each half-hour slot of the week (weekday, local time) averaged over the history
  window, laid on the coming week, with the operators who were logged in on average in that slot.

Definitions (stated in STAFFING_DEFINITIONS, shown by the CLI and the page) keep the numbers honest.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.erlang import agents_required, service_level
from hotline.models import AgentPeriod, AgentPeriodKind, Call, CallOutcome
from hotline.timeutil import utcnow
from hotline.workforce import union

INTERVAL = timedelta(minutes=30)
# Patience is estimated only from this many abandons; fewer, and Erlang C is used (and said so).
MIN_ABANDONS_FOR_PATIENCE = 5

STAFFING_DEFINITIONS = """\
Staffing definitions (half-hour intervals in local time):
  offered           calls that entered a queue in the interval
  aht_s             mean talk time of the interval's answered calls (+ wrap-up); the window's mean
                    when the interval has no answered call
  agents_required   fewest operators for the target (e.g. 80% of offered calls answered within 20 s):
                    Erlang A when caller patience is known (at least 5 abandons in the window;
                    patience = total waiting time of queued calls / abandons), else Erlang C
  agents_logged_in  operators logged in and not paused, time-weighted mean over the interval
  sl_forecast_pct   service level the model gives for agents_logged_in (rounded to whole operators)
  understaffed      agents_logged_in (rounded) < agents_required
Forecast: each weekday half-hour averaged over the history window's occurrences of it."""


# The report's columns (CLI and API exports).
STAFFING_KEYS = (
    "interval_start",
    "offered",
    "aht_s",
    "agents_required",
    "agents_logged_in",
    "sl_forecast_pct",
)


@dataclass(frozen=True)
class StaffingRow:
    interval_start: datetime
    offered: float
    aht_s: float | None
    agents_required: int
    agents_logged_in: float
    sl_forecast_pct: float | None
    understaffed: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    sl_pct: float = 80.0
    sl_seconds: float = 20.0
    wrapup_s: float = 0.0


@dataclass(frozen=True)
class Staffing:
    rows: list[StaffingRow]
    model: str
    patience_s: float | None
    target: Target


@dataclass
class _Slot:
    offered: int = 0
    talk_total: float = 0.0
    answered: int = 0
    available_s: float = 0.0


@dataclass(frozen=True)
class _History:
    slots: dict[datetime, _Slot]
    mean_aht_s: float | None
    patience_s: float | None


def half_hours(since: datetime, until: datetime, zone: ZoneInfo) -> list[datetime]:
    """UTC starts of the local half-hours that begin in [since, until)."""
    at = _bucket(since, zone)
    out = []
    while at < until:
        out.append(at)
        at += INTERVAL
    return out


def _bucket(moment: datetime, zone: ZoneInfo) -> datetime:
    """The UTC start of the local half-hour containing `moment`."""
    local = moment.astimezone(zone)
    return local.replace(minute=30 if local.minute >= 30 else 0, second=0, microsecond=0).astimezone(UTC)


def _read_history(
    session: Session, since: datetime, until: datetime, zone: ZoneInfo, wrapup_s: float, now: datetime
) -> _History:
    slots: dict[datetime, _Slot] = defaultdict(_Slot)
    query = select(Call.queue_entered_at, Call.outcome, Call.wait_s, Call.talk_s).where(
        Call.queue.is_not(None), Call.queue_entered_at >= since, Call.queue_entered_at < until
    )
    abandons, exposure, talk_total, answered = 0, 0.0, 0.0, 0
    for entered, outcome, wait_s, talk_s in session.execute(query):
        if entered is None:
            continue  # excluded by the query; keeps the types honest
        slot = slots[_bucket(entered, zone)]
        slot.offered += 1
        exposure += wait_s or 0.0
        if outcome == CallOutcome.ABANDONED:
            abandons += 1
        elif outcome == CallOutcome.ANSWERED and talk_s is not None:
            slot.answered += 1
            slot.talk_total += talk_s + wrapup_s
            talk_total += talk_s + wrapup_s
            answered += 1
    for start, end in _available_spans(session, since, until, now):
        at = _bucket(start, zone)
        while at < end:
            overlap = (min(end, at + INTERVAL) - max(start, at)).total_seconds()
            if overlap > 0:
                slots[at].available_s += overlap
            at += INTERVAL
    patience = exposure / abandons if abandons >= MIN_ABANDONS_FOR_PATIENCE and exposure > 0 else None
    return _History(slots, talk_total / answered if answered else None, patience)


def _available_spans(
    session: Session, since: datetime, until: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Per operator: logged in (to any queue) minus paused, clipped to the window."""
    query = select(AgentPeriod).where(
        AgentPeriod.kind.in_([AgentPeriodKind.LOGGED_IN, AgentPeriodKind.PAUSED]),
        AgentPeriod.started_at < until,
    )
    logged: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    paused: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for period in session.scalars(query):
        # An operator still logged in counts until now, never into the future of the window.
        end = min(period.ended_at or now, until)
        start = max(period.started_at, since)
        if end <= start:
            continue
        target = logged if period.kind is AgentPeriodKind.LOGGED_IN else paused
        target[(period.pbx, period.interface)].append((start, end))
    spans: list[tuple[datetime, datetime]] = []
    for agent, periods in logged.items():
        spans.extend(_subtract(union(periods), union(paused.get(agent, []))))
    return spans


def _subtract(
    spans: list[tuple[datetime, datetime]], holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    for start, end in spans:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                out.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def _row(
    start: datetime,
    offered: float,
    aht: float | None,
    available: float,
    target: Target,
    patience: float | None,
) -> StaffingRow:
    if offered <= 0 or aht is None:
        return StaffingRow(start, offered, aht, 0, round(available, 2), None, False)
    rate = offered / INTERVAL.total_seconds()
    need = agents_required(rate, aht, target.sl_seconds, target.sl_pct / 100.0, patience)
    present = math.floor(available + 0.5)
    level = service_level(present, rate, aht, target.sl_seconds, patience)
    return StaffingRow(
        interval_start=start,
        offered=round(offered, 2),
        aht_s=round(aht, 1),
        agents_required=need.agents,
        agents_logged_in=round(available, 2),
        sl_forecast_pct=round(100.0 * level, 1),
        understaffed=present < need.agents,
    )


def past_intervals(
    session: Session,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
    target: Target,
    *,
    now: datetime | None = None,
) -> Staffing:
    """Every half-hour of [since, until) as it happened; operators still logged in count up to `now`."""
    history = _read_history(session, since, until, zone, target.wrapup_s, now or utcnow())
    rows = []
    for start in half_hours(since, until, zone):
        slot = history.slots.get(start, _Slot())
        aht = slot.talk_total / slot.answered if slot.answered else history.mean_aht_s
        rows.append(_row(start, slot.offered, aht, slot.available_s / 1800.0, target, history.patience_s))
    return Staffing(rows, _model(history.patience_s), history.patience_s, target)


def forecast_week(
    session: Session,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
    target: Target,
    week_start: datetime,
    *,
    now: datetime | None = None,
) -> Staffing:
    """The coming week from `week_start` (local Monday 00:00): each slot is the history's mean for it."""
    history = _read_history(session, since, until, zone, target.wrapup_s, now or utcnow())
    totals: dict[tuple[int, int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])
    for start in half_hours(since, until, zone):
        local = start.astimezone(zone)
        slot = history.slots.get(start, _Slot())
        acc = totals[(local.weekday(), local.hour, local.minute)]
        acc[0] += 1  # occurrences of this slot in the history
        acc[1] += slot.offered
        acc[2] += slot.talk_total
        acc[3] += slot.answered
        acc[4] += slot.available_s / 1800.0
    rows = []
    for start in half_hours(week_start, week_start + timedelta(days=7), zone):
        local = start.astimezone(zone)
        seen, offered, talk, answered, available = totals.get(
            (local.weekday(), local.hour, local.minute), [0.0] * 5
        )
        aht = talk / answered if answered else history.mean_aht_s
        share = 1.0 / seen if seen else 0.0
        rows.append(_row(start, offered * share, aht, available * share, target, history.patience_s))
    return Staffing(rows, _model(history.patience_s), history.patience_s, target)


def _model(patience: float | None) -> str:
    return "erlang_c" if patience is None else "erlang_a"


def next_week_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    monday = (local + timedelta(days=7 - local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)
