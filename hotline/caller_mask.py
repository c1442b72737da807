"""The one masking policy for a caller's number and name (wallboard, TV screens, transcripts, drill-down).

(Numbers said inside a transcript are hotline.text.masking's job.)

Roles listed in `transcription.redact_for_roles` (and every TV screen) see a caller as the last two
digits of the number and the first name with an initial: enough to tell callers apart, not to call them.
"""

from __future__ import annotations

from typing import Any

KEEP_DIGITS = 2


def mask_number(number: str | None) -> str | None:
    if not number:
        return number
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= KEEP_DIGITS:
        return "•" * len(number)
    return "•" * (len(digits) - KEEP_DIGITS) + "".join(digits[-KEEP_DIGITS:])


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    words = name.split()
    if len(words) == 1:
        return words[0][0] + "."
    return words[0] + " " + " ".join(word[0] + "." for word in words[1:])


def masked_view(view: dict[str, Any]) -> dict[str, Any]:
    """A copy of one live view (JSON form) with caller numbers and names masked.

    Only what holds a caller is copied (this runs for every change a masked viewer gets).
    """
    out = dict(view)
    out["queues"] = [
        {**queue, "waiting": [_masked_caller(caller) for caller in queue.get("waiting", [])]}
        for queue in view.get("queues", [])
    ]
    out["calls"] = [_masked_caller(call) for call in view.get("calls", [])]
    out["agents"] = [
        {**agent, "talking_to": mask_number(agent.get("talking_to"))} for agent in view.get("agents", [])
    ]
    return out


def _masked_caller(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "caller_number": mask_number(item.get("caller_number")),
        "caller_name": mask_name(item.get("caller_name")),
    }
