"""Emergency handling and the township, as 001 §四(三)2–3 say them (the second definitions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shouhu import Engine, FakeClock
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.errors import InvalidInput, TransitionRefused
from tests.conftest import CHILD_NAME, Driver

NATIONAL = "cn-national-default@2026.2"


@pytest.fixture
def pack_engine(engine: Engine) -> Engine:
    engine.policy = parse_pack(shipped_packs()[NATIONAL])
    engine.policy_version = engine.policy.id
    return engine


def notices(engine: Engine, case_id: str, kind: str) -> list[dict[str, object]]:
    return [n.payload for n in engine.notices(case_id=case_id) if n.kind == kind]


def test_the_township_is_told_when_the_police_accept_the_report(
    engine: Engine, driver: Driver
) -> None:
    driver.report("solo_living")
    assert notices(engine, driver.case_id, "report_accepted") == []
    driver.fire("dispatch")
    (told,) = notices(engine, driver.case_id, "report_accepted")
    assert told["recipient"] == "青山镇 township government (乡镇人民政府/街道办事处)"
    assert "受理报告" in str(told["citation"])
    assert told["case_id"] == driver.case_id
    assert CHILD_NAME not in json.dumps(told, ensure_ascii=False)


def test_a_dismissed_report_is_told_to_the_township_with_the_reason(
    engine: Engine, driver: Driver
) -> None:
    driver.report("missing_child")
    driver.fire("dispatch")
    driver.fire("dismiss", data={"reason_kind": "unfounded", "reason": f"{CHILD_NAME}在外婆家"})
    (told,) = notices(engine, driver.case_id, "report_dismissed")
    assert told["data"] == {"reason_kind": "unfounded"}
    assert CHILD_NAME not in json.dumps(told, ensure_ascii=False)  # the words stay in the record


def test_a_dismissal_needs_the_kind_of_reason_the_township_is_told(driver: Driver) -> None:
    driver.report("missing_child")
    with pytest.raises(InvalidInput, match="reason_kind"):
        driver.fire("dismiss", data={"reason": "无此事"})


def test_a_missing_child_not_found_within_the_packs_period_still_reaches_the_township(
    pack_engine: Engine, driver: Driver, clock: FakeClock
) -> None:
    driver.report("missing_child")
    driver.run((("dispatch", "police", {}), ("start_search", "police", {})))
    clock.set(datetime(2026, 3, 9, tzinfo=UTC))  # dispatched 03-02; three days, Art. 203 aside
    pack_engine.run_due()
    (told,) = notices(pack_engine, driver.case_id, "deadline_missed")
    assert told["recipient"] == "青山镇 township government (乡镇人民政府/街道办事处)"
    assert told["missed"]["kind"] == "missing_child_township"  # type: ignore[index]


def test_a_child_found_in_time_does_not_trouble_the_township_twice(
    pack_engine: Engine, driver: Driver, clock: FakeClock
) -> None:
    driver.report("missing_child")
    driver.run((("dispatch", "police", {}), ("child_located", "police", {})))
    clock.set(datetime(2026, 3, 9, tzinfo=UTC))
    pack_engine.run_due()
    assert notices(pack_engine, driver.case_id, "deadline_missed") == []


def test_a_child_living_alone_needs_the_parents_admonished_before_the_emergency_ends(
    driver: Driver,
) -> None:
    driver.report("solo_living")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("order_parents_return", "police", {}),
            ("parents_returned", "police", {}),
        )
    )
    with pytest.raises(TransitionRefused, match="训诫"):
        driver.fire("complete_emergency")
    driver.fire("admonish_parents")
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_a_child_living_alone_needs_the_parents_ordered_back_or_a_guardian_entrusted(
    driver: Driver,
) -> None:
    driver.report("solo_living")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("admonish_parents", "police", {}),
            ("parents_returned", "police", {}),
        )
    )
    with pytest.raises(TransitionRefused, match="责令立即返回"):
        driver.fire("complete_emergency")


def test_temporary_care_records_that_the_parents_could_not_be_reached(driver: Driver) -> None:
    driver.report("guardian_incapacity")
    driver.fire("dispatch")
    case = driver.fire("place_in_temporary_care", data={"placement": "relief_agency"})
    assert case.facts["parents_unreachable"] is True
    assert case.facts["temporary_care"] == "relief_agency"
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_a_child_living_alone_whose_parents_cannot_be_reached_needs_no_admonition_yet(
    driver: Driver,
) -> None:
    driver.report("solo_living")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("place_in_temporary_care", "police", {"placement": "village_committee"}),
        )
    )
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_temporary_care_is_not_a_guardian_restored_the_parents_are_still_sought(
    pack_engine: Engine, driver: Driver
) -> None:
    driver.report("guardian_nonperformance")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("order_parents_return", "police", {}),
            ("place_in_temporary_care", "police", {"placement": "close_relative"}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
        )
    )
    rows = {d["kind"]: d["status"] for d in pack_engine.deadlines(case_id=driver.case_id)}
    assert rows["guardian_restored"] == "cancelled"
    assert rows["guardian_redesignation"] == "pending"
    driver.fire("notify_parents")
    driver.fire("designate_entrusted_guardian", data={"guardian_name": "王二叔"})
    rows = {d["kind"]: d["status"] for d in pack_engine.deadlines(case_id=driver.case_id)}
    assert rows["guardian_redesignation"] == "met"


ABUSE = ("dispatch", "police", {})


@pytest.mark.parametrize("danger", ["seriously_hurt", "safety_threatened", "unattended_in_danger"])
def test_shelter_is_required_when_the_child_is_hurt_threatened_or_unattended_in_danger(
    driver: Driver, danger: str
) -> None:
    facts = {"seriously_hurt": False, "safety_threatened": False, "unattended_in_danger": False}
    driver.report("suspected_abuse")
    driver.run(
        (
            ABUSE,
            ("stop_violence", "police", {**facts, danger: True}),
            ("collect_evidence", "police", {}),
            ("arrange_medical_care", "police", {}),
            ("record_injury_assessment", "police", {"severity": "minor"}),
        )
    )
    with pytest.raises(TransitionRefused, match="place_in_shelter"):
        driver.fire("complete_emergency")
    driver.fire("place_in_shelter", "civil_affairs", {"placement": "temporary_shelter"})
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_the_facts_shelter_depends_on_are_recorded_when_the_violence_is_stopped(
    driver: Driver,
) -> None:
    driver.report("suspected_abuse")
    driver.fire("dispatch")
    with pytest.raises(InvalidInput, match="seriously_hurt"):
        driver.fire("stop_violence")


@pytest.mark.parametrize(
    ("type_", "stop"), [("suspected_abuse", "stop_violence"), ("suspected_harm", "stop_harm")]
)
def test_abuse_and_harm_need_evidence_medical_care_and_an_injury_assessment_or_why_not(
    driver: Driver, type_: str, stop: str
) -> None:
    data = (
        {"seriously_hurt": False, "safety_threatened": False, "unattended_in_danger": False}
        if stop == "stop_violence"
        else {}
    )
    driver.report(type_)
    driver.run((ABUSE, (stop, "police", data), ("collect_evidence", "police", {})))
    with pytest.raises(TransitionRefused) as refused:
        driver.fire("complete_emergency")
    assert "arrange_medical_care, record_injury_assessment" in str(refused.value)
    assert "调查取证,协助其就医、鉴定伤情" in refused.value.citation
    driver.fire("arrange_medical_care")
    driver.fire(
        "record_measure_not_taken",
        data={"measure": "record_injury_assessment", "reason": "no visible injury; 未见伤情"},
    )
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_the_assessment_records_the_bodies_that_took_part(driver: Driver) -> None:
    driver.report("missing_child")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("child_located", "police", {}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
        )
    )
    risk = {"safety": "low", "guardianship": "medium", "health": "low"}
    with pytest.raises(InvalidInput, match="participants"):
        driver.fire("complete_assessment", "township", risk)
    case = driver.fire(
        "complete_assessment",
        "township",
        {**risk, "participants": "civil_affairs,police,education,womens_federation,school"},
    )
    assert case.facts["assessment_participants"] == [
        "civil_affairs",
        "police",
        "education",
        "womens_federation",
        "school",
    ]
