"""SocketAgi (pyst2 on a socket) against the exact lines Asterisk 22 sent in the captures."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from ivr.agi import CallerHungUp, CommandRejected, PeerGone, SocketAgi
from tests.conftest import CAPTURES


def _session(scenario: str, number: int) -> tuple[list[str], dict[str, list[list[str]]]]:
    """The environment lines and, per command text, the captured replies (in order of use)."""
    env: list[str] = []
    replies: dict[str, list[list[str]]] = {}
    in_env, command = True, ""
    path = CAPTURES / scenario / f"{scenario}.agi.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("session") != number or record["dir"] not in ("in", "out"):
            continue
        if in_env:
            env.append(record["line"])
            in_env = record["line"] != ""
        elif record["dir"] == "out":
            command = record["line"]
            replies.setdefault(command, []).append([])
        else:
            replies[command][-1].append(record["line"])
    return env, replies


class ReplayPbx:
    """Answers each command with what Asterisk answered to the same command in the capture."""

    def __init__(self, scenario: str, number: int) -> None:
        self.env, self.replies = _session(scenario, number)
        self.ours, theirs = socket.socketpair()
        self.received: list[str] = []
        self.thread = threading.Thread(target=self._serve, args=(theirs,), daemon=True)
        self.thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, sock.makefile("rw", encoding="utf-8", newline="\n") as stream:
            stream.write("".join(line + "\n" for line in self.env))
            stream.flush()
            for raw in stream:
                command = raw.rstrip("\n")
                self.received.append(command)
                queue = self.replies.get(command)
                lines = queue.pop(0) if queue else ["510 Invalid or unknown command"]
                stream.write("".join(line + "\n" for line in lines))
                stream.flush()

    def agi(self) -> SocketAgi:
        reader = self.ours.makefile("r", encoding="utf-8", newline="\n")
        writer = self.ours.makefile("w", encoding="utf-8", newline="\n")
        return SocketAgi(reader, writer)

    def close(self) -> None:
        self.ours.close()
        self.thread.join(timeout=5)


@pytest.fixture
def replay() -> Iterator[type[ReplayPbx]]:
    opened: list[ReplayPbx] = []

    class Tracked(ReplayPbx):
        def __init__(self, scenario: str, number: int) -> None:
            super().__init__(scenario, number)
            opened.append(self)

    yield Tracked
    for pbx in opened:
        pbx.close()


def test_environment_and_replies_of_the_lab_ivr(replay: type[ReplayPbx]) -> None:
    agi = replay("ivr_to_agent", 0).agi()
    assert agi.env["agi_calleridname"] == "Алексей Соколов"
    assert agi.env["agi_request"] == "agi://127.0.0.1:4573/ivr"
    assert agi.env["agi_accountcode"] == ""
    agi.answer()
    assert agi.execute("GET DATA", "lab/ivr-welcome", 5000, 1)["result"][0] == "1"
    assert agi.execute("STREAM FILE", "lab/ivr-topic-passes", '""')["endpos"][0] == "26355"
    agi.execute("SET VARIABLE", "TOPIC", "passes")


def test_hangup_during_get_data_then_dead_channel(replay: type[ReplayPbx]) -> None:
    pbx = replay("agi_hangup", 0)
    agi = pbx.agi()
    agi.answer()
    with pytest.raises(CallerHungUp):
        agi.get_data("lab/ivr-welcome", 10000, 1)
    # -1 alone could be a missing file: the adapter asked the channel, which is dead (511).
    assert pbx.received[-1] == "CHANNEL STATUS"
    assert agi.dead
    with pytest.raises(CallerHungUp):  # media on a dead channel is not even sent
        agi.stream_file("lab/agent-hello")
    agi.execute("SET VARIABLE", "TOPIC", "passes")  # still answered 200 after the HANGUP line
    assert agi.lines.hangup_seen
    assert pbx.received[-1] == "SET VARIABLE TOPIC passes"


def test_usage_errors_are_read_to_their_end(replay: type[ReplayPbx]) -> None:
    """A multi-line 520 must not leave lines behind that would be taken for the next reply."""
    pbx = replay("agi_commands", 0)
    agi = pbx.agi()
    for command in ("STREAM FILE", "WAIT FOR DIGIT", "GET DATA", "FROBNICATE THE CALL"):
        with pytest.raises(CommandRejected):
            agi.execute(command)
    assert agi.rejected == 4
    agi.execute("SET VARIABLE", "TOPIC", "utilities")
    assert agi.execute("GET VARIABLE", "TOPIC")["result"] == ("1", "utilities")
    assert not agi.dead


def test_missing_sound_file_on_a_live_channel_is_not_a_hangup(replay: type[ReplayPbx]) -> None:
    pbx = replay("agi_commands", 0)
    agi = pbx.agi()
    with pytest.raises(CommandRejected):
        agi.execute("STREAM FILE", "no/such/file", '""')
    assert pbx.received[-1] == "CHANNEL STATUS"  # answered 200 result=6: the line is up
    assert not agi.dead


def test_a_peer_that_never_ends_its_line_is_dropped() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"agi_network: yes\n" + b"x" * 70000)
        reader = ours.makefile("r", encoding="utf-8", newline="\n")
        writer = ours.makefile("w", encoding="utf-8", newline="\n")
        with reader, writer, pytest.raises(PeerGone, match="longer than"):
            SocketAgi(reader, writer)
