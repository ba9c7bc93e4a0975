"""The grounds for revoking a guardian, as 001 §四(三)4 and Civil Code Arts. 36 and 38 say them.

Each test drives a new case (the second definitions of the report types) to guardianship
intervention and asks whether a petition on a ground is accepted with what is on the record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import Engine, FakeClock
from shouhu.errors import InvalidInput, TransitionRefused
from shouhu.workflows import latest
from shouhu.workflows.spine2 import GROUNDS
from shouhu.workflows.vocab import PETITIONERS
from tests.conftest import BRANCHES, Driver

LOW = {
    "safety": "low",
    "guardianship": "low",
    "health": "low",
    "participants": "civil_affairs,police",
}


def to_intervention(driver: Driver, type_: str, *facts: tuple[str, str, dict[str, Any]]) -> None:
    """File a ``type_`` report and take it through the emergency (its branch), the facts given,
    an assessment with every risk rated low, to ``intervening``."""
    driver.report(type_)
    steps = BRANCHES[type_]
    names = [s[0] for s in steps]
    driver.run(steps[: names.index("complete_emergency") + 1])
    driver.run(
        (
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            *facts,
            ("complete_assessment", "township", LOW),
            ("start_intervention", "civil_affairs", {}),
        )
    )


def petition(driver: Driver, ground: str, role: str = "civil_affairs") -> Any:
    return driver.fire("petition_revocation", role, {"ground": ground})


EDUCATED = (
    ("education_given", "police", {}),
    ("refused_to_correct", "village_committee", {}),
)


def test_ground_a_needs_the_child_left_unsupervised_and_in_danger(driver: Driver) -> None:
    to_intervention(driver, "solo_living", *EDUCATED)
    with pytest.raises(TransitionRefused) as refused:
        petition(driver, "unsupervised_danger_uncorrected")
    assert refused.value.data["guard"] == "ground_holds"
    assert "record_unsupervised_danger" in str(refused.value)
    assert "置于无人监管和照看状态导致其面临危险且经教育不改" in str(refused.value)
    driver.fire("record_unsupervised_danger", "police", {"description": "独自在家,煤气未关"})
    assert petition(driver, "unsupervised_danger_uncorrected").state == "petitioned"


def test_ground_a_needs_the_guardian_educated_and_unchanged(driver: Driver) -> None:
    to_intervention(
        driver,
        "solo_living",
        ("record_unsupervised_danger", "police", {"description": "独自在家"}),
        ("education_given", "police", {}),
    )
    with pytest.raises(TransitionRefused, match="refused_to_correct"):
        petition(driver, "unsupervised_danger_uncorrected")


def test_ground_a_counts_a_child_found_unattended_in_danger_when_the_violence_was_stopped(
    driver: Driver,
) -> None:
    driver.report("suspected_abuse")
    driver.run(
        (
            ("dispatch", "police", {}),
            (
                "stop_violence",
                "police",
                {"seriously_hurt": False, "safety_threatened": False, "unattended_in_danger": True},
            ),
            ("place_in_shelter", "civil_affairs", {"placement": "relief_agency"}),
            ("collect_evidence", "police", {}),
            ("arrange_medical_care", "police", {}),
            ("record_injury_assessment", "police", {"severity": "minor"}),
            ("complete_emergency", "police", {}),
            ("notify_township", "police", {}),
            ("start_assessment", "township", {}),
            ("complete_assessment", "township", LOW),
            ("start_intervention", "police", {}),
            *EDUCATED,
        )
    )
    assert petition(driver, "unsupervised_danger_uncorrected").state == "petitioned"


def test_ground_b_needs_six_months_and_a_finding_that_the_child_was_left_without_means(
    engine: Engine, driver: Driver
) -> None:
    to_intervention(
        driver,
        "guardian_nonperformance",
        ("record_nonperformance", "township", {"since": "2025-08-01"}),
    )
    engine.run_due()  # six months from 2025-08-01 have run by the clock's 2026-03-10
    assert engine.case(driver.case_id).facts["nonperformance_matured"] is True
    with pytest.raises(TransitionRefused) as refused:
        petition(driver, "nonperformance_six_months")
    assert "record_no_means_of_living" in str(refused.value)
    assert "生活无着" in str(refused.value)
    driver.fire("record_no_means_of_living", "township")
    assert petition(driver, "nonperformance_six_months").state == "petitioned"


def test_ground_b_is_refused_before_six_months_have_run_even_with_no_means_of_living(
    driver: Driver,
) -> None:
    to_intervention(
        driver,
        "guardian_nonperformance",
        ("record_nonperformance", "township", {"since": "2026-01-10"}),
        ("record_no_means_of_living", "township", {}),
    )
    with pytest.raises(TransitionRefused, match="refused since 2026-01-10"):
        petition(driver, "nonperformance_six_months")


def test_ground_c_needs_the_harm_done_by_the_guardian(driver: Driver) -> None:
    to_intervention(
        driver,
        "suspected_harm",
        ("record_perpetrator", "police", {"relation": "stranger", "act": "other_harm"}),
        ("record_psychological_assessment", "township", {"severity": "serious"}),
    )
    with pytest.raises(TransitionRefused) as refused:
        petition(driver, "serious_harm")
    assert "the harm done by the guardian" in str(refused.value)
    with pytest.raises(TransitionRefused, match="the harm done by the guardian"):
        petition(driver, "art36_serious_harm")


def test_ground_c_counts_serious_harm_to_the_mind_not_only_an_injury(driver: Driver) -> None:
    to_intervention(
        driver,
        "suspected_harm",  # its branch records a minor injury
        ("record_perpetrator", "police", {"relation": "entrusted_guardian", "act": "abuse"}),
    )
    with pytest.raises(TransitionRefused, match="serious harm to body or mind"):
        petition(driver, "serious_harm")
    driver.fire("record_psychological_assessment", "township", {"severity": "serious"})
    assert petition(driver, "serious_harm").state == "petitioned"


def test_ground_c_needs_domestic_violence_abuse_or_abandonment(driver: Driver) -> None:
    to_intervention(
        driver,
        "suspected_abuse",
        ("record_perpetrator", "police", {"relation": "parent", "act": "other_harm"}),
    )
    with pytest.raises(TransitionRefused, match="domestic violence, abuse or abandonment"):
        petition(driver, "serious_harm")
    # Civil Code Art. 36 para 1 (1) asks only for serious harm by the guardian.
    assert petition(driver, "art36_serious_harm").state == "petitioned"


def test_art_36_distress_needs_a_neglecting_guardian_and_a_child_in_distress(
    driver: Driver,
) -> None:
    to_intervention(driver, "guardian_incapacity", ("record_guardian_neglect", "township", {}))
    with pytest.raises(TransitionRefused, match="危困状态"):
        petition(driver, "art36_distress")
    driver.fire("record_no_means_of_living", "township")
    assert petition(driver, "art36_distress").state == "petitioned"


def test_art_36_other_serious_infringement_is_a_ground_once_recorded(driver: Driver) -> None:
    to_intervention(driver, "guardian_incapacity")
    with pytest.raises(TransitionRefused, match="record_serious_infringement"):
        petition(driver, "art36_serious_infringement")
    driver.fire("record_serious_infringement", "police", {"description": "侵占孩子的抚恤金"})
    assert petition(driver, "art36_serious_infringement").state == "petitioned"


@pytest.mark.parametrize("role", PETITIONERS)
def test_the_petitioners_are_those_of_the_seed_and_of_civil_code_art_36(
    driver: Driver, role: str
) -> None:
    to_intervention(driver, "guardian_incapacity")
    driver.fire("record_serious_infringement", "police", {"description": "侵占抚恤金"})
    assert petition(driver, "art36_serious_infringement", role).state == "petitioned"


def test_a_body_outside_art_36_may_not_petition(driver: Driver) -> None:
    to_intervention(driver, "guardian_incapacity")
    driver.fire("record_serious_infringement", "police", {"description": "侵占抚恤金"})
    with pytest.raises(TransitionRefused) as refused:
        petition(driver, "art36_serious_infringement", "township")
    assert refused.value.rule == "role"


def test_each_ground_is_data_with_its_clause_and_words() -> None:
    for type_ in (
        "solo_living",
        "missing_child",
        "guardian_incapacity",
        "guardian_nonperformance",
        "suspected_abuse",
        "suspected_harm",
    ):
        wf = latest(type_)
        assert wf.version == 2
        assert wf.grounds == GROUNDS
        (row,) = wf.rows("petition_revocation")
        assert row.data[0].choices == tuple(g.name for g in GROUNDS)
    assert [g.citation for g in GROUNDS][:3] == [
        "001 §四(三)4 (a)",
        "001 §四(三)4 (b)",
        "001 §四(三)4 (c)",
    ]
    assert all(g.quote and g.requires for g in GROUNDS)


def test_finding_a_ground_starts_the_period_after_which_civil_affairs_must_petition(
    engine: Engine, driver: Driver, clock: FakeClock
) -> None:
    from shouhu.engine.policy import parse_pack, shipped_packs

    engine.policy = parse_pack(shipped_packs()["cn-national-default@2026.2"])
    engine.policy_version = engine.policy.id
    to_intervention(driver, "guardian_incapacity")
    with pytest.raises(TransitionRefused, match="record_serious_infringement"):
        driver.fire("record_ground_found", "township", {"ground": "art36_serious_infringement"})
    driver.fire("record_serious_infringement", "police", {"description": "侵占抚恤金"})
    driver.fire("record_ground_found", "township", {"ground": "art36_serious_infringement"})
    pending = {d["kind"]: d for d in engine.deadlines(case_id=driver.case_id)}
    assert "petition_by_others" in pending
    clock.set(datetime(2026, 6, 30, tzinfo=UTC))
    engine.run_due()
    missed = [n for n in engine.notices(case_id=driver.case_id) if n.kind == "deadline_missed"]
    assert any("county civil affairs" in n.recipient and "must" in n.recipient for n in missed)


def test_a_revoked_guardian_may_petition_for_restoration_which_the_court_may_grant(
    driver: Driver,
) -> None:
    to_intervention(driver, "guardian_incapacity")
    driver.fire("record_serious_infringement", "police", {"description": "侵占抚恤金"})
    petition(driver, "art36_serious_infringement")
    driver.fire("record_court_decision", "court", {"outcome": "rejected"})  # back to intervening
    with pytest.raises(TransitionRefused, match="has not been revoked"):
        driver.fire("petition_restoration", "close_relative")
    driver.fire("record_serious_infringement", "police", {"description": "再次侵占"})
    petition(driver, "art36_serious_infringement")
    driver.fire("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"})
    driver.fire("petition_restoration", "close_relative")
    with pytest.raises(InvalidInput, match="真实意愿"):
        driver.fire("record_restoration_decision", "court", {"outcome": "restored"})
    case = driver.fire(
        "record_restoration_decision",
        "court",
        {"outcome": "restored", "child_wishes_heard": True},
    )
    assert case.facts["court_outcome"] == "restored"
    assert case.facts["new_guardian"] is None  # 人民法院指定的监护人与被监护人的监护关系同时终止


def test_restoration_is_refused_after_an_intentional_crime_against_the_child(
    driver: Driver,
) -> None:
    to_intervention(driver, "suspected_abuse")
    petition(driver, "serious_harm", "village_committee")
    driver.fire(
        "record_court_decision",
        "court",
        {"outcome": "revoked", "new_guardian": "王奶奶", "intentional_crime": True},
    )
    with pytest.raises(TransitionRefused) as refused:
        driver.fire("petition_restoration", "close_relative")
    assert refused.value.data["guard"] == "restorable"
    assert "Art. 38" in refused.value.citation
