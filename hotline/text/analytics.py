"""Pure analytics over transcribed words: topics, keyword hits, abuse, shares, trends, bursts.

No I/O here: callers pass words, keyword catalogues and lexicons in and store what comes out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hotline.domain import Speaker
from hotline.text.lemmas import MORPH_LANGUAGES, lemma_forms, tokens

# topic id -> language -> keywords or short phrases in dictionary form (the IVR catalogue's shape).
TopicKeywords = Mapping[str, Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class SpokenWord:
    """One recognised word with who said it and when; `segment` indexes the transcript's segments."""

    word: str
    speaker: Speaker
    start_s: float
    end_s: float
    segment: int = 0


@dataclass(frozen=True)
class KeywordMatch:
    topic: str
    keyword: str
    speaker: Speaker
    start_s: float
    end_s: float
    segment: int


# The caller says why they call; the operator's words are largely scripted ("заявка зарегистрирована")
# and would pull every call towards the same topics.
SPEAKER_WEIGHT: Mapping[Speaker, float] = {Speaker.CALLER: 1.0, Speaker.MIXED: 1.0, Speaker.AGENT: 0.3}


@dataclass(frozen=True)
class TopicResult:
    scores: dict[str, float]  # topic -> share of keyword hits, 0..1
    hits: list[KeywordMatch]
    primary: str | None


def _phrase_lemmas(phrase: str, language: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(lemma_forms(token, language)) for token in tokens(phrase))


def _word_forms(words: Sequence[SpokenWord], language: str) -> list[frozenset[str]]:
    # Engines give bare words, but imported transcripts carry punctuation ("автомобиль.").
    return [frozenset(f for token in tokens(w.word) for f in lemma_forms(token, language)) for w in words]


def find_phrases(
    words: Sequence[SpokenWord],
    phrases: Mapping[str, Sequence[str]],
    language: str,
    *,
    forms: list[frozenset[str]] | None = None,
) -> list[tuple[str, str, int, int]]:
    """(group, phrase, first word index, last word index) for every phrase occurrence.

    A phrase matches consecutive words of one speaker's segment when each word shares a normal
    form with the phrase word ("горячей воды" matches "горячая вода").
    """
    forms = forms if forms is not None else _word_forms(words, language)
    found: list[tuple[str, str, int, int]] = []
    for group, group_phrases in phrases.items():
        for phrase in group_phrases:
            wanted = _phrase_lemmas(phrase, language)
            if not wanted:
                continue
            size = len(wanted)
            for index in range(len(words) - size + 1):
                if words[index].segment != words[index + size - 1].segment:
                    continue
                if all(wanted[k] & forms[index + k] for k in range(size)):
                    found.append((group, phrase, index, index + size - 1))
    return found


def _longest(found: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """A phrase inside a longer match is not a mention of its own.

    "горячая вода" is one mention of water, not also one of "вода"; and "пропуск на автомобиль"
    (car passes) is not also a mention of "пропуск" (passes): the more specific phrase wins.
    """
    kept: list[tuple[str, str, int, int]] = []
    for item in sorted(found, key=lambda f: (-(f[3] - f[2]), f[2], f[0])):
        topic, _, first, last = item
        size = last - first
        if any(k[2] <= first and last <= k[3] and (k[0] == topic or k[3] - k[2] > size) for k in kept):
            continue
        kept.append(item)
    kept.sort(key=lambda f: (f[2], f[0]))
    return kept


def classify_topics(words: Sequence[SpokenWord], keywords: TopicKeywords, language: str) -> TopicResult:
    """Score every catalogue topic by its keyword hits; the primary topic has the most hits."""
    by_topic = {topic: list(langs.get(language, ())) for topic, langs in keywords.items()}
    found = _longest(find_phrases(words, by_topic, language))
    hits = [
        KeywordMatch(topic, phrase, words[i].speaker, words[i].start_s, words[j].end_s, words[i].segment)
        for topic, phrase, i, j in found
    ]
    counts: dict[str, float] = defaultdict(float)
    for hit in hits:
        counts[hit.topic] += SPEAKER_WEIGHT.get(hit.speaker, 1.0)
    total = sum(counts.values())
    scores = {topic: counts[topic] / total for topic in keywords if counts[topic]} if total else {}
    # Ties go to the topic listed first in the catalogue, so the result does not depend on hashing.
    primary = max(keywords, key=lambda t: (counts[t], -list(keywords).index(t))) if total else None
    return TopicResult(scores=scores, hits=sorted(hits, key=lambda h: h.start_s), primary=primary)


# ---------------------------------------------------------------------------- abusive language
@dataclass(frozen=True)
class AbuseLexicon:
    """Per language: whole lemmas (insults) and word-start patterns (obscene roots in any form)."""

    words: Mapping[str, frozenset[str]]
    roots: Mapping[str, re.Pattern[str]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, Sequence[str]]]) -> AbuseLexicon:
        words = {lang: frozenset(entry.get("words", ())) for lang, entry in data.items()}
        roots = {
            lang: re.compile("^(?:" + "|".join(entry["roots"]) + ")")
            for lang, entry in data.items()
            if entry.get("roots")
        }
        return cls(words, roots)


@dataclass(frozen=True)
class AbuseHit:
    speaker: Speaker
    word: str
    start_s: float
    end_s: float
    segment: int


def detect_abuse(words: Sequence[SpokenWord], lexicon: AbuseLexicon, language: str) -> list[AbuseHit]:
    """Abusive words by either party (complaints concern operators as much as callers).

    The call's language is checked first, then the other lexicons (callers switch languages).
    Russian and Ukrainian calls mix both languages, so both are lemmatized there; elsewhere the
    other lexicons are matched by roots and exact words (no dictionaries loaded for nothing).
    """
    languages = [language, *(lang for lang in lexicon.words if lang != language)]
    hits: list[AbuseHit] = []
    for spoken in words:
        token = tokens(spoken.word)
        if not token:
            continue
        for lang in languages:
            related = lang == language or {lang, language} <= set(MORPH_LANGUAGES)
            if _abusive(token[0], lang, lexicon, lemmatize=related):
                hits.append(
                    AbuseHit(spoken.speaker, spoken.word, spoken.start_s, spoken.end_s, spoken.segment)
                )
                break
    return hits


def _abusive(token: str, language: str, lexicon: AbuseLexicon, *, lemmatize: bool) -> bool:
    root = lexicon.roots.get(language)
    if root is not None and root.match(token):
        return True
    listed = lexicon.words.get(language, frozenset())
    if not lemmatize:
        return token in listed
    return bool(listed) and any(form in listed for form in lemma_forms(token, language))


def abuse_by_speaker(hits: Iterable[AbuseHit]) -> dict[Speaker, int]:
    return dict(Counter(hit.speaker for hit in hits))


# ---------------------------------------------------------------------------- shares and trends
@dataclass(frozen=True)
class CallTopic:
    day: date
    topic: str | None


@dataclass(frozen=True)
class ShareRow:
    day: date
    topic: str
    calls: int
    base_count: int
    share_pct: float


def topic_shares(calls: Iterable[CallTopic]) -> list[ShareRow]:
    """Per day and topic: calls about it, out of all calls of the base that day (stated with it)."""
    base: Counter[date] = Counter()
    topical: Counter[tuple[date, str]] = Counter()
    for call in calls:
        base[call.day] += 1
        if call.topic:
            topical[(call.day, call.topic)] += 1
    return [
        ShareRow(day, topic, count, base[day], round(100.0 * count / base[day], 1))
        for (day, topic), count in sorted(topical.items())
    ]


@dataclass(frozen=True)
class Trend:
    term: str
    calls: int  # calls that day mentioning the term
    baseline_per_day: float  # average calls per day mentioning it over the previous window
    lift: float  # how many times more often than usual a call mentions it (share of calls, smoothed)


def trending_terms(
    today: Counter[str],
    today_calls: int,
    previous_days: Sequence[Counter[str]],
    previous_calls: int,
    *,
    limit: int = 20,
    min_calls: int = 2,
) -> list[Trend]:
    """Terms mentioned in a larger share of today's calls than of the previous days' calls.

    Counts are calls per term (said ten times in one call counts once). Shares, not counts, so
    a busy day does not make every word trend; +1/+2 smoothing keeps rare terms from dominating.
    """
    window = max(1, len(previous_days))
    rows = []
    for term, calls in today.items():
        if calls < min_calls:
            continue
        before = sum(day.get(term, 0) for day in previous_days)
        share_today = (calls + 1) / (today_calls + 2)
        share_before = (before + 1) / (previous_calls + 2)
        lift = share_today / share_before
        if lift > 1.5:
            rows.append(Trend(term, calls, round(before / window, 2), round(lift, 2)))
    rows.sort(key=lambda t: (-t.lift, -t.calls, t.term))
    return rows[:limit]


# ---------------------------------------------------------------------------- bursts (incidents)
ADDRESS_MARKERS: Mapping[str, frozenset[str]] = {
    "ru": frozenset(
        {"улица", "проспект", "переулок", "шоссе", "бульвар", "площадь", "проезд", "набережная", "микрорайон"}
    ),
    "uk": frozenset(
        {"вулиця", "проспект", "провулок", "шосе", "бульвар", "площа", "набережна", "мікрорайон"}
    ),
    "en": frozenset({"street", "avenue", "road", "lane", "boulevard", "square"}),
}
HOUSE_MARKERS = frozenset({"дом", "будинок", "house", "корпус"})


def address_words(words: Sequence[str], language: str) -> frozenset[str]:
    """Street names (the word after "улица", or before it: "Ленина улица") and house numbers.

    "на улице Ленина дом пять" gives {"ленин"}: the street is what several neighbours share.
    """
    markers = ADDRESS_MARKERS.get(language, frozenset())
    lemmas = [lemma_forms(word, language)[0] for word in words]
    found: set[str] = set()
    for index, current in enumerate(lemmas):
        if current not in markers:
            continue
        after = lemmas[index + 1] if index + 1 < len(lemmas) else None
        if after and after not in markers and after not in HOUSE_MARKERS and len(after) > 2:
            found.add(after)
    return frozenset(found)


@dataclass(frozen=True)
class TopicCall:
    call_id: int
    at: datetime
    topic: str
    address: frozenset[str]


@dataclass
class Burst:
    topic: str
    key_words: str
    window_start: datetime
    window_end: datetime
    call_ids: list[int] = field(default_factory=list)


def find_bursts(calls: Iterable[TopicCall], *, window: timedelta, min_calls: int) -> list[Burst]:
    """Groups of at least `min_calls` calls with the same topic and address word within `window`.

    A call with no address words joins no burst: "many calls about water" alone is the daily norm.
    """
    groups: dict[tuple[str, str], list[TopicCall]] = defaultdict(list)
    for call in calls:
        for word in call.address:
            groups[(call.topic, word)].append(call)
    bursts: list[Burst] = []
    for (topic, word), members in sorted(groups.items()):
        members.sort(key=lambda c: (c.at, c.call_id))
        start = 0
        best: list[TopicCall] = []
        for end in range(len(members)):
            while members[end].at - members[start].at > window:
                start += 1
            if end - start + 1 > len(best):
                best = members[start : end + 1]
        if len(best) >= min_calls:
            bursts.append(Burst(topic, word, best[0].at, best[-1].at, [c.call_id for c in best]))
    return bursts
