"""Answers by SMS: a pluggable sender (settings `sms.sender`) and the one message a caller gets.

The shipped sender only logs (the number masked): a real provider is a class named in the settings
(`"package.module:ClassName"`, built with the SmsSettings) with a `send(to, text)` method that raises
on failure. Every SMS sent is in the audit log.
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol

from sqlalchemy.orm import Session

from hotline.errors import ConfigError
from hotline.loop_settings import SmsSettings
from hotline.models import AuditLog, CitizenRequest

log = logging.getLogger(__name__)

PREFIX = {"ru": "Ответ на обращение", "uk": "Відповідь на звернення", "en": "Answer to request"}


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None: ...


class LogSender:
    """Writes the message to the log and sends nothing (no provider configured)."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, to: str, text: str) -> None:
        masked = to[:2] + "*" * max(0, len(to) - 4) + to[-2:]
        log.info("SMS not sent (log-only sender)", extra={"to": masked, "chars": len(text), "text": text})


def load_sender(settings: SmsSettings) -> SmsSender:
    if settings.sender == "log":
        return LogSender(settings)
    module_name, _, attribute = settings.sender.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"sms.sender {settings.sender!r} cannot be loaded: {exc}") from None
    sender: SmsSender = factory(settings)
    return sender


def answer_message(request: CitizenRequest, lang: str, max_chars: int) -> str:
    text = f"{PREFIX.get(lang, PREFIX['ru'])} {request.number}: {request.answer_text or ''}"
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def send_answer(
    session: Session, settings: SmsSettings, request: CitizenRequest, *, to: str, lang: str, by: str
) -> bool:
    """Send the request's answer to `to`; False (logged) when there is no answer or the sender failed."""
    if not request.answer_text:
        return False
    text = answer_message(request, lang, settings.max_chars)
    try:
        load_sender(settings).send(to, text)
    except ConfigError:
        raise
    except Exception as exc:
        log.error(
            "SMS sender failed", extra={"request": request.number, "error": f"{type(exc).__name__}: {exc}"}
        )
        return False
    session.add(
        AuditLog(
            username=by,
            action="request.answer_sms",
            object_type="request",
            object_id=request.number,
            details={"chars": len(text), "sender": settings.sender},
        )
    )
    return True
