"""Wallboard alerts: which queue breaches which threshold now (pure; the API hub runs it).

Works on the JSON form of the live views (what the hub holds) and today's KPI rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from hotline.wallboard_settings import Thresholds, WallboardSettings

Level = Literal["amber", "red"]


@dataclass(frozen=True, order=True)
class Alert:
    pbx: str
    queue: str
    metric: Literal["longest_wait", "waiting", "service_level"]
    level: Level
    value: float
    threshold: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _above(value: float, amber: float | None, red: float | None) -> tuple[Level, float] | None:
    if red is not None and value >= red:
        return "red", red
    if amber is not None and value >= amber:
        return "amber", amber
    return None


def _below(value: float, amber: float | None, red: float | None) -> tuple[Level, float] | None:
    if red is not None and value < red:
        return "red", red
    if amber is not None and value < amber:
        return "amber", amber
    return None


def _queue_alerts(
    pbx: str, queue: Mapping[str, Any], kpi: Mapping[str, Any] | None, limits: Thresholds, now: datetime
) -> list[Alert]:
    alerts = []
    waiting = queue.get("waiting") or []
    longest = (
        max((now - datetime.fromisoformat(c["joined_at"])).total_seconds() for c in waiting) if waiting else 0
    )
    hit = _above(longest, limits.longest_wait_amber_s, limits.longest_wait_red_s)
    if hit:
        alerts.append(Alert(pbx, queue["name"], "longest_wait", hit[0], round(longest), hit[1]))
    hit = _above(len(waiting), limits.waiting_amber, limits.waiting_red)
    if hit:
        alerts.append(Alert(pbx, queue["name"], "waiting", hit[0], len(waiting), hit[1]))
    if kpi and kpi.get("service_level_pct") is not None and kpi.get("answered", 0) >= limits.sl_min_answered:
        level = float(kpi["service_level_pct"])
        hit = _below(level, limits.sl_below_amber_pct, limits.sl_below_red_pct)
        if hit:
            alerts.append(Alert(pbx, queue["name"], "service_level", hit[0], level, hit[1]))
    return alerts


def evaluate(
    views: Iterable[Mapping[str, Any]],
    kpis: Iterable[Mapping[str, Any]] | None,
    settings: WallboardSettings,
    now: datetime,
) -> list[Alert]:
    """Every breach now, sorted; a queue with today's KPIs but no live view is not judged."""
    by_queue = {(row.get("pbx"), row.get("key")): row for row in kpis or []}
    alerts: list[Alert] = []
    for view in views:
        if not view.get("connected", True):
            continue  # the board says the PBX is down; its numbers are not the queue's
        for queue in view.get("queues", []):
            limits = settings.thresholds_for(queue["name"])
            alerts.extend(
                _queue_alerts(view["pbx"], queue, by_queue.get((view["pbx"], queue["name"])), limits, now)
            )
    return sorted(alerts)
