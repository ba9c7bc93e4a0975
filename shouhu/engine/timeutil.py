"""Parsing and showing instants. A time without an offset is local time of the jurisdiction.

Every date and instant a person or a caller gives is read here, in the forms an operator
writes them: ``2016-04-10``, ``2016年4月10日``, ``2016/4/10``, ``20160410`` (full-width digits
too), with a time for an instant (``2026年3月2日 8:30``, ``8点30分``, ``8时30分``, ``８：３０``) and
ISO 8601 with or without an offset (none: local time). A bad value names the forms.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shouhu.errors import InvalidInput
from shouhu.i18n import _

MIN_YEAR = 1900
MAX_YEAR = 2200


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; bad input if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            _("unknown time zone {zone}").format(zone=repr(name)), field="zone"
        ) from exc


#: The forms a date is written in, shown when one cannot be read.
DATE_FORMS: Final = "2016-04-10, 2016年4月10日, 2016/4/10, 20160410"
#: The forms an instant is written in, shown when one cannot be read.
INSTANT_FORMS: Final = "2026-03-02 08:30, 2026年3月2日 8:30, 2026/3/2 8:30, 2026-03-02T08:30+08:00"

_DATE = (
    r"(?P<y>\d{4})(?:"
    r"-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})"
    r"|/(?P<m2>\d{1,2})/(?P<d2>\d{1,2})"
    r"|\.(?P<m3>\d{1,2})\.(?P<d3>\d{1,2})"
    r"|(?P<m4>\d{2})(?P<d4>\d{2})"
    r"| ?年 ?(?P<m5>\d{1,2}) ?月 ?(?P<d5>\d{1,2}) ?[日号]?"
    r")"
)
_CLOCK = (
    r"(?P<half>上午|下午|晚上|早上|凌晨|中午)? ?(?:"
    r"(?P<h1>\d{1,2}):(?P<mi1>\d{2})(?::(?P<s1>\d{2})(?:\.(?P<f1>\d{1,6}))?)?"
    r"|(?P<h2>\d{1,2}) ?[点时] ?(?:(?P<mi2>\d{1,2}) ?分 ?(?:(?P<s2>\d{1,2}) ?秒)?|(?P<ban>半))?"
    r"|(?P<h3>\d{2})(?P<mi3>\d{2})(?P<s3>\d{2})?"
    r")"
)
_OFFSET = r"(?P<z>z|utc|[+-]\d{2}(?::?\d{2})?)"
_DAY_RE = re.compile(rf"^{_DATE}$")
_INSTANT_RE = re.compile(rf"^{_DATE}(?:(?: |t)?{_CLOCK} ?{_OFFSET}?)?$")


def _normal(text: str) -> str:
    """NFKC (full-width digits, colons and letters half-width), trimmed, lower case, one space
    for each run of spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def _day_of(m: re.Match[str]) -> date:
    y = int(m["y"])
    mo = next(m[f"m{i}"] for i in range(1, 6) if m[f"m{i}"] is not None)
    d = next(m[f"d{i}"] for i in range(1, 6) if m[f"d{i}"] is not None)
    return date(y, int(mo), int(d))


def _clock_of(m: re.Match[str]) -> time:
    if m["h1"] is not None:
        h, mi, s = int(m["h1"]), int(m["mi1"]), int(m["s1"] or 0)
        us = int((m["f1"] or "0").ljust(6, "0"))
    elif m["h2"] is not None:
        h, s, us = int(m["h2"]), int(m["s2"] or 0), 0
        mi = 30 if m["ban"] else int(m["mi2"] or 0)
    elif m["h3"] is not None:
        h, mi, s, us = int(m["h3"]), int(m["mi3"]), int(m["s3"] or 0), 0
    else:
        return time()
    half = m["half"]
    if half is not None and h > 12:
        raise ValueError("an hour after noon with 上午/下午")
    if (half in ("下午", "晚上") and h < 12) or (half == "中午" and h < 11):
        h += 12
    return time(h, mi, s, us)


def _offset_of(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text in ("z", "utc"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[2:]) if len(digits) > 2 else 0
    if minutes > 59:
        raise ValueError("minutes of an offset")
    minutes += int(digits[:2]) * 60
    return timezone(sign * timedelta(minutes=minutes))


def read_day(text: str) -> date | None:
    """The calendar date ``text`` is written as (:data:`DATE_FORMS`, full-width too), or
    None."""
    m = _DAY_RE.match(_normal(text))
    if m is None:
        return None
    try:
        return _day_of(m)
    except ValueError:
        return None


def read_instant(text: str) -> datetime | None:
    """The date-time ``text`` is written as (:data:`INSTANT_FORMS`, a date alone, ISO 8601
    with or without an offset, full-width digits and colons, 8点30分, 8时30分, 下午3点), naive
    when no offset is given; or None."""
    norm = _normal(text)
    m = _INSTANT_RE.match(norm)
    try:
        if m is not None:
            dt = datetime.combine(_day_of(m), _clock_of(m))
            offset = _offset_of(m["z"])
            return dt if offset is None else dt.replace(tzinfo=offset)
        return datetime.fromisoformat(norm.upper())  # the rest of ISO 8601 Python reads
    except ValueError:
        return None


def _not_a_date(field: str, value: object) -> InvalidInput:
    return InvalidInput(
        _("{field}: {value} is not a valid date; use {forms}").format(
            field=field, value=repr(str(value)[:40]), forms=_forms(DATE_FORMS)
        ),
        field=field,
    )


def _not_an_instant(field: str, value: object) -> InvalidInput:
    return InvalidInput(
        _("{field}: {value} is not a valid date-time; use {forms}").format(
            field=field, value=repr(str(value)[:40]), forms=_forms(INSTANT_FORMS)
        ),
        field=field,
    )


def _forms(forms: str) -> str:
    """A list of forms joined in the user's language: "a, b, c or d" / "a、b、c 或 d"."""
    parts = forms.split(", ")
    return _("{forms} or {last}").format(forms=_(", ").join(parts[:-1]), last=parts[-1])


def parse_instant(value: str | datetime | date, tz: str, *, field: str = "time") -> datetime:
    """An aware UTC datetime from text in one of :data:`INSTANT_FORMS` (or a datetime/date);
    naive means local in ``tz``.

    A bare date means the start of that day, local time.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, str):
        read = read_instant(value) if 0 < len(value.strip()) <= 40 else None
        if read is None:
            raise _not_an_instant(field, value)
        dt = read
    else:
        raise _not_an_instant(field, value)
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise InvalidInput(
            _("{field}: year {year} is out of range").format(field=field, year=dt.year),
            field=field,
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(
            _("{field}: {value} is out of range").format(field=field, value=repr(value)),
            field=field,
        ) from exc


def stored_instant(text: str) -> datetime:
    """An instant the engine wrote itself (:func:`local_iso`: ISO 8601 with its offset, as in
    an event's ``effects``), in UTC — read by the standard library's ISO reader, which reads
    that form exactly and twenty times faster than :func:`parse_instant`'s forms for people;
    any other text goes through :func:`parse_instant` (and its refusals)."""
    try:
        dt = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return parse_instant(text, "UTC")
    if dt.tzinfo is None or not MIN_YEAR <= dt.year <= MAX_YEAR:
        return parse_instant(text, "UTC")
    return dt.astimezone(UTC)


def parse_day(value: str | date, *, field: str = "date") -> date:
    """A calendar date from text in one of :data:`DATE_FORMS` (or a date)."""
    if isinstance(value, datetime):
        raise InvalidInput(
            _("{field}: expected a date, not a date-time").format(field=field), field=field
        )
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        read = read_day(value) if 0 < len(value.strip()) <= 40 else None
        if read is None:
            raise _not_a_date(field, value)
        d = read
    else:
        raise _not_a_date(field, value)
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise InvalidInput(
            _("{field}: year {year} is out of range").format(field=field, year=d.year),
            field=field,
        )
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


def day_start(day: date, tz: str) -> datetime:
    """The UTC instant of 00:00 of the local ``day`` in ``tz`` (where a report's day starts)."""
    begins = datetime.combine(day, time(0), tzinfo=zone(tz))
    return begins.astimezone(UTC)
