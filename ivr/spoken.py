"""Numbers and dates the IVR speaks, as prompts synthesized with the others (`hotline ivr prompts`).

Asterisk's SAY DATE/SAY DIGITS build phrases from the distribution's sound set, which has gaps
(Debian's ru set has no `digits/thousands-i` or `digits/2f`, so a Russian date came out broken).
Our own prompts have none: each date is three whole words in the right grammatical case, e.g.
"второго | декабря | две тысячи двадцать шестого года", synthesized once per language.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from num2words import num2words

# Years a status message may name (request dates and answer deadlines).
YEARS = range(2020, 2051)

_MONTHS = {
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "en": "January February March April May June July August September October November December",
}
_DIGITS = {
    "ru": "ноль один два три четыре пять шесть семь восемь девять",
    "uk": "нуль один два три чотири п'ять шість сім вісім дев'ять",
    "en": "zero one two three four five six seven eight nine",
}


def _uk_genitive(ordinal: str) -> str:
    """Ukrainian masculine ordinal, nominative -> genitive (num2words has no cases for uk)."""
    head, _, last = ordinal.rpartition(" ")
    if last.endswith("ій"):
        last = last[:-2] + "ього"  # третій -> третього
    elif last.endswith("ий"):
        last = last[:-2] + "ого"  # перший -> першого
    return f"{head} {last}".strip()


def _ordinal_genitive(number: int, lang: str) -> str:
    if lang == "ru":
        return str(num2words(number, lang="ru", to="ordinal", case="genitive", gender="n"))
    if lang == "uk":
        return _uk_genitive(str(num2words(number, lang="uk", to="ordinal")))
    return str(num2words(number, lang="en", to="ordinal"))


def _year(year: int, lang: str) -> str:
    if lang == "ru":
        return f"{_ordinal_genitive(year, lang)} года"
    if lang == "uk":
        return f"{_ordinal_genitive(year, lang)} року"
    return str(num2words(year, lang="en", to="year"))


def supported(lang: str) -> bool:
    return lang in _MONTHS


def prompt_texts(languages: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(name, lang, text) of every number and date prompt, like Catalogue.prompt_texts()."""
    for lang in languages:
        if not supported(lang):
            continue
        for digit, word in enumerate(_DIGITS[lang].split()):
            yield f"digit_{digit}", lang, word
        for day in range(1, 32):
            yield f"day_{day}", lang, _ordinal_genitive(day, lang)
        for month, word in enumerate(_MONTHS[lang].split(), start=1):
            yield f"month_{month}", lang, word
        for year in YEARS:
            yield f"year_{year}", lang, _year(year, lang)


def digits(number: str) -> list[str]:
    """Prompt names that read `number` digit by digit (request and callback numbers)."""
    return [f"digit_{char}" for char in number if char.isdigit()]


def day_month_year(day: date) -> list[str]:
    """Prompt names of a date in the order the language says it (en: month, day, year).

    A year outside YEARS has no prompt; it is left out rather than read wrongly.
    """
    parts = [f"day_{day.day}", f"month_{day.month}"]
    year = [f"year_{day.year}"] if day.year in YEARS else []
    return [*parts, *year]


def date_prompts(day: date, lang: str) -> list[str]:
    day_part, month_part, *year = day_month_year(day)
    if lang == "en":
        return [month_part, day_part, *year]
    return [day_part, month_part, *year]
