"""A simulated Asterisk 22 FastAGI peer: it calls our server the way a PBX channel would.

Every line it sends comes from the lab captures (ivr/captured.py): the environment block of a real
session with the caller number, name and uniqueid substituted, and the real reply lines. A scripted
caller decides the keys pressed at each GET DATA, when to hang up, and which commands the "PBX"
answers with an error (510, 520, a missing sound file), so tests, the bench and the demo exercise
the server exactly as Asterisk would.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ivr.captured import Vocabulary, vocabulary

Fault = Literal["510", "520", "missing"]

# Commands that block on the channel (media, waiting for keys); a hangup interrupts them.
_BLOCKING = ("GET DATA", "STREAM FILE", "SAY DIGITS", "SAY NUMBER", "SAY DATE", "WAIT FOR DIGIT", "EXEC")
_DEAD_REFUSED = (*_BLOCKING, "CHANNEL STATUS", "HANGUP", "ANSWER")
_STILL_WORKING = ("SET VARIABLE", "GET VARIABLE", "VERBOSE")
_KNOWN = (*_DEAD_REFUSED, *_STILL_WORKING, "GET FULL VARIABLE", "NOOP")
_SET_VARIABLE = re.compile(r'SET VARIABLE\s+("[^"]*"|\S+)\s+("[^"]*"|\S+)?')
# Asterisk needs at least this many arguments after the command name.
_MIN_ARGS = {"STREAM FILE": 2, "GET DATA": 1, "WAIT FOR DIGIT": 1}


@dataclass
class PeerResult:
    commands: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    # Seconds from our reply to the server's next command: the server's per-command overhead.
    latencies: list[float] = field(default_factory=list)
    hung_up: bool = False
    closed_by_server: bool = False


def _unquote(value: str | None) -> str:
    if value is None:
        return ""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _verb(command: str) -> str:
    for name in sorted(_KNOWN, key=len, reverse=True):
        if command == name or command.startswith(name + " "):
            return name
    return ""


def environment(
    vocab: Vocabulary,
    *,
    caller_number: str,
    caller_name: str,
    uniqueid: str,
    host: str,
    port: int,
    script: str,
    args: tuple[str, ...],
) -> list[str]:
    """The captured environment block with this call's identity substituted."""
    values = {
        "agi_network_script": script,
        "agi_request": f"agi://{host}:{port}/{script}",
        "agi_uniqueid": uniqueid,
        "agi_callerid": caller_number or "unknown",
        "agi_calleridname": caller_name or "unknown",
    }
    lines: list[str] = []
    for line in vocab.env:
        key = line.partition(":")[0]
        if key.startswith("agi_arg_"):
            continue
        lines.append(f"{key}: {values[key]}" if key in values else line)
    lines += [f"agi_arg_{n}: {arg}" for n, arg in enumerate(args, start=1)]
    return lines


class _Caller:
    """Answers one command at a time like the PBX channel of a scripted caller."""

    def __init__(
        self,
        vocab: Vocabulary,
        presses: list[str],
        hangup_after: int | None,
        faults: Mapping[str, Fault],
    ) -> None:
        self.vocab = vocab
        self.presses = list(presses)
        self.hangup_after = hangup_after
        self.faults = faults
        self.answered = 0
        self.dead = False
        self.variables: dict[str, str] = {}

    def reply(self, command: str) -> tuple[list[str], bool]:
        """Reply lines, and whether the unsolicited HANGUP line follows."""
        vocab = self.vocab
        verb = _verb(command)
        self.answered += 1
        if not verb:
            return [vocab.invalid_command], False
        if self.dead:
            if verb in _DEAD_REFUSED:
                return [vocab.dead_channel], False
            return [self._alive_reply(verb, command)], False
        fault = self.faults.get(verb)
        if fault == "510":
            return [vocab.invalid_command], False
        if fault == "520" or len(command[len(verb) :].split()) < _MIN_ARGS.get(verb, 0):
            return list(vocab.usage.get(verb, vocab.usage["STREAM FILE"])), False
        if fault == "missing" and verb == "STREAM FILE":
            return [vocab.stream_missing], False
        if verb in _BLOCKING and self.hangup_after is not None and self.answered > self.hangup_after:
            self.dead = True
            return [vocab.hangup_result], True
        if verb == "HANGUP":
            self.dead = True
            return [vocab.hangup_ok], True
        return [self._alive_reply(verb, command)], False

    def _alive_reply(self, verb: str, command: str) -> str:
        vocab = self.vocab
        if verb == "GET DATA":
            keys = self.presses.pop(0) if self.presses else ""
            digits = keys.rstrip("#")  # '#' ends the input and is not returned
            return vocab.digits_template.format(digits=digits) if digits else vocab.get_data_timeout
        if verb == "STREAM FILE":
            return vocab.stream_done
        if verb == "ANSWER":
            return vocab.answer
        if verb == "CHANNEL STATUS":
            return vocab.channel_up
        if verb == "SET VARIABLE":
            match = _SET_VARIABLE.match(command)
            if match:
                self.variables[_unquote(match.group(1))] = _unquote(match.group(2))
            return vocab.set_ok
        if verb in ("VERBOSE", "GET VARIABLE", "GET FULL VARIABLE", "NOOP"):
            return vocab.set_ok
        return vocab.say_done


async def simulate_call(
    host: str,
    port: int,
    *,
    caller_number: str,
    caller_name: str,
    uniqueid: str,
    presses: list[str],
    hangup_after: int | None = None,
    script: str = "ivr",
    args: tuple[str, ...] = (),
    faults: Mapping[str, Fault] | None = None,
    timeout_s: float = 30.0,
    media_s: float = 0.0,
) -> PeerResult:
    """Place one FastAGI session against host:port.

    `presses`: the keys typed at each GET DATA in turn ("" = silence until the timeout; "123#" =
    a number ended with #). `hangup_after`: the caller hangs up during the first blocking command
    after this many answered commands. `faults`: commands the PBX answers with 510, 520 or, for
    STREAM FILE, "missing" (the sound file does not exist). `media_s`: how long each blocking
    command (a prompt playing, waiting for keys) takes before its reply, as on a real channel.
    """
    vocab = vocabulary()
    caller = _Caller(vocab, presses, hangup_after, faults or {})
    result = PeerResult(variables=caller.variables)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        async with asyncio.timeout(timeout_s):
            env = environment(
                vocab,
                caller_number=caller_number,
                caller_name=caller_name,
                uniqueid=uniqueid,
                host=host,
                port=port,
                script=script,
                args=args or (uniqueid,),
            )
            writer.write(("\n".join(env) + "\n\n").encode())
            await writer.drain()
            replied_at = time.perf_counter()
            while True:
                raw = await reader.readline()
                if not raw:
                    result.closed_by_server = True
                    break
                result.latencies.append(time.perf_counter() - replied_at)
                command = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                result.commands.append(command)
                lines, hangup_follows = caller.reply(command)
                if media_s and command.startswith(_BLOCKING):
                    await asyncio.sleep(media_s)
                writer.write("".join(line + "\n" for line in lines).encode())
                await writer.drain()
                if hangup_follows:
                    result.hung_up = True
                    # Asterisk sends the unsolicited HANGUP about 40 ms after the -1 result.
                    await asyncio.sleep(0.04)
                    writer.write((vocab.hangup_line + "\n").encode())
                    await writer.drain()
                replied_at = time.perf_counter()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return result
