"""`[hotline-ivr]` walked branch by branch, with what the IVR really set in the live captures.

The walker is first held against the real PBX: on the captured (old) dialplan it must execute the
same priorities with the same data as Asterisk's own log of the killed-IVR calls. Then the shipped
dialplan must send every caller whom the IVR did not finish with to an operator queue.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asterisk_conf.check import BRANCHES, agi_result, check_folder
from asterisk_conf.conf import check_queues, parse
from asterisk_conf.dialplan import Walk, globals_of, load_dialplan, walk
from hotline_app.cli import app
from tests.ivr.live import LIVE, AgiSession, agi_sessions, summary

OURS = Path(__file__).resolve().parents[2] / "asterisk_conf"
_EXECUTING = re.compile(
    r"Executing \[(?P<exten>[^@]+)@(?P<context>[^:]+):(?P<priority>\d+)\] "
    r'(?P<app>\w+)\("(?P<channel>[^"]*)", "(?P<data>.*)"\) in new stack'
)


def _replay(conf: Path, session: AgiSession) -> Walk:
    """Run [hotline-ivr] as the PBX did after this captured AGI session ended."""

    def agi(variables: dict[str, str]) -> bool:
        variables.update(session.variables())
        variables["AGISTATUS"] = "SUCCESS"  # what res_agi reported for every captured session
        return not session.caller_hung_up()

    return walk(load_dialplan(conf), "hotline-ivr", "s", globals_of(conf), agi)


@pytest.mark.parametrize("cid", ["K01", "K02"])
def test_walker_executes_what_asterisk_logged_for_the_killed_ivr(cid: str) -> None:
    call = next(c for c in summary("ivr_killed")["calls"] if c["cid"] == cid)
    session = next(s for s in agi_sessions("ivr_killed") if s.number in call["agi_sessions"])
    log = (LIVE / "ivr_killed" / "ivr_killed.messages.log").read_text(encoding="utf-8")
    logged = [
        (m["context"], m["exten"], int(m["priority"]), m["app"], m["data"])
        for m in _EXECUTING.finditer(log)
        if m["channel"] == call["caller_channel"] and m["context"] == "hotline-ivr"
    ]
    walked = _replay(LIVE / "conf" / "extensions.conf", session)
    ours = [(s.context, s.exten, s.priority, s.app, s.data) for s in walked.steps]
    # The AGI line's data is the substituted address; the rest must match Asterisk step for step.
    assert ours[1:] == logged[1:]
    assert ours[0][3] == logged[0][3] == "AGI"
    assert walked.last.app == "Hangup"  # the shipped dialplan of the capture dropped the caller


@pytest.mark.parametrize("cid", ["K01", "K02"])
def test_a_killed_or_cut_ivr_now_sends_the_caller_to_the_operator_queue(cid: str) -> None:
    call = next(c for c in summary("ivr_killed")["calls"] if c["cid"] == cid)
    session = next(s for s in agi_sessions("ivr_killed") if s.number in call["agi_sessions"])
    walked = _replay(OURS / "extensions.conf", session)
    assert walked.reached_queue() == "other"
    assert walked.variables["HOTLINE_OUTCOME"] == "operator_fallback"


@pytest.mark.parametrize("scenario", ["ivr_languages", "burst", "listener_restart", "queue_timeout"])
def test_every_finished_ivr_session_goes_where_it_went_on_the_pbx(scenario: str) -> None:
    """Calls the IVR finished keep their route: the queue it chose, or the IVR's own ending."""
    calls = summary(scenario)["calls"]
    by_session = {number: call for call in calls for number in call.get("agi_sessions", [])}
    sessions = agi_sessions(scenario)
    assert sessions
    for session in sessions:
        call = by_session[session.number]
        walked = _replay(OURS / "extensions.conf", session)
        if session.caller_hung_up():
            assert walked.last.app == "AGI", call["cid"]  # the dialplan ends with the channel
            continue
        queued = call["queue"]
        assert walked.reached_queue() == queued, call["cid"]
        if queued is None:
            assert walked.last.app == "Hangup", call["cid"]


@pytest.mark.parametrize("branch", BRANCHES, ids=[b.name for b in BRANCHES])
def test_each_branch_of_hotline_ivr(branch: object) -> None:
    from asterisk_conf.check import Branch

    assert isinstance(branch, Branch)
    conf = OURS / "extensions.conf"
    walked = walk(load_dialplan(conf), "hotline-ivr", "s", globals_of(conf), agi_result(branch))
    if branch.hung_up:
        assert walked.last.app == "AGI"
    elif branch.expect_queue:
        assert walked.reached_queue() in ("passes", "other")
        if not branch.variables:
            assert walked.variables["HOTLINE_OUTCOME"] == "operator_fallback"
    else:
        assert walked.last.app == "Hangup"


def test_queue_strategies_as_asterisk_reads_them() -> None:
    # The capture's queues.conf is the old shipped one: the PBX reported rrmemory for all three.
    captured, findings = check_queues(LIVE / "conf" / "queues.conf")
    assert captured == {"passes": "rrmemory", "utilities": "rrmemory", "other": "rrmemory"}
    assert len(findings) == 2
    ours, problems = check_queues(OURS / "queues.conf")
    assert ours == {"passes": "rrmemory", "utilities": "leastrecent", "other": "fewestcalls"}
    assert problems == []


def test_template_lines_come_first_and_the_first_strategy_wins() -> None:
    sections = parse(
        "[t](!)\nstrategy = ringall\ntimeout = 5\n[q](t)\nstrategy = linear\nmember => PJSIP/a\n", "x.conf"
    )
    assert [line.key for line in sections["q"].lines] == ["strategy", "timeout", "strategy", "member"]
    assert sections["q"].values("strategy")[0].value == "ringall"


def test_check_command_passes_on_ours_and_names_the_lines_in_the_capture() -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["asterisk", "check"])
    assert ok.exit_code == 0, ok.output
    assert "queue utilities: strategy leastrecent" in ok.output
    bad = runner.invoke(app, ["asterisk", "check", str(LIVE / "conf")])
    assert bad.exit_code == 1
    assert "queues.conf:29: [utilities] strategy = leastrecent is ignored" in bad.output
    assert "the caller is hung up instead of reaching an operator queue" in bad.output
    assert check_folder(OURS).problems == []


def test_a_failed_dial_back_hangs_up_instead_of_queueing_as_a_caller() -> None:
    # Asterisk runs exten `failed` in a failed Originate's context (OutgoingSpoolFailed, callback_dial).
    conf = OURS / "extensions.conf"
    plan, variables = load_dialplan(conf), globals_of(conf)
    failed = walk(plan, "hotline-callback", "failed", variables, lambda _values: True)
    assert failed.reached_queue() is None
    assert failed.last.app == "Hangup"
    answered = walk(plan, "hotline-callback", "utilities", variables, lambda _values: True)
    assert answered.reached_queue() == "utilities"
