"""/metrics in Prometheus text format, collected at scrape time (no global registry)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import SessionDep, SupervisorUser, WiringDep
from api.live_hub import LiveHub
from api.ratelimit import FailureStore
from api.throttle_store import RedisOrDatabase
from hotline.live import liveness
from hotline.models import JobStatus, Pbx, Transcript, TranscriptionJob
from hotline.timeutil import utcnow

router = APIRouter(tags=["metrics"])


_LISTENER_COUNTERS = (
    ("state_errors_total", "Well-formed AMI events the listener's state machine failed on (a bug)"),
    ("lost_calls_total", "Calls closed as lost_during_disconnect"),
    ("values_cleaned_total", "Values cleaned before saving (NUL bytes stripped, cut to size)"),
    ("rows_rejected_total", "Rows the database refused, set aside"),
    ("records_lost_total", "Unsaved rows dropped because the retry buffer was full"),
)


class _Snapshot(Collector):
    def __init__(
        self, session: Session, hub: LiveHub, stale_after_s: float, throttle_store: FailureStore
    ) -> None:
        self.session = session
        self.hub = hub
        self.stale_after_s = stale_after_s
        self.throttle_store = throttle_store

    def collect(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "hotline_queue_callers_waiting", "Callers waiting per queue", labels=["pbx", "queue"]
        )
        active = GaugeMetricFamily("hotline_active_calls", "Calls in progress", labels=["pbx"])
        for view in self.hub.views.values():
            for queue in view.get("queues", []):
                waiting.add_metric([view["pbx"], queue["name"]], len(queue.get("waiting", [])))
            active.add_metric([view["pbx"]], len(view.get("calls", [])))
        yield waiting
        yield active

        connected = GaugeMetricFamily(
            "hotline_ami_connected", "AMI connection up (1) or down (0)", labels=["pbx"]
        )
        events = CounterMetricFamily("hotline_ami_events", "AMI events processed", labels=["pbx"])
        errors = CounterMetricFamily(
            "hotline_ami_parse_errors", "AMI messages that failed to parse", labels=["pbx"]
        )
        reconnects = CounterMetricFamily("hotline_ami_reconnects", "AMI reconnections", labels=["pbx"])
        live = GaugeMetricFamily(
            "hotline_ami_live", "Listener heartbeat fresh and PBX connected (1) or not (0)", labels=["pbx"]
        )
        counters = [
            CounterMetricFamily(f"hotline_ami_{name.removesuffix('_total')}", text, labels=["pbx"])
            for name, text in _LISTENER_COUNTERS
        ]
        now = utcnow()
        for pbx in self.session.scalars(select(Pbx)):
            connected.add_metric([pbx.name], 1.0 if pbx.connected else 0.0)
            events.add_metric([pbx.name], pbx.events_total)
            errors.add_metric([pbx.name], pbx.parse_errors_total)
            reconnects.add_metric([pbx.name], pbx.reconnects_total)
            live.add_metric([pbx.name], 1.0 if liveness(pbx, now, self.stale_after_s).live else 0.0)
            for family, (name, _) in zip(counters, _LISTENER_COUNTERS, strict=True):
                family.add_metric([pbx.name], getattr(pbx, name))
        yield from (connected, events, errors, reconnects, live, *counters)

        backlog = GaugeMetricFamily(
            "hotline_transcription_jobs", "Transcription jobs by status", labels=["status"]
        )
        counts = dict(
            self.session.execute(
                select(TranscriptionJob.status, func.count()).group_by(TranscriptionJob.status)
            ).all()
        )
        for status in JobStatus:
            backlog.add_metric([status.value], counts.get(status, 0))
        yield backlog
        seconds = self.session.scalar(select(func.coalesce(func.sum(Transcript.audio_duration_s), 0.0)))
        yield CounterMetricFamily(
            "hotline_transcription_audio_seconds", "Audio seconds transcribed", value=float(seconds or 0.0)
        )
        yield GaugeMetricFamily(
            "hotline_live_viewers", "Push clients connected to this process", value=self.hub.viewers
        )
        yield from self._throttle()

    def _throttle(self) -> Iterator[Metric]:
        # Zero without api.redis_url: the database is then the only place the throttle counts.
        outages = fallbacks = 0
        if isinstance(store := self.throttle_store, RedisOrDatabase):
            outages, fallbacks = store.outages, store.fallbacks
        yield CounterMetricFamily(
            "hotline_login_throttle_redis_outages",
            "Times Redis stopped answering the login throttle of this process",
            value=outages,
        )
        yield CounterMetricFamily(
            "hotline_login_throttle_database_fallbacks",
            "Login throttle operations of this process counted in the database because Redis was down",
            value=fallbacks,
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics (scrape with a Bearer token).",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(user: SupervisorUser, session: SessionDep, wiring: WiringDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Snapshot(session, wiring.hub, wiring.settings.ami.stale_after_s, wiring.throttle.store)
    )
    body = generate_latest(registry)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
