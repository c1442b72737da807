"""Every path of the voice dialog, driven as a caller would, without sockets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.catalogue import Catalogue, load_catalogue
from hotline.models import IvrOutcome
from ivr import spoken
from ivr.dialog import Dialog
from ivr.steps import (
    CallbackCreated,
    CheckQueue,
    Collect,
    CreateCallback,
    Digits,
    Event,
    Expired,
    Finish,
    Hangup,
    LookupStatus,
    NoInput,
    Play,
    QueueLoad,
    RateLimited,
    SetLanguage,
    StatusFound,
    StatusNotFound,
    Step,
)

CATALOGUE = load_catalogue()
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Moscow: everything open
SATURDAY_NIGHT = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: only 24/7 topics
NATIONAL_UNITY_DAY = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # a Wednesday holiday, 12:00 in Moscow
CALLER = "+79977541208"


def dialog(now: datetime = TUESDAY_MORNING, caller: str | None = CALLER, lang: str | None = None) -> Dialog:
    return Dialog(CATALOGUE, now=now, caller_number=caller, lang=lang, max_retries=2)


def answer_queue_checks(d: Dialog, steps: list[Step], waiting: int | None) -> list[Step]:
    """Let the "live view" answer how many callers wait whenever the dialog asks."""
    while steps and isinstance(steps[-1], CheckQueue):
        steps = steps + d.feed(QueueLoad(waiting))
    return steps


def feed(d: Dialog, event: Event, waiting: int | None = 0) -> list[Step]:
    return answer_queue_checks(d, d.feed(event), waiting)


def drive(d: Dialog, *events: Event, waiting: int | None = 0) -> list[Step]:
    steps = answer_queue_checks(d, d.start(), waiting)
    for event in events:
        assert not d.finished, f"dialog finished before {event!r}"
        steps += feed(d, event, waiting)
    return steps


def prompts(steps: list[Step]) -> list[str]:
    return [s.prompt.rsplit("/", 1)[1] for s in steps if isinstance(s, Play | Collect)]


def finish(steps: list[Step]) -> Finish:
    assert isinstance(steps[-1], Finish), steps[-1]
    return steps[-1]


def test_two_keys_reach_the_water_queue() -> None:
    d = dialog()
    steps = drive(d, Digits("2"), Digits("1"))
    assert steps[0] == SetLanguage("ru")
    assert prompts(steps) == ["welcome", "menu_main", "menu_utilities", "topic_water", "queued"]
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "water", "utilities", "ru")
    assert d.record.key_path == "21"
    assert d.record.menu_path == ["menu:main", "menu:utilities", "queue:utilities"]
    assert (d.record.topic, d.record.queue, d.record.outcome) == ("water", "utilities", IvrOutcome.QUEUED)


def test_operator_is_one_key_away() -> None:
    steps = drive(dialog(), Digits("0"))
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "operator", "other", "ru")


def test_silence_repeats_the_menu_then_goes_to_the_operator() -> None:
    d = dialog()
    steps = drive(d, NoInput(), NoInput(), NoInput())
    assert prompts(steps) == [
        "welcome", "menu_main", "no_input", "menu_main", "no_input", "menu_main", "to_operator",
    ]  # fmt: skip
    assert finish(steps) == Finish(IvrOutcome.OPERATOR_FALLBACK, "operator", "other", "ru")
    assert d.record.timeouts == 3


def test_invalid_keys_repeat_the_menu_and_a_valid_key_still_works() -> None:
    d = dialog()
    steps = drive(d, Digits("7"), Digits("#"), Digits("4"))
    expected = ["menu_main", "invalid", "menu_main", "invalid", "menu_main", "topic_subsidies", "queued"]
    assert prompts(steps)[1:] == expected
    assert finish(steps).queue == "other"
    assert d.record.invalid_inputs == 2
    assert d.record.key_path == "7#4"


def test_too_many_invalid_keys_go_to_the_operator() -> None:
    d = dialog()
    steps = drive(d, Digits("7"), Digits("8"), Digits("6"))
    assert finish(steps).outcome is IvrOutcome.OPERATOR_FALLBACK
    assert d.record.invalid_inputs == 3


def test_retries_count_per_menu() -> None:
    """Two mistakes in the main menu do not use up the patience of the next menu."""
    steps = drive(dialog(), Digits("7"), Digits("7"), Digits("2"), Digits("9"), Digits("9"), Digits("4"))
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "cleaning", "utilities", "ru")


def test_back_returns_to_the_main_menu() -> None:
    steps = drive(dialog(), Digits("1"), Digits("*"), Digits("4"))
    assert prompts(steps)[1:4] == ["menu_main", "menu_passes", "menu_main"]
    assert finish(steps).topic == "subsidies"


def test_dialplan_may_enter_at_a_department_menu() -> None:
    d = Dialog(CATALOGUE, now=TUESDAY_MORNING, caller_number=CALLER, start_menu="utilities")
    steps = drive(d, Digits("3"), Digits("1"), NoInput())  # heating FAQ, then silence
    assert prompts(steps)[1] == "menu_utilities"
    assert finish(steps).topic == "heating"
    back = drive(Dialog(CATALOGUE, now=TUESDAY_MORNING, caller_number=CALLER, start_menu="utilities"),
                 Digits("*"), Digits("0"))  # fmt: skip
    assert prompts(back)[1:3] == ["menu_utilities", "menu_main"]
    assert Dialog(CATALOGUE, now=TUESDAY_MORNING, caller_number=None, start_menu="nope").start_menu == "main"


def test_language_switch_changes_every_following_prompt() -> None:
    d = dialog()
    steps = drive(d, Digits("9"), Digits("2"), Digits("2"), Digits("2"))
    assert SetLanguage("uk") in steps
    switched = steps.index(SetLanguage("uk"))
    assert all("/uk/" in s.prompt for s in steps[switched:] if isinstance(s, Play | Collect))
    expected = ["language_menu", "menu_main", "menu_utilities", "topic_electricity", "queued"]
    assert prompts(steps[switched - 1 :]) == expected
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "electricity", "utilities", "uk")
    assert d.record.language_chosen


def test_invalid_language_key_asks_again() -> None:
    steps = drive(dialog(), Digits("9"), Digits("7"), Digits("3"), Digits("0"))
    assert prompts(steps)[2:4] == ["language_menu", "invalid"]
    assert finish(steps).lang == "en"


def test_remembered_language_is_used_from_the_first_prompt() -> None:
    steps = drive(dialog(lang="en"), Digits("0"))
    assert steps[0] == SetLanguage("en")
    assert steps[1] == Play("hotline/en/welcome")
    assert finish(steps).lang == "en"
    assert dialog(lang="de").lang == "ru"


def test_after_hours_callback_is_confirmed_with_its_number() -> None:
    d = dialog(now=SATURDAY_NIGHT)
    steps = drive(d, Digits("3"))
    assert prompts(steps)[-2:] == ["after_hours", "callback_offer"]
    steps = feed(d, Digits("2"))
    assert steps == [CreateCallback("transport", register_request=False)]
    steps = feed(d, CallbackCreated(17))
    # The number is read from our own synthesized digits, not the distribution's sound set.
    assert prompts(steps) == ["callback_done", "digit_1", "digit_7", "goodbye"]
    assert finish(steps) == Finish(IvrOutcome.CALLBACK, "transport", None, "ru")
    assert d.record.callback_id == 17


def test_after_hours_silence_says_goodbye() -> None:
    steps = drive(dialog(now=SATURDAY_NIGHT), Digits("4"), NoInput())
    assert prompts(steps)[-1] == "goodbye"
    assert finish(steps) == Finish(IvrOutcome.AFTER_HOURS, "subsidies", None, "ru")


def test_after_hours_wrong_key_asks_again() -> None:
    d = dialog(now=SATURDAY_NIGHT)
    steps = drive(d, Digits("4"), Digits("5"))
    assert prompts(steps)[-2:] == ["invalid", "callback_offer"]


def test_utilities_after_hours_offer_request_registration() -> None:
    d = dialog(now=SATURDAY_NIGHT)
    drive(d, Digits("2"), Digits("1"), Digits("2"))
    steps = feed(d, CallbackCreated(5))
    assert prompts(steps)[0] == "register_done"


def test_hidden_caller_id_cannot_be_called_back() -> None:
    steps = drive(dialog(now=SATURDAY_NIGHT, caller=None), Digits("3"))
    assert prompts(steps)[-3:] == ["after_hours", "no_caller_id", "goodbye"]
    assert not any(isinstance(s, CreateCallback) for s in steps)
    assert finish(steps).outcome is IvrOutcome.AFTER_HOURS


def test_holiday_closes_office_topics_but_not_extended_ones() -> None:
    closed = drive(dialog(now=NATIONAL_UNITY_DAY), Digits("4"))
    assert prompts(closed)[-2:] == ["after_hours", "callback_offer"]
    open_steps = drive(dialog(now=NATIONAL_UNITY_DAY), Digits("1"), Digits("2"))
    assert finish(open_steps) == Finish(IvrOutcome.QUEUED, "car_passes", "passes", "ru")


def test_operator_answers_around_the_clock() -> None:
    steps = drive(dialog(now=SATURDAY_NIGHT), Digits("0"))
    assert finish(steps).queue == "other"


def test_faq_answer_then_silence_ends_as_answered_by_faq() -> None:
    d = dialog()
    steps = drive(d, Digits("1"), Digits("3"), Digits("1"), NoInput())
    assert prompts(steps)[3:] == ["topic_restrictions", "faq_restrictions_1_q", "faq_restrictions_1_a",
                                  "faq_after", "goodbye"]  # fmt: skip
    assert finish(steps) == Finish(IvrOutcome.FAQ, "restrictions", None, "ru")


def test_faq_answer_then_operator() -> None:
    steps = drive(dialog(), Digits("1"), Digits("3"), Digits("1"), Digits("0"))
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "restrictions", "passes", "ru")


def test_faq_answer_then_main_menu() -> None:
    steps = drive(dialog(), Digits("1"), Digits("3"), Digits("1"), Digits("*"), Digits("4"))
    assert finish(steps).topic == "subsidies"


def test_staying_on_the_line_in_faq_reaches_the_queue() -> None:
    steps = drive(dialog(), Digits("3"), NoInput())
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "transport", "other", "ru")


def test_wrong_faq_key() -> None:
    steps = drive(dialog(), Digits("3"), Digits("8"))
    assert prompts(steps)[-2:] == ["invalid", "faq_transport_1_q"]


def test_long_queue_offers_a_callback() -> None:
    d = dialog()
    steps = drive(d, Digits("2"), Digits("1"), waiting=7)
    assert CheckQueue("utilities") in steps
    assert prompts(steps)[-2:] == ["topic_water", "queue_long"]
    assert d.feed(Digits("2")) == [CreateCallback("water", register_request=False)]
    steps = d.feed(CallbackCreated(41))
    assert prompts(steps) == ["callback_done", "digit_4", "digit_1", "goodbye"]
    assert finish(steps) == Finish(IvrOutcome.CALLBACK, "water", None, "ru")


@pytest.mark.parametrize("answer", [NoInput(), Digits("5")])
def test_long_queue_caller_may_keep_waiting(answer: Event) -> None:
    steps = drive(dialog(), Digits("4"), answer, waiting=5)
    assert prompts(steps)[-2:] == ["queue_long", "queued"]
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "subsidies", "other", "ru")


@pytest.mark.parametrize("waiting", [None, 0, 4])
def test_short_or_unknown_queue_is_joined_at_once(waiting: int | None) -> None:
    steps = drive(dialog(), Digits("4"), waiting=waiting)
    assert prompts(steps)[-2:] == ["topic_subsidies", "queued"]
    assert finish(steps).outcome is IvrOutcome.QUEUED


def test_hidden_number_is_not_offered_a_callback_in_a_long_queue() -> None:
    steps = drive(dialog(caller=None), Digits("4"), waiting=50)
    assert not any(isinstance(s, CheckQueue) for s in steps)
    assert finish(steps).queue == "other"


FOUND = StatusFound("20261234", "in_progress", date(2026, 11, 2), date(2026, 12, 17))


def test_caller_hears_their_latest_request_without_typing() -> None:
    d = dialog()
    steps = drive(d, Digits("5"))
    assert steps[-1] == LookupStatus(None)
    steps = feed(d, FOUND)
    assert prompts(steps) == [
        "status_latest", *(f"digit_{d}" for d in "20261234"), "status_registered_on",
        "day_2", "month_11", "year_2026", "status_in_progress",
        "status_expected_by", "day_17", "month_12", "year_2026", "status_other",
    ]  # fmt: skip
    steps = feed(d, NoInput())
    assert finish(steps) == Finish(IvrOutcome.STATUS_TOLD, "status", None, "ru")


def test_closed_request_has_no_expected_date() -> None:
    d = dialog()
    drive(d, Digits("5"))
    steps = feed(d, StatusFound("77", "closed", date(2026, 10, 1), date(2026, 11, 15)))
    assert sum(name.startswith("month_") for name in prompts(steps)) == 1
    assert "status_closed" in prompts(steps)


def test_typed_number_unknown_three_times_goes_to_the_operator() -> None:
    d = dialog()
    drive(d, Digits("5"))
    steps = feed(d, StatusNotFound())  # nothing under the caller's number
    assert steps[-1] == Collect("hotline/ru/status_enter", 10000, 12)
    assert feed(d, Digits("123")) == [LookupStatus("123")]
    assert prompts(feed(d, StatusNotFound())) == ["status_unknown", "status_enter"]
    feed(d, Digits("124"))
    feed(d, StatusNotFound())
    feed(d, Digits("125"))
    steps = feed(d, StatusNotFound())
    assert prompts(steps) == ["to_operator"]
    assert finish(steps) == Finish(IvrOutcome.OPERATOR_FALLBACK, "operator", "other", "ru")
    assert d.record.key_path == "5NNN"


def test_unknown_then_found_then_another() -> None:
    d = dialog(caller=None)  # hidden number: asked to type at once
    steps = drive(d, Digits("5"))
    assert steps[-1] == Collect("hotline/ru/status_enter", 10000, 12)
    feed(d, Digits("1"))
    feed(d, StatusNotFound())
    feed(d, Digits("20261234"))
    steps = feed(d, FOUND)
    assert prompts(steps)[0] == "status_number"
    assert steps[-1] == Collect("hotline/ru/status_other", 5000, 1)
    assert feed(d, Digits("1"))[-1] == Collect("hotline/ru/status_enter", 10000, 12)
    feed(d, Digits("20261234"))
    feed(d, FOUND)
    steps = feed(d, Digits("0"))
    assert finish(steps) == Finish(IvrOutcome.QUEUED, "status", "other", "ru")


def test_rate_limited_lookup_goes_to_the_operator() -> None:
    d = dialog()
    drive(d, Digits("5"), StatusNotFound(), Digits("99"))
    steps = feed(d, RateLimited())
    assert prompts(steps) == ["status_limited"]
    assert finish(steps).outcome is IvrOutcome.OPERATOR_FALLBACK


def test_empty_number_counts_as_silence() -> None:
    d = dialog(caller=None)
    steps = drive(d, Digits("5"), Digits(""), NoInput(), NoInput())
    assert finish(steps).outcome is IvrOutcome.OPERATOR_FALLBACK
    assert d.record.timeouts == 3


# A long walk through most modes; the caller hangs up after each of its steps in turn.
LONG_WALK: list[Event] = [
    Digits("7"), Digits("9"), Digits("1"), Digits("1"), Digits("3"), Digits("1"), Digits("*"),
    Digits("5"), StatusNotFound(), Digits("11"), FOUND, NoInput(),
]  # fmt: skip


@pytest.mark.parametrize("after", range(len(LONG_WALK)))
def test_hangup_at_any_step_ends_the_visit(after: int) -> None:
    d = dialog()
    drive(d, *LONG_WALK[:after])
    steps = feed(d, Hangup())
    end = finish(steps)
    assert d.finished
    assert end.queue is None
    assert d.record.outcome is not IvrOutcome.IN_PROGRESS
    if after in (6, 7, 8, 9, 10):  # heard an FAQ answer, then wandered on
        assert end.outcome is IvrOutcome.FAQ
    elif after == 11:
        assert end.outcome is IvrOutcome.STATUS_TOLD
    else:
        assert end.outcome is IvrOutcome.HANGUP
    with pytest.raises(RuntimeError, match="over"):
        feed(d, Digits("1"))


def test_hangup_after_callback_is_still_a_callback() -> None:
    d = dialog(now=SATURDAY_NIGHT)
    drive(d, Digits("3"), Digits("2"), CallbackCreated(3))
    assert d.record.outcome is IvrOutcome.CALLBACK


def test_call_time_limit() -> None:
    d = dialog()
    drive(d, Digits("1"))
    end = finish(feed(d, Expired()))
    assert end.outcome is IvrOutcome.TIMED_OUT
    assert end.queue == "other"  # still on the line: an operator takes over


def test_lookup_results_are_only_accepted_when_asked_for() -> None:
    d = dialog()
    d.start()
    with pytest.raises(RuntimeError):
        feed(d, FOUND)
    with pytest.raises(RuntimeError):
        feed(d, CallbackCreated(1))


def _known_prompts(catalogue: Catalogue) -> set[str]:
    texts = [*catalogue.prompt_texts(), *spoken.prompt_texts(catalogue.languages)]
    return {f"hotline/{lang}/{name}" for name, lang, _ in texts}


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.sampled_from([*"0123456789*#", "", "123", None]), max_size=25),
    when=st.sampled_from([TUESDAY_MORNING, SATURDAY_NIGHT, NATIONAL_UNITY_DAY]),
    caller=st.sampled_from([CALLER, None]),
    found=st.booleans(),
)
def test_any_caller_behaviour_keeps_the_step_contract(
    keys: list[str | None], when: datetime, caller: str | None, found: bool
) -> None:
    """Each batch ends with one waiting step or Finish, and every prompt exists in the catalogue."""
    known = _known_prompts(CATALOGUE)
    d = dialog(now=when, caller=caller)
    batch = d.start()
    for key in [*keys, "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]:
        for step in batch[:-1]:
            assert isinstance(step, Play | SetLanguage), batch
        for step in batch:
            if isinstance(step, Play | Collect):
                assert step.prompt in known, step.prompt
        last = batch[-1]
        if isinstance(last, Finish):
            assert d.finished
            assert d.record.outcome is last.outcome
            assert (last.queue is not None) == (
                last.outcome in (IvrOutcome.QUEUED, IvrOutcome.OPERATOR_FALLBACK)
            )
            return
        event: Event
        if isinstance(last, LookupStatus):
            event = FOUND if found else StatusNotFound()
        elif isinstance(last, CreateCallback):
            event = CallbackCreated(1)
        elif isinstance(last, CheckQueue):
            event = QueueLoad(None if found else 9)
        else:
            assert isinstance(last, Collect)
            event = NoInput() if key is None else Digits(key)
        batch = d.feed(event)
    raise AssertionError("pressing 0 repeatedly must reach an operator or an ending")


def test_english_dates_read_month_first_and_every_date_prompt_is_synthesized() -> None:
    d = dialog(lang="en")
    drive(d, Digits("5"))
    names = prompts(feed(d, FOUND))
    assert names[names.index("status_registered_on") + 1 :][:3] == ["month_11", "day_2", "year_2026"]
    texts = {(name, lang): text for name, lang, text in spoken.prompt_texts(["ru", "uk", "en"])}
    # The words Debian's ru sound set cannot build: a genitive year and a neuter "second".
    assert texts[("year_2026", "ru")] == "две тысячи двадцать шестого года"
    assert texts[("day_2", "ru")] == "второго"
    assert texts[("month_12", "ru")] == "декабря"
    assert texts[("day_3", "uk")] == "третього"
    assert texts[("year_2026", "uk")] == "дві тисячі двадцять шостого року"
    assert texts[("day_21", "en")] == "twenty-first"


@pytest.mark.parametrize("event", [Hangup(), Expired()])
def test_a_hang_up_during_the_last_prompt_is_an_outcome_not_an_error(event: Event) -> None:
    """Burst calls B28/B38 hung up during "queued": the dialog had already decided to queue them."""
    d = dialog()
    steps = drive(d, Digits("0"))
    assert finish(steps).outcome is IvrOutcome.QUEUED
    assert d.finished
    ended = finish(d.feed(event))
    if isinstance(event, Hangup):
        assert ended == Finish(IvrOutcome.HANGUP, "operator", None, "ru")
    else:  # still on the line when the time is up: the queue already chosen
        assert ended.outcome is IvrOutcome.TIMED_OUT
        assert ended.queue == "other"


def test_hand_off_keeps_a_decided_ending_or_sends_the_caller_to_a_person() -> None:
    d = dialog()
    drive(d, Digits("1"))  # a department menu: nothing chosen yet
    assert d.hand_off() == Finish(IvrOutcome.OPERATOR_FALLBACK, "operator", "other", "ru")
    decided = dialog()
    queued = finish(drive(decided, Digits("0")))
    assert decided.hand_off() == queued
