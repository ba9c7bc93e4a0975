"""The engine on an in-memory store: branches, refusals, data and time rules, events, views."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shouhu import (
    Conflict,
    Engine,
    FakeClock,
    InvalidInput,
    NotFound,
    ReportRequest,
    ShouhuError,
    TransitionRefused,
)
from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import Location
from shouhu.engine.records import parse_location
from shouhu.engine.validation import check_id_number, id_check_digit
from shouhu.workflows.vocab import DISMISSAL_REASONS, PETITIONERS

SIX = (
    "solo_living",
    "missing_child",
    "guardian_incapacity",
    "guardian_nonperformance",
    "suspected_abuse",
    "suspected_harm",
)
C_EMERGENCY = "001 §四(三)2"
C_ASSESS = "001 §四(三)3"
C_INTERVENE = "001 §四(三)4"
C_PETITION = "001 §四(三)4; Civil Code Art. 36 (《民法典》第三十六条)"
#: What police record when they stop the violence (the second definition of suspected_abuse).
NO_DANGER = {"seriously_hurt": False, "safety_threatened": False, "unattended_in_danger": False}
ID17 = "11010520160201123"


def snapshot(engine: Engine, case_id: str) -> tuple[Any, ...]:
    """What a refused call must leave untouched."""
    case = engine.case(case_id)
    return (
        case.version,
        case.state,
        dict(case.facts),
        case.outcome,
        [e.event.hash for e in case.history],
    )


def refusal(excinfo: pytest.ExceptionInfo[TransitionRefused]) -> tuple[str, str]:
    return excinfo.value.rule, excinfo.value.citation


# --- each type along its branch to closed -------------------------------------------------------


@pytest.mark.parametrize("type_", SIX)
def test_each_type_is_driven_along_its_branch_to_closed(
    type_: str, driver: Any, branches: Any
) -> None:
    """Every accepted trigger moves the case; the last one closes it with outcome resolved."""
    driver.report(type_)
    case = driver.run(branches[type_])
    assert case.state == "closed"
    assert case.outcome == "resolved"
    assert case.version == len(branches[type_]) + 1
    assert [e.trigger for e in driver.engine.history(case.id)] == [
        "report",
        *(s[0] for s in branches[type_]),
    ]
    assert driver.engine.case(case.id).record.closed_at == driver.at


def test_solo_living_records_the_measures_and_the_arranged_services(driver: Any) -> None:
    """The entrusted guardian, the assessment and the services become the case's facts."""
    driver.report("solo_living")
    driver.until("solo_living", "complete_emergency")
    case = driver.fire("complete_emergency")
    assert case.state == "emergency_handled"
    assert case.facts["order_parents_return"] is True
    assert case.facts["admonish_parents"] is True
    assert case.facts["entrusted_guardian"] == "王大爷"
    driver.fire("notify_township")
    driver.fire("start_assessment", "township")
    case = driver.fire(
        "complete_assessment",
        "township",
        {
            "safety": "high",
            "guardianship": "low",
            "health": "medium",
            "participants": "civil_affairs,police",
        },
    )
    assert case.state == "assessed"
    assert (case.facts["safety"], case.facts["guardianship"], case.facts["health"]) == (
        "high",
        "low",
        "medium",
    )
    case = driver.fire(
        "arrange_assistance",
        "township",
        {"services": "guardianship_guidance,psychological_counselling"},
    )
    assert case.state == "assisting"
    assert case.facts["services"] == ["guardianship_guidance", "psychological_counselling"]
    assert driver.fire("close", "township").state == "closed"


def test_a_missing_child_emergency_ends_only_once_the_child_is_located(driver: Any) -> None:
    """complete_emergency is refused by the child_located guard until child_located is recorded."""
    driver.report("missing_child")
    driver.fire("dispatch")
    driver.fire("start_search")
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert refusal(exc) == ("guard", C_EMERGENCY)
    assert exc.value.data["guard"] == "child_located"
    driver.fire("child_located")
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_guardian_incapacity_ends_the_emergency_once_the_child_is_in_temporary_care(
    driver: Any,
) -> None:
    """Ordering the parents back is not enough; placing the child in temporary care is."""
    driver.report("guardian_incapacity")
    driver.fire("dispatch")
    driver.fire("order_parents_return")
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert refusal(exc) == ("guard", C_EMERGENCY)
    case = driver.fire("place_in_temporary_care", data={"placement": "welfare_institution"})
    assert case.facts["temporary_care"] == "welfare_institution"
    assert driver.fire("complete_emergency").state == "emergency_handled"


def test_guardian_nonperformance_goes_from_petition_through_revocation_to_assistance(
    driver: Any,
) -> None:
    """Ground (a) holds after education and refusal; the court revokes and the case is assisted."""
    driver.report("guardian_nonperformance")
    driver.until("guardian_nonperformance", "start_intervention")
    assert driver.fire("start_intervention", "civil_affairs").state == "intervening"
    case = driver.fire(
        "petition_revocation", "civil_affairs", {"ground": "unsupervised_danger_uncorrected"}
    )
    assert case.state == "petitioned"
    assert case.facts["petition_ground"] == "unsupervised_danger_uncorrected"
    case = driver.fire(
        "record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"}
    )
    assert case.state == "assisting"
    assert case.facts["court_outcome"] == "revoked"
    assert case.facts["new_guardian"] == "王奶奶"
    assert driver.fire("close", "township").state == "closed"


def test_ground_a_is_refused_until_education_and_refusal_are_both_recorded(driver: Any) -> None:
    """The petition on ground (a) needs education_given and refused_to_correct."""
    driver.report("guardian_nonperformance")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("parents_returned", "police", {}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            (
                "complete_assessment",
                "township",
                {
                    "safety": "low",
                    "guardianship": "low",
                    "health": "low",
                    "participants": "civil_affairs,police",
                },
            ),
            ("start_intervention", "police", {}),
            ("record_unsupervised_danger", "village_committee", {"description": "独自在家"}),
            ("education_given", "police", {}),
        )
    )
    ground = {"ground": "unsupervised_danger_uncorrected"}
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("petition_revocation", "close_relative", ground)
    assert refusal(exc) == ("guard", C_PETITION)
    assert "refused_to_correct" in str(exc.value)
    driver.fire("refused_to_correct", "township")
    assert driver.fire("petition_revocation", "close_relative", ground).state == "petitioned"


def test_suspected_abuse_with_serious_injury_needs_shelter_before_the_emergency_ends(
    driver: Any,
) -> None:
    """A serious injury makes complete_emergency wait for shelter; then ground (c) holds."""
    driver.report("suspected_abuse", data={"description": "邻居听到哭喊"})
    driver.fire("dispatch")
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert refusal(exc) == ("guard", C_EMERGENCY)
    driver.fire("stop_violence", data=NO_DANGER)
    driver.fire("collect_evidence")
    driver.fire("arrange_medical_care")
    driver.fire("record_perpetrator", data={"relation": "parent", "act": "abuse"})
    driver.fire("record_injury_assessment", data={"severity": "serious"})
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert refusal(exc) == ("guard", C_EMERGENCY)
    assert "shelter" in str(exc.value)
    case = driver.fire("place_in_shelter", "civil_affairs", {"placement": "temporary_shelter"})
    assert case.facts["shelter"] == "temporary_shelter"
    assert driver.fire("complete_emergency").state == "emergency_handled"
    driver.run(
        (
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            (
                "complete_assessment",
                "township",
                {
                    "safety": "high",
                    "guardianship": "high",
                    "health": "high",
                    "participants": "civil_affairs,police",
                },
            ),
            ("start_intervention", "police", {}),
        )
    )
    case = driver.fire("petition_revocation", "village_committee", {"ground": "serious_harm"})
    assert case.state == "petitioned"


def test_suspected_abuse_without_serious_injury_ends_the_emergency_once_violence_stops(
    driver: Any,
) -> None:
    """A minor injury needs no shelter; ground (c) then does not hold for a petition."""
    driver.report("suspected_abuse")
    driver.fire("dispatch")
    driver.fire("stop_violence", data=NO_DANGER)
    driver.fire("collect_evidence")
    driver.fire("arrange_medical_care")
    driver.fire("record_perpetrator", data={"relation": "parent", "act": "abuse"})
    driver.fire("record_injury_assessment", data={"severity": "minor"})
    assert driver.fire("complete_emergency").state == "emergency_handled"
    driver.run(
        (
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            (
                "complete_assessment",
                "township",
                {
                    "safety": "low",
                    "guardianship": "low",
                    "health": "low",
                    "participants": "civil_affairs,police",
                },
            ),
            ("start_intervention", "civil_affairs", {}),
        )
    )
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("petition_revocation", "civil_affairs", {"ground": "serious_harm"})
    assert refusal(exc) == ("guard", C_PETITION)


def test_suspected_harm_ends_the_emergency_only_after_the_harm_is_stopped(driver: Any) -> None:
    """complete_emergency is refused by harm_stopped until stop_harm is recorded."""
    driver.report("suspected_harm")
    driver.fire("dispatch")
    driver.fire("collect_evidence")
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert refusal(exc) == ("guard", C_EMERGENCY)
    assert exc.value.data["guard"] == "harm_stopped"
    driver.fire("stop_harm")
    with pytest.raises(TransitionRefused) as exc:  # the basis for intervention is laid too
        driver.fire("complete_emergency")
    assert exc.value.data["guard"] == "basis_laid"
    driver.fire("arrange_medical_care")
    driver.fire(
        "record_measure_not_taken",
        data={"measure": "record_injury_assessment", "reason": "擦伤,无需鉴定"},
    )
    assert driver.fire("complete_emergency").state == "emergency_handled"


# --- refusals -------------------------------------------------------------------------------------


def test_a_trigger_in_the_wrong_state_is_refused_by_rule_state(driver: Any) -> None:
    """notify_township straight after the report is refused, naming the rule and its clause."""
    case = driver.report()
    before = snapshot(driver.engine, case.id)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("notify_township")
    assert refusal(exc) == ("state", C_EMERGENCY)
    assert exc.value.state == "reported"
    assert exc.value.trigger == "notify_township"
    assert "rule state" in str(exc.value)
    assert snapshot(driver.engine, case.id) == before


def test_a_trigger_by_the_wrong_role_is_refused_by_rule_role(driver: Any) -> None:
    """Only the police dispatch; a township clerk is refused by rule role."""
    case = driver.report()
    before = snapshot(driver.engine, case.id)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("dispatch", "township")
    assert refusal(exc) == ("role", C_EMERGENCY)
    assert snapshot(driver.engine, case.id) == before


def test_the_system_role_is_refused_to_operators(driver: Any) -> None:
    """No operator may act as system, not even for the scheduler's own triggers."""
    case = driver.report()
    driver.fire("dispatch")
    before = snapshot(driver.engine, case.id)
    for trigger in ("dispatch", "nonperformance_six_months", "order_parents_return"):
        with pytest.raises(TransitionRefused) as exc:
            driver.fire(trigger, "system")
        assert exc.value.rule == "role"
    assert snapshot(driver.engine, case.id) == before


@pytest.mark.parametrize(
    ("trigger", "data"),
    [
        ("order_parents_return", {}),
        ("education_given", {}),
        ("complete_emergency", {}),
        ("dismiss", {"reason_kind": "unfounded", "reason": "看错了"}),
    ],
)
def test_the_auditor_can_never_write(driver: Any, trigger: str, data: dict[str, Any]) -> None:
    """An auditor reads and replays; any trigger fired as auditor is refused by rule role."""
    case = driver.report()
    driver.fire("dispatch")
    before = snapshot(driver.engine, case.id)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire(trigger, "auditor", data)
    assert exc.value.rule == "role"
    assert "never writes" in str(exc.value)
    assert snapshot(driver.engine, case.id) == before


def test_the_six_month_ground_never_holds_without_the_scheduler(driver: Any) -> None:
    """Ground (b) is refused even when non-performance was recorded long before."""
    driver.report("guardian_nonperformance", data={"nonperformance_since": "2025-01-15"})
    driver.run(
        (
            ("dispatch", "police", {}),
            ("record_nonperformance", "village_committee", {"since": "2025-01-15"}),
            ("place_in_temporary_care", "police", {"placement": "relief_agency"}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            (
                "complete_assessment",
                "township",
                {
                    "safety": "low",
                    "guardianship": "high",
                    "health": "low",
                    "participants": "civil_affairs,police",
                },
            ),
            ("start_intervention", "civil_affairs", {}),
        )
    )
    case = driver.engine.case(driver.case_id)
    assert case.facts["nonperformance_since"] == "2025-01-15"
    before = snapshot(driver.engine, case.id)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("petition_revocation", "civil_affairs", {"ground": "nonperformance_six_months"})
    assert refusal(exc) == ("guard", C_PETITION)
    assert exc.value.data["guard"] == "ground_holds"
    assert snapshot(driver.engine, case.id) == before


def test_the_six_month_ground_without_a_recorded_refusal_says_what_is_missing(driver: Any) -> None:
    """With no non-performance recorded, ground (b) is refused naming record_nonperformance."""
    driver.report("guardian_nonperformance")
    driver.until("guardian_nonperformance", "petition_revocation")
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("petition_revocation", "civil_affairs", {"ground": "nonperformance_six_months"})
    assert exc.value.rule == "guard"
    assert "record_nonperformance" in str(exc.value)


@pytest.mark.parametrize("state_before", ["reported", "dispatched"])
def test_dismiss_closes_the_case_as_unfounded(driver: Any, state_before: str) -> None:
    """Police may dismiss a report from reported or dispatched; the outcome is unfounded."""
    driver.report()
    if state_before == "dispatched":
        driver.fire("dispatch")
    case = driver.fire("dismiss", data={"reason_kind": "unfounded", "reason": "孩子与祖父母同住"})
    assert case.state == "closed"
    assert case.outcome == "unfounded"
    assert case.facts["dismissal_reason"] == "孩子与祖父母同住"


def test_dismiss_needs_a_reason(driver: Any) -> None:
    """A dismissal without a reason is bad input."""
    case = driver.report()
    with pytest.raises(InvalidInput, match="reason"):
        driver.fire("dismiss")
    assert driver.engine.case(case.id).state == "reported"


def test_a_closed_case_refuses_every_trigger(driver: Any) -> None:
    """After close nothing more can happen, for any role."""
    driver.report()
    driver.fire("dismiss", data={"reason_kind": "unfounded", "reason": "误报"})
    for trigger, role in (
        ("dispatch", "police"),
        ("education_given", "township"),
        ("close", "township"),
    ):
        with pytest.raises(TransitionRefused) as exc:
            driver.fire(trigger, role)
        assert exc.value.rule == "state"
    assert driver.engine.next(driver.case_id) == []


def _to_petitioned(driver: Any) -> None:
    driver.report("guardian_nonperformance")
    driver.until("guardian_nonperformance", "record_court_decision")


def test_a_rejected_petition_returns_the_case_to_intervention(driver: Any) -> None:
    """A rejected petition goes back to intervening; a new petition may follow."""
    _to_petitioned(driver)
    case = driver.fire("record_court_decision", "court", {"outcome": "rejected"})
    assert case.state == "intervening"
    assert case.facts["court_outcome"] == "rejected"
    assert driver.engine.history(case.id)[-1].citation == C_INTERVENE
    case = driver.fire(
        "petition_revocation", "civil_affairs", {"ground": "unsupervised_danger_uncorrected"}
    )
    assert case.state == "petitioned"


def test_a_revocation_without_a_new_guardian_is_bad_input(driver: Any) -> None:
    """outcome=revoked needs new_guardian (另行指定监护人); nothing is written without it."""
    _to_petitioned(driver)
    before = snapshot(driver.engine, driver.case_id)
    with pytest.raises(InvalidInput, match="new_guardian"):
        driver.fire("record_court_decision", "court", {"outcome": "revoked"})
    assert snapshot(driver.engine, driver.case_id) == before


def test_only_the_court_decides_a_petition(driver: Any) -> None:
    """A civil-affairs officer cannot record the court's decision."""
    _to_petitioned(driver)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("record_court_decision", "civil_affairs", {"outcome": "rejected"})
    assert refusal(exc) == ("role", C_INTERVENE)


def test_an_unknown_trigger_is_bad_input_not_a_refusal(driver: Any) -> None:
    """A trigger the workflow does not have is InvalidInput (exit 2)."""
    driver.report()
    with pytest.raises(InvalidInput, match="unknown trigger"):
        driver.fire("teleport")


def test_an_unknown_case_is_not_found(engine: Engine) -> None:
    """Reading or firing a case that does not exist raises NotFound, a kind of InvalidInput."""
    with pytest.raises(NotFound):
        engine.case("0000000000000000")
    with pytest.raises(InvalidInput):
        engine.fire("0000000000000000", "dispatch", actor={"name": "李", "role": "police"})
    with pytest.raises(NotFound):
        engine.next("NOPE")


def test_an_unknown_role_is_bad_input(driver: Any) -> None:
    """A role outside the vocabulary is InvalidInput, not a refusal."""
    driver.report()
    with pytest.raises(InvalidInput, match="unknown role"):
        driver.fire("dispatch", "mayor")


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(driver: Any) -> None:
    """expected_version behind the case's version raises Conflict; the case is unchanged."""
    case = driver.report()
    driver.fire("dispatch", expected_version=1)
    before = snapshot(driver.engine, case.id)
    with pytest.raises(Conflict) as exc:
        driver.fire("order_parents_return", expected_version=1)
    assert (exc.value.expected, exc.value.actual) == (1, 2)
    assert snapshot(driver.engine, case.id) == before
    assert driver.fire("order_parents_return", expected_version=2).version == 3


# --- data validation ------------------------------------------------------------------------------


def _at_assessed(driver: Any) -> None:
    driver.report("solo_living")
    driver.until("solo_living", "arrange_assistance")


@pytest.mark.parametrize(
    ("trigger", "data", "message"),
    [
        ("dispatch", {"urgency": "high"}, "unknown data key 'urgency'"),
        ("designate_entrusted_guardian", {"guardian_name": "王", "phone": "1"}, "unknown data key"),
        ("designate_entrusted_guardian", {}, "guardian_name is required"),
        ("designate_entrusted_guardian", {"guardian_name": "  "}, "must not be empty"),
        ("place_in_temporary_care", {"placement": "the_moon"}, "placement"),
        ("place_in_temporary_care", {}, "placement is required"),
    ],
)
def test_bad_trigger_data_is_refused_and_nothing_is_written(
    driver: Any, trigger: str, data: dict[str, Any], message: str
) -> None:
    """Unknown keys, bad choices and missing required data are InvalidInput naming the field."""
    driver.report()
    if trigger != "dispatch":
        driver.fire("dispatch")
    before = snapshot(driver.engine, driver.case_id)
    with pytest.raises(InvalidInput, match=message):
        driver.fire(trigger, data=data)
    assert snapshot(driver.engine, driver.case_id) == before


def test_services_are_parsed_from_a_comma_list_and_deduplicated_in_order(driver: Any) -> None:
    """'a, b,a' becomes [a, b]: a list of services is a set, in the order given."""
    _at_assessed(driver)
    case = driver.fire(
        "arrange_assistance",
        "civil_affairs",
        {"services": "legal_aid, medical_treatment,legal_aid,, social_assistance"},
    )
    assert case.facts["services"] == ["legal_aid", "medical_treatment", "social_assistance"]
    assert driver.engine.history(case.id)[-1].event.data == {
        "services": ["legal_aid", "medical_treatment", "social_assistance"]
    }


def test_services_may_be_given_as_a_list(driver: Any) -> None:
    """A Python list of services is accepted and deduplicated too."""
    _at_assessed(driver)
    case = driver.fire(
        "arrange_assistance", "township", {"services": ["legal_services", "legal_services"]}
    )
    assert case.facts["services"] == ["legal_services"]


@pytest.mark.parametrize("services", ["", " , ", "legal_aid,haircut", []])
def test_an_empty_or_unknown_service_is_refused(driver: Any, services: Any) -> None:
    """At least one service, each from the list of 001 §四(三)3."""
    _at_assessed(driver)
    before = snapshot(driver.engine, driver.case_id)
    with pytest.raises(InvalidInput, match="services"):
        driver.fire("arrange_assistance", "township", {"services": services})
    assert snapshot(driver.engine, driver.case_id) == before


def test_a_date_in_trigger_data_may_not_follow_the_event(engine: Engine, make_driver: Any) -> None:
    """A since-date after the event's local date is refused; the local date itself is not."""
    d = make_driver(engine)
    # Early morning in Shanghai is still the previous day in UTC: the local date is what counts.
    d.report(
        "guardian_nonperformance", discovered_at="2026-03-02T05:50", occurred_at="2026-03-02T06:00"
    )
    engine.fire(
        d.case_id,
        "dispatch",
        actor={"name": "李", "role": "police"},
        occurred_at="2026-03-02T06:30",
    )
    before = snapshot(engine, d.case_id)
    with pytest.raises(InvalidInput, match="after the event"):
        engine.fire(
            d.case_id,
            "record_nonperformance",
            actor={"name": "李", "role": "police"},
            occurred_at="2026-03-02T07:00",
            data={"since": "2026-03-03"},
        )
    assert snapshot(engine, d.case_id) == before
    case = engine.fire(
        d.case_id,
        "record_nonperformance",
        actor={"name": "李", "role": "police"},
        occurred_at="2026-03-02T07:00",
        data={"since": "2026-03-02"},
    )
    assert case.facts["nonperformance_since"] == "2026-03-02"


def test_a_date_time_in_report_data_may_not_follow_the_report(engine: Engine) -> None:
    """A missing child last seen after the report was filed is refused; before it, accepted."""
    with pytest.raises(InvalidInput, match="last_seen_at"):
        engine.report("missing_child", **_args(data={"last_seen_at": "2026-03-02T08:31"}))
    assert list(engine.cases()) == []
    case = engine.report(
        "missing_child",
        **_args(data={"last_seen_at": "2026-03-02T07:00", "last_seen_place": "村口"}),
    )
    assert case.history[0].event.data["report"] == {
        "last_seen_at": "2026-03-02T07:00:00+08:00",
        "last_seen_place": "村口",
    }


def test_report_data_a_type_does_not_take_is_refused(engine: Engine) -> None:
    """solo_living takes no report data: any key is unknown."""
    with pytest.raises(InvalidInput, match="unknown data key"):
        engine.report("solo_living", **_args(data={"description": "x"}))


def test_the_nonperformance_date_on_the_report_becomes_a_fact(engine: Engine) -> None:
    """nonperformance_since on the report is a fact, with nonperformance_matures_at beside it."""
    case = engine.report(
        "guardian_nonperformance", **_args(data={"nonperformance_since": "2025-08-31"})
    )
    assert case.facts == {
        "nonperformance_since": "2025-08-31",
        "nonperformance_matured": False,
        "nonperformance_matures_at": "2026-03-01T00:00:00+08:00",
    }


# --- time rules -----------------------------------------------------------------------------------


def _args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "child": {"name": "王小明", "birthdate": "2016-02-01"},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": "2026-03-02T08:10",
        "occurred_at": "2026-03-02T08:30",
        "data": {},
    }
    args.update(overrides)
    return args


def test_a_report_more_than_five_minutes_in_the_future_is_refused(
    engine: Engine, clock: FakeClock
) -> None:
    """occurred_at may run ahead of the clock by five minutes (skew), not a second more."""
    now = clock.now()
    too_far = now + timedelta(minutes=5, seconds=1)
    with pytest.raises(InvalidInput, match="in the future") as exc:
        engine.report("solo_living", **_args(discovered_at=None, occurred_at=too_far))
    assert exc.value.field == "occurred_at"
    case = engine.report(
        "solo_living", **_args(discovered_at=None, occurred_at=now + timedelta(minutes=5))
    )
    assert case.record.reported_at == now + timedelta(minutes=5)


def test_a_trigger_in_the_future_is_refused(driver: Any, clock: FakeClock) -> None:
    """A trigger dated more than five minutes after the clock's now writes nothing."""
    case = driver.report()
    before = snapshot(driver.engine, case.id)
    with pytest.raises(InvalidInput, match="in the future"):
        driver.engine.fire(
            case.id,
            "dispatch",
            actor={"name": "李", "role": "police"},
            occurred_at=clock.now() + timedelta(minutes=6),
        )
    assert snapshot(driver.engine, case.id) == before


def test_a_trigger_without_a_time_happens_at_the_clocks_now(driver: Any, clock: FakeClock) -> None:
    """occurred_at defaults to the engine's clock; recorded_at is always the clock."""
    case = driver.report()
    clock.advance(hours=1)
    driver.engine.fire(case.id, "dispatch", actor={"name": "李", "role": "police"})
    ev = driver.engine.history(case.id)[-1].event
    assert ev.occurred_at == clock.now()
    assert ev.recorded_at == clock.now()


def test_a_trigger_dated_before_the_previous_event_is_refused(driver: Any) -> None:
    """Events are in time order: a trigger may not precede the case's last event."""
    case = driver.report()
    driver.fire("dispatch")
    before = snapshot(driver.engine, case.id)
    with pytest.raises(InvalidInput, match="precedes") as exc:
        driver.engine.fire(
            case.id,
            "order_parents_return",
            actor={"name": "李", "role": "police"},
            occurred_at=driver.at - timedelta(seconds=1),
        )
    assert exc.value.field == "occurred_at"
    assert snapshot(driver.engine, case.id) == before
    same_time = driver.engine.fire(
        case.id,
        "order_parents_return",
        actor={"name": "李", "role": "police"},
        occurred_at=driver.at,
    )
    assert same_time.version == 3


def test_discovery_after_the_report_is_refused(engine: Engine) -> None:
    """discovered_at may not follow occurred_at (the report itself)."""
    with pytest.raises(InvalidInput, match="discovered_at") as exc:
        engine.report("solo_living", **_args(discovered_at="2026-03-02T08:31"))
    assert exc.value.field == "discovered_at"
    assert list(engine.cases()) == []


def test_the_delay_between_discovery_and_report_is_recorded(engine: Engine) -> None:
    """Discovered 08:10, reported 08:30: a delay of 1200 seconds auditors can find."""
    case = engine.report("solo_living", **_args())
    assert case.record.report_delay_seconds == 20 * 60
    assert case.record.discovered_at == datetime(2026, 3, 2, 0, 10, tzinfo=UTC)
    assert case.record.reported_at == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


def test_without_a_discovery_time_the_report_time_is_used(engine: Engine) -> None:
    """No discovered_at means discovered when reported: no delay."""
    case = engine.report("solo_living", **_args(discovered_at=None))
    assert case.record.discovered_at == case.record.reported_at
    assert case.record.report_delay_seconds == 0


# --- the child ------------------------------------------------------------------------------------


def test_a_child_of_eighteen_or_more_on_discovery_is_refused(engine: Engine) -> None:
    """The mechanism covers minors: an adult on the discovery date cannot be reported."""
    with pytest.raises(InvalidInput, match="18 or older") as exc:
        engine.report("solo_living", **_args(child={"name": "王大明", "birthdate": "2007-06-01"}))
    assert exc.value.field == "child_birthdate"
    assert list(engine.cases()) == []


@pytest.mark.parametrize(("birthdate", "age"), [("2009-06-01", 16), ("2008-06-01", 17)])
def test_a_child_of_sixteen_or_seventeen_is_accepted_but_not_left_behind(
    engine: Engine, birthdate: str, age: int
) -> None:
    """16 and 17 year olds are minors and are protected, but are no longer left-behind children."""
    case = engine.report("solo_living", **_args(child={"name": "王明", "birthdate": birthdate}))
    assert case.child.age_at_discovery == age
    assert case.child.left_behind is False


def test_a_child_under_sixteen_is_left_behind(engine: Engine) -> None:
    """A ten-year-old is a left-behind child."""
    case = engine.report("solo_living", **_args())
    assert case.child.age_at_discovery == 10
    assert case.child.left_behind is True


@pytest.mark.parametrize(
    ("discovered_at", "age", "left_behind"),
    [
        ("2026-03-15T23:59:59+08:00", 15, True),
        ("2026-03-16T00:00:00+08:00", 16, False),
    ],
)
def test_the_sixteenth_birthday_boundary_is_counted_to_the_second(
    engine: Engine, clock: FakeClock, discovered_at: str, age: int, left_behind: bool
) -> None:
    """Born 2010-03-15: still 15 until the birthday's 24:00, sixteen from 2026-03-16T00:00+08:00."""
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    case = engine.report(
        "solo_living",
        **_args(
            child={"name": "王明", "birthdate": "2010-03-15"},
            discovered_at=discovered_at,
            occurred_at="2026-03-16T00:00:00+08:00",
        ),
    )
    assert case.child.age_at_discovery == age
    assert case.child.left_behind is left_behind


@pytest.mark.parametrize(
    ("discovered_at", "accepted"),
    [("2026-02-28T23:59:59+08:00", True), ("2026-03-01T00:00:00+08:00", False)],
)
def test_a_leap_day_child_turns_eighteen_after_28_february_in_a_common_year(
    engine: Engine, discovered_at: str, accepted: bool
) -> None:
    """Born 2008-02-29: 2026 has no 29 February, so the 18th year ends on 28 February."""
    args = _args(
        child={"name": "王明", "birthdate": "2008-02-29"},
        discovered_at=discovered_at,
        occurred_at="2026-03-01T08:00:00+08:00",
    )
    if accepted:
        case = engine.report("solo_living", **args)
        assert case.child.age_at_discovery == 17
    else:
        with pytest.raises(InvalidInput, match="18 or older"):
            engine.report("solo_living", **args)


def test_a_child_born_after_the_discovery_is_refused(engine: Engine) -> None:
    """A birthdate after the discovery date is bad input."""
    with pytest.raises(InvalidInput, match="child_birthdate"):
        engine.report("solo_living", **_args(child={"name": "王明", "birthdate": "2026-03-03"}))


@pytest.mark.parametrize("birthdate", ["2026-02-30", "2016/13/01", "2016020", "2016年2月30日", ""])
def test_a_malformed_birthdate_is_refused(engine: Engine, birthdate: str) -> None:
    """The birthdate must be a real date (2016-04-10, 2016年4月10日, 2016/4/10, 20160410)."""
    with pytest.raises(InvalidInput, match="child_birthdate"):
        engine.report("solo_living", **_args(child={"name": "王明", "birthdate": birthdate}))


@pytest.mark.parametrize("name", ["", "   ", "王\x00明", "王" * 51])
def test_a_bad_child_name_is_refused(engine: Engine, name: str) -> None:
    """Names are non-empty text of at most 50 characters without control characters."""
    with pytest.raises(InvalidInput, match="child_name"):
        engine.report("solo_living", **_args(child={"name": name, "birthdate": "2016-02-01"}))


# --- id numbers -----------------------------------------------------------------------------------


def _valid_id() -> str:
    return ID17 + id_check_digit(ID17)


def test_a_valid_id_number_is_accepted(engine: Engine) -> None:
    """An 18-digit number with the right check digit and the child's birthdate is kept."""
    idn = _valid_id()
    case = engine.report(
        "solo_living",
        **_args(child={"name": "王小明", "birthdate": "2016-02-01", "id_number": idn}),
    )
    assert case.child.id_number == idn


def test_the_check_digit_follows_gb_11643() -> None:
    """ISO 7064 MOD 11-2, checked on a published example (11010519491231002X)."""
    assert id_check_digit("11010519491231002") == "X"
    assert check_id_number("11010519491231002x", date(1949, 12, 31)) == "11010519491231002X"


def test_an_id_number_with_a_wrong_check_digit_is_refused(engine: Engine) -> None:
    """Any other last character than the computed check digit is refused."""
    good = id_check_digit(ID17)
    for wrong in "0123456789X":
        if wrong == good:
            continue
        with pytest.raises(InvalidInput, match="check digit"):
            engine.report(
                "solo_living",
                **_args(child={"name": "王", "birthdate": "2016-02-01", "id_number": ID17 + wrong}),
            )
    assert list(engine.cases()) == []


def test_an_id_number_whose_birthdate_differs_from_the_childs_is_refused(engine: Engine) -> None:
    """The birth date embedded in the id number must be the child's birthdate."""
    with pytest.raises(InvalidInput, match="birth date does not match"):
        engine.report(
            "solo_living",
            **_args(child={"name": "王", "birthdate": "2016-02-02", "id_number": _valid_id()}),
        )


@pytest.mark.parametrize("idn", ["1101052016020112", "11010520160201123Y", "A10105201602011238"])
def test_a_malformed_id_number_is_refused(idn: str) -> None:
    """17 digits and a digit or X, nothing else."""
    with pytest.raises(InvalidInput, match="18 characters"):
        check_id_number(idn, date(2016, 2, 1))


# --- location -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("石桥村, 青山镇", Location("石桥村", "青山镇")),
        ("石桥村,青山镇,青山县", Location("石桥村", "青山镇", "青山县")),
        ("石桥村，青山镇，青山县", Location("石桥村", "青山镇", "青山县")),
        ("  石桥村 ，青山镇 ", Location("石桥村", "青山镇")),
    ],
)
def test_a_location_has_two_or_three_parts(text: str, expected: Location) -> None:
    """VILLAGE, TOWNSHIP[, COUNTY], with ASCII or full-width commas, parts stripped."""
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    "text", ["石桥村", "a,b,c,d", "石桥村, ,青山县", "石桥村,青山镇,", ",青山镇", ""]
)
def test_a_location_with_too_few_too_many_or_empty_parts_is_refused(text: str) -> None:
    """One part, four parts, or an empty part is bad input naming the location."""
    with pytest.raises(InvalidInput) as exc:
        parse_location(text)
    assert exc.value.field == "location"


def test_a_report_keeps_its_location(engine: Engine) -> None:
    """The parsed location is on the case and in the report event."""
    case = engine.report("solo_living", **_args(location="石桥村，青山镇，青山县"))
    assert case.record.location == Location("石桥村", "青山镇", "青山县")
    assert case.history[0].event.data["location"] == {
        "village": "石桥村",
        "township": "青山镇",
        "county": "青山县",
    }


# --- reporters and report types -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "mandatory"), [("medical", True), ("citizen", False)])
def test_the_reporters_kind_says_whether_the_report_was_mandatory(
    engine: Engine, kind: str, mandatory: bool
) -> None:
    """Schools, hospitals, … must report; citizens may."""
    case = engine.report("solo_living", **_args(reporter={"kind": kind, "name": "报告人"}))
    assert case.record.reporter.mandatory is mandatory


def test_an_unknown_reporter_kind_or_report_type_is_refused(engine: Engine) -> None:
    """Only the listed reporter kinds and the six types are accepted."""
    with pytest.raises(InvalidInput, match="reporter kind"):
        engine.report("solo_living", **_args(reporter={"kind": "alien", "name": "x"}))
    with pytest.raises(InvalidInput, match="unknown report type"):
        engine.report("lost_pet", **_args())
    assert list(engine.cases()) == []


# --- events ---------------------------------------------------------------------------------------


def test_events_are_numbered_and_chained_by_hash(driver: Any, branches: Any) -> None:
    """seq runs 1..n, each prev_hash is the previous hash, each hash recomputes; version is n."""
    driver.report("suspected_abuse")
    case = driver.run(branches["suspected_abuse"])
    events = [e.event for e in driver.engine.history(case.id)]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for prev, ev in itertools.pairwise(events):
        assert ev.prev_hash == prev.hash
        assert ev.from_state == prev.to_state
    for ev in events:
        assert ev.computed_hash() == ev.hash
        assert ev.case_id == case.id
    assert case.version == events[-1].seq
    assert case.record.head_hash == events[-1].hash
    assert len({e.hash for e in events}) == len(events)


def test_the_report_is_event_one_by_the_reporter(engine: Engine) -> None:
    """Event 1 is trigger report, role reporter, actor the reporter's name, into reported."""
    case = engine.report("solo_living", **_args())
    (first,) = [e.event for e in engine.history(case.id)]
    assert (first.seq, first.trigger, first.role, first.actor) == (
        1,
        "report",
        "reporter",
        "青山镇中心小学",
    )
    assert (first.from_state, first.to_state) == (None, "reported")
    assert first.occurred_at == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    assert case.state == "reported"
    assert case.version == 1


def test_a_changed_event_no_longer_matches_its_hash(engine: Engine) -> None:
    """computed_hash covers the content: altering an event's data breaks the chain."""
    from dataclasses import replace

    case = engine.report("solo_living", **_args())
    ev = engine.history(case.id)[0].event
    forged = replace(ev, actor="别人")
    assert forged.computed_hash() != ev.hash


def test_every_event_carries_the_citation_of_its_clause(driver: Any, branches: Any) -> None:
    """History shows each event with the clause it comes from."""
    driver.report("guardian_nonperformance")
    case = driver.run(branches["guardian_nonperformance"])
    cites = {e.event.trigger: e.citation for e in driver.engine.history(case.id)}
    assert cites["report"] == "001 §四(三)1"
    assert cites["dispatch"] == C_EMERGENCY
    assert cites["start_assessment"] == C_ASSESS
    assert cites["petition_revocation"] == C_PETITION  # 001 §四(三)4; Civil Code Art. 36
    assert cites["record_court_decision"] == C_INTERVENE


def _refused_calls() -> list[tuple[str, str, dict[str, Any], type[ShouhuError]]]:
    return [
        ("complete_emergency", "police", {}, TransitionRefused),
        ("notify_township", "police", {}, TransitionRefused),
        ("dispatch", "township", {}, TransitionRefused),
        ("order_parents_return", "auditor", {}, TransitionRefused),
        ("order_parents_return", "system", {}, TransitionRefused),
        ("place_in_temporary_care", "police", {"placement": "x"}, InvalidInput),
        ("teleport", "police", {}, InvalidInput),
        ("order_parents_return", "police", {"extra": 1}, InvalidInput),
    ]


@pytest.mark.parametrize(("trigger", "role", "data", "error"), _refused_calls())
def test_every_refused_call_leaves_the_case_unchanged(
    driver: Any, trigger: str, role: str, data: dict[str, Any], error: type[ShouhuError]
) -> None:
    """Version, state, facts and history are the same after a refusal as before it."""
    driver.report()
    driver.fire("dispatch")
    before = snapshot(driver.engine, driver.case_id)
    with pytest.raises(error):
        driver.fire(trigger, role, data)
    assert snapshot(driver.engine, driver.case_id) == before


# --- next() ---------------------------------------------------------------------------------------


def test_next_lists_the_triggers_possible_now_with_roles_and_data(driver: Any) -> None:
    """Right after the report: dispatch or dismiss, for the police; dismiss needs a reason.
    Commending the reporter is offered in every open state, its guard judged on the case's
    reporter: a school reported, so it does not hold."""
    driver.report()
    options = {o.trigger: o for o in driver.engine.next(driver.case_id)}
    assert set(options) == {"dispatch", "dismiss", "commend_reporter"}
    assert [g["holds"] for g in options["commend_reporter"].guards] == [False, True]
    assert options["commend_reporter"].data == (
        {
            "name": "note",
            "kind": "text",
            "required": False,
            "description": "the praise or reward given",
        },
    )
    assert options["dispatch"].roles == ("police",)
    assert options["dispatch"].to == ("dispatched",)
    assert options["dismiss"].to == ("closed",)
    assert options["dismiss"].data == (
        {
            "name": "reason_kind",
            "kind": "choice",
            "required": True,
            "choices": list(DISMISSAL_REASONS),
        },
        {"name": "reason", "kind": "text", "required": True, "description": "why, in words"},
    )


def test_next_after_dispatch_shows_the_measures_and_not_the_schedulers_triggers(
    driver: Any,
) -> None:
    """Measures, facts and complete_emergency are listed; system triggers are not."""
    driver.report()
    driver.fire("dispatch")
    triggers = [o.trigger for o in driver.engine.next(driver.case_id)]
    for t in (
        "complete_emergency",
        "order_parents_return",
        "admonish_parents",
        "designate_entrusted_guardian",
        "place_in_temporary_care",
        "education_given",
    ):
        assert t in triggers
    assert "dispatch" not in triggers
    assert "nonperformance_six_months" not in triggers
    assert "deadline_missed" not in triggers
    option = next(
        o for o in driver.engine.next(driver.case_id) if o.trigger == "place_in_temporary_care"
    )
    (field,) = option.data
    assert field["name"] == "placement"
    assert field["required"] is True
    assert "relief_agency" in field["choices"]


def test_next_shows_whether_complete_emergencys_guard_holds(driver: Any) -> None:
    """Before the child is in care the guard does not hold and says why; afterwards it holds."""
    driver.report()
    driver.fire("dispatch")

    def guard() -> dict[str, Any]:
        (opt,) = [
            o for o in driver.engine.next(driver.case_id) if o.trigger == "complete_emergency"
        ]
        (g,) = opt.guards
        return g

    g = guard()
    assert g["name"] == "child_in_care"
    assert g["holds"] is False
    assert "not yet in anyone's care" in g["reason"]
    assert g["citation"] == C_EMERGENCY
    driver.fire("designate_entrusted_guardian", data={"guardian_name": "王大爷"})
    assert "训诫" in guard()["reason"]  # a child living alone: the parents admonished too
    driver.fire("admonish_parents")
    g = guard()
    assert g["holds"] is True
    assert "reason" not in g


def test_next_shows_for_which_grounds_a_petition_holds(driver: Any) -> None:
    """petition_revocation's guard lists the grounds that hold now: none, then ground (a)."""
    driver.report("guardian_nonperformance")
    driver.run(
        (
            ("dispatch", "police", {}),
            ("parents_returned", "police", {}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            (
                "complete_assessment",
                "township",
                {
                    "safety": "low",
                    "guardianship": "low",
                    "health": "low",
                    "participants": "civil_affairs,police",
                },
            ),
            ("start_intervention", "police", {}),
        )
    )

    def guard() -> dict[str, Any]:
        (opt,) = [
            o for o in driver.engine.next(driver.case_id) if o.trigger == "petition_revocation"
        ]
        assert opt.roles == tuple(sorted(PETITIONERS))
        (g,) = opt.guards
        return g

    assert guard()["holds"] is False
    assert guard()["holds_for"] == {"ground": []}
    driver.fire("record_unsupervised_danger", data={"description": "独自在家"})
    driver.fire("education_given")
    driver.fire("refused_to_correct")
    g = guard()
    assert g["holds"] is True
    assert g["holds_for"] == {"ground": ["unsupervised_danger_uncorrected"]}


def test_next_on_a_petitioned_case_offers_both_court_outcomes(driver: Any) -> None:
    """record_court_decision may lead to assisting or intervening; only the court fires it."""
    _to_petitioned(driver)
    opt, praise = driver.engine.next(driver.case_id)
    assert praise.trigger == "commend_reporter"  # offered in every open state
    assert opt.trigger == "record_court_decision"
    assert opt.roles == ("court",)
    assert set(opt.to) == {"assisting", "intervening"}
    assert opt.to_dict()["trigger"] == "record_court_decision"


# --- views and identity ---------------------------------------------------------------------------


def test_the_json_view_without_identity_carries_no_child_identity(
    driver: Any, branches: Any
) -> None:
    """The child's name, birthdate and id number appear nowhere in the default view."""
    idn = _valid_id()
    driver.report(
        "guardian_nonperformance",
        child={"name": "王小明", "birthdate": "2016-02-01", "id_number": idn},
    )
    case = driver.run(branches["guardian_nonperformance"])
    text = json.dumps(case.to_dict("Asia/Shanghai"), ensure_ascii=False)
    for secret in ("王小明", "2016-02-01", idn, "20160201"):
        assert secret not in text
    assert json.loads(text)["child"] == {
        "identity": "withheld",
        "left_behind": True,
        "age_at_discovery": 10,
    }


def test_the_json_view_with_identity_shows_the_child(driver: Any) -> None:
    """identity=True shows name, birthdate and id number, on the case and in the report event."""
    idn = _valid_id()
    case = driver.report(child={"name": "王小明", "birthdate": "2016-02-01", "id_number": idn})
    out = driver.engine.case(case.id).to_dict("Asia/Shanghai", identity=True)
    assert out["child"]["name"] == "王小明"
    assert out["child"]["birthdate"] == "2016-02-01"
    assert out["child"]["id_number"] == idn
    assert out["history"][0]["data"]["child"]["name"] == "王小明"


def test_the_json_view_shows_times_in_the_jurisdictions_zone(driver: Any) -> None:
    """Times in the view are local with their offset."""
    case = driver.report()
    out = case.to_dict("Asia/Shanghai")
    assert out["reported_at"] == "2026-03-02T08:30:00+08:00"
    assert out["discovered_at"] == "2026-03-02T08:10:00+08:00"
    assert out["history"][0]["occurred_at"] == "2026-03-02T08:30:00+08:00"


# --- listing and batches --------------------------------------------------------------------------


def test_report_many_files_every_report_in_order(engine: Engine) -> None:
    """report_many returns the new ids in order and every case exists."""
    reqs = [ReportRequest(t, **_args()) for t in ("solo_living", "missing_child", "suspected_harm")]
    ids = engine.report_many(reqs)
    assert len(set(ids)) == 3
    assert [engine.case(i).type for i in ids] == ["solo_living", "missing_child", "suspected_harm"]


def test_report_many_is_all_or_none(engine: Engine) -> None:
    """One bad request in a batch: nothing is filed."""
    reqs = [
        ReportRequest("solo_living", **_args()),
        ReportRequest("missing_child", **_args(child={"name": "王", "birthdate": "2000-01-01"})),
    ]
    with pytest.raises(InvalidInput):
        engine.report_many(reqs)
    assert list(engine.cases()) == []


def test_cases_are_listed_in_filing_order_and_filtered(engine: Engine, clock: FakeClock) -> None:
    """cases() lists in id (= filing) order, by type and state, a page at a time."""
    ids = []
    for t in ("solo_living", "missing_child", "solo_living", "suspected_harm"):
        ids.append(engine.report(t, **_args(), new_case=True).id)
        clock.advance(seconds=1)
    engine.fire(
        ids[2], "dispatch", actor={"name": "李", "role": "police"}, occurred_at="2026-03-02T09:00"
    )
    assert [c.id for c in engine.cases()] == ids
    assert [c.id for c in engine.cases(type="solo_living")] == [ids[0], ids[2]]
    assert [c.id for c in engine.cases(state="dispatched")] == [ids[2]]
    assert [c.id for c in engine.cases(type="solo_living", state="reported")] == [ids[0]]
    assert [c.id for c in engine.cases(limit=2)] == ids[:2]
    assert [c.id for c in engine.cases(limit=2, after=ids[1])] == ids[2:]
    summary = next(iter(engine.cases(state="dispatched")))
    assert (summary.type, summary.version, summary.township) == ("solo_living", 2, "青山镇")


@pytest.mark.parametrize("kwargs", [{"type": "lost_pet"}, {"state": "sleeping"}, {"limit": 0}])
def test_listing_with_an_unknown_filter_is_bad_input(
    engine: Engine, kwargs: dict[str, Any]
) -> None:
    """An unknown type or state, or a limit below 1, is InvalidInput."""
    with pytest.raises(InvalidInput):
        list(engine.cases(**kwargs))


def test_a_case_is_found_whatever_the_case_of_its_id(engine: Engine) -> None:
    """Case ids are shown upper case; a lower-case id finds the same case."""
    case = engine.report("solo_living", **_args())
    assert engine.case(case.id.lower()).id == case.id
