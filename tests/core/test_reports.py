"""The report window is one rule for `hotline report` and the API: the configured zone, 400 days at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.reports import MAX_SPAN, ReportWindowError, report_window
from hotline_app.cli import app
from tests.conftest import demo_settings


def test_the_default_window_starts_at_midnight_in_the_configured_zone(tmp_path: Path) -> None:
    settings = demo_settings(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, timezone="Asia/Vladivostok")
    # 20:00 UTC on 1 Dec is already 2 Dec 06:00 in Vladivostok (UTC+10), whatever the host's zone says.
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    since, until = report_window(settings, None, None, now=now)
    assert (since, until) == (datetime(2026, 12, 1, 14, 0, tzinfo=UTC), now)
    naive = report_window(settings, datetime(2026, 12, 1), datetime(2026, 12, 2))
    assert naive == (datetime(2026, 11, 30, 14, 0, tzinfo=UTC), datetime(2026, 12, 1, 14, 0, tzinfo=UTC))


def test_backwards_or_too_long_windows_are_refused(tmp_path: Path) -> None:
    settings = demo_settings(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert report_window(settings, start, start + MAX_SPAN)[1] == start + MAX_SPAN
    with pytest.raises(ReportWindowError, match="longer than 400 days"):
        report_window(settings, start, start + MAX_SPAN + timedelta(seconds=1))
    with pytest.raises(ReportWindowError, match="since must be before until"):
        report_window(settings, start, start)


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_an_end_off_the_calendar_in_the_local_zone_is_refused(tmp_path: Path, until: str) -> None:
    """Without a start, the window starts at the end's local midnight: that day may not exist."""
    settings = demo_settings(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    with pytest.raises(ReportWindowError, match="date out of range"):
        report_window(settings, None, datetime.fromisoformat(until))


def test_the_cli_refuses_the_windows_the_api_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", f"sqlite:///{tmp_path / 'report.db'}")
    runner = CliRunner()
    too_long = runner.invoke(app, ["report", "calls", "--since", "2020-01-01", "--until", "2021-06-01"])
    assert too_long.exit_code == 2
    assert "longer than 400 days" in too_long.output
    backwards = runner.invoke(app, ["report", "queues", "--since", "2026-11-22", "--until", "2026-11-21"])
    assert backwards.exit_code == 2
    assert "since must be before until" in backwards.output
    for window in (["--until", "0001-01-01T00:00:00+05:00"], ["--since", "9999-12-31"]):
        off_the_calendar = runner.invoke(app, ["report", "calls", *window])
        assert off_the_calendar.exit_code == 2, window
        assert "date out of range" in off_the_calendar.output


def test_the_cli_refuses_the_call_filters_the_api_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_DATABASE__URL", f"sqlite:///{tmp_path / 'report.db'}")
    longer_than_its_column = "1" * 100  # caller_number holds 64
    refused = CliRunner().invoke(app, ["report", "calls", "--caller-number", longer_than_its_column])
    assert refused.exit_code == 2
    assert "--caller-number" in refused.output
