"""Parsing and showing instants. A time without an offset is local time of the jurisdiction."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shouhu.errors import InvalidInput

MIN_YEAR = 1900
MAX_YEAR = 2200


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; bad input if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}", field="zone") from exc


def parse_instant(value: str | datetime | date, tz: str, *, field: str = "time") -> datetime:
    """An aware UTC datetime from ISO 8601 text (or a datetime/date); naive means local in ``tz``.

    A bare date means the start of that day, local time.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            raise InvalidInput(f"{field}: {value[:40]!r} is not an ISO 8601 date-time", field=field)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(
                f"{field}: {text!r} is not a valid ISO 8601 date-time ({exc})", field=field
            ) from exc
    else:
        raise InvalidInput(f"{field}: expected an ISO 8601 date-time", field=field)
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise InvalidInput(f"{field}: year {dt.year} is out of range", field=field)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(f"{field}: {value!r} is out of range", field=field) from exc


def parse_day(value: str | date, *, field: str = "date") -> date:
    """A calendar date from ``YYYY-MM-DD`` text (or a date)."""
    if isinstance(value, datetime):
        raise InvalidInput(f"{field}: expected a date, not a date-time", field=field)
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) != 10:
            raise InvalidInput(f"{field}: {value[:40]!r} is not a date (YYYY-MM-DD)", field=field)
        try:
            d = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(
                f"{field}: {text!r} is not a valid date ({exc})", field=field
            ) from exc
    else:
        raise InvalidInput(f"{field}: expected a date (YYYY-MM-DD)", field=field)
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise InvalidInput(f"{field}: year {d.year} is out of range", field=field)
    return d


def local(dt: datetime, tz: str) -> datetime:
    """``dt`` shown in the jurisdiction's zone."""
    return dt.astimezone(zone(tz))


_LOCAL_ISO: dict[tuple[datetime, str], str] = {}


def local_iso(dt: datetime, tz: str) -> str:
    """ISO 8601 in local time with its offset, seconds precision unless there are fractions."""
    key = (dt, tz)  # a batch shows the same few instants many times: format each once
    text = _LOCAL_ISO.get(key)
    if text is None:
        shown = local(dt, tz)
        spec = "seconds" if shown.microsecond == 0 else "microseconds"
        if len(_LOCAL_ISO) >= 4096:
            _LOCAL_ISO.clear()
        text = _LOCAL_ISO[key] = shown.isoformat(timespec=spec)
    return text


_UTC_ISO: dict[datetime, str] = {}


def utc_iso(dt: datetime) -> str:
    """The canonical form used in hashes: UTC, microseconds, ``Z``."""
    text = _UTC_ISO.get(dt)  # equal instants in any zone hash alike and have one UTC text
    if text is None:
        u = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
        if len(_UTC_ISO) >= 4096:
            _UTC_ISO.clear()
        text = _UTC_ISO[dt] = u.isoformat("T", "microseconds")[:26] + "Z"
    return text


def local_date(dt: datetime, tz: str) -> date:
    return local(dt, tz).date()
