"""Words to dictionary forms (lemmas) for Russian and Ukrainian, so "пропуска" matches "пропуск".

A word can have several readings (uk "води" is the noun "вода" or the verb "водити"); matching and
the search index use every normal form, so no reading is lost. Other languages are lower-cased.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

TOKEN = re.compile(r"[^\W_]+(?:['’ʼ-][^\W_]+)*", re.UNICODE)
MORPH_LANGUAGES = ("ru", "uk")


def normalize(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


def tokens(text: str) -> list[str]:
    return [normalize(match.group()) for match in TOKEN.finditer(text)]


@lru_cache(maxsize=4)
def _analyzer(language: str) -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=language)


@lru_cache(maxsize=200_000)
def lemma_forms(word: str, language: str) -> tuple[str, ...]:
    """Every normal form of `word`, the most likely first; ("",) never: at least the word itself."""
    word = normalize(word)
    if language not in MORPH_LANGUAGES or not word or word.isdigit():
        return (word,)
    forms: list[str] = []
    for parse in _analyzer(language).parse(word):
        form = normalize(parse.normal_form)
        if form not in forms:
            forms.append(form)
    return tuple(forms) or (word,)


def lemma(word: str, language: str) -> str:
    return lemma_forms(word, language)[0]


def index_text(words: list[str], language: str) -> str:
    """What the full-text index stores for a segment: all normal forms of each word, in order."""
    return " ".join(" ".join(lemma_forms(word, language)) for word in words)
