"""One state transition per test, driven by the real frames of the live captures (cut by offset)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ami_listener.capture import RecordedMessage
from ami_listener.event_table import parse_event
from ami_listener.event_types import ChannelHungUp
from hotline.live import AgentState, CallState
from hotline.models import AgentPeriodKind, CallOutcome
from hotline.timeutil import from_epoch
from tests.ami.frames import Frames, feed, field, headers, live_path, processor

LANGS = Frames(live_path("ivr_languages"))
L02 = "1796223864.58"  # chose English, then water → utilities, answered by Оператор 103
QUIET = Frames(live_path("quiet_start"))


def _stamp(message: RecordedMessage) -> datetime:
    """The event's own time (its Timestamp header)."""
    return (
        headers(message)[1]
        if field(message, "Timestamp") is None
        else from_epoch(float(field(message, "Timestamp") or 0))
    )


def test_newchannel_of_the_caller_opens_the_call() -> None:
    p = processor()
    first = LANGS.one("Newchannel", Uniqueid=L02)
    feed(p, [first])
    call = p.state.calls.open[L02]
    assert call.started_at == _stamp(first)
    assert call.caller_number is None  # the Local channel is born as <unknown>
    named = LANGS.one("NewCallerid", Uniqueid=L02)
    feed(p, [named])
    assert call.caller_number == field(named, "CallerIDNum") == "+79163330101"
    assert call.caller_name == field(named, "CallerIDName")
    assert call.outcome is CallOutcome.IN_PROGRESS


def test_queue_caller_join_puts_the_caller_in_line() -> None:
    p = processor()
    join = LANGS.one("QueueCallerJoin", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=join))
    (waiting,) = p.state.queues.waiting["utilities"]
    assert waiting.uniqueid == L02
    assert p.state.calls.open[L02].queue == "utilities"
    assert p.state.calls.open[L02].ivr_topic == "water"
    assert (L02, "utilities") in p.state.queues.stays


def test_agent_called_rings_the_member_and_the_call() -> None:
    p = processor()
    called = LANGS.one("AgentCalled", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=called))
    view = p.state.view(connected=True, at=from_epoch(called.wall))
    agent = next(a for a in view.agents if a.interface == field(called, "Interface"))
    assert agent.state is AgentState.RINGING
    assert view.calls[0].state is CallState.RINGING


def test_caller_leave_takes_the_caller_out_of_line_with_the_wait() -> None:
    p = processor()
    leave = LANGS.one("QueueCallerLeave", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=leave))
    assert p.state.queues.waiting["utilities"] == []
    assert p.state.calls.open[L02].wait_s is not None


def test_agent_connect_answers_the_call_and_opens_a_talk_period() -> None:
    p = processor()
    connect = LANGS.one("AgentConnect", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=connect))
    call = p.state.calls.open[L02]
    assert call.outcome is CallOutcome.ANSWERED
    assert call.agent == field(connect, "MemberName") == "Оператор 103"
    assert call.wait_s == pytest.approx(int(field(connect, "HoldTime") or 0), abs=1.5)
    talks = [k for k in p.state.members.periods if k[1] is AgentPeriodKind.TALK]
    assert talks == [(field(connect, "Interface"), AgentPeriodKind.TALK, "utilities", L02)]


def test_agent_complete_gives_the_talk_time_and_closes_the_period() -> None:
    p = processor()
    complete = LANGS.one("AgentComplete", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=complete))
    call = p.state.calls.open[L02]
    assert call.talk_s == pytest.approx(int(field(complete, "TalkTime") or 0), abs=1.5)
    assert not [k for k in p.state.members.periods if k[1] is AgentPeriodKind.TALK]
    (period,) = [r for r in p.state.take_changes().periods if r["kind"] is AgentPeriodKind.TALK]
    assert period["ended_at"] == _stamp(complete)


def test_last_hangup_ends_the_call_record() -> None:
    p = processor()
    frames = LANGS.of_call(L02)
    feed(p, frames)
    last_hangup = [m for m in frames if m.name == "Hangup"][-1]
    assert L02 not in p.state.calls.open
    (row,) = [r for r in p.state.take_changes().calls if r["linkedid"] == L02]
    assert row["ended_at"] == _stamp(last_hangup)
    assert row["outcome"] is CallOutcome.ANSWERED


def test_member_added_paused_opens_login_and_pause_periods_removed_closes_them() -> None:
    p = processor()
    added = QUIET.one("QueueMemberAdded")
    feed(p, [added])
    interface = field(added, "Interface") or ""
    keys = {k[1] for k in p.state.members.periods if k[0] == interface}
    assert keys == {AgentPeriodKind.LOGGED_IN, AgentPeriodKind.PAUSED}
    pause = p.state.members.periods[(interface, AgentPeriodKind.PAUSED, "other", "")]
    assert pause.reason == field(added, "PausedReason") == "Вход в систему"
    removed = QUIET.one("QueueMemberRemoved")
    feed(p, [removed])
    assert not [k for k in p.state.members.periods if k[0] == interface]
    assert interface not in p.state.members.by_queue["other"]


def test_the_wallboard_projection_does_not_depend_on_when_it_is_rendered() -> None:
    p = processor()
    connect = LANGS.one("AgentConnect", Linkedid=L02)
    feed(p, LANGS.of_call(L02, until=connect))
    in_use = next(
        m
        for m in LANGS.all("QueueMemberStatus", Interface=field(connect, "Interface") or "", Status="2")
        if m.offset > connect.offset
    )
    feed(p, [in_use])
    early = p.state.view(connected=True, at=_stamp(in_use))
    later = p.state.view(connected=True, at=from_epoch(in_use.wall + 3600))
    assert early.agents == later.agents
    agent = next(a for a in early.agents if a.interface == field(connect, "Interface"))
    assert agent.state is AgentState.TALKING
    assert agent.state_since == _stamp(in_use)  # since the frame that said so, whenever rendered


def test_queue_member_in_call_follows_asterisks_in_call() -> None:
    burst = Frames(live_path("burst"))
    busy = burst.one("QueueMemberStatus", InCall="1")
    queue, interface = field(busy, "Queue") or "", field(busy, "Interface") or ""
    after = next(
        m for m in burst.all("QueueMemberStatus", Queue=queue, Interface=interface) if m.offset > busy.offset
    )
    events = [m for m in burst.messages if m.kind == "event"]
    p = processor()

    def in_call(since: int, until: RecordedMessage) -> bool:
        feed(p, [m for m in events if since < m.offset <= until.offset])
        view = p.state.view(connected=True, at=_stamp(until))
        (member,) = [m for q in view.queues if q.name == queue for m in q.members if m.interface == interface]
        return member.in_call

    assert in_call(-1, busy) is True
    assert field(after, "InCall") == "0"
    assert in_call(busy.offset, after) is False


def test_a_hangup_tells_whether_the_channel_had_been_answered() -> None:
    """callback_dial's Hangups: the citizens' answered legs end `Up`, the unanswered and busy ones not."""
    hangups = Frames(live_path("callback_dial")).all("Hangup")
    answered: list[tuple[bool, bool]] = []  # (as parsed, as Asterisk describes the state)
    for message in hangups:
        event = parse_event(*headers(message), topic_variables=())
        assert isinstance(event, ChannelHungUp)
        answered.append((event.answered, field(message, "ChannelStateDesc") == "Up"))
    assert all(parsed == up for parsed, up in answered)
    assert {parsed for parsed, _ in answered} == {True, False}
