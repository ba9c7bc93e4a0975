"""Civil Code Art. 203: a duty whose last day is a rest day ends at 24:00 of the next working
day; the rest days are the State Council's, shipped per year in the policy pack (issue 14).

《民法典》第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
期间的最后一日的截止时间为二十四时。
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from shouhu import Engine, FakeClock, InvalidInput
from shouhu.engine import deadlines as dl
from shouhu.engine.periods import parse_period
from shouhu.engine.policy import PolicyPack, parse_pack, shipped_packs
from shouhu.engine.restdays import ART_203, days_of

ZONE = "Asia/Shanghai"
NATIONAL = "cn-national-default@2026.2"


def national() -> PolicyPack:
    return parse_pack(shipped_packs()[NATIONAL], "national-2026.2.toml")


def runs_out(period: str, start: date, pack: PolicyPack | None = None) -> datetime:
    """When a duty of ``period`` started on ``start`` runs out under ``pack``'s rest days."""
    pack = pack or national()
    rule = replace(pack.rule("assessment"), period=parse_period(period))
    return rule.due_under(start, ZONE, pack.calendar)[0]


def cst(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the periods, to the second ----------------------------------------------------------------


def test_a_fifteen_day_duty_ending_in_the_national_day_holiday_runs_to_the_day_after_it() -> None:
    """Started Sun 2026-09-20 (a make-up working day): the 15th day is 10-05, inside the
    National Day rest (10-01…10-07), so the last day is 10-08 and it runs out at 10-09 00:00."""
    end = runs_out("P15D", date(2026, 9, 20))
    assert end == cst("2026-10-09T00:00:00+08:00")
    assert end - timedelta(microseconds=1) < cst("2026-10-09T00:00:00+08:00") <= end


def test_a_duty_ending_on_a_make_up_working_saturday_is_not_extended() -> None:
    """20 days from 2026-09-20 end on Sat 10-10, a day the notice makes a working day."""
    assert runs_out("P20D", date(2026, 9, 20)) == cst("2026-10-11T00:00:00+08:00")


def test_a_duty_ending_on_a_sunday_moves_to_monday() -> None:
    """14 days from 2026-08-23 end on Sun 09-06: the last day is Mon 09-07."""
    assert runs_out("P14D", date(2026, 8, 23)) == cst("2026-09-08T00:00:00+08:00")


def test_a_duty_ending_on_a_working_day_ends_as_arts_201_and_202_count() -> None:
    assert runs_out("P15D", date(2026, 3, 2)) == cst("2026-03-18T00:00:00+08:00")  # Tue 03-17


def test_a_month_long_duty_whose_last_day_is_in_the_spring_festival_moves_past_it() -> None:
    """P1M from 2026-01-15: last day Sun 02-15, in the Spring Festival rest (02-15…02-23), so
    the last day is Tue 02-24 and the duty runs out at 02-25 00:00."""
    assert runs_out("P1M", date(2026, 1, 15)) == cst("2026-02-25T00:00:00+08:00")


def test_a_last_day_in_a_year_without_a_notice_is_not_extended_and_is_flagged() -> None:
    rule = replace(national().rule("assessment"), period=parse_period("P15D"))
    end, extension = rule.due_under(date(2026, 12, 20), ZONE, national().calendar)
    assert end == cst("2027-01-05T00:00:00+08:00")  # Arts 201-202 only: 2027 is unknown
    assert extension is not None
    assert extension.unknown_year == 2027
    assert extension.effect()["extended"] is False


def test_a_last_day_on_a_working_new_years_eve_needs_no_notice_for_the_next_year() -> None:
    """Last day Thu 2026-12-31 is a working day: no extension needed, nothing flagged."""
    rule = replace(national().rule("assessment"), period=parse_period("P15D"))
    end, extension = rule.due_under(date(2026, 12, 16), ZONE, national().calendar)
    assert end == cst("2027-01-01T00:00:00+08:00")
    assert extension is not None
    assert extension.unknown_year is None
    assert not extension.moved


def test_maturities_and_calendar_aligned_duties_do_not_move() -> None:
    pack = national()
    six_months = pack.rule("nonperformance_six_months")
    assert not six_months.extends
    assert six_months.due_under(date(2026, 3, 31), ZONE, pack.calendar) == (
        cst("2026-10-01T00:00:00+08:00"),  # last day 09-30: a maturity does not wait
        None,
    )
    assert not pack.rule("monthly_visit").extends
    assert not pack.rule("dispatch").extends  # counted in hours: Art. 203 is about days


def test_a_pack_without_a_calendar_extends_nothing() -> None:
    old = parse_pack(shipped_packs()["cn-national-default@2026.1"])
    assert not old.calendar
    assert runs_out("P15D", date(2026, 9, 20), old) == cst("2026-10-06T00:00:00+08:00")


# --- the shipped calendar is the State Council's ---------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_a_shipped_year_is_a_rest_day_exactly_when_chinese_calendar_says(
    year: int,
) -> None:
    """Cross-checked against a maintained package (chinese-calendar) for every day of the
    years both cover: holidays, weekends and the make-up working days."""
    calendar = national().calendar.year(year)
    assert calendar is not None
    assert calendar.citation == f"国务院办公厅关于{year}年部分节假日安排的通知"
    day = date(year, 1, 1)
    wrong = []
    while day.year == year:
        if calendar.is_rest(day) != (not chinese_calendar.is_workday(day)):
            wrong.append(day.isoformat())
        day += timedelta(days=1)
    assert wrong == []


# --- the pack's tables -------------------------------------------------------------------------


BASE = '[pack]\nname = "city"\nversion = "1"\nextends = "cn-national-default@2026.2"\n'


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('[calendar.2027]\nrest = ["2027-10-01"]\n', "citation"),
        ('[calendar.2027]\nrest = ["2026-10-01"]\ncitation = "n"\n', "is not in 2027"),
        ('[calendar.2027]\nwork = ["2027-10-11"]\ncitation = "n"\n', "is a weekday"),
        (
            '[calendar.2027]\nrest = ["2027-10-09"]\nwork = ["2027-10-09"]\ncitation = "n"\n',
            "both a rest day and a working day",
        ),
        ('[calendar.2027]\nrest = ["2027-10-07/2027-10-01"]\ncitation = "n"\n', "not a date"),
        ('[calendar.27]\ncitation = "n"\n', "is a year, YYYY"),
        ('[calendar.2027]\nholidays = []\ncitation = "n"\n', "unknown key 'holidays'"),
        ("[deadlines.assessment]\nart203 = false\n", "needs art203_reason"),
        ("[deadlines.nonperformance_six_months]\nart203 = true\n", "this one never does"),
        ("[deadlines.dispatch]\nart203 = false\nart203_reason = 'x'\n", "this one never does"),
    ],
)
def test_a_bad_calendar_or_art203_entry_is_refused_naming_what_is_wrong(
    extra: str, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_pack(BASE + extra, "city.toml")


def test_a_city_pack_adds_a_year_and_opts_a_duty_out_with_a_reason() -> None:
    pack = parse_pack(
        BASE
        + '[deadlines.assessment]\nart203 = false\nart203_reason = "the city counts '
        + 'working days itself"\n'
        + '[calendar.2027]\nrest = ["2027-01-01"]\n'
        + 'citation = "国务院办公厅关于2027年部分节假日安排的通知"\n',
        "city.toml",
    )
    assert [y.year for y in pack.calendar.years] == [2025, 2026, 2027]
    assert not pack.rule("assessment").extends
    assert pack.rule("assessment_start").extends
    assert parse_pack(pack.to_toml(), "effective.toml") == pack


def test_days_of_reads_a_day_or_a_range_with_both_ends() -> None:
    assert days_of("2026-10-01/2026-10-03") == [date(2026, 10, d) for d in (1, 2, 3)]
    assert days_of("2026-10-01") == [date(2026, 10, 1)]


# --- in the engine: the started effect and the deadline row ------------------------------------


def test_a_started_duty_records_its_move_past_rest_days_in_the_event() -> None:
    changes = dl.on_event(
        national(),
        ZONE,
        case_id="C",
        existing=(),
        trigger="start_assessment",
        data={},
        when=cst("2026-09-20T10:00:00+08:00"),
        seq=6,
        closes=False,
    )
    (started,) = changes.effects
    assert started["due_at"] == "2026-10-09T00:00:00+08:00"
    assert started["rest_days"] == {
        "last_day": "2026-10-05",
        "extended_to": "2026-10-08",
        "citation": ART_203,
        "notices": ["国务院办公厅关于2026年部分节假日安排的通知"],
    }
    assert changes.writes[0].deadline.due_at == cst("2026-10-09T00:00:00+08:00").astimezone(UTC)


def test_an_engine_under_the_2026_2_pack_files_and_verifies_an_extended_duty() -> None:
    pack = parse_pack(
        BASE + '[deadlines.dispatch]\nperiod = "P15D"\nnote = "a test of Art. 203"\n', "city.toml"
    )
    clock = FakeClock(cst("2026-09-20T09:00:00+08:00"))
    engine = Engine.in_memory(clock=clock, policy=pack)
    case = engine.report(
        "solo_living",
        child={"name": "李小红", "birthdate": "2016-04-10"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
    )
    (row,) = case.deadlines
    assert row["due_at"] == "2026-10-09T00:00:00+08:00"
    assert "rest_days_unknown_year" not in row
    assert engine.verify().ok


def test_a_pending_duty_due_in_a_year_without_a_notice_is_flagged_in_its_view() -> None:
    pack = parse_pack(BASE + '[deadlines.dispatch]\nperiod = "P15D"\n', "city.toml")
    engine = Engine.in_memory(clock=FakeClock(cst("2026-12-20T09:00:00+08:00")), policy=pack)
    case = engine.report(
        "solo_living",
        child={"name": "李小红", "birthdate": "2016-04-10"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
    )
    (row,) = case.deadlines
    assert row["rest_days_unknown_year"] == 2027
    (event,) = case.history
    assert event.effects["deadlines"][0]["rest_days"]["unknown_year"] == 2027


def test_policy_show_names_the_rest_days_and_the_duties_they_move(tmp_path: Path) -> None:
    pack = tmp_path / "national.toml"
    pack.write_text(shipped_packs()[NATIONAL], encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shouhu",
            "--policy",
            str(pack),
            "policy",
            "show",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shown = json.loads(done.stdout)
    assert shown["id"] == NATIONAL
    assert [y["year"] for y in shown["rest_days"]] == [2025, 2026]
    assert "2026-10-05" in shown["rest_days"][1]["rest"]
    assert shown["rest_days"][1]["work"] == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"
    ]  # fmt: skip
    assert shown["rest_days"][1]["extends"] == [
        "assessment_start",
        "assessment",
        "guardian_restored",
        "guardian_redesignation",
        "missing_child_township",
        "petition_by_others",
        "quarterly_submission",  # 15 days after the quarter: counted in days, it extends
    ]


def test_a_duty_counted_from_a_birthdate_shows_no_rest_day_that_would_date_it() -> None:
    """A city's duty counted from the birthdate and moved past rest days: its due time and
    the days that moved it are withheld wherever the identity is."""
    pack = parse_pack(
        BASE
        + '[deadlines.birthday_check]\nkind = "duty"\nperiod = "P15D"\n'
        + 'applies_to = ["child_watch"]\nstarts_on = ["register:birthdate"]\n'
        + 'met_by = ["record_visit"]\ncancelled_by = []\nbasis = "local"\ncitation = "test"\n',
        "city.toml",
    )
    engine = Engine.in_memory(clock=FakeClock(cst("2026-12-06T09:00:00+08:00")), policy=pack)
    watch = engine.register(
        "child",
        person={"name": "李小红", "birthdate": "2014-09-21"},  # 2014: a year with no notice
        location="石桥村, 青山镇",
        actor={"name": "石桥村村委会", "role": "village_committee"},
        data={"parents_away": "both"},
    )
    shown = json.dumps(watch.to_dict(ZONE), ensure_ascii=False)
    assert "2014" not in shown  # not the due time, not the year the calendar lacks
    (recorded,) = [
        e for e in engine.history(watch.id)[0].effects["deadlines"] if e["kind"] == "birthday_check"
    ]
    assert recorded["rest_days"]["unknown_year"] == 2014  # in the event, for the audit
