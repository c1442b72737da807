"""One logging setup for every hotline process: readable key=value lines on stderr."""

from __future__ import annotations

import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else came from `extra=` and is printed as key=value.
# uvicorn adds `color_message` (the message with terminal colour codes): not for log files.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_NOISY = (
    "alembic.runtime.plugins",
    "panoramisk",
    "asyncio",
    "uvicorn.access",
    "multipart",
    "httpx",
    "httpcore",
    "celery",
    "kombu",
)


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(ch in text for ch in ' ="\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def _rank(level: str) -> int:
    return logging.getLevelNamesMapping()[level]


class KeyValueFormatter(logging.Formatter):
    """`2026-11-22T03:58:00.123Z level=INFO logger=ami msg="connected" pbx=lab`"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        parts = [
            stamp,
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        parts += [f"{key}={_quote(value)}" for key, value in vars(record).items() if key not in _STANDARD]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# Ours, and the servers' own lines an operator expects (uvicorn's start, Alembic's upgrades). Other
# libraries speak at INFO only with --verbose: pymorphy3 loading its dictionaries is not news at 3 a.m.
OURS = (
    "hotline",
    "hotline_app",
    "ami_listener",
    "ivr",
    "transcription",
    "api",
    "uvicorn.error",
    "alembic.runtime.migration",
)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is at each record (as `logging.lastResort` does), not as it was when
    logging was configured: a command run in-process (tests, the demo) may have replaced and closed it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """`level` for our loggers; libraries log at WARNING and up unless `level` is DEBUG (--verbose)."""
    loggers: dict[str, Any] = {name: {"level": level} for name in OURS}
    loggers.update({name: {"level": "WARNING"} for name in _NOISY})
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"kv": {"()": KeyValueFormatter}},
        "handlers": {"stderr": {"()": StderrHandler, "formatter": "kv"}},
        "root": {
            "level": "DEBUG" if level == "DEBUG" else max(level, "WARNING", key=_rank),
            "handlers": ["stderr"],
        },
        "loggers": loggers,
    }
    logging.config.dictConfig(config)
