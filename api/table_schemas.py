"""Response models of the report tables that also download as CSV or XLSX (api/tableout.py).

Rows reuse the core's row types where the table is one of them; times are ISO 8601 strings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from api.tableout import Table
from hotline.text_stats import TermRow
from hotline.topic_stats import ShareRow
from hotline.workforce import OccupancyRow, PauseRow

Base = Literal["offered", "answered", "transcribed"]
Period = Literal["day", "week", "month"]


class FrequentTerms(Table):
    previous_since: str  # the previous window of the same length, which `change_pp` compares with
    transcribed_calls: int
    previous_transcribed_calls: int
    min_calls: int
    order: Literal["calls", "change"]
    rows: list[TermRow]


class TopicPeriods(Table):
    base: Base
    period: Period
    rows: list[ShareRow]


class OccupancyReport(Table):
    by: Literal["agent", "queue"]
    wrapup_s: float
    rows: list[OccupancyRow]


class PauseReport(Table):
    rows: list[PauseRow]


class IntervalRow(BaseModel):
    """KPIs of one local half-hour or hour (hotline.workforce.INTERVAL_KEYS)."""

    interval: str  # "2026-11-23 10:30" by date, "10:30" by weekday
    weekday: int  # ISO: 1 is Monday
    offered: int
    answered: int
    abandoned: int
    service_level_pct: float | None
    abandon_rate_pct: float | None
    asa_s: float | None
    aht_s: float | None
    max_wait_s: float | None


class IntervalReport(Table):
    minutes: int
    by: Literal["day", "weekday"]
    rows: list[IntervalRow]


class StaffingInterval(BaseModel):
    """One half-hour of hotline.staffing.StaffingRow, its start in local time."""

    interval_start: str
    offered: float  # a count for the past, a mean of the history weeks in a forecast
    aht_s: float | None
    agents_required: int
    agents_logged_in: float
    sl_forecast_pct: float | None
    understaffed: bool


class StaffingReport(Table):
    mode: Literal["past", "next_week"]
    model: Literal["erlang_c", "erlang_a"]  # Erlang A when caller patience is known
    patience_s: float | None
    sl_target: float
    sl_seconds: float
    rows: list[StaffingInterval]
