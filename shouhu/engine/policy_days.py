"""A pack's days: the rest days of ``[calendar.YYYY]`` tables, by which Civil Code Art. 203
moves a duty's last day (:class:`~shouhu.engine.restdays.YearCalendar`), and the school
holidays of ``[holidays.NAME]`` tables, before which a school hands each child over
(:class:`Holiday`; 001 §四(二)3). Read and checked here, with the line and the key of anything
refused."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from shouhu.engine.restdays import YearCalendar, days_of
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.policy_rules import _Where

_HOLIDAY = re.compile(r"^\d{4}-[a-z][a-z0-9_-]{0,30}$")


@dataclass(frozen=True, slots=True)
class Holiday:
    """A school holiday of a ``[holidays.NAME]`` table (``2027-winter``): its first day and
    the clause or calendar it comes from. A duty ``align = "holidays"`` falls due at 00:00 of
    the first day."""

    name: str
    first_day: date
    citation: str
    note: str = ""

    def starts(self, zone: str) -> datetime:
        """00:00 local of the first day, as aware UTC: the duty before it is due then."""
        return datetime.combine(self.first_day, datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)


def parse_calendar(tables: Any, where: _Where) -> tuple[YearCalendar, ...]:
    """The ``[calendar.YYYY]`` tables of a pack: each year's statutory holiday rest days
    (``rest``), the weekend days worked in exchange (``work``), and the notice (``citation``).
    A day is ``YYYY-MM-DD`` or a range ``YYYY-MM-DD/YYYY-MM-DD``."""
    if not isinstance(tables, dict):
        raise where.error(None, "calendar", _("calendar must be [calendar.YYYY] tables"))
    out = []
    for key, body in tables.items():
        table = f"calendar.{key}"
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            raise where.error(
                "calendar", key, _("{table}: the table's name is a year, YYYY").format(table=table)
            )
        if not isinstance(body, dict):
            raise where.error("calendar", key, _("{table} must be a table").format(table=table))
        unknown = set(body) - {"rest", "work", "citation"}
        if unknown:
            bad = sorted(unknown)[0]
            raise where.error(
                table, bad, _("unknown key {key!r} (rest, work, citation)").format(key=bad)
            )
        citation = body.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            raise where.error(table, "citation", _("citation: the State Council notice, as text"))
        year = int(key)
        rest = _days(body, "rest", year, table, where)
        work = _days(body, "work", year, table, where)
        for day in sorted(work):
            if day.weekday() < 5:
                raise where.error(
                    table,
                    "work",
                    _("{day} is a weekday: work lists weekend days worked").format(
                        day=day.isoformat()
                    ),
                )
        both = rest & work
        if both:
            first = min(both).isoformat()
            raise where.error(
                table, "work", _("{first} is both a rest day and a working day").format(first=first)
            )
        out.append(YearCalendar(year, rest, work, citation.strip()))
    return tuple(sorted(out, key=lambda y: y.year))


def parse_holidays(tables: Any, where: _Where) -> tuple[Holiday, ...]:
    """The ``[holidays.NAME]`` tables of a pack (``NAME``: the year and a word,
    ``2027-winter``): each school holiday's ``first_day`` (YYYY-MM-DD), its ``citation``
    (where the date comes from) and an optional ``note``; in the order of their first days."""
    if not isinstance(tables, dict):
        raise where.error(None, "holidays", _("holidays must be [holidays.NAME] tables"))
    out: list[Holiday] = []
    for key, body in tables.items():
        table = f"holidays.{key}"
        if not (isinstance(key, str) and _HOLIDAY.match(key)):
            raise where.error(
                "holidays",
                key,
                _("{table}: the name is the year and a word, e.g. 2027-winter").format(table=table),
            )
        if not isinstance(body, dict):
            raise where.error("holidays", key, _("{table} must be a table").format(table=table))
        unknown = set(body) - {"first_day", "citation", "note"}
        if unknown:
            bad = sorted(unknown)[0]
            raise where.error(
                table, bad, _("unknown key {key!r} (first_day, citation, note)").format(key=bad)
            )
        value = body.get("first_day")
        first: date | None = None
        if isinstance(value, date) and not isinstance(value, datetime):
            first = value
        elif isinstance(value, str):
            try:
                first = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
            except ValueError:
                first = None
        if first is None:
            raise where.error(
                table,
                "first_day",
                _("first_day must be a date, YYYY-MM-DD, not {value!r}").format(value=value),
            )
        if str(first.year) != key[:4]:
            raise where.error(
                table,
                "first_day",
                _("{first} is not in {year}").format(first=first.isoformat(), year=key[:4]),
            )
        citation = body.get("citation")
        if not isinstance(citation, str) or not citation.strip():
            raise where.error(table, "citation", _("citation: where the first day comes from"))
        note = body.get("note", "")
        if not isinstance(note, str):
            raise where.error(table, "note", _("note must be text"))
        same = next((h for h in out if h.first_day == first), None)
        if same is not None:
            raise where.error(
                table,
                "first_day",
                _("{first} is also the first day of {name}").format(
                    first=first.isoformat(), name=same.name
                ),
            )
        out.append(Holiday(key, first, citation.strip(), note.strip()))
    return tuple(sorted(out, key=lambda h: h.first_day))


def _days(
    body: Mapping[str, Any], key: str, year: int, table: str, where: _Where
) -> frozenset[date]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(
            table, key, _("{key} must be a list of dates (YYYY-MM-DD[/YYYY-MM-DD])").format(key=key)
        )
    out: set[date] = set()
    for text in value:
        try:
            days = days_of(text)
        except ValueError:
            raise where.error(
                table,
                key,
                _("{text!r} is not a date or a range (YYYY-MM-DD[/YYYY-MM-DD])").format(text=text),
            ) from None
        if any(d.year != year for d in days):
            raise where.error(
                table, key, _("{text!r} is not in {year}").format(text=text, year=year)
            )
        out.update(days)
    return frozenset(out)
