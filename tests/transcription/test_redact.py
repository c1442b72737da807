"""Personal data is masked for display and export; ordinary numbers stay readable."""

from __future__ import annotations

import pytest

from hotline.text.masking import RedactionRules, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("мой номер восемь девять один шесть пять пять пять, спасибо", "мой номер [номер], спасибо"),
        ("мій номер нуль п'ять нуль три два один чотири", "мій номер [номер]"),
        ("call me on five five five one two three four please", "call me on [номер] please"),
        ("номер восемьсот девяносто один двадцать три сорок пять", "номер [номер]"),
        ("позвоните +7 (916) 555-12-34 завтра", "позвоните [номер] завтра"),
        ("номер 89161234567.", "номер [номер]."),
        ("оплатил картой 4111 1111 1111 1111 вчера", "оплатил картой [карта] вчера"),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "улица Ленина дом пять квартира двенадцать",
        "отключили девятого апреля в десять тридцать",
        "встреча 09.04.2026 в 10:30, дом 15",
        "третий день нет воды",
    ],
)
def test_addresses_dates_and_times_stay(text: str) -> None:
    assert redact(text) == text


def test_rules_are_configurable() -> None:
    text = "код один два три и телефон 8 916 555 12 34"
    assert redact(text, rules=RedactionRules(min_spoken_words=3, phone_mask="***")) == "код *** и телефон ***"
    assert redact(text, rules=RedactionRules(digits=False)) == text
