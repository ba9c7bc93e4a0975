"""Civil Code Art. 203: a period whose last day is a rest day ends on the next working day.

《民法典》第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
期间的最后一日的截止时间为二十四时。

Which days are rest days (法定休假日) is not a rule one can compute: each year the State
Council's General Office publishes the year's public holidays and the weekend days worked in
exchange (调休上班). A policy pack carries them, a year at a time, each year citing its notice
(:class:`YearCalendar`); a rest day is a statutory holiday the notice names, or a Saturday or
Sunday the notice does not make a working day. A period's last day (Arts 201–202, in
:mod:`shouhu.engine.periods`) that is a rest day moves to the day after the rest days end
(:func:`extend`). A last day in a year the pack has no notice for cannot be judged: the period
ends as Arts 201–202 count it, and :class:`Extension` says which year was missing, so the
deadline is flagged rather than silently assumed.

Pure: no I/O, no wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: The clause, as the effects and views cite it.
ART_203 = (
    "民法典第二百零三条 — 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"
)


@dataclass(frozen=True, slots=True)
class YearCalendar:
    """One year's rest days as the State Council's notice sets them: its statutory holiday
    rest days (``rest``) and the weekend days it makes working days (``work``)."""

    year: int
    rest: frozenset[date]
    work: frozenset[date]
    citation: str

    def is_rest(self, day: date) -> bool:
        """A statutory holiday of the notice, or a weekend day it does not make a working day."""
        if day in self.rest:
            return True
        return day.weekday() >= 5 and day not in self.work


@dataclass(frozen=True, slots=True)
class RestCalendar:
    """The years a pack has a notice for. Empty: the pack applies no Art. 203 extension (a
    pack from before calendars were shipped), and nothing is flagged."""

    years: tuple[YearCalendar, ...] = ()
    _by_year: Mapping[int, YearCalendar] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_year", MappingProxyType({y.year: y for y in self.years}))

    def __bool__(self) -> bool:
        return bool(self.years)

    def year(self, year: int) -> YearCalendar | None:
        return self._by_year.get(year)

    def merged(self, newer: Iterable[YearCalendar]) -> RestCalendar:
        """This calendar with ``newer``'s years added or put in place of its own."""
        by_year = dict(self._by_year)
        by_year.update({y.year: y for y in newer})
        return RestCalendar(tuple(by_year[k] for k in sorted(by_year)))


def unknown_year(item: Mapping[str, object]) -> int | None:
    """The year a deadline's ``started`` or ``rejudged`` effect says Art. 203 could not judge
    for want of its rest days (``rest_days.unknown_year``), or None: judged."""
    rest = item.get("rest_days")
    year = rest.get("unknown_year") if isinstance(rest, Mapping) else None
    return year if isinstance(year, int) else None


@dataclass(frozen=True, slots=True)
class Extension:
    """What Art. 203 did to one period: its last day by Arts 201–202 (``last_day``), the last
    day after rest days (``moved_to``; the same day when it is a working day), and the notices
    relied on. ``unknown_year``: the year of a day that had to be judged and that the calendar
    has no notice for — then the period is not extended and the deadline is flagged."""

    last_day: date
    moved_to: date
    citations: tuple[str, ...] = ()
    unknown_year: int | None = None

    @property
    def moved(self) -> bool:
        return self.moved_to != self.last_day

    def effect(self) -> dict[str, object]:
        """The ``rest_days`` member of a deadline's ``started`` effect (recorded in the hash)."""
        out: dict[str, object] = {"last_day": self.last_day.isoformat(), "citation": ART_203}
        if self.unknown_year is not None:
            out["unknown_year"] = self.unknown_year
            out["extended"] = False
            return out
        out["extended_to"] = self.moved_to.isoformat()
        out["notices"] = list(self.citations)
        return out


def extend(end: datetime, calendar: RestCalendar, zone: str) -> tuple[datetime, Extension]:
    """The instant a calendar period runs out under Art. 203, given ``end`` — when it runs out
    by Arts 201–202 (00:00 in ``zone`` of the day after its last day) — and the rest days.

    The last day moves past every rest day after it; the period then runs out at 24:00 of the
    new last day. A day to judge in a year without a notice stops the walk: ``end`` is kept and
    the :class:`Extension` names the year."""
    tz = ZoneInfo(zone)
    last = end.astimezone(tz).date() - timedelta(days=1)
    day = last
    notices: dict[str, None] = {}
    while True:
        year = calendar.year(day.year)
        if year is None:
            return end, Extension(last, last, tuple(notices), unknown_year=day.year)
        if not year.is_rest(day):
            break
        notices[year.citation] = None
        day += timedelta(days=1)
    if day == last:
        return end, Extension(last, last, ())
    moved = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return moved.astimezone(UTC).astimezone(tz), Extension(last, day, tuple(notices))


def days_of(text: str) -> list[date]:
    """The days ``text`` names: one ISO date (``2026-10-01``) or an ISO 8601 interval of
    dates, both ends included (``2026-10-01/2026-10-07``). ``ValueError`` if it is neither."""
    first, sep, last = text.partition("/")
    start = date.fromisoformat(first.strip())
    if not sep:
        return [start]
    stop = date.fromisoformat(last.strip())
    if stop < start:
        raise ValueError(f"{text!r} ends before it starts")
    return [start + timedelta(days=i) for i in range((stop - start).days + 1)]


__all__ = ["ART_203", "Extension", "RestCalendar", "YearCalendar", "days_of", "extend"]
