"""pyst2's AGI class over a FastAGI socket, made safe for a worker thread.

pyst2 is written for AGI over stdin/stdout of a process started by Asterisk: its constructor
installs a SIGHUP handler (only possible in the main thread, and process-wide) and logs every line
to stderr. Over FastAGI the hangup arrives as lines on the socket instead, so `SocketAgi` skips the
signal and the stderr noise, and keeps pyst2's command formatting and reply parsing.

Facts from the Asterisk 22 captures handled here (tests/data/asterisk/README.md):
* a hangup during a blocking command gives ``200 result=-1``, then an unsolicited ``HANGUP`` line;
  the channel is then dead and media commands get ``511``;
* ``200 result=-1`` also means "sound file missing" on a live channel, so a -1 is checked with
  CHANNEL STATUS before being called a hangup;
* 510 / multi-line 520 answers mean our command is wrong: logged, counted, the call goes on.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from asterisk.agi import (
    AGI,
    AGIAppError,
    AGIError,
    AGIHangup,
    AGIInvalidCommand,
    AGISIGPIPEHangup,
    AGIUsageError,
)

log = logging.getLogger(__name__)

_DEAD_CHANNEL = 511


class PeerGone(AGIHangup):  # type: ignore[misc]
    """The PBX closed the connection."""


class CallerHungUp(Exception):
    """The channel is gone; only SET VARIABLE and friends still work."""


class CommandRejected(Exception):
    """Asterisk refused a command (510 unknown, 520 usage, or an unexpected code)."""


class _Lines:
    """Reads reply lines, setting aside the unsolicited HANGUP line wherever it arrives."""

    def __init__(self, raw: IO[str]) -> None:
        self.raw = raw
        self.hangup_seen = False

    # Far beyond any real reply (a 520 usage line is ~500 bytes); a peer sending more is broken.
    MAX_LINE = 65536

    def readline(self) -> str:
        while True:
            line = self.raw.readline(self.MAX_LINE)
            if not line:
                raise PeerGone("the PBX closed the FastAGI connection")
            if len(line) >= self.MAX_LINE and not line.endswith("\n"):
                raise PeerGone(f"a line longer than {self.MAX_LINE} characters: not an Asterisk peer")
            if line.rstrip("\r\n") == "HANGUP":
                self.hangup_seen = True
                continue
            return line


class _Discard:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


class SocketAgi(AGI):  # type: ignore[misc]
    """pyst2 AGI on text streams of a socket; reads the agi_* environment at construction."""

    def __init__(self, reader: IO[str], writer: IO[str]) -> None:
        # Deliberately not calling AGI.__init__: it installs a process-wide SIGHUP handler.
        self.lines = _Lines(reader)
        self.stdin = self.lines
        self.stdout = writer
        self.stderr = _Discard()
        self._got_sighup = False
        self.env: dict[str, str] = {}
        self._get_agi_env()
        self.dead = False  # the channel hung up: only variable commands still work
        self.gone = False  # the connection is closed: nothing works
        self.rejected = 0

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]:
        """pyst2's execute, raising only CallerHungUp or CommandRejected instead of pyst2's zoo.

        pyst2's helpers (stream_file, get_data, say_digits, set_variable...) all go through here.
        """
        if self.gone or (self.dead and command not in ("SET VARIABLE", "GET VARIABLE", "VERBOSE")):
            raise CallerHungUp(command)
        try:
            result: dict[str, tuple[str, str]] = super().execute(command, *args)
        except AGIHangup as exc:
            self.dead = True
            self.gone = self.gone or isinstance(exc, PeerGone | AGISIGPIPEHangup)
            raise CallerHungUp(str(exc)) from exc
        except AGIAppError as exc:  # result=-1: hangup, or a failure on a live channel
            if self._channel_dead():
                self.dead = True
                raise CallerHungUp(command) from exc
            self._rejected(command, args, "failed (result=-1)")
            raise CommandRejected(f"{command}: result=-1") from exc
        except (AGIInvalidCommand, AGIUsageError) as exc:
            self._rejected(command, args, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            raise CommandRejected(f"{command}: {exc}") from exc
        except AGIError as exc:
            code = exc.args[0] if exc.args else None
            if code == _DEAD_CHANNEL:
                self.dead = True
                raise CallerHungUp(command) from exc
            self._rejected(command, args, f"unexpected reply {exc.args!r}")
            raise CommandRejected(f"{command}: {exc.args!r}") from exc
        except OSError as exc:  # connection reset while writing or reading
            self.dead = self.gone = True
            raise CallerHungUp(f"{command}: {exc}") from exc
        except ValueError as exc:  # a reply line pyst2 cannot parse
            self._rejected(command, args, f"unparsable reply: {exc}")
            raise CommandRejected(f"{command}: {exc}") from exc
        return result

    def _channel_dead(self) -> bool:
        if self.lines.hangup_seen:
            return True
        try:
            super().execute("CHANNEL STATUS")
        except AGIHangup:
            return True
        except AGIError as exc:
            return bool(exc.args and exc.args[0] == _DEAD_CHANNEL) or self.lines.hangup_seen
        except OSError:
            return True
        return self.lines.hangup_seen

    def _rejected(self, command: str, args: tuple[Any, ...], why: str) -> None:
        self.rejected += 1
        log.warning(
            "AGI command refused by Asterisk: %s %s: %s",
            command,
            " ".join(map(str, args)),
            why,
            extra={"agi_command": command, "channel": self.env.get("agi_channel")},
        )
