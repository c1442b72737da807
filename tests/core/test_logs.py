"""Log lines are key=value text an operator can grep; terminal colour codes never reach them."""

from __future__ import annotations

import logging

from hotline.logs import KeyValueFormatter


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
