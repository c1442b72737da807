"""Supervisor reports over agent periods and calls: occupancy, pause reasons, interval KPIs.

Definitions (WORKFORCE_DEFINITIONS) are shown by the CLI, the API and the page:
the numbers say what they measure, including what they leave out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

# The one KPI implementation (its per-group accumulator), so interval rows match `report queues`.
from hotline.kpi import _Totals
from hotline.models import AgentPeriod, AgentPeriodKind, Call, CallOutcome
from hotline.settings import Settings

Span = tuple[datetime, datetime]
IntervalBy = Literal["day", "weekday"]

WORKFORCE_DEFINITIONS = """\
Occupancy (per operator across their queues, and per queue):
  logged_in_s     time logged in (to any of the operator's queues; per queue: to that queue)
  paused_s        time paused while logged in (any reason)
  available_s     logged_in_s - paused_s
  talk_s          time on answered calls (AgentConnect to AgentComplete)
  wrapup_s        answered calls x the wrap-up setting (Asterisk's queue wrapuptime), clipped to available
  occupancy_pct   (talk_s + wrapup_s) / available_s * 100
  calls_per_hour  answered calls / available hours
Pauses: one row per operator and reason; a pause Asterisk reports in several queues at once counts once.
Intervals: KPIs (as in `report queues`) per half-hour or hour, by date or by weekday (all weeks summed)."""

# Column order of each table, shared by the CLI and the API exports.
OCCUPANCY_KEYS = (
    "pbx", "key", "logged_in_s", "paused_s", "available_s", "talk_s", "wrapup_s", "answered",
    "occupancy_pct", "calls_per_hour",
)  # fmt: skip
PAUSE_KEYS = ("pbx", "agent", "reason", "pauses", "paused_s", "share_pct")
INTERVAL_KEYS = (
    "interval", "weekday", "offered", "answered", "abandoned", "service_level_pct", "abandon_rate_pct",
    "asa_s", "aht_s", "max_wait_s",
)  # fmt: skip


def _clip(spans: Iterable[Span], since: datetime, until: datetime) -> list[Span]:
    return [(max(s, since), min(e, until)) for s, e in spans if min(e, until) > max(s, since)]


def union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect(first: list[Span], second: list[Span]) -> list[Span]:
    """Both lists already merged (union)."""
    out: list[Span] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            out.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


def seconds(spans: Iterable[Span]) -> float:
    return sum((end - start).total_seconds() for start, end in spans)


@dataclass(frozen=True)
class OccupancyRow:
    key: str  # operator name, or queue
    pbx: str
    logged_in_s: float
    paused_s: float
    available_s: float
    talk_s: float
    wrapup_s: float
    answered: int
    occupancy_pct: float | None
    calls_per_hour: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PauseRow:
    pbx: str
    agent: str
    reason: str
    pauses: int
    paused_s: float
    share_pct: float | None  # of this operator's paused time

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _periods(session: Session, since: datetime, until: datetime, now: datetime) -> list[AgentPeriod]:
    query = select(AgentPeriod).where(AgentPeriod.started_at < until)
    rows = []
    for period in session.scalars(query):
        end = period.ended_at or now
        if end > since:
            rows.append(period)
    return rows


def occupancy(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    by: Literal["agent", "queue"],
    wrapup_s: float = 0.0,
    now: datetime,
) -> list[OccupancyRow]:
    """Occupancy per operator (across queues) or per queue over [since, until); open periods end `now`."""
    until = min(until, now)
    spans: dict[tuple[str, str, AgentPeriodKind], list[Span]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    calls: dict[tuple[str, str], int] = defaultdict(int)
    for period in _periods(session, since, until, now):
        key = period.queue if by == "queue" else period.interface
        if by == "queue" and not period.queue:
            continue
        names[(period.pbx, key)] = period.queue if by == "queue" else period.agent_name
        spans[(period.pbx, key, period.kind)].append((period.started_at, period.ended_at or now))
        ended = period.ended_at
        if period.kind is AgentPeriodKind.TALK and ended is not None and since <= ended < until:
            calls[(period.pbx, key)] += 1
    rows = []
    for pbx, key in sorted(names, key=lambda k: (k[0], names[k])):
        logged = union(_clip(spans[(pbx, key, AgentPeriodKind.LOGGED_IN)], since, until))
        paused = intersect(logged, union(_clip(spans[(pbx, key, AgentPeriodKind.PAUSED)], since, until)))
        talk = union(_clip(spans[(pbx, key, AgentPeriodKind.TALK)], since, until))
        logged_s, paused_s, talk_s = seconds(logged), seconds(paused), seconds(talk)
        available = logged_s - paused_s
        answered = calls[(pbx, key)]
        wrap = min(answered * wrapup_s, max(0.0, available - talk_s))
        rows.append(
            OccupancyRow(
                key=names[(pbx, key)],
                pbx=pbx,
                logged_in_s=round(logged_s, 1),
                paused_s=round(paused_s, 1),
                available_s=round(available, 1),
                talk_s=round(talk_s, 1),
                wrapup_s=round(wrap, 1),
                answered=answered,
                occupancy_pct=round(100 * (talk_s + wrap) / available, 1) if available > 0 else None,
                calls_per_hour=round(answered * 3600 / available, 2) if available > 0 else None,
            )
        )
    return rows


def pause_reasons(session: Session, *, since: datetime, until: datetime, now: datetime) -> list[PauseRow]:
    until = min(until, now)
    by_reason: dict[tuple[str, str, str], list[Span]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for period in _periods(session, since, until, now):
        if period.kind is not AgentPeriodKind.PAUSED:
            continue
        names[(period.pbx, period.interface)] = period.agent_name
        by_reason[(period.pbx, period.interface, period.reason or "")].append(
            (period.started_at, period.ended_at or now)
        )
    totals: dict[tuple[str, str], float] = defaultdict(float)
    merged = {key: union(_clip(spans, since, until)) for key, spans in by_reason.items()}
    for (pbx, interface, _reason), spans in merged.items():
        totals[(pbx, interface)] += seconds(spans)
    rows = []
    for (pbx, interface, reason), spans in sorted(merged.items()):
        if not spans:
            continue
        paused = seconds(spans)
        whole = totals[(pbx, interface)]
        rows.append(
            PauseRow(
                pbx=pbx,
                agent=names[(pbx, interface)],
                reason=reason,
                pauses=len(spans),
                paused_s=round(paused, 1),
                share_pct=round(100 * paused / whole, 1) if whole else None,
            )
        )
    return rows


def interval_kpis(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    settings: Settings,
    minutes: int,
    by: IntervalBy,
) -> list[dict[str, object]]:
    """KPIs per local half-hour or hour (minutes 30 or 60): per date ("2026-11-23 10:30") or weekday."""
    if minutes not in (30, 60):
        raise ValueError("intervals are 30 or 60 minutes")
    zone: ZoneInfo = settings.zone
    query = select(Call.queue, Call.queue_entered_at, Call.outcome, Call.wait_s, Call.talk_s).where(
        Call.queue.is_not(None), Call.queue_entered_at >= since, Call.queue_entered_at < until
    )
    # Weekday mode sorts Monday first (ISO weekday), day mode by date and time.
    groups: dict[tuple[int, str], _Totals] = defaultdict(_Totals)
    for queue, entered, outcome, wait_s, talk_s in session.execute(query):
        if queue is None or entered is None:
            continue
        local = entered.astimezone(zone)
        start = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
        if by == "weekday":
            key = (start.isoweekday(), start.strftime("%H:%M"))
        else:
            key = (0, start.strftime("%Y-%m-%d %H:%M"))
        groups[key].add(
            CallOutcome(outcome),
            wait_s,
            talk_s,
            settings.service_level_for(queue),
            settings.reports.short_abandon_s,
        )
    rows = []
    for (weekday, label), totals in sorted(groups.items()):
        row = totals.row(label, None).as_dict()
        del row["pbx"], row["key"]
        if by == "day":
            weekday = datetime.strptime(label, "%Y-%m-%d %H:%M").isoweekday()
        rows.append({"interval": label, "weekday": weekday, **row})
    return rows
