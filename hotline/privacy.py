"""Privacy: one masking policy, by role, for personal data leaving hotline (API answers, CSV, pages,
live views).

A role listed in `transcription.redact_for_roles` (supervisors and departments by default) sees a
caller's number with all but its last two digits masked, a caller's name as initials, and free text
(transcripts, request descriptions and notes) with written and dictated numbers masked
(hotline.text.masking).
Other roles see data in clear. `Masking.record` applies the policy to any answer by its field names,
nested or not, so each place that sends data out applies the same rule in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from hotline.settings import Settings
from hotline.text.masking import redact

# talking_to: the number of the caller an operator is talking to (live views).
NUMBER_FIELDS = frozenset({"caller_number", "connected_number", "talking_to"})
NAME_FIELDS = frozenset({"caller_name", "connected_name"})
TEXT_FIELDS = frozenset({"description", "status_notes", "note", "text", "snippet"})

T = TypeVar("T")


def mask_number(number: str | None) -> str | None:
    """All but the last two characters masked: enough to tell two callers apart, not to call one."""
    return number if not number else "*" * max(len(number) - 2, 0) + number[-2:]


def mask_name(name: str | None) -> str | None:
    return name if not name else " ".join(word[0] + "." for word in name.split())


@dataclass(frozen=True)
class Masking:
    active: bool

    def number(self, value: str | None) -> str | None:
        return mask_number(value) if self.active else value

    def name(self, value: str | None) -> str | None:
        return mask_name(value) if self.active else value

    def text(self, value: str) -> str:
        return redact(value) if self.active else value

    def record(self, data: T) -> T:
        """`data` (dicts and lists of them) with personal fields masked; the input is left alone."""
        if not self.active:
            return data
        return self._walk(data)  # type: ignore[no-any-return]

    def _walk(self, data: Any) -> Any:
        if isinstance(data, list):
            return [self._walk(item) for item in data]
        if not isinstance(data, dict):
            return data
        masked: dict[str, Any] = {}
        for key, value in data.items():
            if key in NUMBER_FIELDS and isinstance(value, str):
                masked[key] = mask_number(value)
            elif key in NAME_FIELDS and isinstance(value, str):
                masked[key] = mask_name(value)
            elif key in TEXT_FIELDS and isinstance(value, str):
                masked[key] = redact(value)
            else:
                masked[key] = self._walk(value)
        return masked


def masks(settings: Settings, role: str) -> bool:
    """Whether personal data is masked for `role`."""
    return str(role) in settings.transcription.redact_for_roles


def masking_for(settings: Settings, role: str) -> Masking:
    return Masking(active=masks(settings, role))
