"""The IVR's database work: visits, remembered languages, request status lookups, callbacks.

Sync SQLAlchemy, called from the call's worker thread (never from the event loop). Each call does
one short transaction when it starts, one when it ends, and one per lookup or callback.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline import lookup_limits, sms
from hotline.citizen import find_request, latest_request_of
from hotline.db import transaction
from hotline.errors import HotlineError
from hotline.live import LiveView
from hotline.lookup_limits import same_phone
from hotline.loop_settings import LookupLimits, SmsSettings
from hotline.models import (
    CallbackRequest,
    CallbackStatus,
    CallerPreference,
    CitizenRequest,
    IvrVisit,
    LiveSnapshot,
    StatusLookup,
)
from ivr.steps import RateLimited, StatusFound, StatusNotFound, VisitRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallInfo:
    pbx: str
    uniqueid: str
    channel: str | None
    caller_number: str | None
    caller_name: str | None


class IvrStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        lookups_per_hour: int,
        zone: ZoneInfo,
        limits: LookupLimits | None = None,
        sms: SmsSettings | None = None,
        sounds_dir: Path | None = None,
    ) -> None:
        # Unknown-number limits per caller and for everyone (hotline/lookup_limits.py).
        self.limits = limits or LookupLimits()
        # Answers by SMS (hotline/sms.py) and read out (synthesized into the sounds folder).
        self.sms = sms or SmsSettings()
        self.sounds_dir = sounds_dir
        self.session_factory = session_factory
        self.zone = zone  # the registration date is said as the caller's local date
        self._waiting: dict[str, tuple[datetime, dict[str, int] | None]] = {}
        self._waiting_lock = threading.Lock()
        self.lookups_per_hour = lookups_per_hour

    # The AMI listener publishes the live view a few times a second; one read per PBX per second
    # serves every call that is about to queue.
    WAITING_CACHE_S = 1.0
    # A snapshot older than this belongs to a listener that is down: unknown, not "nobody waits".
    STALE_AFTER_S = 60.0

    def queue_waiting(self, pbx: str, queue: str, now: datetime) -> int | None:
        """Callers waiting in `queue` per the AMI listener's live view; None when unknown."""
        with self._waiting_lock:
            cached = self._waiting.get(pbx)
        if cached is None or (now - cached[0]).total_seconds() > self.WAITING_CACHE_S:
            cached = (now, self._read_waiting(pbx, now))
            with self._waiting_lock:
                self._waiting[pbx] = cached
        counts = cached[1]
        return None if counts is None else counts.get(queue, 0)

    def _read_waiting(self, pbx: str, now: datetime) -> dict[str, int] | None:
        with self.session_factory() as session:
            row = session.get(LiveSnapshot, pbx)
        if row is None or (now - row.updated_at).total_seconds() > self.STALE_AFTER_S:
            return None
        view = LiveView.model_validate(row.data)
        if not view.connected:
            return None
        return {item.name: len(item.waiting) for item in view.queues}

    # A caller is waiting on every query: a locked table must not leave them in silence for long.
    STATEMENT_TIMEOUT_MS = 3000

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with transaction(self.session_factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL statement_timeout = {int(self.STATEMENT_TIMEOUT_MS)}"))
            yield session

    def begin_visit(self, call: CallInfo, started_at: datetime) -> tuple[int, str | None]:
        """Open the visit record (or reuse it when the dialplan runs the IVR again on the same channel).

        Returns the visit id and the caller's remembered language.
        """
        try:
            return self._begin(call, started_at)
        except IntegrityError:  # a concurrent start for the same (pbx, uniqueid); the row exists now
            return self._begin(call, started_at)

    def _begin(self, call: CallInfo, started_at: datetime) -> tuple[int, str | None]:
        with self._transaction() as session:
            visit = session.scalar(
                select(IvrVisit).where(IvrVisit.pbx == call.pbx, IvrVisit.uniqueid == call.uniqueid)
            )
            if visit is None:
                visit = IvrVisit(
                    pbx=call.pbx,
                    uniqueid=call.uniqueid,
                    channel=call.channel,
                    caller_number=call.caller_number,
                    caller_name=call.caller_name,
                    started_at=started_at,
                )
                session.add(visit)
                session.flush()
            lang = None
            if call.caller_number:
                lang = session.scalar(
                    select(CallerPreference.language).where(
                        CallerPreference.caller_number == call.caller_number
                    )
                )
            return visit.id, lang

    def end_visit(self, visit_id: int, call: CallInfo, record: VisitRecord, ended_at: datetime) -> None:
        with self._transaction() as session:
            visit = session.get(IvrVisit, visit_id)
            if visit is None:  # deleted meanwhile (retention job); nothing to complete
                return
            visit.language = record.lang
            visit.key_path = record.key_path[-255:]
            visit.menu_path = list(record.menu_path)
            visit.topic = record.topic
            visit.queue = record.queue
            visit.outcome = record.outcome
            visit.invalid_inputs = record.invalid_inputs
            visit.timeouts = record.timeouts
            visit.ended_at = ended_at
            visit.duration_s = max(0.0, (ended_at - visit.started_at).total_seconds())
            if record.language_chosen and call.caller_number:
                preference = session.get(CallerPreference, call.caller_number)
                if preference is None:
                    session.add(
                        CallerPreference(
                            caller_number=call.caller_number, language=record.lang, updated_at=ended_at
                        )
                    )
                else:
                    preference.language = record.lang
                    preference.updated_at = ended_at

    def lookup_status(
        self, caller_number: str | None, number: str | None, now: datetime
    ) -> StatusFound | StatusNotFound | RateLimited:
        """The caller's latest request (number None) or the one typed, rate-limited per caller number."""
        with self._transaction() as session:
            if number is None:
                if not caller_number:
                    return StatusNotFound()
                request = latest_request_of(session, caller_number)
            else:
                # Hidden numbers share one bucket: guessing must not get easier by hiding the number.
                who = caller_number or "anonymous"
                recent = session.scalar(
                    select(func.count())
                    .select_from(StatusLookup)
                    .where(StatusLookup.caller_number == who, StatusLookup.at > now - timedelta(hours=1))
                )
                if (recent or 0) >= self.lookups_per_hour:
                    return RateLimited()
                verdict, request = lookup_limits.lookup(session, self.limits, who=who, number=number, now=now)
                if verdict is not lookup_limits.Verdict.ALLOWED:
                    return RateLimited()
            if request is None:
                return StatusNotFound()
            return StatusFound(
                number=request.number,
                status=request.status.value,
                registered=request.created_at.astimezone(self.zone).date(),
                expected=request.expected_at,
                has_answer=bool(request.answer_text) and same_phone(request.caller_number, caller_number),
            )

    def _own_answered(
        self, session: Session, caller_number: str | None, number: str
    ) -> CitizenRequest | None:
        # Only the caller who made the request hears or gets its answer (the number alone is not enough).
        request = find_request(session, number)
        if request is None or not request.answer_text or not same_phone(request.caller_number, caller_number):
            return None
        return request

    def send_answer_sms(self, caller_number: str | None, number: str, lang: str) -> bool:
        if not caller_number:
            return False
        with self._transaction() as session:
            request = self._own_answered(session, caller_number, number)
            if request is None:
                return False
            return sms.send_answer(session, self.sms, request, to=caller_number, lang=lang, by="ivr")

    def answer_prompt(self, caller_number: str | None, number: str) -> str | None:
        """The answer text as a prompt (path under the sounds folder, no extension), synthesized once."""
        if self.sounds_dir is None:
            return None
        with self._transaction() as session:
            request = self._own_answered(session, caller_number, number)
            text = request.answer_text if request is not None else None
        if not text:
            return None
        from ivr.prompts import VOICES, _tools, synthesize

        name = f"hotline/answers/{number}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
        target = self.sounds_dir / f"{name}.wav"
        if not target.exists():
            try:
                espeak, sox = _tools()
                target.parent.mkdir(parents=True, exist_ok=True)
                synthesize(text, VOICES["ru"], target, espeak=espeak, sox=sox)
            except (HotlineError, OSError) as exc:
                log.error(
                    "answer text could not be synthesized", extra={"request": number, "error": str(exc)}
                )
                return None
        return name

    def create_callback(
        self,
        call: CallInfo,
        *,
        topic: str | None,
        lang: str,
        visit_id: int,
        register_request: bool,
        now: datetime,
    ) -> int:
        assert call.caller_number, "the dialog offers callbacks only to callers with a number"
        with self._transaction() as session:
            callback = CallbackRequest(
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                topic=topic,
                language=lang,
                source="ivr",
                pbx=call.pbx,
                ivr_visit_id=visit_id,
                status=CallbackStatus.PENDING,
                requested_at=now,
                note="register a citizen request" if register_request else "",
            )
            session.add(callback)
            session.flush()
            return callback.id
