"""Contact-centre KPIs over call records, defined once; `hotline report` and the API both use this.

The query selects the queued calls of the window (a handful of columns) and aggregates them here, so the
same code groups by queue, agent, topic and local hour/day identically on SQLite and PostgreSQL
(local-time bucketing cannot be expressed portably in SQL).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Call, CallOutcome
from hotline.settings import Settings

GroupBy = Literal["queue", "agent", "hour", "day", "topic"]

KPI_DEFINITIONS = """\
KPI definitions (calls are counted in the window by the time they entered a queue):
  offered              calls that entered a queue (each call once, in its last queue)
  answered             offered calls an agent answered (AgentConnect)
  abandoned            offered calls where the caller hung up while waiting (incl. short abandons)
  short_abandoned      abandoned calls that waited less than reports.short_abandon_s (default 5 s)
  timeout              offered calls that left the queue because its timeout expired
  answered_within_sl   answered calls that waited <= the queue's service-level threshold
                       (reports.service_level_by_queue, else reports.service_level_s, default 20 s)
  abandoned_within_sl  abandoned calls that waited <= that threshold
  service_level_pct    answered_within_sl / answered * 100 (Asterisk's definition)
  sl2_pct              (answered_within_sl + abandoned_within_sl) / (answered + abandoned) * 100
  abandon_rate_pct     abandoned / offered * 100
  asa_s                average speed of answer: mean wait of answered calls, from queue entry
                       (Asterisk's Holdtime field is a moving average and is NOT used)
  aht_s                average handle time: mean talk time of answered calls
  max_wait_s           longest wait of any offered call
Wait and talk times are those Asterisk reports per call (HoldTime/TalkTime), in seconds.
Percentages and means are empty (null) when their denominator is 0."""


@dataclass(frozen=True)
class KpiRow:
    key: str
    pbx: str | None
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timeout: int
    answered_within_sl: int
    abandoned_within_sl: int
    service_level_pct: float | None
    sl2_pct: float | None
    abandon_rate_pct: float | None
    asa_s: float | None
    aht_s: float | None
    max_wait_s: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Totals:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timeout: int = 0
    answered_within_sl: int = 0
    abandoned_within_sl: int = 0
    answered_waits: list[float] = field(default_factory=list)
    talks: list[float] = field(default_factory=list)
    max_wait: float | None = None

    def add(
        self,
        outcome: CallOutcome,
        wait_s: float | None,
        talk_s: float | None,
        threshold: float,
        short_abandon_s: float,
    ) -> None:
        self.offered += 1
        if wait_s is not None:
            self.max_wait = wait_s if self.max_wait is None else max(self.max_wait, wait_s)
        within = wait_s is not None and wait_s <= threshold
        if outcome is CallOutcome.ANSWERED:
            self.answered += 1
            if wait_s is not None:
                self.answered_waits.append(wait_s)
            if talk_s is not None:
                self.talks.append(talk_s)
            self.answered_within_sl += within
        elif outcome is CallOutcome.ABANDONED:
            self.abandoned += 1
            self.abandoned_within_sl += within
            if wait_s is not None and wait_s < short_abandon_s:
                self.short_abandoned += 1
        elif outcome is CallOutcome.TIMEOUT:
            self.timeout += 1

    def row(self, key: str, pbx: str | None) -> KpiRow:
        handled = self.answered + self.abandoned
        return KpiRow(
            key=key,
            pbx=pbx,
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            short_abandoned=self.short_abandoned,
            timeout=self.timeout,
            answered_within_sl=self.answered_within_sl,
            abandoned_within_sl=self.abandoned_within_sl,
            service_level_pct=_pct(self.answered_within_sl, self.answered),
            sl2_pct=_pct(self.answered_within_sl + self.abandoned_within_sl, handled),
            abandon_rate_pct=_pct(self.abandoned, self.offered),
            asa_s=_mean(self.answered_waits),
            aht_s=_mean(self.talks),
            max_wait_s=self.max_wait,
        )


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def compute_kpis(
    session: Session,
    *,
    group_by: GroupBy,
    since: datetime,
    until: datetime,
    settings: Settings,
    pbx: str | None = None,
    queue: str | None = None,
) -> list[KpiRow]:
    """KPI rows for calls that entered a queue in [since, until), grouped by `group_by` and PBX.

    Rows come sorted by (pbx, key). Calls without an agent are left out of group_by="agent",
    calls without an IVR topic are grouped under topic "" .
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since/until must be aware datetimes")
    query = select(
        Call.pbx,
        Call.queue,
        Call.agent,
        Call.ivr_topic,
        Call.queue_entered_at,
        Call.outcome,
        Call.wait_s,
        Call.talk_s,
    ).where(
        Call.queue.is_not(None),
        Call.queue_entered_at.is_not(None),
        Call.queue_entered_at >= since,
        Call.queue_entered_at < until,
    )
    if pbx is not None:
        query = query.where(Call.pbx == pbx)
    if queue is not None:
        query = query.where(Call.queue == queue)

    zone = settings.zone
    short = settings.reports.short_abandon_s
    groups: dict[tuple[str, str], _Totals] = defaultdict(_Totals)
    for row_pbx, row_queue, agent, topic, entered, outcome, wait_s, talk_s in session.execute(query):
        if row_queue is None or entered is None:
            continue  # excluded by the query; keeps the types honest
        if group_by == "queue":
            key = row_queue
        elif group_by == "agent":
            if not agent:
                continue
            key = agent
        elif group_by == "topic":
            key = topic or ""
        elif group_by == "hour":
            key = entered.astimezone(zone).strftime("%Y-%m-%dT%H")
        else:
            key = entered.astimezone(zone).strftime("%Y-%m-%d")
        groups[(row_pbx, key)].add(
            CallOutcome(outcome), wait_s, talk_s, settings.service_level_for(row_queue), short
        )
    return [totals.row(key, row_pbx) for (row_pbx, key), totals in sorted(groups.items())]
