"""Input types that stop at the edge, with 422, what the database would refuse with a 500.

The limits come from the columns: an id beyond the column's integer type, a string with a NUL
(PostgreSQL text cannot hold one) or an unpaired surrogate (not encodable as UTF-8), a moment so far
off that converting it to UTC overflows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator
from sqlalchemy import BigInteger, Integer, SmallInteger
from sqlalchemy.orm import InstrumentedAttribute

from hotline.models import Incident, Recording, Transcript

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def column_max(column: InstrumentedAttribute[Any]) -> int:
    """The largest value an integer column holds on every supported database (int4 on PostgreSQL)."""
    kind = column.property.columns[0].type
    if isinstance(kind, BigInteger):
        return 2**63 - 1
    if isinstance(kind, SmallInteger):
        return 2**15 - 1
    if isinstance(kind, Integer):
        return 2**31 - 1
    raise TypeError(f"{column} is not an integer column")


def storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode text (unpaired surrogate)") from None
    return value


def within_range(value: datetime) -> datetime:
    try:
        moment = value if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date out of range") from None
    if not EARLIEST.replace(tzinfo=None) <= moment.replace(tzinfo=None) <= LATEST.replace(tzinfo=None):
        raise ValueError(f"date out of range ({EARLIEST.year}..{LATEST.year})")
    return value


def day_within_range(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError(f"date out of range ({EARLIEST.year}..{LATEST.year})")
    return value


Text = Annotated[str, AfterValidator(storable)]
Moment = Annotated[datetime, AfterValidator(within_range)]
# A calendar day (a report's day or period start), within the same years as a Moment.
Day = Annotated[date, AfterValidator(day_within_range)]
RecordingId = Annotated[int, Path(ge=1, le=column_max(Recording.id))]
TranscriptId = Annotated[int, Path(ge=1, le=column_max(Transcript.id))]
IncidentId = Annotated[int, Path(ge=1, le=column_max(Incident.id))]
