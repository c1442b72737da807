"""What a real Asterisk 22 says on FastAGI, taken from the lab captures shipped in ivr/data/.

The simulated peer (ivr/peer.py) answers only with lines found here, so tests, the bench and the
demo hear the same environment block and replies (`200 result=...`, `endpos=`, 510, 511, the
multi-line 520 usage text, the unsolicited `HANGUP`) that a real PBX sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Exchange:
    command: str
    replies: tuple[str, ...]


@dataclass(frozen=True)
class Session:
    env: tuple[str, ...]  # the raw lines, without the closing empty line
    exchanges: tuple[Exchange, ...]


def _sessions(name: str) -> list[Session]:
    text = (resources.files("ivr") / "data" / f"{name}.agi.jsonl").read_text(encoding="utf-8")
    raw: dict[int, list[dict[str, object]]] = {}
    for line in text.splitlines():
        record = json.loads(line)
        if record.get("dir") in ("in", "out"):
            raw.setdefault(int(record["session"]), []).append(record)
    sessions = []
    for records in raw.values():
        env: list[str] = []
        exchanges: list[Exchange] = []
        in_env = True
        for record in records:
            text_line = str(record["line"])
            if in_env:
                if record["dir"] == "in" and text_line == "":
                    in_env = False
                elif record["dir"] == "in":
                    env.append(text_line)
                continue
            if record["dir"] == "out":
                exchanges.append(Exchange(text_line, ()))
            elif exchanges:
                last = exchanges[-1]
                exchanges[-1] = Exchange(last.command, (*last.replies, text_line))
        sessions.append(Session(tuple(env), tuple(exchanges)))
    return sessions


@dataclass(frozen=True)
class Vocabulary:
    """Reply lines of Asterisk 22, by situation."""

    env: tuple[str, ...]
    answer: str
    stream_done: str  # STREAM FILE played to the end (with endpos=)
    stream_missing: str  # STREAM FILE of a file that does not exist
    digits_template: str  # GET DATA with keys; {digits} marks the keys
    get_data_timeout: str
    say_done: str
    set_ok: str
    channel_up: str
    hangup_result: str  # the pending blocking command when the caller hangs up
    hangup_line: str  # the unsolicited line that follows ~40 ms later
    hangup_ok: str  # the script's own HANGUP on a live channel (then hangup_line follows)
    dead_channel: str  # 511
    invalid_command: str  # 510
    usage: dict[str, tuple[str, ...]]  # 520 multi-line usage text per command


def _reply(
    sessions: list[Session], command: str | re.Pattern[str], reply_prefix: str = ""
) -> tuple[str, ...]:
    for session in sessions:
        for exchange in session.exchanges:
            matches = (
                exchange.command == command
                if isinstance(command, str)
                else command.fullmatch(exchange.command) is not None
            )
            if matches and exchange.replies and exchange.replies[0].startswith(reply_prefix):
                return exchange.replies
    raise LookupError(f"no captured reply to {command!r} starting with {reply_prefix!r}")


@cache
def vocabulary() -> Vocabulary:
    ivr = _sessions("ivr_to_agent")
    commands = _sessions("agi_commands")
    hangup = _sessions("agi_hangup")
    everything = ivr + commands + hangup
    get_data = _reply(ivr, re.compile(r"GET DATA \S+ \d+ \d+"))[0]
    match = re.fullmatch(r"(200 result=)(\d+)(.*)", get_data)
    if match is None:
        raise LookupError(f"unexpected GET DATA reply {get_data!r}")
    hung = _reply(hangup, re.compile(r"GET DATA \S+ 10000 1"))
    usage = {name: _reply(commands, name, "520") for name in ("STREAM FILE", "GET DATA", "WAIT FOR DIGIT")}
    return Vocabulary(
        env=ivr[0].env,
        answer=_reply(ivr, "ANSWER")[0],
        stream_done=_reply(ivr, re.compile(r'STREAM FILE \S+ ""'), "200 result=0 endpos=")[0],
        stream_missing=_reply(commands, re.compile(r'STREAM FILE no/such/file ""'))[0],
        digits_template=match.group(1) + "{digits}" + match.group(3),
        get_data_timeout=_reply(commands, re.compile(r"GET DATA beep \d+ \d+"))[0],
        say_done=_reply(commands, re.compile(r'SAY DIGITS \d+ ""'))[0],
        set_ok=_reply(ivr, re.compile(r"SET VARIABLE .*"))[0],
        channel_up=_reply(commands, "CHANNEL STATUS")[0],
        hangup_result=hung[0],
        hangup_line=hung[1],
        hangup_ok=_reply(hangup, "HANGUP", "200")[0],
        dead_channel=_reply(hangup, re.compile(r'STREAM FILE \S+ ""'), "511")[0],
        invalid_command=_reply(everything, re.compile(r"FROBNICATE.*"))[0],
        usage=usage,
    )
