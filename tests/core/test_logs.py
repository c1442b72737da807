"""Log lines are key=value text an operator can grep; terminal colour codes never reach them."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from hotline.logs import KeyValueFormatter, configure_logging


def _line(**extra: object) -> str:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (42,), None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return KeyValueFormatter().format(record)


def test_extra_fields_are_printed_as_quoted_key_values() -> None:
    line = _line(pbx="lab", reason="queue full")
    assert ' level=INFO logger=uvicorn.error msg="Started server process [42]" ' in line
    assert line.endswith('pbx=lab reason="queue full"')


def test_uvicorns_colour_copy_of_the_message_is_left_out() -> None:
    line = _line(color_message="Started server process [\x1b[36m%d\x1b[0m]")
    assert "color_message" not in line
    assert "\x1b" not in line


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "library_info_shown"), [("INFO", False), ("DEBUG", True)])
def test_library_info_lines_need_verbose(
    level: str, library_info_shown: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(level)
    logging.getLogger("pymorphy3.opencorpora_dict.wrapper").info("Loading dictionaries from x")
    logging.getLogger("transcription.worker").info("worker started")
    logging.getLogger("pymorphy3.opencorpora_dict.wrapper").warning("a library warning")
    err = capsys.readouterr().err
    assert "worker started" in err
    assert "a library warning" in err
    assert ("Loading dictionaries" in err) is library_info_shown


@pytest.mark.usefixtures("restore_logging")
def test_lines_go_to_the_stderr_of_the_moment_not_a_closed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # A command run in-process (CliRunner, the demo) swaps stderr and closes its copy when it ends.
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    first.close()
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    logging.getLogger("hotline.test").warning("database unreachable")
    assert "database unreachable" in now.getvalue()
    assert "Logging error" not in now.getvalue()
