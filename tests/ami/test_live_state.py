"""The live picture supervisors see, checked at chosen points of real captures (pure layers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ami_listener.connection import LIST_PREFIX
from ami_listener.dial_back import dialled, requested
from ami_listener.processor import CHANNELS_LIST, QUEUES_LIST, Processor
from hotline.domain import CallOutcome
from hotline.live import AgentState, CallState
from tests.ami.frames import live_path
from tests.ami.support import capture_headers, capture_path
from tests.ami.truth import summary


def _feed_until(name: str, stop_event: str, occurrence: int = 1) -> tuple[Processor, dict[str, object]]:
    """Apply a capture up to and including the n-th `stop_event`; return it and its headers."""
    processor = Processor("lab", topic_variables=("HOTLINE_TOPIC", "TOPIC"))
    seen = 0
    for headers, at in capture_headers(capture_path(name)):
        processor.handle(headers, at)
        if headers.get("event") == stop_event:
            seen += 1
            if seen == occurrence:
                return processor, headers
    raise AssertionError(f"{stop_event} #{occurrence} not in {name}")


def test_waiting_caller_is_shown_in_position_with_join_time() -> None:
    processor, join = _feed_until("ivr_to_agent", "QueueCallerJoin")
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    passes = next(q for q in view.queues if q.name == join["queue"])
    (waiting,) = passes.waiting
    assert waiting.uniqueid == join["uniqueid"]
    assert waiting.position == int(str(join["position"]))
    assert waiting.caller_number == join["calleridnum"]
    assert waiting.caller_name == join["calleridname"]
    assert waiting.topic == "passes"
    (call,) = view.calls
    assert call.state is CallState.QUEUED


def test_ringing_then_talking_agent() -> None:
    processor, called = _feed_until("ivr_to_agent", "AgentCalled")
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    agent = next(a for a in view.agents if a.interface == called["interface"])
    assert agent.state is AgentState.RINGING
    assert view.calls[0].state is CallState.RINGING

    processor, status = _feed_until("ivr_to_agent", "QueueMemberStatus")
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    agent = next(a for a in view.agents if a.interface == status["interface"])
    assert agent.state is AgentState.TALKING
    assert agent.talking_to == "+79977541208" == view.calls[0].caller_number
    passes = next(q for q in view.queues if q.name == "passes")
    assert passes.waiting == []
    member = next(m for m in passes.members if m.interface == status["interface"])
    assert member.in_call
    assert member.device_status_text == "INUSE"


def test_after_the_call_agent_is_free_and_counts_it() -> None:
    processor, status = _feed_until("ivr_to_agent", "QueueMemberStatus", occurrence=2)
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    agent = next(a for a in view.agents if a.interface == status["interface"])
    assert agent.state is AgentState.FREE
    assert agent.calls_taken == int(str(status["callstaken"]))


def test_pause_with_reason_and_unpause() -> None:
    processor, pause = _feed_until("member_ops", "QueueMemberPause")
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    agent = next(a for a in view.agents if a.interface == pause["interface"])
    assert agent.state is AgentState.PAUSED
    assert agent.pause_reason == pause["pausedreason"] == "Обед"

    processor, unpause = _feed_until("member_ops", "QueueMemberPause", occurrence=2)
    assert unpause["paused"] == "0"
    view = processor.state.view(connected=True, at=processor.state.last_event_at)  # type: ignore[arg-type]
    queue = next(q for q in view.queues if q.name == unpause["queue"])
    member = next(m for m in queue.members if m.interface == unpause["interface"])
    assert not member.paused
    assert member.pause_reason is None


def test_waiting_callers_keep_position_order_in_load() -> None:
    """At every join, our positions (1..n in join order) match the Position Asterisk announces."""
    processor = Processor("lab", topic_variables=("TOPIC",))
    checked = 0
    for headers, at in capture_headers(capture_path("load")):
        processor.handle(headers, at)
        if headers.get("event") == "QueueCallerJoin":
            waiting = processor.state.queues.waiting[str(headers["queue"])]
            assert [w.uniqueid for w in waiting].index(str(headers["uniqueid"])) + 1 == int(
                str(headers["position"])
            )
            assert len(waiting) == int(str(headers["count"]))
            checked += 1
    assert checked > 100
    assert processor.parse_errors_total == 0


def test_without_varset_the_hangup_channel_variables_are_enough() -> None:
    """manager.conf can drop every VarSet when `channelvars` lists the variables we read."""
    processor = Processor("lab", topic_variables=("TOPIC",))
    recording = "/var/spool/asterisk/monitor/passes-ca001-1795316914.8.wav"
    for headers, at in capture_headers(capture_path("ivr_to_agent")):
        if headers.get("event") == "VarSet":
            continue
        if headers.get("event") == "Hangup" and headers["uniqueid"] == headers["linkedid"]:
            listed = headers["chanvariable"]
            headers["chanvariable"] = [
                *(listed if isinstance(listed, list) else [listed]),
                f"MIXMONITOR_FILENAME={recording}",
            ]
        processor.handle(headers, at)
    (call,) = [c for c in processor.state.take_changes().calls if c["linkedid"] == "1795316914.8"]
    assert call["recording_file"] == recording
    assert call["ivr_topic"] == "passes"
    assert call["ended_at"] is not None


def test_a_late_leg_never_reopens_a_finished_call() -> None:
    processor = Processor("lab", topic_variables=("TOPIC",))
    messages = list(capture_headers(capture_path("ivr_to_agent")))
    for headers, at in messages:
        processor.handle(headers, at)
    first_channel = next(h for h, _ in messages if h.get("event") == "Newchannel")
    processor.state.take_changes()
    processor.handle(first_channel, messages[-1][1])  # the same channel announced again, too late
    assert processor.state.take_changes().calls == []
    assert processor.state.calls.open == {}


def _callback_dial(
    dial_context: str | None = None,
) -> tuple[Processor, list[tuple[dict[str, Any], datetime]]]:
    """A processor ready for the `callback_dial` capture (its snapshot lists expected), and the capture."""
    processor = Processor("lab", topic_variables=("HOTLINE_TOPIC",), dial_context=dial_context)
    messages = list(capture_headers(live_path("callback_dial")))
    lists = {  # the listener's own snapshot lists, as the link asks for them at connect
        str(h["actionid"]): QUEUES_LIST if str(h["actionid"]).endswith("-queues") else CHANNELS_LIST
        for h, _ in messages
        if "response" in h and str(h.get("actionid", "")).startswith(LIST_PREFIX)
    }
    processor.begin_snapshot(messages[0][1], lists)
    return processor, messages


def test_an_operator_first_dial_back_is_not_shown_as_a_caller_in_the_ivr() -> None:
    """callback_dial case Da: once its Originate answered, the operator's originated line (the citizen
    dialled from the dialplan, no queue) is no caller in the IVR on the wallboard."""
    processor, messages = _callback_dial()
    for headers, at in messages:
        processor.handle(headers, at)
        if headers.get("event") == "OriginateResponse":
            break
    assert headers["response"] == "Success"
    view = processor.state.view(connected=True, at=at)
    (call,) = [c for c in view.calls if c.linkedid == headers["uniqueid"]]
    assert call.state is CallState.OTHER


# The leg of callback_dial that rang until the Originate's timeout (case Dc, truth: no answer).
(NO_ANSWER,) = [
    str(c["channel_originated"])
    for c in summary("callback_dial")["calls"]  # type: ignore[union-attr]
    if c["outcome"] == "originate_failed_reason_3"
]
NO_ANSWER_CONTEXT = requested(NO_ANSWER).rpartition("@")[2]


@pytest.mark.parametrize(
    ("dial_context", "while_ringing", "outcome"),
    [
        # dialer.dial_context set to the context that leg rang in, as our dialer's legs do in production
        (NO_ANSWER_CONTEXT, CallState.OTHER, CallOutcome.DIAL_BACK_FAILED),
        # a context no leg of the capture dials: the leg looks like a citizen's call until the response
        ("hotline-callback-out", CallState.IVR, CallOutcome.IVR_ONLY),
    ],
)
def test_our_dialers_leg_is_known_from_its_first_channel_without_the_originate_response(
    dial_context: str, while_ringing: CallState, outcome: CallOutcome
) -> None:
    """Case Dc rang 30 s before its OriginateResponse (Failure) came. A leg in the dialer's context is
    an outgoing leg on the wallboard while it rings, and a listener that never gets the response
    (cut before it) still records a failed dial-back."""
    processor, messages = _callback_dial(dial_context)
    views = []
    for headers, at in messages:
        if headers.get("event") == "OriginateResponse" and headers["channel"] == NO_ANSWER:
            break
        processor.handle(headers, at)
        if headers.get("event") == "Newchannel" and dialled(str(headers["channel"])) == requested(NO_ANSWER):
            views.append((str(headers["linkedid"]), processor.state.view(connected=True, at=at)))
    (leg, _), _ = views  # its two Local halves, one call
    assert [c.state for _, view in views for c in view.calls if c.linkedid == leg] == [while_ringing] * 2
    (record,) = [c for c in processor.state.take_changes().calls if c["linkedid"] == leg]
    assert record["ended_at"] is not None
    assert record["outcome"] == outcome
    assert leg not in processor.state.calls.open
