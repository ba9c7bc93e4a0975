"""Legal periods: Civil Code Arts. 200–204 and 1259, as ``shouhu.engine.periods`` counts them."""

from __future__ import annotations

import calendar
import dataclasses
import inspect
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhu.engine import periods
from shouhu.engine.periods import (
    DEFAULT_ZONE,
    Period,
    add_period,
    format_period,
    parse_period,
    period_end,
)
from shouhu.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "UTC")
PROPERTY = settings(deadline=None, database=None, max_examples=300)


def matured(start: datetime | date, period: str, at: datetime, zone: str = DEFAULT_ZONE) -> bool:
    """Whether ``period`` since ``start`` has run out at ``at`` (Art. 1259: 以上 includes it)."""
    return at >= add_period(start, period, zone)


def assert_matures_exactly(
    start: datetime | date,
    period: str,
    expected: str,
    just_before: str,
    zone: str = DEFAULT_ZONE,
) -> None:
    """``period`` since ``start`` runs out at ``expected`` exactly: not at ``just_before``."""
    end = add_period(start, period, zone)
    assert end.isoformat() == expected
    assert end.tzinfo == ZoneInfo(zone)
    assert matured(start, period, datetime.fromisoformat(expected), zone)
    assert not matured(start, period, datetime.fromisoformat(just_before), zone)
    assert datetime.fromisoformat(expected) - datetime.fromisoformat(just_before) == timedelta(
        seconds=1
    )


# --- The worked examples, to the second (Asia/Shanghai, UTC+8) -------------------------------


def test_six_months_from_january_15_matures_on_july_16_not_a_second_earlier() -> None:
    """Since 2026-01-15, P6M: the last day is 07-15, so it runs out at 07-16 00:00."""
    assert_matures_exactly(
        date(2026, 1, 15), "P6M", "2026-07-16T00:00:00+08:00", "2026-07-15T23:59:59+08:00"
    )


def test_six_months_from_august_31_matures_on_march_1_not_a_second_earlier() -> None:
    """Since 2025-08-31, P6M: there is no 02-31, so the last day is 02-28 (Art. 202)."""
    assert_matures_exactly(
        date(2025, 8, 31), "P6M", "2026-03-01T00:00:00+08:00", "2026-02-28T23:59:59+08:00"
    )


def test_six_months_from_june_15_matures_on_december_16_not_a_second_earlier() -> None:
    """Since 2025-06-15, P6M runs out at 2025-12-16 00:00."""
    assert_matures_exactly(
        date(2025, 6, 15), "P6M", "2025-12-16T00:00:00+08:00", "2025-12-15T23:59:59+08:00"
    )


def test_child_born_march_15_2010_reaches_sixteen_at_the_start_of_march_16_2026() -> None:
    """Born 2010-03-15, P16Y: the birthday 2026-03-15 is the last day; 16 at 03-16 00:00."""
    assert_matures_exactly(
        date(2010, 3, 15), "P16Y", "2026-03-16T00:00:00+08:00", "2026-03-15T23:59:59+08:00"
    )


def test_six_months_from_june_30_matures_on_december_31_so_january_5_is_past_half_a_year() -> None:
    """Since 2025-06-30, P6M runs out at 12-31 00:00; on 2026-01-05 the half year has passed."""
    assert_matures_exactly(
        date(2025, 6, 30), "P6M", "2025-12-31T00:00:00+08:00", "2025-12-30T23:59:59+08:00"
    )
    assert matured(date(2025, 6, 30), "P6M", datetime(2026, 1, 5, 0, 0, tzinfo=SHANGHAI))
    assert matured(date(2025, 6, 30), "P6M", datetime(2026, 1, 5, 12, 0, tzinfo=SHANGHAI))


def test_six_months_from_september_1_matures_on_march_2_not_a_second_earlier() -> None:
    """Since 2025-09-01, P6M: the last day is 2026-03-01, so it runs out at 03-02 00:00."""
    assert_matures_exactly(
        date(2025, 9, 1), "P6M", "2026-03-02T00:00:00+08:00", "2026-03-01T23:59:59+08:00"
    )


def test_three_days_from_january_1_do_not_count_the_first_day_at_any_hour() -> None:
    """P3D since 2026-01-01 counts Jan 2, 3, 4 (Art. 201), whatever the hour of the start."""
    for start in (
        date(2026, 1, 1),
        datetime(2026, 1, 1, 0, 0, 0),
        datetime(2026, 1, 1, 12, 0, 0),
        datetime(2026, 1, 1, 23, 59, 59, 999_999),
        datetime(2026, 1, 1, 0, 0, 0, tzinfo=SHANGHAI),
    ):
        assert_matures_exactly(
            start, "P3D", "2026-01-05T00:00:00+08:00", "2026-01-04T23:59:59+08:00"
        )


def test_two_weeks_are_fourteen_days_counted_from_the_next_day() -> None:
    """P2W is P14D: since 2026-01-01 the last day is 01-15, running out at 01-16 00:00."""
    assert_matures_exactly(
        date(2026, 1, 1), "P2W", "2026-01-16T00:00:00+08:00", "2026-01-15T23:59:59+08:00"
    )
    assert add_period(date(2026, 1, 1), "P2W") == add_period(date(2026, 1, 1), "P14D")


# --- Leap years ------------------------------------------------------------------------------


def test_child_born_february_29_2008_turns_sixteen_after_february_29_2024() -> None:
    """Born 2008-02-29, P16Y: 2024 has a 02-29, which is the last day; 16 at 03-01 00:00."""
    assert_matures_exactly(
        date(2008, 2, 29), "P16Y", "2024-03-01T00:00:00+08:00", "2024-02-29T23:59:59+08:00"
    )


def test_child_born_february_29_2008_turns_seventeen_after_february_28_2025() -> None:
    """Born 2008-02-29, P17Y: 2025 has no 02-29, so the last day is 02-28 (Art. 202)."""
    assert_matures_exactly(
        date(2008, 2, 29), "P17Y", "2025-03-01T00:00:00+08:00", "2025-02-28T23:59:59+08:00"
    )


def test_six_months_from_august_31_2023_end_on_the_leap_day_2024() -> None:
    """Since 2023-08-31, P6M: the last day clamps to 2024-02-29; runs out at 03-01 00:00."""
    assert_matures_exactly(
        date(2023, 8, 31), "P6M", "2024-03-01T00:00:00+08:00", "2024-02-29T23:59:59+08:00"
    )


def test_one_month_from_january_31_2024_ends_on_the_leap_day() -> None:
    """Since 2024-01-31, P1M: the last day is 2024-02-29; runs out at 03-01 00:00."""
    assert_matures_exactly(
        date(2024, 1, 31), "P1M", "2024-03-01T00:00:00+08:00", "2024-02-29T23:59:59+08:00"
    )


def test_one_month_from_january_31_2025_ends_on_february_28() -> None:
    """Since 2025-01-31, P1M: the last day is 2025-02-28; runs out at 03-01 00:00."""
    assert_matures_exactly(
        date(2025, 1, 31), "P1M", "2025-03-01T00:00:00+08:00", "2025-02-28T23:59:59+08:00"
    )


# --- Year end --------------------------------------------------------------------------------


def test_one_day_from_new_years_eve_ends_on_new_years_day() -> None:
    """Since 2025-12-31, P1D: the last day is 2026-01-01; runs out at 01-02 00:00."""
    assert_matures_exactly(
        date(2025, 12, 31), "P1D", "2026-01-02T00:00:00+08:00", "2026-01-01T23:59:59+08:00"
    )


def test_six_months_from_july_31_cross_the_year_and_end_on_january_31() -> None:
    """Since 2025-07-31, P6M: the last day is 2026-01-31; runs out at 02-01 00:00."""
    assert_matures_exactly(
        date(2025, 7, 31), "P6M", "2026-02-01T00:00:00+08:00", "2026-01-31T23:59:59+08:00"
    )


# --- Clock periods run from the instant (Art. 201 ¶2) ----------------------------------------


@pytest.mark.parametrize(
    ("period", "expected", "just_before"),
    [
        ("PT1H", "2026-03-02T10:15:30+08:00", "2026-03-02T10:15:29+08:00"),
        ("PT24H", "2026-03-03T09:15:30+08:00", "2026-03-03T09:15:29+08:00"),
        ("PT30M", "2026-03-02T09:45:30+08:00", "2026-03-02T09:45:29+08:00"),
        ("PT90S", "2026-03-02T09:17:00+08:00", "2026-03-02T09:16:59+08:00"),
        ("PT1H30M", "2026-03-02T10:45:30+08:00", "2026-03-02T10:45:29+08:00"),
    ],
)
def test_clock_periods_run_from_the_very_instant_of_the_start(
    period: str, expected: str, just_before: str
) -> None:
    """An hours/minutes/seconds period starts at the instant, not the next day."""
    start = datetime(2026, 3, 2, 9, 15, 30, tzinfo=SHANGHAI)
    assert_matures_exactly(start, period, expected, just_before)


def test_twenty_four_hours_is_not_one_day() -> None:
    """PT24H ends 24 hours after the instant; P1D ends at the second midnight after it."""
    start = datetime(2026, 3, 2, 9, 15, 30, tzinfo=SHANGHAI)
    assert add_period(start, "PT24H").isoformat() == "2026-03-03T09:15:30+08:00"
    assert add_period(start, "P1D").isoformat() == "2026-03-04T00:00:00+08:00"


def test_naive_start_of_a_clock_period_is_local_time_in_the_zone() -> None:
    """A naive start is read as wall time in the zone, then the hours are added."""
    assert add_period(datetime(2026, 3, 2, 9, 15, 30), "PT1H").isoformat() == (
        "2026-03-02T10:15:30+08:00"
    )
    assert add_period(datetime(2026, 7, 1, 9, 0), "PT1H", "Europe/London").isoformat() == (
        "2026-07-01T10:00:00+01:00"
    )


def test_clock_period_from_a_bare_date_is_refused_because_it_has_no_instant() -> None:
    """An hours period needs a starting instant; a bare date is refused as field 'start'."""
    with pytest.raises(InvalidInput, match=r"runs from an instant") as refused:
        add_period(date(2026, 3, 2), "PT1H")
    assert refused.value.field == "start"


# --- Zones -----------------------------------------------------------------------------------


def test_aware_start_is_moved_into_the_zone_before_its_day_is_taken() -> None:
    """2026-01-14T17:00Z is 01:00 on the 15th in Shanghai, so P1D's last day is the 16th."""
    start = datetime(2026, 1, 14, 17, 0, 0, tzinfo=UTC)
    assert_matures_exactly(start, "P1D", "2026-01-17T00:00:00+08:00", "2026-01-16T23:59:59+08:00")


def test_aware_start_a_second_before_shanghai_midnight_keeps_its_own_day() -> None:
    """2026-01-14T15:59:59Z is 23:59:59 on the 14th in Shanghai, so P1D's last day is the 15th."""
    start = datetime(2026, 1, 14, 15, 59, 59, tzinfo=UTC)
    assert_matures_exactly(start, "P1D", "2026-01-16T00:00:00+08:00", "2026-01-15T23:59:59+08:00")


def test_the_same_instant_falls_on_different_days_in_different_zones() -> None:
    """2026-01-14T17:00Z is still the 14th in London, so P1D there runs out on the 16th."""
    start = datetime(2026, 1, 14, 17, 0, 0, tzinfo=UTC)
    assert add_period(start, "P1D", "Europe/London").isoformat() == "2026-01-16T00:00:00+00:00"
    assert add_period(start, "P1D", "UTC").isoformat() == "2026-01-16T00:00:00+00:00"
    assert add_period(start, "P1D", "America/New_York").isoformat() == ("2026-01-16T00:00:00-05:00")


def test_one_month_in_london_ends_at_local_midnight_in_summer_time() -> None:
    """Since 2026-03-01, P1M in Europe/London runs out at 2026-04-02 00:00 BST (+01:00)."""
    assert_matures_exactly(
        date(2026, 3, 1),
        "P1M",
        "2026-04-02T00:00:00+01:00",
        "2026-04-01T23:59:59+01:00",
        zone="Europe/London",
    )


def test_one_month_in_new_york_ends_at_local_midnight_across_both_dst_changes() -> None:
    """P1M in America/New_York ends at local midnight, EDT in April and EST in November."""
    assert_matures_exactly(
        date(2026, 3, 1),
        "P1M",
        "2026-04-02T00:00:00-04:00",
        "2026-04-01T23:59:59-04:00",
        zone="America/New_York",
    )
    assert_matures_exactly(
        date(2026, 10, 1),
        "P1M",
        "2026-11-02T00:00:00-05:00",
        "2026-11-01T23:59:59-05:00",
        zone="America/New_York",
    )


def test_six_months_in_utc_follow_the_same_calendar_rules() -> None:
    """Since 2025-08-31, P6M in UTC runs out at 2026-03-01T00:00Z."""
    assert_matures_exactly(
        date(2025, 8, 31),
        "P6M",
        "2026-03-01T00:00:00+00:00",
        "2026-02-28T23:59:59+00:00",
        zone="UTC",
    )


def test_hours_across_the_london_spring_change_are_elapsed_time_not_wall_time() -> None:
    """2026-03-29T00:30Z + PT2H is 02:30Z, shown as 03:30 BST, though the wall moved 3 hours."""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    end = add_period(start, "PT2H", "Europe/London")
    assert end.isoformat() == "2026-03-29T03:30:00+01:00"
    assert end == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)


def test_hours_across_the_london_autumn_change_are_elapsed_time_not_wall_time() -> None:
    """2026-10-25 00:30 BST + PT2H is 01:30 GMT: the wall clock moved only one hour."""
    start = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    end = add_period(start, "PT2H", "Europe/London")
    assert end.isoformat() == "2026-10-25T01:30:00+00:00"
    assert end.fold == 1  # the second 01:30 of the day
    # PEP 495: an aware time in a repeated hour never compares == across zones; compare in UTC.
    assert end.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_hours_across_the_new_york_spring_change_are_elapsed_time() -> None:
    """2026-03-08 01:30 EST + PT1H is 03:30 EDT (02:30 local never happens)."""
    start = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert add_period(start, "PT1H", "America/New_York").isoformat() == (
        "2026-03-08T03:30:00-04:00"
    )


def test_default_zone_is_shanghai() -> None:
    """Without a zone the jurisdiction is Asia/Shanghai."""
    assert DEFAULT_ZONE == "Asia/Shanghai"
    assert period_end(date(2026, 1, 1), Period(days=1)).tzinfo == SHANGHAI


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "America"])
def test_unknown_zone_is_refused_as_invalid_input(zone: str) -> None:
    """A zone that is not an IANA key is refused with field 'zone'."""
    with pytest.raises(InvalidInput, match=r"unknown time zone") as refused:
        add_period(date(2026, 1, 1), "P1D", zone)
    assert refused.value.field == "zone"


@pytest.mark.parametrize(
    ("start", "period"),
    [
        (date(9999, 12, 31), "P1D"),
        (date(9999, 7, 1), "P6M"),
        (date(9000, 1, 1), "P1000Y"),
        (datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "PT1H"),
    ],
)
def test_end_beyond_year_9999_is_refused_as_invalid_input(
    start: date | datetime, period: str
) -> None:
    """A period that would end past 9999-12-31 is refused, not an OverflowError."""
    with pytest.raises(InvalidInput, match=r"beyond the year 9999") as refused:
        add_period(start, period, "UTC")
    assert refused.value.field == "period"


def test_period_ending_on_the_last_representable_day_is_fine() -> None:
    """Since 9999-12-29, P1D's last day is 12-30, running out at 9999-12-31 00:00."""
    assert add_period(date(9999, 12, 29), "P1D", "UTC").isoformat() == "9999-12-31T00:00:00+00:00"


def test_add_period_accepts_text_or_period_with_the_same_result() -> None:
    """add_period('P6M') equals period_end(Period(months=6))."""
    start = datetime(2025, 8, 31, 15, 0)
    assert add_period(start, "P6M") == period_end(start, Period(months=6))
    assert add_period(start, Period(months=6), "UTC") == period_end(start, Period(months=6), "UTC")


def test_add_period_refuses_bad_text() -> None:
    """add_period parses text with parse_period, so bad text is refused the same way."""
    with pytest.raises(InvalidInput, match=r"'P1DT12H'"):
        add_period(date(2026, 1, 1), "P1DT12H")


def test_module_never_reads_the_wall_clock() -> None:
    """The module is pure: no now(), today(), utcnow() or time.time() anywhere in it."""
    source = inspect.getsource(periods)
    for forbidden in (".now(", ".today(", ".utcnow(", "time.time(", "monotonic("):
        assert forbidden not in source


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P6M", Period(months=6)),
        ("P1Y", Period(years=1)),
        ("P15D", Period(days=15)),
        ("P2W", Period(days=14)),
        ("P1W3D", Period(days=10)),
        ("PT1H", Period(hours=1)),
        ("PT24H", Period(hours=24)),
        ("PT30M", Period(minutes=30)),
        ("PT90S", Period(seconds=90)),
        ("P1Y6M", Period(years=1, months=6)),
        ("P1Y2M3D", Period(years=1, months=2, days=3)),
        ("PT1H30M", Period(hours=1, minutes=30)),
        ("PT1H2M3S", Period(hours=1, minutes=2, seconds=3)),
        ("P0Y6M", Period(months=6)),
        ("P06M", Period(months=6)),
        ("  P6M\n", Period(months=6)),
        ("\tPT24H ", Period(hours=24)),
        ("P1000Y", Period(years=1000)),
        ("P12000M", Period(months=12000)),
        ("P365242D", Period(days=365242)),
        ("PT31556952000S", Period(seconds=31_556_952_000)),
        ("P" + "0" * 5000 + "1D", Period(days=1)),
    ],
)
def test_parse_accepts_iso_8601_durations(text: str, expected: Period) -> None:
    """Upper-case ISO 8601 durations in calendar or clock units parse; weeks become days."""
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not an ISO 8601 duration"),
        ("six months", "not an ISO 8601 duration"),
        ("p6m", "upper-case"),
        ("P6m", "upper-case"),
        ("pt1h", "upper-case"),
        ("6M", "not an ISO 8601 duration"),
        ("P", "names no units"),
        ("PT", "names no units"),
        ("P1YT", "'T' with no hours"),
        ("P-1D", "negative"),
        ("-P1D", "negative"),
        ("PT-1H", "negative"),
        ("P1.5D", "fractional"),
        ("P1,5D", "fractional"),
        ("PT0.5H", "fractional"),
        ("P0D", "zero"),
        ("PT0S", "zero"),
        ("P0Y0M0D", "zero"),
        ("P0W", "zero"),
        ("P1DT12H", "either in calendar units or in clock units"),
        ("P1MT1S", "either in calendar units or in clock units"),
        ("P2WT1H", "either in calendar units or in clock units"),
        ("P1X", "not an ISO 8601 duration"),
        ("PT1D", "not an ISO 8601 duration"),
        ("P1H", "not an ISO 8601 duration"),
        ("P6M1Y", "not an ISO 8601 duration"),
        ("P6MM", "not an ISO 8601 duration"),
        ("P1Y 6M", "not an ISO 8601 duration"),
        ("P+6M", "not an ISO 8601 duration"),
        ("Ｐ６Ｍ", "not an ISO 8601 duration"),
        ("P١D", "not an ISO 8601 duration"),
        ("R2/P1D", "not an ISO 8601 duration"),
        ("P1001Y", "longer than 1000 years"),
        ("P12001M", "longer than 1000 years"),
        ("P365243D", "longer than 1000 years"),
        ("P52190W", "longer than 1000 years"),
        ("PT8766153H", "longer than 1000 years"),
        ("PT31556952001S", "longer than 1000 years"),
        ("P999Y12M1D", "longer than 1000 years"),
        ("P" + "9" * 5000 + "D", "longer than 1000 years"),
    ],
)
def test_parse_refuses_anything_but_a_positive_single_kind_iso_duration(
    text: str, reason: str
) -> None:
    """Bad period text raises InvalidInput(field='period') with a one-line reason naming it."""
    with pytest.raises(InvalidInput) as refused:
        parse_period(text)
    message = str(refused.value)
    assert refused.value.field == "period"
    assert reason in message
    assert "\n" not in message
    assert len(message) < 300
    if text.strip():
        assert repr(text.strip()[:37]).rstrip("'") in message


def test_mixed_period_message_explains_the_rule() -> None:
    """Refusing P1DT12H says a legal period counts in calendar or clock units, not both."""
    with pytest.raises(InvalidInput) as refused:
        parse_period("P1DT12H")
    assert str(refused.value) == (
        "period 'P1DT12H' mixes calendar units (years, months, weeks, days) with clock units "
        "(hours, minutes, seconds); a legal period counts either in calendar units or in clock "
        "units, not both"
    )


@pytest.mark.parametrize(
    "parts",
    [
        {},
        {"days": 0},
        {"days": -1},
        {"months": 6, "days": -1},
        {"days": 1, "hours": 12},
        {"years": 1001},
        {"days": True},
        {"hours": 1.5},
        {"months": "6"},
    ],
)
def test_period_refuses_invalid_parts_when_built_directly(parts: dict[str, object]) -> None:
    """Period(...) validates like parse_period: whole, non-negative, non-zero, not mixed, sane."""
    with pytest.raises(InvalidInput) as refused:
        Period(**parts)  # type: ignore[arg-type]
    assert refused.value.field == "period"


@pytest.mark.parametrize(
    ("text", "is_calendar"),
    [
        ("P1Y", True),
        ("P6M", True),
        ("P15D", True),
        ("P2W", True),
        ("PT1H", False),
        ("PT30M", False),
        ("PT90S", False),
    ],
)
def test_is_calendar_tells_calendar_units_from_clock_units(text: str, is_calendar: bool) -> None:
    """Y/M/W/D periods follow calendar rules; H/M/S periods run from the instant."""
    assert parse_period(text).is_calendar is is_calendar


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("P6M", "P6M"),
        ("PT1H", "PT1H"),
        ("P15D", "P15D"),
        ("P1Y6M", "P1Y6M"),
        ("P1Y2M3D", "P1Y2M3D"),
        ("PT1H30M", "PT1H30M"),
        ("PT1H2M3S", "PT1H2M3S"),
        ("PT90S", "PT90S"),
        ("P2W", "P14D"),
        ("P1W3D", "P10D"),
        ("P0Y06M", "P6M"),
        (" PT24H ", "PT24H"),
    ],
)
def test_str_gives_back_canonical_iso_8601(text: str, canonical: str) -> None:
    """str(period) is ISO 8601 with zero parts left out and weeks as days."""
    assert str(parse_period(text)) == canonical
    assert parse_period(canonical) == parse_period(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("P6M", "6 months"),
        ("P1M", "1 month"),
        ("PT1H", "1 hour"),
        ("PT24H", "24 hours"),
        ("P15D", "15 days"),
        ("P1D", "1 day"),
        ("P2W", "14 days"),
        ("P1Y", "1 year"),
        ("P16Y", "16 years"),
        ("P1Y6M", "1 year 6 months"),
        ("P1Y1M1D", "1 year 1 month 1 day"),
        ("PT1H30M", "1 hour 30 minutes"),
        ("PT1M", "1 minute"),
        ("PT1S", "1 second"),
        ("PT90S", "90 seconds"),
    ],
)
def test_format_period_says_it_in_plain_words(text: str, words: str) -> None:
    """format_period spells the parts out, singular for one."""
    assert format_period(parse_period(text)) == words


def test_periods_are_frozen_values() -> None:
    """Equal periods are equal and hash equal; a period cannot be changed."""
    assert parse_period("P2W") == Period(days=14)
    assert hash(parse_period("P6M")) == hash(Period(months=6))
    assert parse_period("P6M") != parse_period("P180D")
    period = Period(months=6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        period.months = 7  # type: ignore[misc]


# --- Properties ------------------------------------------------------------------------------

calendar_periods = (
    st.tuples(st.integers(0, 60), st.integers(0, 40), st.integers(0, 800))
    .filter(lambda parts: any(parts))
    .map(lambda parts: Period(years=parts[0], months=parts[1], days=parts[2]))
)
clock_periods = (
    st.tuples(st.integers(0, 20_000), st.integers(0, 5_000), st.integers(0, 500_000))
    .filter(lambda parts: any(parts))
    .map(lambda parts: Period(hours=parts[0], minutes=parts[1], seconds=parts[2]))
)
zones = st.sampled_from(ZONES)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
naive_datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31))
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 12, 31),
    timezones=st.sampled_from([ZoneInfo(zone) for zone in ZONES]),
)
starts = st.one_of(days, naive_datetimes, aware_datetimes)


def local_day(start: datetime | date, zone: str) -> date:
    """The calendar day of ``start`` in ``zone`` (naive = already local)."""
    if isinstance(start, datetime):
        return start.astimezone(ZoneInfo(zone)).date() if start.tzinfo else start.date()
    return start


def utc(moment: datetime) -> datetime:
    """The same instant in UTC: aware times in a DST fold compare by wall time within a zone."""
    return moment.astimezone(UTC)


@PROPERTY
@given(start=starts, period=calendar_periods, zone=zones)
def test_calendar_period_always_ends_at_local_midnight_at_least_two_days_after_start(
    start: datetime | date, period: Period, zone: str
) -> None:
    """A calendar period runs out at 00:00 in the zone, no sooner than the second midnight."""
    end = period_end(start, period, zone)
    assert end.tzinfo == ZoneInfo(zone)
    assert (end.hour, end.minute, end.second, end.microsecond) == (0, 0, 0, 0)
    assert end.utcoffset() == ZoneInfo(zone).utcoffset(end.replace(tzinfo=None))
    assert (end.date() - local_day(start, zone)).days >= 2


@PROPERTY
@given(start=starts, period=calendar_periods, zone=zones)
def test_calendar_period_last_day_is_the_months_clamped_then_the_days(
    start: datetime | date, period: Period, zone: str
) -> None:
    """Last day = start day + Y/M (day clamped to the month's end) + D; the end is the next day."""
    day = local_day(start, zone)
    month_index = day.year * 12 + day.month - 1 + period.years * 12 + period.months
    year, month = divmod(month_index, 12)
    month += 1
    clamped = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    last_day = clamped + timedelta(days=period.days)
    assert period_end(start, period, zone).date() == last_day + timedelta(days=1)


@PROPERTY
@given(start=starts, days_=st.integers(1, 5000), zone=zones)
def test_day_periods_end_exactly_n_plus_one_days_after_the_start_day(
    start: datetime | date, days_: int, zone: str
) -> None:
    """PnD: day 1 is the day after the start, so the end is the start day + n + 1, at 00:00."""
    end = period_end(start, Period(days=days_), zone)
    assert end.date() == local_day(start, zone) + timedelta(days=days_ + 1)


@PROPERTY
@given(start=starts, years=st.integers(1, 100), zone=zones)
def test_n_years_are_the_same_as_twelve_n_months(
    start: datetime | date, years: int, zone: str
) -> None:
    """PnY and P(12n)M always run out at the same instant."""
    assert utc(period_end(start, Period(years=years), zone)) == utc(
        period_end(start, Period(months=12 * years), zone)
    )


@PROPERTY
@given(first=days, gap=st.integers(0, 3000), period=calendar_periods, zone=zones)
def test_a_later_start_day_never_ends_earlier(
    first: date, gap: int, period: Period, zone: str
) -> None:
    """Monotonic: for start days a <= b, the end from a is never after the end from b."""
    second = first + timedelta(days=gap)
    assert utc(period_end(first, period, zone)) <= utc(period_end(second, period, zone))


@PROPERTY
@given(
    first=aware_datetimes,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=900)),
    period=st.one_of(calendar_periods, clock_periods),
    zone=zones,
)
def test_a_later_start_instant_never_ends_earlier(
    first: datetime, gap: timedelta, period: Period, zone: str
) -> None:
    """Monotonic in instants too, for calendar and clock periods alike."""
    second = first.astimezone(UTC) + gap
    assert utc(period_end(first, period, zone)) <= utc(period_end(second, period, zone))


@PROPERTY
@given(start=st.one_of(naive_datetimes, aware_datetimes), period=clock_periods, zone=zones)
def test_clock_period_is_exactly_start_plus_elapsed_time(
    start: datetime, period: Period, zone: str
) -> None:
    """A clock period ends at start + timedelta exactly (real elapsed time), shown in the zone."""
    tz = ZoneInfo(zone)
    instant = (start if start.tzinfo else start.replace(tzinfo=tz)).astimezone(UTC)
    elapsed = timedelta(hours=period.hours, minutes=period.minutes, seconds=period.seconds)
    end = period_end(start, period, zone)
    assert end.tzinfo == tz
    assert end.astimezone(UTC) == instant + elapsed
    assert end.astimezone(UTC) - instant == elapsed


@PROPERTY
@given(start=naive_datetimes, period=st.one_of(calendar_periods, clock_periods), zone=zones)
def test_naive_start_means_the_same_as_local_wall_time_in_the_zone(
    start: datetime, period: Period, zone: str
) -> None:
    """A naive start gives the same end as that wall time made aware in the zone."""
    aware = start.replace(tzinfo=ZoneInfo(zone))
    assert utc(period_end(start, period, zone)) == utc(period_end(aware, period, zone))


@PROPERTY
@given(period=st.one_of(calendar_periods, clock_periods))
def test_str_round_trips_through_parse(period: Period) -> None:
    """parse_period(str(p)) == p for every valid period."""
    assert parse_period(str(period)) == period


def test_one_month_from_every_day_of_2023_and_2024_ends_on_the_clamped_day_next_month() -> None:
    """P1M from day d of month m: last day = min(d, days in m+1) of month m+1; end the next day."""
    day = date(2023, 1, 1)
    checked = 0
    while day <= date(2024, 12, 31):
        next_year, next_month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        days_in_next = calendar.monthrange(next_year, next_month)[1]
        last_day = date(next_year, next_month, min(day.day, days_in_next))
        end = period_end(day, Period(months=1))
        assert end == datetime(last_day.year, last_day.month, last_day.day, tzinfo=SHANGHAI) + (
            timedelta(days=1)
        )
        assert 28 <= (last_day - day).days <= 31
        checked += 1
        day += timedelta(days=1)
    assert checked == 731
