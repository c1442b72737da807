"""HTTP Range requests for recordings, read as RFC 9110 section 14 says.

`Range` is only a wish: a server may serve the whole file instead. So a header we cannot read (another
unit, bad syntax, too many ranges) is ignored and the whole file served; ranges none of which can be
satisfied get 416; otherwise the satisfiable ranges are passed on, written plainly, to the file
response. Either way the caller learns whether content will be served, which is what the audit needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_RANGES = 100  # more is a broken client or a denial of service: serve the whole file instead
_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE = re.compile(r"-([0-9]+)")


@dataclass(frozen=True)
class RangePlan:
    header: str | None  # the Range header to serve by; None serves the whole file (200)
    satisfiable: bool = True  # False: answer 416, no content


def plan_range(header: str | None, size: int) -> RangePlan:
    if header is None:
        return RangePlan(None)
    unit, equals, range_set = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return RangePlan(None)  # a unit we do not know MUST be ignored
    specs = [part.strip() for part in range_set.split(",")]
    specs = [spec for spec in specs if spec]  # empty list elements are allowed and mean nothing
    if not specs or len(specs) > MAX_RANGES:
        return RangePlan(None)
    satisfiable: list[str] = []
    for spec in specs:
        if match := _INT_RANGE.fullmatch(spec):
            first, last = int(match[1]), match[2]
            if last and int(last) < first:
                return RangePlan(None)  # an invalid range set: ignored, the whole file is served
            if first < size:
                satisfiable.append(f"{first}-{int(last) if last else ''}")
        elif match := _SUFFIX_RANGE.fullmatch(spec):
            if int(match[1]) > 0 and size > 0:
                satisfiable.append(f"-{int(match[1])}")
        else:
            return RangePlan(None)
    if not satisfiable:
        return RangePlan(None, satisfiable=False)
    return RangePlan("bytes=" + ",".join(satisfiable))
