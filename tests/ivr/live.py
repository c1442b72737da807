"""The live Asterisk 22 captures of the project's own dialplan and IVR (shared/fixtures/asterisk-live)."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _shared() -> Path:
    """shared/ sits beside the repository (CI) or above a worktree; the nearest one wins."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "fixtures" / "asterisk-live").is_dir():
            return parent / "shared"
    raise FileNotFoundError("shared/fixtures/asterisk-live not found above the repository")


SHARED = _shared()
LIVE = SHARED / "fixtures" / "asterisk-live"
_SET = re.compile(r'^SET VARIABLE "?([^" ]+)"? "(.*)"$')


@dataclass
class AgiSession:
    number: int
    header: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def env(self) -> list[str]:
        """The environment block lines as the PBX sent them, up to and including the empty line."""
        lines: list[str] = []
        for record in self.records:
            if record["dir"] == "in":
                lines.append(record["line"])
                if record["line"] == "":
                    return lines
        raise ValueError(f"session {self.number}: no end of the environment block")

    def variables(self) -> dict[str, str]:
        """What the IVR set with SET VARIABLE (the dialplan sees these after AGI returns)."""
        found: dict[str, str] = {}
        for record in self.records:
            match = _SET.match(record["line"]) if record["dir"] == "out" else None
            if match:
                found[match[1]] = match[2]
        return found

    def caller_hung_up(self) -> bool:
        """The PBX sent HANGUP before the IVR closed its side: the channel was gone."""
        for record in self.records:
            if record["dir"] == "note" and record["line"].startswith("EOF from IVR"):
                return False
            if record["dir"] == "in" and record["line"] == "HANGUP":
                return True
        return False

    def exchanges(self) -> list[tuple[str, list[str]]]:
        """(command, reply lines) in order, from the environment block to the IVR's close."""
        out: list[tuple[str, list[str]]] = []
        in_env = True
        for record in self.records:
            if record["dir"] == "note" and record["line"].startswith("EOF from IVR"):
                break  # what follows is Asterisk's answer to the close, not to a command
            if record["dir"] not in ("in", "out"):
                continue
            if in_env:
                in_env = not (record["dir"] == "in" and record["line"] == "")
                continue
            if record["dir"] == "out":
                out.append((record["line"], []))
            elif out:
                out[-1][1].append(record["line"])
        return out


def agi_sessions(scenario: str) -> list[AgiSession]:
    sessions: dict[int, AgiSession] = {}
    path = LIVE / scenario / f"{scenario}.agi.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        number = int(record["session"])
        if "header" in record:
            sessions[number] = AgiSession(number, record["header"])
        else:
            sessions[number].records.append(record)
    return list(sessions.values())


def summary(scenario: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LIVE / scenario / f"{scenario}.summary.json").read_text("utf-8"))
    return data


def recordings_manifest(scenario: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (LIVE / scenario / "recordings" / "manifest.json").read_text("utf-8")
    )
    return data


@dataclass
class Replayed:
    commands: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    interrupted: str | None = None  # the command the capture cut short, if our IVR reached it


async def replay_session(
    port: int, session: AgiSession, *, reached_cut: asyncio.Event | None = None, timeout_s: float = 30.0
) -> Replayed:
    """Be the PBX of a captured session: its environment block, then its reply to each command.

    Our IVR must send the captured commands in order; SET VARIABLE may carry other values (visit
    ids, the fixed outcome) and gets the captured SET VARIABLE reply. Where the capture ends while a
    command ran (the IVR was killed or cut), the replay holds that command the way a playing prompt
    does until the IVR writes or closes (`reached_cut` is set then). On the IVR's EOF it sends
    the capture's closing line (HANGUP) and closes, as Asterisk did.
    """
    exchanges = session.exchanges()
    set_reply = next(replies for command, replies in exchanges if _SET.match(command) and replies)
    stream_reply = next(r for c, r in exchanges if c.startswith("STREAM FILE") and r and "endpos" in r[0])
    closing = _closing_line(session)
    result = Replayed()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(timeout_s):
            writer.write("".join(line + "\n" for line in session.env).encode())
            index = 0
            held: bytes | None = None
            while True:
                raw = held if held is not None else await reader.readline()
                held = None
                if not raw:
                    writer.write((closing + "\n").encode())
                    await writer.drain()
                    return result
                command = raw.decode().rstrip("\n")
                result.commands.append(command)
                setting = _SET.match(command)
                if setting:
                    result.variables[setting[1]] = setting[2]
                expected, replies = exchanges[index] if index < len(exchanges) else ("", [])
                same = expected == command or (setting is not None and expected.startswith("SET VARIABLE"))
                if index < len(exchanges) and not same:
                    raise AssertionError(f"capture has {expected!r} here, our IVR sent {command!r}")
                index += 1
                if setting and not same:
                    replies = set_reply
                elif not replies:  # the capture was cut during this command: it runs until we hear more
                    result.interrupted = command
                    if reached_cut is not None:
                        reached_cut.set()
                    # A prompt stops as soon as the script writes or closes (Asterisk watches the socket).
                    held = await reader.readline()
                    replies = stream_reply if held else []
                writer.write("".join(line + "\n" for line in replies).encode())
                await writer.drain()
    finally:
        writer.close()


def _closing_line(session: AgiSession) -> str:
    after_eof = False
    for record in session.records:
        if record["dir"] == "note" and record["line"].startswith("EOF from IVR"):
            after_eof = True
        elif after_eof and record["dir"] == "in":
            return str(record["line"])
    raise ValueError(f"session {session.number}: no line after the IVR's EOF")
