"""The IVR catalogue: topics, menus, working hours and prompt texts, read from one YAML file.

`load_catalogue()` validates the whole file at load; every error names the file, the line and the
field (``catalogue.yaml:42: topics[3].queue: ...``), so a bad edit is caught by
`hotline ivr catalogue check` before a single call reaches it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from hotline.errors import CatalogueError

Lang = Literal["ru", "uk", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_ANSWER_DAYS = 45
# Menu keys are the keys of a phone pad.
MenuKey = Annotated[str, Field(pattern=r"^[0-9*#]$")]
Ident = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Texts = dict[Lang, StrictStr]


class TimeRange(_Model):
    start: time
    end: time  # time.max stands for 24:00

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end or (self.end == time.max and moment >= self.start)


def _parse_range(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError('must be a quoted "HH:MM-HH:MM" string (unquoted 09:00 is read as a number)')
    match = _RANGE.match(value)
    if match is None:
        raise ValueError(f'{value!r} is not "HH:MM-HH:MM"')
    sh, sm, eh, em = (int(part) for part in match.groups())
    if eh == 24 and em != 0:
        raise ValueError(f"{value!r}: 24:MM is not a time")
    start = time(sh, sm)
    end = time.max if eh == 24 else time(eh, em)
    if end <= start:
        raise ValueError(f"{value!r}: the range ends before it starts")
    return TimeRange(start=start, end=end)


Range = Annotated[TimeRange, BeforeValidator(_parse_range)]


class Schedule(_Model):
    """Opening hours of a department: ranges per weekday (missing day = closed) and holidays."""

    timezone: StrictStr = "Europe/Moscow"
    weekly: dict[Weekday, list[Range]] = Field(default_factory=dict)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        ranges = self.weekly.get(WEEKDAYS[local.weekday()], [])
        return any(item.contains(local.time()) for item in ranges)


class AfterHours(_Model):
    offer_callback: bool = True
    # The operator calls back to register the citizen's request (the IVR does not record one itself).
    register_request: bool = False
    message: Texts | None = None


class Faq(_Model):
    question: Texts
    answer: Texts


class Topic(_Model):
    id: Ident
    names: Texts
    prompt: Texts
    queue: StrictStr | None = None
    hours: StrictStr | None = Field(default=None, description="a schedule name; None = always open")
    after_hours: AfterHours = Field(default_factory=AfterHours)
    faq: list[Faq] = Field(default_factory=list, max_length=9)
    service: Literal["queue", "status"] = "queue"
    answer_days: int | None = Field(default=DEFAULT_ANSWER_DAYS, ge=1, le=366)
    # The department (`hotline departments add NAME`) that answers this topic's requests by default.
    department: StrictStr | None = Field(default=None, max_length=64)
    keywords: dict[Lang, list[StrictStr]] = Field(default_factory=dict)


class MenuItem(_Model):
    topic: StrictStr | None = None
    menu: StrictStr | None = None
    action: Literal["language", "back", "repeat", "callback"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MenuItem:
        if sum(x is not None for x in (self.topic, self.menu, self.action)) != 1:
            raise ValueError("give exactly one of topic, menu, action")
        return self


class Menu(_Model):
    prompt: Texts
    items: dict[MenuKey, MenuItem]


class Options(_Model):
    digit_timeout_ms: int = Field(default=5000, ge=500, le=60000)
    number_timeout_ms: int = Field(default=10000, ge=1000, le=60000)
    max_number_digits: int = Field(default=12, ge=1, le=32)
    status_attempts: int = Field(default=3, ge=1, le=10)
    operator_topic: StrictStr = "operator"
    callback_topic_digit: MenuKey = "2"
    # Offer a callback before queueing when at least this many callers already wait (None = never).
    callback_when_waiting: int | None = Field(default=5, ge=1)


class Catalogue(_Model):
    languages: list[Lang] = Field(min_length=1)
    default_language: Lang = "ru"
    options: Options = Field(default_factory=Options)
    schedules: dict[Ident, Schedule] = Field(default_factory=dict)
    prompts: dict[Ident, Texts]
    menus: dict[Ident, Menu]
    topics: list[Topic] = Field(min_length=1)
    source: StrictStr = Field(default="", exclude=True)

    def topic(self, topic_id: str) -> Topic:
        for item in self.topics:
            if item.id == topic_id:
                return item
        raise KeyError(topic_id)

    @property
    def operator(self) -> Topic:
        return self.topic(self.options.operator_topic)

    def schedule_for(self, topic: Topic) -> Schedule | None:
        return None if topic.hours is None else self.schedules[topic.hours]

    def is_open(self, topic: Topic, at: datetime) -> bool:
        schedule = self.schedule_for(topic)
        return schedule is None or schedule.is_open(at)

    def prompt_texts(self) -> Iterator[tuple[str, Lang, str]]:
        """Every prompt the IVR can play: (file name without language folder, language, text)."""
        for name, texts in self.prompts.items():
            for lang, text in texts.items():
                yield name, lang, text
        for menu_id, menu in self.menus.items():
            for lang, text in menu.prompt.items():
                yield f"menu_{menu_id}", lang, text
        for topic in self.topics:
            for lang, text in topic.prompt.items():
                yield f"topic_{topic.id}", lang, text
            if topic.after_hours.message:
                for lang, text in topic.after_hours.message.items():
                    yield f"closed_{topic.id}", lang, text
            for number, faq in enumerate(topic.faq, start=1):
                for lang, text in faq.question.items():
                    yield f"faq_{topic.id}_{number}_q", lang, text
                for lang, text in faq.answer.items():
                    yield f"faq_{topic.id}_{number}_a", lang, text


# Prompts the dialog plays by name; a catalogue missing one of them is refused at load.
REQUIRED_PROMPTS = (
    "welcome", "language_menu", "invalid", "no_input", "to_operator", "queued", "faq_after",
    "after_hours", "callback_offer", "callback_done", "register_done", "no_caller_id", "goodbye",
    "status_enter", "status_latest", "status_number", "status_unknown", "status_limited",
    "status_registered_on", "status_expected_by", "status_other", "status_registered",
    "status_in_progress", "status_answered", "status_closed", "status_rejected",
)  # fmt: skip


def default_catalogue_path() -> Path:
    return Path(str(resources.files("hotline") / "data" / "catalogue.yaml"))


# libyaml's parser when present (several times faster); same marks and same results.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_cache: dict[Path, tuple[tuple[int, int], Catalogue]] = {}
_cache_lock = threading.Lock()


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a catalogue (None = the shipped default); raises CatalogueError.

    The parsed catalogue (immutable) is reused until the file changes, so callers may load it per
    request.
    """
    path = path or default_catalogue_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    catalogue = _read(path)
    with _cache_lock:
        _cache[path] = (stamp, catalogue)
    return catalogue


def _read(path: Path) -> Catalogue:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from None
    return parse_catalogue(text, str(path))


def parse_catalogue(text: str, source: str) -> Catalogue:
    try:
        data, lines = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(f"{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise CatalogueError(
            f"{source}:1: the catalogue must be a mapping of languages, prompts, menus, topics"
        )
    try:
        catalogue = Catalogue.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise CatalogueError(_describe(exc, source, lines)) from None
    problems = list(_cross_check(catalogue))
    if problems:
        raise CatalogueError(
            "; ".join(f"{source}:{_line_of(loc, lines)}: {_dotted(loc)}: {msg}" for loc, msg in problems)
        )
    return catalogue


Loc = tuple[str | int, ...]


def _cross_check(cat: Catalogue) -> Iterator[tuple[Loc, str]]:
    """References between sections, and texts in every language the catalogue offers."""
    langs: set[str] = set(cat.languages)
    if cat.default_language not in langs:
        yield ("default_language",), f"{cat.default_language!r} is not in languages {cat.languages}"
    ids = [t.id for t in cat.topics]
    for index, topic_id in enumerate(ids):
        if ids.index(topic_id) != index:
            yield ("topics", index, "id"), f"duplicate topic id {topic_id!r}"
    if cat.options.operator_topic not in ids:
        yield ("options", "operator_topic"), f"no topic {cat.options.operator_topic!r}"
    elif cat.operator.queue is None:
        yield ("options", "operator_topic"), "the operator topic needs a queue"
    required = [*REQUIRED_PROMPTS, *(["queue_long"] if cat.options.callback_when_waiting else [])]
    for name in required:
        if name not in cat.prompts:
            yield ("prompts",), f"missing prompt {name!r}"
    for name, texts in cat.prompts.items():
        yield from _langs(("prompts", name), texts, langs)
    if "main" not in cat.menus:
        yield ("menus",), "missing the 'main' menu"
    for menu_id, menu in cat.menus.items():
        yield from _langs(("menus", menu_id, "prompt"), menu.prompt, langs)
        for key, item in menu.items.items():
            loc: Loc = ("menus", menu_id, "items", key)
            if item.topic is not None and item.topic not in ids:
                yield (*loc, "topic"), f"no topic {item.topic!r}"
            if item.menu is not None and item.menu not in cat.menus:
                yield (*loc, "menu"), f"no menu {item.menu!r}"
            if item.action == "language" and len(langs) < 2:
                yield (*loc, "action"), "a language menu needs at least two languages"
    for index, topic in enumerate(cat.topics):
        loc = ("topics", index)
        yield from _langs((*loc, "names"), topic.names, langs)
        yield from _langs((*loc, "prompt"), topic.prompt, langs)
        if topic.hours is not None and topic.hours not in cat.schedules:
            yield (*loc, "hours"), f"no schedule {topic.hours!r} (known: {sorted(cat.schedules)})"
        if topic.queue is None and topic.service == "queue" and not topic.faq:
            yield (*loc, "queue"), "a topic without FAQ answers needs a queue"
        if topic.after_hours.message is not None:
            yield from _langs((*loc, "after_hours", "message"), topic.after_hours.message, langs)
        for number, faq in enumerate(topic.faq):
            yield from _langs((*loc, "faq", number, "question"), faq.question, langs)
            yield from _langs((*loc, "faq", number, "answer"), faq.answer, langs)
        for lang in cat.languages:
            if not topic.keywords.get(lang):
                yield (
                    (*loc, "keywords"),
                    f"no keywords in {lang!r} (analytics needs them)",
                )


def _langs(loc: Loc, texts: dict[Lang, str], langs: set[str]) -> Iterator[tuple[Loc, str]]:
    missing = sorted(langs - set(texts))
    if missing:
        yield loc, f"missing text in {', '.join(missing)}"
    for lang, text in texts.items():
        if not text.strip():
            yield (*loc, lang), "empty text"


def _load_yaml(text: str) -> tuple[Any, dict[Loc, int]]:
    """The document and the 1-based line of every mapping value / list item, keyed by its path."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}

    def walk(current: yaml.Node, loc: Loc, line: int) -> None:
        lines[loc] = line
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                # A field is reported on its key's line, where the editor's eye goes.
                walk(value_node, (*loc, str(key_node.value)), key_node.start_mark.line + 1)
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                walk(item, (*loc, index), item.start_mark.line + 1)

    walk(node, (), node.start_mark.line + 1)
    return data, lines


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    key = tuple(part if isinstance(part, int) else str(part) for part in loc)
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key, 1)


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(exc: ValidationError, source: str, lines: dict[Loc, int]) -> str:
    problems = []
    for error in exc.errors():
        # Drop pydantic's internal steps (e.g. 'function-after[...]') from the path.
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
        problems.append(f"{source}:{_line_of(loc, lines)}: {_dotted(loc)}: {error['msg']}")
    return "; ".join(problems)
