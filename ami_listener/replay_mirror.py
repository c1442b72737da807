"""What a replayed PBX has at the current replay point, to answer the snapshot lists (QueueStatus,
CoreShowChannels) in the list format the captures show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ami_listener.capture import parse_frame

_CHANNEL_FIELDS = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)
_MEMBER_FIELDS = (
    "Queue",
    "MemberName",
    "Interface",
    "StateInterface",
    "Membership",
    "Penalty",
    "CallsTaken",
    "LastCall",
    "LastPause",
    "LoginTime",
    "InCall",
    "Status",
    "Paused",
    "PausedReason",
    "Wrapuptime",
)


def frame(lines: Iterable[tuple[str, str]]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in lines) + "\r\n").encode()


def event_list(action_id: str, message: str, items: list[bytes], complete: str, now: float) -> list[bytes]:
    """A list action's answer: Success with EventList start, the item events, then the Complete event."""
    start = [("Response", "Success"), ("ActionID", action_id), ("EventList", "start"), ("Message", message)]
    end = [
        ("Event", complete),
        ("Timestamp", f"{now:.6f}"),
        ("ActionID", action_id),
        ("EventList", "Complete"),
        ("ListItems", str(len(items))),
    ]
    return [frame(start), *items, frame(end)]


_MIRRORED = (
    b"Event: Newchannel\r",
    b"Event: Newstate\r",
    b"Event: NewCallerid\r",
    b"Event: Hangup\r",
    b"Event: QueueCaller",
    b"Event: QueueMember",
)


def event_needs_queue(h: dict[str, str]) -> bool:
    return h.get("Event", "").startswith(("QueueCaller", "QueueMember"))


@dataclass
class Mirror:
    """What the PBX had at the current replay point, to answer snapshot lists."""

    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    waiting: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # queue -> [(uniqueid, wall)]
    members: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    queues: set[str] = field(default_factory=set)
    started: dict[str, float] = field(default_factory=dict)

    def observe(self, data: bytes, wall: float) -> None:
        if not data.startswith(_MIRRORED):
            return
        h = parse_frame(data)
        if "Queue" not in h and event_needs_queue(h):
            return  # a truncated frame: a real PBX never sends it, nothing to mirror
        event = h.get("Event", "")
        uniqueid = h.get("Uniqueid")
        if event == "Newchannel" and uniqueid:
            self.channels[uniqueid] = h
            self.started[uniqueid] = wall
        elif event == "Hangup" and uniqueid:
            self.channels.pop(uniqueid, None)
            self.started.pop(uniqueid, None)
        elif uniqueid in self.channels:
            self.channels[uniqueid] = {
                **self.channels[uniqueid],
                **{k: h[k] for k in _CHANNEL_FIELDS if k in h},
            }
        if event == "QueueCallerJoin":
            self.queues.add(h["Queue"])
            self.waiting.setdefault(h["Queue"], []).append((h.get("Uniqueid", ""), wall))
        elif event in ("QueueCallerLeave", "QueueCallerAbandon"):
            queue = self.waiting.get(h.get("Queue", ""), [])
            queue[:] = [w for w in queue if w[0] != h.get("Uniqueid")]
        elif event.startswith("QueueMember") and "Interface" in h:
            self.queues.add(h["Queue"])
            key = (h["Queue"], h["Interface"])
            if event == "QueueMemberRemoved":
                self.members.pop(key, None)
            else:
                self.members[key] = h

    def queue_status(self, action_id: str, now: float) -> list[bytes]:
        frames: list[bytes] = []
        for queue in sorted(self.queues):
            waiting = self.waiting.get(queue, [])
            frames.append(
                frame(
                    [
                        ("Event", "QueueParams"),
                        ("Queue", queue),
                        ("Calls", str(len(waiting))),
                        ("ActionID", action_id),
                    ]
                )
            )
            for (member_queue, _), h in sorted(self.members.items()):
                if member_queue != queue:
                    continue
                lines = [("Event", "QueueMember")]
                for key in _MEMBER_FIELDS:
                    out_key = {"MemberName": "Name", "Interface": "Location"}.get(key, key)
                    lines.append((out_key, h.get(key, "")))
                frames.append(frame([*lines, ("ActionID", action_id)]))
            for position, (uniqueid, joined) in enumerate(waiting, start=1):
                ch = self.channels.get(uniqueid, {})
                frames.append(
                    frame(
                        [
                            ("Event", "QueueEntry"),
                            ("Queue", queue),
                            ("Position", str(position)),
                            ("Channel", ch.get("Channel", "")),
                            ("Uniqueid", uniqueid),
                            ("CallerIDNum", ch.get("CallerIDNum", "<unknown>")),
                            ("CallerIDName", ch.get("CallerIDName", "<unknown>")),
                            ("Wait", str(int(now - joined))),
                            ("Priority", "0"),
                            ("ActionID", action_id),
                        ]
                    )
                )
        return event_list(action_id, "Queue status will follow", frames, "QueueStatusComplete", now)

    def core_show_channels(self, action_id: str, now: float) -> list[bytes]:
        frames: list[bytes] = []
        for uniqueid, h in self.channels.items():
            seconds = max(0, int(now - self.started.get(uniqueid, now)))
            duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            lines = [("Event", "CoreShowChannel"), ("ActionID", action_id)]
            lines += [(k, h.get(k, "")) for k in _CHANNEL_FIELDS]
            lines += [("Application", ""), ("ApplicationData", ""), ("Duration", duration), ("BridgeId", "")]
            frames.append(frame(lines))
        return event_list(action_id, "Channels will follow", frames, "CoreShowChannelsComplete", now)
