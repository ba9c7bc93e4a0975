"""The pre-holiday handover (假期前交接, 001 §四(二)3 市教育局): a duty per child on the ledger,
due at 00:00 (Asia/Shanghai) of each holiday's first day in the pack, met by the school's
``record_handover`` in the pack's window before it; missed, the county education bureau is told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shouhu import Engine, FakeClock
from shouhu.engine.policy import PolicyPack, parse_pack, shipped_packs
from shouhu.errors import InvalidInput, TransitionRefused

NATIONAL = "cn-national-default@2026.2"
VC = {"name": "村儿童主任", "role": "village_committee"}
SCHOOL = {"name": "青山小学", "role": "school"}
PLACE = "青山村, 白水镇"
SUMMER = "2026-07-04T00:00:00+08:00"
WINTER = "2027-01-23T00:00:00+08:00"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def national() -> PolicyPack:
    return parse_pack(shipped_packs()[NATIONAL])


def registered(at: str = "2026-06-01T09:00") -> tuple[Engine, FakeClock, str]:
    clock = FakeClock(local(at))
    engine = Engine.in_memory(clock=clock, policy=national())
    case_id = engine.register(
        "child",
        person={"name": "张三", "birthdate": "2015-04-30"},
        location=PLACE,
        actor=VC,
        data={"parents_away": "both"},
    ).id
    return engine, clock, case_id


def handovers(engine: Engine, case_id: str) -> list[tuple[str, str]]:
    return [
        (d["due_at"], d["status"])
        for d in engine.deadlines(case_id=case_id)
        if d["kind"] == "holiday_handover"
    ]


def hand_over(engine: Engine, clock: FakeClock, case_id: str, at: str, to: str = "family") -> None:
    clock.set(local(at))
    engine.fire(case_id, "record_handover", actor=SCHOOL, data={"to": to})


def test_a_child_on_the_ledger_is_due_a_handover_before_the_next_holiday() -> None:
    engine, _, case_id = registered()
    assert handovers(engine, case_id) == [(SUMMER, "pending")]
    row = next(d for d in engine.deadlines(case_id=case_id) if d["kind"] == "holiday_handover")
    assert "假期前" in row["citation"]


def test_a_handover_at_the_last_second_before_the_holiday_meets_it_and_winters_starts() -> None:
    engine, clock, case_id = registered()
    hand_over(engine, clock, case_id, "2026-07-03T23:59:59", to="village_committee")
    assert handovers(engine, case_id) == [(SUMMER, "met"), (WINTER, "pending")]
    facts = engine.case(case_id).facts
    assert facts["last_handover_to"] == "village_committee"
    assert facts["handovers"] == 1
    assert engine.verify().ok


def test_a_handover_at_the_holidays_first_second_is_late_and_the_bureau_is_told() -> None:
    """At 2026-07-04T00:00:00+08:00 the summer duty is missed first (the catch-up), with a
    notice to the county education bureau; the handover is before winter's window: pending."""
    engine, clock, case_id = registered()
    hand_over(engine, clock, case_id, "2026-07-04T00:00:00")
    assert handovers(engine, case_id) == [(SUMMER, "missed"), (WINTER, "pending")]
    triggers = [e.trigger for e in engine.history(case_id)]
    assert triggers == ["register", "deadline_missed", "record_handover"]
    told = [n for n in engine.notices(case_id=case_id) if n.kind == "deadline_missed"]
    assert [n.recipient for n in told] == ["county education bureau (县级教育行政部门)"]
    assert "张三" not in repr(told)
    assert "2015-04-30" not in repr(told)


def test_the_scheduler_records_a_missed_handover_at_the_holidays_first_day() -> None:
    engine, clock, case_id = registered()
    clock.set(local("2026-07-03T23:59:59"))
    assert [f.kind for f in engine.run_due()] == []
    clock.set(local("2026-07-04T00:00:00"))
    fired = [(f.kind, f.trigger) for f in engine.run_due()]
    assert ("holiday_handover", "deadline_missed") in fired
    assert handovers(engine, case_id) == [(SUMMER, "missed"), (WINTER, "pending")]
    assert engine.verify().ok


def test_a_handover_before_the_window_opens_does_not_meet_the_duty() -> None:
    """The pack's window is the 14 days before the first day: from 2026-06-20T00:00:00."""
    engine, clock, case_id = registered()
    hand_over(engine, clock, case_id, "2026-06-19T23:59:59")
    assert handovers(engine, case_id) == [(SUMMER, "pending")]
    hand_over(engine, clock, case_id, "2026-06-20T00:00:00", to="entrusted_guardian")
    assert handovers(engine, case_id) == [(SUMMER, "met"), (WINTER, "pending")]


def test_a_child_registered_at_the_holidays_first_second_is_due_before_the_next() -> None:
    engine, _, case_id = registered("2026-07-04T00:00:00")
    assert handovers(engine, case_id) == [(WINTER, "pending")]
    engine, _, case_id = registered("2026-07-03T23:59:59")
    assert handovers(engine, case_id) == [(SUMMER, "pending")]


def test_after_the_packs_last_holiday_no_handover_is_due() -> None:
    engine, clock, case_id = registered("2027-06-25T09:00")
    assert handovers(engine, case_id) == [("2027-07-03T00:00:00+08:00", "pending")]
    hand_over(engine, clock, case_id, "2027-07-01T10:00")
    assert handovers(engine, case_id) == [("2027-07-03T00:00:00+08:00", "met")]
    engine, _, case_id = registered("2027-07-10T09:00")
    assert handovers(engine, case_id) == []


def test_only_a_school_records_a_handover() -> None:
    engine, clock, case_id = registered()
    clock.set(local("2026-06-25T10:00"))
    with pytest.raises(TransitionRefused, match="role"):
        engine.fire(case_id, "record_handover", actor=VC, data={"to": "family"})
    with pytest.raises(InvalidInput, match="to"):
        engine.fire(case_id, "record_handover", actor=SCHOOL, data={"to": "neighbour"})


# --- the pack's holidays ---------------------------------------------------------------------

CITY = """\
[pack]
name = "city"
version = "1"
extends = "cn-national-default@2026.2"

[holidays.2027-winter]
first_day = "2027-01-16"
citation = "省教育厅 2026—2027学年校历"
"""


def test_a_citys_pack_moves_a_holiday_by_its_name_and_keeps_the_others() -> None:
    pack = parse_pack(CITY, "city.toml")
    days = {h.name: h.first_day.isoformat() for h in pack.holidays}
    assert days == {
        "2026-summer": "2026-07-04",
        "2027-winter": "2027-01-16",
        "2027-summer": "2027-07-03",
    }
    assert parse_pack(pack.to_toml()) == pack


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('first_day = "2027-13-01"\ncitation = "x"', 7, "holidays.2027-winter.first_day"),
        ('first_day = "2028-01-16"\ncitation = "x"', 7, "is not in 2027"),
        ('first_day = "2027-01-16"', 6, "holidays.2027-winter.citation"),
        ('first_day = "2027-01-16"\ncitation = "x"\nlast_day = "2027-02-20"', 9, "last_day"),
    ],
)
def test_a_bad_holiday_is_refused_naming_its_line(body: str, line: int, message: str) -> None:
    text = CITY.split("[holidays")[0] + "[holidays.2027-winter]\n" + body + "\n"
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_pack(text, "city.toml")
    assert f"line {line}:" in caught.value.message


def test_a_holiday_duty_needs_a_window_in_days_or_months() -> None:
    text = CITY + '\n[deadlines.holiday_handover]\nperiod = "PT12H"\n'
    with pytest.raises(InvalidInput, match=r"line \d+: deadlines.holiday_handover.period"):
        parse_pack(text, "city.toml")
