"""Legal periods, counted the way the Civil Code of the PRC counts them.

A period in the workflows is written as an ISO 8601 duration (``P6M``, ``P15D``, ``PT24H``) and
turned into the *instant it runs out* — the first instant at which "the period has passed" is true.

Civil Code, Book One, Chapter Ten (期间计算):

* **Art. 200** — periods are counted by the Gregorian calendar, in years, months, days and hours.
* **Art. 201** — a period counted in years, months or days does not count the day on which it
  starts; counting begins the next day. A period counted in hours begins at the very instant
  (this module treats minutes and seconds like hours).
* **Art. 202** — a period counted in months or years ends on the corresponding day of the last
  month; where that month has no such day, it ends on that month's last day.
* **Art. 203** — where the last day is a statutory holiday (a rest day) the period is extended to
  the day after the rest days; the last day ends at 24:00. The 24:00 is applied here; the
  extension needs the State Council's calendar of rest days, which a policy pack carries, and is
  applied to the duties that take it by :mod:`shouhu.engine.restdays`.
* **Art. 204** — the law or the parties may agree otherwise; this module encodes the default.
* **Art. 1259** — "以上" (… or more) includes the number itself: a ground that needs "six months or
  more" holds from the instant six months have run out, not one second earlier.

So for a calendar period the result is 00:00 local time on the day *after* the last day (24:00 of
the last day), in the jurisdiction's zone (default ``Asia/Shanghai``). Example: since
2025-08-31, ``P6M`` — the last day would be 2026-02-31, which does not exist, so it is 2026-02-28,
and the period runs out at 2026-03-01T00:00+08:00. A clock period is pure elapsed time from the
starting instant, whatever the wall clock does at a DST change.

A legal period counts either in calendar units (years, months, weeks, days) or in clock units
(hours, minutes, seconds), never both: ``P1DT12H`` is refused. Weeks are folded into days.

Pure: no I/O, no wall clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _, one_or_many

#: The jurisdiction's zone unless a caller says otherwise (China Standard Time, no DST).
DEFAULT_ZONE: Final[str] = "Asia/Shanghai"

# Nominal lengths, used only to refuse absurd periods: a Gregorian year averages 365.2425 days.
_SECONDS_PER_YEAR: Final[int] = 31_556_952
_SECONDS_PER_MONTH: Final[int] = _SECONDS_PER_YEAR // 12
_MAX_YEARS: Final[int] = 1000
_MAX_NOMINAL_SECONDS: Final[int] = _MAX_YEARS * _SECONDS_PER_YEAR
_MAX_DIGITS: Final[int] = 15  # more significant digits than this exceed 1000 years in any unit

_ISO_DURATION: Final[re.Pattern[str]] = re.compile(
    r"P"
    r"(?:(?P<years>[0-9]+)Y)?"
    r"(?:(?P<months>[0-9]+)M)?"
    r"(?:(?P<weeks>[0-9]+)W)?"
    r"(?:(?P<days>[0-9]+)D)?"
    r"(?:T"
    r"(?:(?P<hours>[0-9]+)H)?"
    r"(?:(?P<minutes>[0-9]+)M)?"
    r"(?:(?P<seconds>[0-9]+)S)?"
    r")?",
    re.ASCII,
)

_UNITS: Final[tuple[str, ...]] = ("years", "months", "days", "hours", "minutes", "seconds")
#: Each unit's words for a number of it, in the user's language (``6 months``, ``1 hour``);
#: the singular and the plural are two ids (Chinese has one form for both).
_UNIT_WORDS: Final[dict[str, Callable[[int], str]]] = {
    "years": lambda n: one_or_many(n, N_("{n} year"), N_("{n} years")).format(n=n),
    "months": lambda n: one_or_many(n, N_("{n} month"), N_("{n} months")).format(n=n),
    "days": lambda n: one_or_many(n, N_("{n} day"), N_("{n} days")).format(n=n),
    "hours": lambda n: one_or_many(n, N_("{n} hour"), N_("{n} hours")).format(n=n),
    "minutes": lambda n: one_or_many(n, N_("{n} minute"), N_("{n} minutes")).format(n=n),
    "seconds": lambda n: one_or_many(n, N_("{n} second"), N_("{n} seconds")).format(n=n),
}
_EXAMPLES: Final[str] = N_("such as 'P6M', 'P15D', 'P2W' or 'PT24H'")


_PERIOD_TEXT: dict[Period, str] = {}  # periods come from policy packs: a handful


@dataclass(frozen=True, slots=True)
class Period:
    """A legal period: either calendar units (years, months, days) or clock units (h, min, s).

    Weeks are folded into days when parsing. Construction validates: every part is a
    non-negative ``int``, at least one is positive, calendar and clock parts are not mixed, and the
    whole is at most 1000 years. A bad period raises :class:`InvalidInput` (``field="period"``).
    """

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def __post_init__(self) -> None:
        parts = {unit: getattr(self, unit) for unit in _UNITS}
        for unit, value in parts.items():
            if type(value) is not int:
                raise InvalidInput(
                    _("period part {unit}={value!r} is not a whole number").format(
                        unit=unit, value=value
                    ),
                    field="period",
                )
        problem = _problem(**parts)
        if problem is not None:
            shown = ", ".join(f"{unit}={value}" for unit, value in parts.items() if value)
            raise InvalidInput(
                _("period ({parts}) {problem}").format(
                    parts=shown or _("all zero"), problem=problem
                ),
                field="period",
            )

    @property
    def is_calendar(self) -> bool:
        """True when counted in years/months/days (Art. 201–202); False when in clock units."""
        return bool(self.years or self.months or self.days)

    def __str__(self) -> str:
        """The ISO 8601 form, e.g. ``P6M``, ``P1Y6M``, ``P14D``, ``PT1H30M``."""
        text = _PERIOD_TEXT.get(self)  # every deadline effect shows its period
        if text is None:
            text = _PERIOD_TEXT[self] = self._iso()
        return text

    def _iso(self) -> str:
        if self.is_calendar:
            return "P" + "".join(
                f"{value}{designator}"
                for value, designator in ((self.years, "Y"), (self.months, "M"), (self.days, "D"))
                if value
            )
        return "PT" + "".join(
            f"{value}{designator}"
            for value, designator in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )


def _problem(
    *, years: int, months: int, days: int, hours: int, minutes: int, seconds: int
) -> str | None:
    """What is wrong with these parts as a legal period, or None. Parts are ints."""
    if min(years, months, days, hours, minutes, seconds) < 0:
        return _("is negative; a legal period counts forward")
    calendar_part = years or months or days
    clock_part = hours or minutes or seconds
    if calendar_part and clock_part:
        return _(
            "mixes calendar units (years, months, weeks, days) with clock units "
            "(hours, minutes, seconds); a legal period counts either in calendar units "
            "or in clock units, not both"
        )
    if not (calendar_part or clock_part):
        return _("is zero; a legal period must have a length")
    nominal = (
        years * _SECONDS_PER_YEAR
        + months * _SECONDS_PER_MONTH
        + days * 86_400
        + hours * 3_600
        + minutes * 60
        + seconds
    )
    if nominal > _MAX_NOMINAL_SECONDS:
        return _("is longer than {years} years").format(years=_MAX_YEARS)
    return None


def _shown(text: str) -> str:
    """The offending text, quoted, cut short if long (error messages stay one line)."""
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


@lru_cache(maxsize=256)
def parse_period(text: str) -> Period:
    """Parse an ISO 8601 duration (``P6M``, ``P1Y6M``, ``P2W``, ``PT1H30M``) into a :class:`Period`.

    Surrounding whitespace is ignored; designators must be upper case. Refuses, with
    :class:`InvalidInput` (``field="period"``): empty text, anything not an ISO duration,
    negative or fractional numbers, a zero period, a period mixing calendar and clock units,
    and one longer than 1000 years.
    """
    stripped = text.strip()
    shown = _shown(stripped)
    if not stripped:
        raise InvalidInput(
            _("period is empty; expected an ISO 8601 duration {examples}").format(
                examples=_(_EXAMPLES)
            ),
            field="period",
        )
    match = _ISO_DURATION.fullmatch(stripped)
    if match is None:
        if "-" in stripped:
            reason = _("is negative; a legal period counts forward")
        elif "." in stripped or "," in stripped:
            reason = _("has a fractional number; a legal period counts whole units")
        elif stripped != stripped.upper() and _ISO_DURATION.fullmatch(stripped.upper()):
            reason = _("must use upper-case designators ({upper!r})").format(upper=stripped.upper())
        else:
            reason = _("is not an ISO 8601 duration {examples}").format(examples=_(_EXAMPLES))
        raise InvalidInput(
            _("period {shown} {reason}").format(shown=shown, reason=reason), field="period"
        )
    groups = match.groupdict()
    if all(value is None for value in groups.values()):
        raise InvalidInput(
            _("period {shown} names no units; expected e.g. 'P6M' or 'PT24H'").format(shown=shown),
            field="period",
        )
    if stripped.endswith("T"):
        raise InvalidInput(
            _("period {shown} has a 'T' with no hours, minutes or seconds after it").format(
                shown=shown
            ),
            field="period",
        )
    numbers: dict[str, int] = {}
    for unit, digits in groups.items():
        significant = (digits or "0").lstrip("0") or "0"
        if len(significant) > _MAX_DIGITS:
            reason = _("is longer than {years} years").format(years=_MAX_YEARS)
            raise InvalidInput(
                _("period {shown} {reason}").format(shown=shown, reason=reason), field="period"
            )
        numbers[unit] = int(significant)
    parts = {
        "years": numbers["years"],
        "months": numbers["months"],
        "days": numbers["days"] + 7 * numbers["weeks"],
        "hours": numbers["hours"],
        "minutes": numbers["minutes"],
        "seconds": numbers["seconds"],
    }
    problem = _problem(**parts)
    if problem is not None:
        raise InvalidInput(
            _("period {shown} {reason}").format(shown=shown, reason=problem), field="period"
        )
    return Period(**parts)


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            _("unknown time zone {zone}").format(zone=_shown(zone)), field="zone"
        ) from None


def _add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` months on; the day of month clamps to the month's end (Art. 202)."""
    year_offset, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + year_offset
    month = month_index + 1
    if year > 9999:  # date() would refuse; say it in our words
        raise OverflowError
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


_ENDS: dict[tuple[datetime | date, Period, str], datetime] = {}


def period_end(start: datetime | date, period: Period, zone: str = DEFAULT_ZONE) -> datetime:
    """The instant ``period`` counted from ``start`` has run out, as an aware datetime in ``zone``.

    Calendar periods (Art. 201–203): the start's local calendar day in ``zone`` is not counted
    (an aware ``start`` is converted to ``zone`` first; a naive one is local time in ``zone``;
    a ``date`` is that day). Years and months are added with the day clamped to the month's end,
    then days, giving the last day; the result is 00:00 in ``zone`` of the day after it.

    Clock periods run from the instant: ``start`` plus the elapsed time, in ``zone``. A bare
    ``date`` has no instant and is refused for a clock period.

    Raises :class:`InvalidInput`: unknown ``zone`` (``field="zone"``), a bare date for a clock
    period (``field="start"``), an end beyond the year 9999 (``field="period"``).
    """
    key = (start, period, zone)  # pure, and asked for the same few starts over and over
    end = _ENDS.get(key)
    if end is None:  # (a date never equals a datetime, nor a naive datetime an aware one)
        end = _period_end(start, period, zone)
        if len(_ENDS) >= 4096:
            _ENDS.clear()
        _ENDS[key] = end
    return end


def _period_end(start: datetime | date, period: Period, zone: str) -> datetime:
    tz = _zone(zone)
    try:
        if period.is_calendar:
            if isinstance(start, datetime):
                local = start.astimezone(tz) if start.tzinfo is not None else start
                start_day = local.date()
            else:
                start_day = start
            last_day = _add_months(start_day, 12 * period.years + period.months) + timedelta(
                days=period.days
            )
            matures = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
            # Normalise through UTC: where local midnight does not exist, the day ends at the
            # instant the clocks jump, shown as the wall time after the jump.
            return matures.astimezone(UTC).astimezone(tz)
        if not isinstance(start, datetime):
            raise InvalidInput(
                _(
                    "a period in hours, minutes or seconds ({period}) runs from an instant; "
                    "got the bare date {start}"
                ).format(period=period, start=start.isoformat()),
                field="start",
            )
        aware = start if start.tzinfo is not None else start.replace(tzinfo=tz)
        elapsed = timedelta(hours=period.hours, minutes=period.minutes, seconds=period.seconds)
        return (aware.astimezone(UTC) + elapsed).astimezone(tz)
    except OverflowError:
        raise InvalidInput(
            _("period {period} from {start} ends beyond the year 9999").format(
                period=period, start=start.isoformat()
            ),
            field="period",
        ) from None


def add_period(start: datetime | date, period: Period | str, zone: str = DEFAULT_ZONE) -> datetime:
    """Like :func:`period_end`, also accepting the period as ISO 8601 text (``"P6M"``)."""
    if isinstance(period, str):
        period = parse_period(period)
    return period_end(start, period, zone)


def format_period(period: Period) -> str:
    """In words, in the user's language: ``6 months``, ``1 hour``, ``15 days``,
    ``1 year 6 months`` (``6 个月`` in Chinese)."""
    words = []
    for unit in _UNITS:
        value: int = getattr(period, unit)
        if value:
            words.append(_UNIT_WORDS[unit](value))
    return " ".join(words)


__all__ = [
    "DEFAULT_ZONE",
    "Period",
    "add_period",
    "format_period",
    "parse_period",
    "period_end",
]
