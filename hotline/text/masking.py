"""Masking personal data in transcripts for display and export.

Recognised speech writes numbers as words ("восемь девять один шесть ..."), typed notes and
some models write digits; both are masked. A run of number words is masked when it is long
enough to be a phone, card, account or passport number; a date or "двадцать минут" is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.text.lemmas import normalize

_NUMBER_WORDS_TEXT = (
    # ru
    "ноль нуль один одна одно два две три четыре пять шесть семь восемь девять десять одиннадцать "
    "двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать "
    "двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто сто двести триста "
    "четыреста пятьсот шестьсот семьсот восемьсот девятьсот тысяча тысячи "
    # uk
    "одна одне дві чотири п'ять шість сім вісім дев'ять десять одинадцять дванадцять двадцять "
    "тридцять сорок п'ятдесят шістдесят сімдесят вісімдесят дев'яносто сто двісті триста чотириста "
    "п'ятсот шістсот сімсот вісімсот дев'ятсот "
    # en
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred"
)
NUMBER_WORDS = frozenset(_NUMBER_WORDS_TEXT.split())
# Words people say inside a dictated number without ending it.
JOINERS = frozenset({"и", "і", "та", "плюс", "plus", "and", "тире", "дефис", "dash"})

WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*|\d+|[^\w\s]+|\s+", re.UNICODE)
DIGITS = re.compile(r"(?<![\w.,:])\+?\d(?:[\s()\-]*\d)+(?![\w.,:]?\d)")


@dataclass(frozen=True)
class RedactionRules:
    digits: bool = True  # written numbers: phones, cards
    min_digits: int = 5  # shorter written numbers (a house, a flat, a time) stay
    spoken_digits: bool = True  # dictated numbers in ru/uk/en words
    min_spoken_words: int = 4  # "дом пять" stays, "восемь девять один шесть" goes
    phone_mask: str = "[номер]"
    card_mask: str = "[карта]"


DEFAULT_RULES = RedactionRules()


def redact(text: str, *, rules: RedactionRules = DEFAULT_RULES) -> str:
    """`text` with phone, card and dictated numbers replaced by masks."""
    if rules.digits:
        text = DIGITS.sub(lambda m: _mask_digits(m.group(), rules), text)
    if rules.spoken_digits:
        text = _mask_spoken(text, rules)
    return text


def _mask_digits(number: str, rules: RedactionRules) -> str:
    digits = re.sub(r"\D", "", number)
    if len(digits) < rules.min_digits:
        return number
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return rules.card_mask
    return rules.phone_mask


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_spoken(text: str, rules: RedactionRules) -> str:
    pieces = WORD.findall(text)
    out: list[str] = []
    run: list[int] = []  # indexes into `out` of the current run (number words and what is between)
    numbers = 0

    def close() -> None:
        nonlocal run, numbers
        if numbers >= rules.min_spoken_words:
            # Keep what trails the last number word (a space, a comma) outside the mask.
            last = max(i for i in run if _is_number(out[i]))
            del out[run[0] : last + 1]
            out.insert(run[0], rules.phone_mask)
        run, numbers = [], 0

    for piece in pieces:
        if _is_number(piece):
            run.append(len(out))
            out.append(piece)
            numbers += 1
        elif run and (piece.isspace() or piece in {",", "-", "—", "–"} or normalize(piece) in JOINERS):
            run.append(len(out))
            out.append(piece)
        else:
            close()
            out.append(piece)
    close()
    return "".join(out)


def _is_number(piece: str) -> bool:
    # Written digits are the `digits` rule's business, so turning that rule off really keeps them.
    return normalize(piece) in NUMBER_WORDS
