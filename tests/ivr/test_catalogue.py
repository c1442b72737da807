"""The catalogue loads, and a broken edit is refused with the file, line and field at fault."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.catalogue import default_catalogue_path, load_catalogue
from hotline.errors import CatalogueError


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = default_catalogue_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_default_catalogue_has_the_lab_queues_and_rich_keywords() -> None:
    catalogue = load_catalogue()
    assert {t.queue for t in catalogue.topics} >= {"passes", "utilities", "other"}
    for topic in catalogue.topics:
        assert len(topic.keywords["ru"]) >= 10, topic.id
        assert topic.keywords["uk"], topic.id
        assert topic.keywords["en"], topic.id
        assert set(topic.names) == {"ru", "uk", "en"}
    assert catalogue.topic("water").names["ru"] == "Водоснабжение"
    assert catalogue.topic("status").answer_days == 45
    with pytest.raises(KeyError):
        catalogue.topic("nope")


def test_working_hours_follow_local_time_weekdays_and_holidays() -> None:
    catalogue = load_catalogue()
    subsidies = catalogue.topic("subsidies")  # office hours, Moscow
    # Tuesday 2026-11-24 10:00 MSK = 07:00 UTC: open; 13:30 MSK is the lunch break.
    assert catalogue.is_open(subsidies, datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    assert not catalogue.is_open(subsidies, datetime(2026, 11, 24, 10, 30, tzinfo=UTC))
    # Friday closes at 16:45; Saturday is closed; 4 November is a public holiday (a Wednesday).
    assert not catalogue.is_open(subsidies, datetime(2026, 11, 27, 13, 50, tzinfo=UTC))
    assert not catalogue.is_open(subsidies, datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    assert not catalogue.is_open(subsidies, datetime(2026, 11, 4, 9, 0, tzinfo=UTC))
    assert catalogue.is_open(catalogue.topic("status"), datetime(2026, 11, 28, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        ("    queue: utilities\n    hours: office", "    queue: utilities\n    hours: weekend",
         "hours: weekend", "topics[7].hours", "no schedule 'weekend'"),
        ('      "3": {topic: transport}', '      "3": {topic: trams}', "topic: trams",
         "menus.main.items.3.topic", "no topic 'trams'"),
        ('      fri: ["09:00-13:00", "14:00-16:45"]', "      fri: [18:00]", "fri: [18:00]",
         "schedules.office.weekly.fri[0]", "quoted"),
        ("    answer_days: 30", "    answer_days: -3", "answer_days: -3",
         "topics[9].answer_days", "greater than or equal to 1"),
        ("    names: {ru: Отопление, uk: Опалення, en: Heating}", "    names: {ru: Отопление, en: Heating}",
         "names: {ru: Отопление, en", "topics[6].names", "missing text in uk"),
        ('      "9": {action: language}', '      "9": {action: dance}', "action: dance",
         "menus.main.items.9.action", "Input should be"),
        ("    timezone: Europe/Moscow\n    weekly:\n      mon: [\"09",
         "    timezone: Mars/Olympus\n    weekly:\n      mon: [\"09", "Mars/Olympus",
         "schedules.office.timezone", "unknown time zone"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    path = _edited(tmp_path, old, new)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    text = str(caught.value)
    assert f"{path}:{_line_of(path, needle)}: {field}" in text, text
    assert message in text


def test_invalid_yaml_and_missing_file_are_named(tmp_path: Path) -> None:
    path = _edited(tmp_path, "menus:\n  main:", "menus:\n  main: [oops")
    with pytest.raises(CatalogueError, match=rf"{path}:\d+: invalid YAML"):
        load_catalogue(path)
    with pytest.raises(CatalogueError, match="catalogue file not found"):
        load_catalogue(tmp_path / "absent.yaml")


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = _edited(tmp_path, "    answer_days: 30", "    answer_days: 30")
    assert load_catalogue(path).topic("subsidies").answer_days == 30
    assert load_catalogue(path) is load_catalogue(path)  # unchanged file: parsed once
    path.write_text(path.read_text(encoding="utf-8").replace("answer_days: 30", "answer_days: 21"))
    assert load_catalogue(path).topic("subsidies").answer_days == 21
