"""Analytics on Russian and Ukrainian speech: lemmas, topics, abuse, shares, trends, bursts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from hotline.models import Speaker
from hotline.text.analytics import (
    CallTopic,
    SpokenWord,
    TopicCall,
    abuse_by_speaker,
    address_words,
    classify_topics,
    detect_abuse,
    find_bursts,
    topic_shares,
    trending_terms,
)
from hotline.text.lemmas import lemma, tokens
from transcription.store import catalogue_keywords, default_lexicon

KEYWORDS = {
    "passes": {"ru": ["пропуск", "пропуск на автомобиль"], "uk": ["перепустка"]},
    "water": {"ru": ["вода", "горячая вода", "отключение воды"], "uk": ["гаряча вода"]},
    "electricity": {"ru": ["свет"], "uk": ["світло"]},
}


def said(*turns: tuple[Speaker, str]) -> list[SpokenWord]:
    """Words with a made-up 0.5 s per word clock, one segment per turn."""
    words: list[SpokenWord] = []
    clock = 0.0
    for index, (speaker, text) in enumerate(turns):
        for token in text.split():
            words.append(SpokenWord(token, speaker, clock, clock + 0.4, index))
            clock += 0.5
    return words


def test_inflected_forms_share_a_lemma() -> None:
    assert {lemma(w, "ru") for w in ["пропуска", "пропуском", "пропуску", "Пропуск"]} == {"пропуск"}
    assert {lemma(w, "uk") for w in ["перепустки", "перепусткою", "перепустку"]} == {"перепустка"}
    assert tokens("Здравствуйте, как получить пропуск-на-авто? Ёлка") == [
        "здравствуйте", "как", "получить", "пропуск-на-авто", "елка"
    ]  # fmt: skip


def test_topics_are_scored_from_inflected_keywords_with_times() -> None:
    words = said(
        (Speaker.AGENT, "горячая линия слушаю вас"),
        (Speaker.CALLER, "у нас нет горячей воды и нужен пропуск"),
        (Speaker.CALLER, "опять отключение воды третий день без горячей воды"),
    )
    result = classify_topics(words, KEYWORDS, "ru")
    assert result.primary == "water"
    assert result.scores == pytest.approx({"water": 0.75, "passes": 0.25})
    # "горячей воды" is one mention of water, not also one of "вода" alone.
    assert len([h for h in result.hits if h.topic == "water"]) == 3
    first = result.hits[0]
    assert (first.topic, first.keyword, first.speaker) == ("water", "горячая вода", Speaker.CALLER)
    # "горячей" is the 8th word of the call at 0.5 s per word; "воды" ends 0.4 s after the 9th starts.
    assert (first.start_s, first.end_s) == (pytest.approx(3.5), pytest.approx(4.4))


def test_ukrainian_call_is_classified_with_ukrainian_keywords() -> None:
    words = said((Speaker.CALLER, "доброго дня мені потрібна перепустка а ще немає світла і світло не дають"))
    result = classify_topics(words, KEYWORDS, "uk")
    assert result.primary == "electricity"
    assert result.scores["passes"] == pytest.approx(1 / 3)


def test_caller_words_outweigh_the_operators_script() -> None:
    words = said(
        (Speaker.CALLER, "у нас нет горячей воды"),
        (Speaker.AGENT, "нужен пропуск пропуск и ещё пропуск"),
    )
    result = classify_topics(words, KEYWORDS, "ru")
    assert result.primary == "water"
    assert result.scores["passes"] == pytest.approx(0.9 / 1.9)


def test_phrase_never_spans_two_turns_and_no_keyword_means_no_topic() -> None:
    words = said((Speaker.CALLER, "горячая"), (Speaker.AGENT, "вода"))
    assert classify_topics(words, {"water": {"ru": ["горячая вода"]}}, "ru").primary is None
    assert classify_topics(said((Speaker.CALLER, "добрый день")), KEYWORDS, "ru").primary is None


def test_catalogue_keywords_classify_a_real_reference_phrase() -> None:
    words = said((Speaker.CALLER, "Здравствуйте, подскажите, как получить пропуск на автомобиль."))
    result = classify_topics(words, catalogue_keywords(None), "ru")
    # The specific phrase wins over the "пропуск" inside it.
    assert result.primary == "car_passes"
    assert result.scores == {"car_passes": 1.0}


def test_abuse_is_caught_in_both_directions_and_languages() -> None:
    words = said(
        (Speaker.CALLER, "вы там все идиоты что ли"),
        (Speaker.AGENT, "не орите на меня придурок"),
        (Speaker.CALLER, "та ви дурні всі курва"),
        (Speaker.CALLER, "this is bullshit"),
    )
    hits = detect_abuse(words, default_lexicon(), "ru")
    assert [h.word for h in hits] == ["идиоты", "придурок", "дурні", "курва", "bullshit"]
    assert abuse_by_speaker(hits) == {Speaker.CALLER: 4, Speaker.AGENT: 1}


def test_ordinary_words_are_not_abuse() -> None:
    words = said(
        (Speaker.CALLER, "учеба сухой хуже бляха блямба скоро оскорбление ребята дурманящий запах"),
        (Speaker.AGENT, "дякую за дзвінок потрібна довідка"),
    )
    assert detect_abuse(words, default_lexicon(), "ru") == []


def test_topic_share_states_its_base() -> None:
    day = date(2026, 4, 9)
    calls = [CallTopic(day, "passes")] * 3 + [CallTopic(day, "water"), CallTopic(day, None)]
    calls += [CallTopic(day + timedelta(days=1), "passes")]
    rows = {(r.day, r.topic): r for r in topic_shares(calls)}
    assert rows[(day, "passes")].calls == 3
    assert rows[(day, "passes")].base_count == 5
    assert rows[(day, "passes")].share_pct == 60.0
    assert rows[(day + timedelta(days=1), "passes")].share_pct == 100.0


def test_trending_terms_rise_against_the_previous_week() -> None:
    usual = Counter({"вода": 5, "пропуск": 4, "спасибо": 10})
    # A busy day: twice the calls, so twice the "вода" and "спасибо" is no trend; "лифт" is.
    today = Counter({"вода": 10, "пропуск": 8, "спасибо": 20, "лифт": 6, "авария": 1})
    trends = trending_terms(today, 20, [usual] * 7, 70)
    assert [t.term for t in trends] == ["лифт"]
    assert trends[0].calls == 6
    assert trends[0].baseline_per_day == 0.0
    assert trends[0].lift == pytest.approx((7 / 22) / (1 / 72), abs=0.01)


def test_address_words_find_the_street() -> None:
    assert address_words(tokens("на улице Ленина дом пять нет воды"), "ru") == {"ленин"}
    assert address_words(tokens("проспект Мира"), "ru") == {"мир"}
    assert address_words(tokens("на вулиці Шевченка немає води"), "uk") == {"шевченко"}


def test_burst_needs_same_topic_same_street_within_the_window() -> None:
    start = datetime(2026, 4, 9, 8, 0, tzinfo=UTC)
    lenina = frozenset({"ленин"})
    calls = [
        TopicCall(1, start, "water", lenina),
        TopicCall(2, start + timedelta(minutes=40), "water", lenina),
        TopicCall(3, start + timedelta(hours=2), "water", lenina | {"мир"}),
        TopicCall(4, start + timedelta(hours=9), "water", lenina),  # too late for the same burst
        TopicCall(5, start, "electricity", lenina),  # another topic
        TopicCall(6, start, "water", frozenset({"мир"})),
    ]
    bursts = find_bursts(calls, window=timedelta(hours=3), min_calls=3)
    assert len(bursts) == 1
    assert (bursts[0].topic, bursts[0].key_words, bursts[0].call_ids) == ("water", "ленин", [1, 2, 3])
    assert bursts[0].window_start == start
