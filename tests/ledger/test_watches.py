"""The ledger's watches through the library: registration, refusals, standing duties, links."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import Engine, FakeClock
from shouhu.errors import Conflict, InvalidInput, TransitionRefused

VC = {"name": "村儿童主任", "role": "village_committee"}
TOWNSHIP = {"name": "镇民政办", "role": "township"}
PLACE = "青山村, 白水镇"
CHILD = {"parents_away": "both", "guardian": "张奶奶", "agreement_signed": True}


def local(text: str) -> datetime:
    """A local (Asia/Shanghai) wall time as aware UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def engine_at(text: str) -> tuple[Engine, FakeClock]:
    clock = FakeClock(local(text))
    return Engine.in_memory(clock=clock), clock


def child(engine: Engine, name: str = "张三", birthdate: str = "2015-04-30", **kw: Any) -> str:
    return engine.register(
        "child",
        person={"name": name, "birthdate": birthdate, **kw},
        location=PLACE,
        actor=VC,
        data=CHILD,
    ).id


def due(engine: Engine, case_id: str, kind: str) -> list[tuple[str, str]]:
    return [
        (d["due_at"], d["status"]) for d in engine.deadlines(case_id=case_id) if d["kind"] == kind
    ]


# --- refusals --------------------------------------------------------------------------------


def test_a_child_born_2010_03_15_is_registered_at_2026_03_15_23_59_59() -> None:
    """Still 15 at the last second of the 16th birthday: on the ledger."""
    engine, _ = engine_at("2026-03-15T23:59:59")
    case_id = child(engine, birthdate="2010-03-15")
    assert engine.case(case_id).state == "on_ledger"


def test_a_child_born_2010_03_15_is_refused_from_2026_03_16() -> None:
    """At 2026-03-16T00:00:00+08:00 the child is 16: refused, naming the rule, nothing written."""
    engine, _ = engine_at("2026-03-16T00:00:00")
    with pytest.raises(InvalidInput, match=r"under_16 .*2026-03-16T00:00:00\+08:00"):
        child(engine, birthdate="2010-03-15")
    assert list(engine.cases()) == []


def test_a_woman_whose_husband_left_2025_06_30_qualifies_on_2026_01_05() -> None:
    """Half a year (P6M, Civil Code counting) has run: she is on the ledger."""
    engine, _ = engine_at("2026-01-05T09:00")
    view = engine.register(
        "woman",
        person={"name": "李四", "birthdate": "1990-01-01"},
        location=PLACE,
        actor=TOWNSHIP,
        data={"husband_away_since": "2025-06-30"},
    )
    assert view.facts["husband_away_since"] == "2025-06-30"


def test_a_woman_whose_husband_left_2025_09_01_is_refused_on_2026_01_05() -> None:
    """Less than half a year: refused with the rule and when it would hold."""
    engine, _ = engine_at("2026-01-05T09:00")
    with pytest.raises(InvalidInput, match=r"half_year \(002 §一\).*2026-03-02T00:00:00\+08:00"):
        engine.register(
            "woman",
            person={"name": "李四", "birthdate": "1990-01-01"},
            location=PLACE,
            actor=TOWNSHIP,
            data={"husband_away_since": "2025-09-01"},
        )
    assert list(engine.cases()) == []


@pytest.mark.parametrize(
    ("id_number", "why"),
    [("110105201504300014", "check digit"), ("110105201504290018", "birth")],
)
def test_an_id_number_with_a_wrong_check_digit_or_birth_date_is_refused(
    id_number: str, why: str
) -> None:
    """GB 11643: the check digit and the embedded birth date must agree."""
    engine, _ = engine_at("2026-01-05T09:00")
    with pytest.raises(InvalidInput, match=why):
        child(engine, id_number=id_number)
    assert list(engine.cases()) == []


def test_a_role_that_keeps_no_ledger_is_refused() -> None:
    """Police do not register: TransitionRefused (exit 3)."""
    engine, _ = engine_at("2026-01-05T09:00")
    with pytest.raises(TransitionRefused, match="role"):
        engine.register(
            "child",
            person={"name": "张三", "birthdate": "2015-04-30"},
            location=PLACE,
            actor={"name": "李警官", "role": "police"},
            data=CHILD,
        )


def test_a_person_registered_twice_is_a_conflict_naming_the_existing_case() -> None:
    """Same name, birthdate and village, or the same id number, among open watches."""
    engine, _ = engine_at("2026-01-05T09:00")
    first = child(engine, id_number="11010520150430001X")
    with pytest.raises(Conflict, match=first):
        child(engine)
    with pytest.raises(Conflict, match=first):
        child(engine, name="张叁", id_number="11010520150430001X")
    engine.fire(first, "moved_away", actor=VC)
    assert child(engine) != first  # closed watches do not count


# --- standing duties -------------------------------------------------------------------------


def test_the_first_monthly_visit_is_the_month_after_registration() -> None:
    """Registered in January: February's visit is due 2026-03-01T00:00, the quarter's at 07-01."""
    engine, _ = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    assert due(engine, case_id, "monthly_visit") == [("2026-03-01T00:00:00+08:00", "pending")]
    assert due(engine, case_id, "quarterly_update") == [("2026-07-01T00:00:00+08:00", "pending")]


def test_a_visit_at_the_last_second_of_the_month_meets_it_and_starts_the_next() -> None:
    """2026-02-28T23:59:59 is in February: met; March's duty is due 2026-04-01T00:00."""
    engine, clock = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    engine.fire(case_id, "record_visit", actor=VC, data={"notes": "一月"})  # January: not yet
    clock.set(local("2026-02-28T23:59:59"))
    engine.fire(case_id, "record_visit", actor=VC, data={"guardian_present": True})
    assert due(engine, case_id, "monthly_visit") == [
        ("2026-03-01T00:00:00+08:00", "met"),
        ("2026-04-01T00:00:00+08:00", "pending"),
    ]


def test_a_missed_month_is_recorded_at_its_end_and_the_next_month_starts() -> None:
    """Nothing at 2026-02-28T23:59:59; at 03-01T00:00:00 deadline_missed, March's duty due."""
    engine, clock = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    clock.set(local("2026-02-28T23:59:59"))
    assert engine.run_due() == []
    clock.set(local("2026-03-01T00:00:00"))
    fired = engine.run_due()
    assert [(f.kind, f.trigger) for f in fired] == [("monthly_visit", "deadline_missed")]
    assert due(engine, case_id, "monthly_visit") == [
        ("2026-03-01T00:00:00+08:00", "missed"),
        ("2026-04-01T00:00:00+08:00", "pending"),
    ]
    last = engine.history(case_id)[-1]
    kinds = [(x["kind"], x["action"]) for x in last.effects["deadlines"]]
    assert kinds == [("monthly_visit", "missed"), ("monthly_visit", "started")]
    # a March visit meets March, not February
    clock.set(local("2026-03-02T10:00"))
    engine.fire(case_id, "record_visit", actor=VC)
    assert due(engine, case_id, "monthly_visit")[0] == ("2026-03-01T00:00:00+08:00", "missed")
    assert due(engine, case_id, "monthly_visit")[1] == ("2026-04-01T00:00:00+08:00", "met")


def test_a_visit_after_an_unswept_month_end_records_the_miss_first() -> None:
    """No sweep ran: a March visit first records February missed, then meets March."""
    engine, clock = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    clock.set(local("2026-03-03T10:00"))
    view = engine.fire(case_id, "record_visit", actor=VC)
    assert [e.trigger for e in view.history] == ["register", "deadline_missed", "record_visit"]
    assert due(engine, case_id, "monthly_visit")[1:] == [
        ("2026-04-01T00:00:00+08:00", "met"),
        ("2026-05-01T00:00:00+08:00", "pending"),
    ]


def test_the_quarterly_update_runs_by_calendar_quarter() -> None:
    """Registered in Q1: Q2's update is due 07-01; one at 06-30T23:59:59 meets it, Q3 starts."""
    engine, clock = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    clock.set(local("2026-03-31T23:59:59"))
    engine.fire(case_id, "update_ledger", actor=TOWNSHIP)  # Q1: the registration's quarter
    clock.set(local("2026-06-30T23:59:59"))
    engine.fire(case_id, "update_ledger", actor=TOWNSHIP)
    assert due(engine, case_id, "quarterly_update") == [
        ("2026-07-01T00:00:00+08:00", "met"),
        ("2026-10-01T00:00:00+08:00", "pending"),
    ]


def test_turns_16_closes_the_watch_and_cancels_its_duties() -> None:
    """Born 2010-03-15: at 2026-03-16T00:00+08:00 the watch closes as aged_out, by system."""
    engine, clock = engine_at("2026-02-10T09:00")
    case_id = child(engine, birthdate="2010-03-15")
    clock.set(local("2026-03-15T23:59:59"))
    assert engine.run_due() == []
    clock.set(local("2026-03-16T00:00:00"))
    fired = engine.run_due()
    assert [f.trigger for f in fired] == ["turns_16"]
    view = engine.case(case_id)
    assert (view.state, view.outcome) == ("off_ledger", "aged_out")
    last = view.history[-1]
    assert (last.trigger, last.role) == ("turns_16", "system")
    assert {d["status"] for d in view.deadlines if d["kind"] != "turns_16"} == {"cancelled"}
    assert not [d for d in view.deadlines if d["status"] == "pending"]
    assert engine.replay(case_id).ok


def test_a_child_turning_16_as_a_month_begins_has_the_past_month_judged_first() -> None:
    """Born 2010-03-31, 16 at 2026-04-01T00:00, when March's visit falls due: March went by
    while the child was 15, so the sweep records it missed, then closes the watch (aged_out)
    and cancels April's duty, which the miss started. At one instant, duties come first."""
    engine, clock = engine_at("2026-02-10T09:00")
    case_id = child(engine, birthdate="2010-03-31")  # March is the first month due
    clock.set(local("2026-04-01T00:00:00"))
    assert [f.trigger for f in engine.run_due()] == ["deadline_missed", "turns_16"]
    view = engine.case(case_id)
    assert [e.trigger for e in view.history][-2:] == ["deadline_missed", "turns_16"]
    assert due(engine, case_id, "monthly_visit") == [
        ("2026-04-01T00:00:00+08:00", "missed"),
        ("2026-05-01T00:00:00+08:00", "cancelled"),
    ]


def test_the_elders_regular_visit_is_monthly_by_default() -> None:
    """elderly_watch: regular_visit every calendar month, a local choice in the pack."""
    engine, _ = engine_at("2026-01-05T09:00")
    view = engine.register(
        "elderly",
        person={"name": "王老汉", "birthdate": "1950-06-01"},
        location=PLACE,
        actor=VC,
    )
    assert due(engine, view.id, "regular_visit") == [("2026-03-01T00:00:00+08:00", "pending")]
    assert engine.policy.rule("regular_visit").basis == "local"


# --- links, audit, personal data -------------------------------------------------------------


def test_raise_report_files_a_report_and_links_both_ways() -> None:
    """The report names the watch (event and facts); the watch lists the report."""
    engine, _ = engine_at("2026-01-05T09:00")
    case_id = child(engine)
    view = engine.fire(
        case_id, "raise_report", actor=VC, data={"type": "suspected_harm", "description": "伤"}
    )
    (report_id,) = view.facts["reports"]
    report = engine.case(report_id)
    assert report.type == "suspected_harm"
    assert report.facts["watch_case"] == case_id
    assert report.history[0].data["watch_case"] == case_id
    assert report.record.reporter.mandatory
    assert engine.verify().ok
    assert engine.replay(report_id).ok
    assert engine.replay(case_id).ok


def test_watch_histories_replay_and_verify() -> None:
    """Every watch, with visits, misses and closing, replays to its projection."""
    engine, clock = engine_at("2026-01-05T09:00")
    a = child(engine)
    engine.register(
        "woman",
        person={"name": "李四", "birthdate": "1990-01-01"},
        location=PLACE,
        actor=TOWNSHIP,
        data={"husband_away_since": "2025-06-30"},
    )
    clock.set(local("2026-05-02T09:00"))
    engine.run_due()
    engine.fire(a, "record_visit", actor=VC, data={"concerns": "none"})
    engine.fire(a, "parents_returned", actor=VC)
    result = engine.verify()
    assert result.ok
    assert result.cases == 2
    assert all(r.ok for r in engine.replay_all())


def test_no_log_line_or_notice_carries_name_birthdate_or_id_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Registering, visiting, missing and ageing out: no personal data in logs or notices."""
    caplog.set_level(logging.DEBUG)
    engine, clock = engine_at("2026-02-10T09:00")
    case_id = child(engine, name="赵秘密", birthdate="2010-03-15", id_number="110105201003150017")
    clock.set(local("2026-03-20T09:00"))
    engine.run_due()
    assert engine.case(case_id).state == "off_ledger"
    text = caplog.text + repr([n.payload for n in engine.notices()])
    for secret in ("赵秘密", "2010-03-15", "110105201003150017", "2026-03-16"):
        assert secret not in text
    shown = repr(engine.case(case_id).to_dict("Asia/Shanghai")["history"][0])
    assert "赵秘密" not in shown
    assert "110105201003150017" not in shown


def test_next_does_not_offer_the_report_case_the_engine_fills_in() -> None:
    """raise_report's ``report_case`` is set by the engine; ``next`` lists only what to give."""
    engine, _ = engine_at("2026-02-10T09:00")
    case_id = child(engine)
    (option,) = [o for o in engine.next(case_id) if o.trigger == "raise_report"]
    names = [d["name"] for d in option.data]
    assert "type" in names
    assert "report_case" not in names
    with pytest.raises(InvalidInput, match="report_case is set by the engine"):
        engine.fire(
            case_id, "raise_report", actor=VC, data={"type": "solo_living", "report_case": "X"}
        )
