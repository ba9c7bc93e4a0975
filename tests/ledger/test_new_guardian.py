"""The court's new guardian on the child's watch: a report case's decision recorded on the
ledger in the same transaction (001 §四(三)4 — 另行指定监护人; Civil Code Arts. 36, 38)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import Engine, FireRequest
from shouhu.engine.guardianship import decision
from shouhu.errors import TransitionRefused

VC = {"name": "村儿童主任", "role": "village_committee"}
#: The child the shared Driver reports (tests/conftest.py): 王小明, born 2016-02-01.
CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-02-01"
COURT = ("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"})


def watched_child(engine: Engine, **data: Any) -> str:
    """The report's child (王小明, 石桥村, 青山镇) on the ledger since 1 March."""
    return engine.register(
        "child",
        person={"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE},
        location="石桥村, 青山镇",
        actor=VC,
        at="2026-03-01T09:00",
        data={"parents_away": "both", "guardian": "张奶奶", "agreement_signed": True, **data},
    ).id


def up_to_the_court(engine: Engine, make_driver: Any) -> Any:
    d = make_driver(engine)
    d.report("guardian_nonperformance")
    d.until("guardian_nonperformance", "record_court_decision")
    return d


def test_the_childs_watch_records_the_guardian_the_court_appoints(
    store_engine: Engine, make_driver: Any
) -> None:
    """On memory, SQLite and PostgreSQL: the revocation on the report case puts the new
    guardian on the watch by a guardian_changed event naming the case, and verify agrees."""
    watch = watched_child(store_engine)
    d = up_to_the_court(store_engine, make_driver)
    d.fire(*COURT)
    events = store_engine.store.events(watch)
    last = events[-1]
    assert last.trigger == "guardian_changed"
    assert last.role == "system"
    assert last.data["decision"] == "revoked"
    assert last.data["guardian"] == "王奶奶"
    assert last.data["report_case"] == d.case_id
    assert "另行指定监护人" in last.data["citation"]
    shown = store_engine.case(watch)
    assert shown.facts["guardian"] == "王奶奶"
    assert shown.facts["agreement_signed"] is False
    assert store_engine.verify().ok


def test_a_rejected_petition_leaves_the_watch_as_it_was(engine: Engine, make_driver: Any) -> None:
    watch = watched_child(engine)
    d = up_to_the_court(engine, make_driver)
    before = len(engine.store.events(watch))
    d.fire("record_court_decision", "court", {"outcome": "rejected"})
    assert len(engine.store.events(watch)) == before
    assert engine.case(watch).facts["guardian"] == "张奶奶"


def test_a_child_on_no_ledger_has_the_decision_recorded_on_the_report_alone(
    engine: Engine, make_driver: Any
) -> None:
    d = up_to_the_court(engine, make_driver)
    case = d.fire(*COURT)
    assert case.state == "assisting"
    assert [c.type for c in engine.cases()] == ["guardian_nonperformance"]


def test_the_decision_and_the_watch_event_are_written_together_or_not_at_all(
    engine: Engine, make_driver: Any
) -> None:
    """A batch whose next request is refused writes neither the decision nor the watch's
    event."""
    watch = watched_child(engine)
    d = up_to_the_court(engine, make_driver)
    before_watch, before_report = (
        len(engine.store.events(watch)),
        len(engine.store.events(d.case_id)),
    )
    court = {"name": "县人民法院", "role": "court"}
    with pytest.raises(TransitionRefused):
        engine.fire_many(
            [
                FireRequest(d.case_id, "record_court_decision", court, data=COURT[2]),
                FireRequest(d.case_id, "record_court_decision", court, data=COURT[2]),
            ]
        )
    assert len(engine.store.events(watch)) == before_watch
    assert len(engine.store.events(d.case_id)) == before_report


def test_no_one_but_the_engine_records_a_court_decision_on_the_watch(
    engine: Engine, make_driver: Any
) -> None:
    watch = watched_child(engine)
    with pytest.raises(TransitionRefused):
        engine.fire(
            watch,
            "guardian_changed",
            actor={"name": "县人民法院", "role": "court"},
            data={"decision": "revoked", "guardian": "王奶奶", "report_case": "X"},
        )


def test_the_new_guardian_on_the_watch_puts_no_childs_identity_in_logs_or_notices(
    engine: Engine, make_driver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    watch = watched_child(engine)
    d = up_to_the_court(engine, make_driver)
    with caplog.at_level(logging.DEBUG, logger="shouhu"):
        d.fire(*COURT)
    text = caplog.text + repr(engine.notices())
    assert engine.store.events(watch)[-1].trigger == "guardian_changed"
    for secret in (CHILD_NAME, CHILD_BIRTHDATE):
        assert secret not in text


def test_a_restored_guardian_is_what_the_restoration_decision_tells_the_watch() -> None:
    """Civil Code Art. 38: a restoration granted is recorded on the watch as restored; one
    refused, or a court decision that revoked no one, changes nothing."""
    restored = decision("record_restoration_decision", {"outcome": "restored"})
    assert restored is not None
    assert restored["decision"] == "restored"
    assert "Art. 38" in restored["citation"]
    with_name = decision(
        "record_restoration_decision", {"outcome": "restored", "guardian": "王大明"}
    )
    assert with_name is not None
    assert with_name["guardian"] == "王大明"
    assert decision("record_restoration_decision", {"outcome": "rejected"}) is None
    assert decision("record_court_decision", {"outcome": "rejected"}) is None
    revoked = decision("record_court_decision", {"outcome": "revoked", "new_guardian": "王奶奶"})
    assert revoked is not None
    assert revoked["guardian"] == "王奶奶"


def test_a_decision_fired_in_a_batch_tells_the_watch_in_that_batch(
    engine: Engine, make_driver: Any
) -> None:
    watch = watched_child(engine)
    d = up_to_the_court(engine, make_driver)
    court = {"name": "县人民法院", "role": "court"}
    engine.fire_many([FireRequest(d.case_id, "record_court_decision", court, data=COURT[2])])
    assert [e.trigger for e in engine.store.events(watch)] == ["register", "guardian_changed"]
    assert engine.verify().ok


def test_a_watch_registered_under_child_watch_v1_is_left_as_it_was(
    tmp_path: Any, make_driver: Any
) -> None:
    """v1 has no guardian_changed: the decision is recorded on the report alone, and both
    replay as recorded."""
    from shouhu import FakeClock, workflows
    from shouhu.workflows.workflowset import WorkflowSet

    v1 = WorkflowSet(wf for key, wf in workflows.DEFAULT.registry.items() if key[1] == 1)
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    clock = FakeClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    with Engine.open(url, clock=clock, zone="Asia/Shanghai", workflows=v1) as old:
        watch = watched_child(old)
    with Engine.open(url, clock=clock, zone="Asia/Shanghai") as engine:
        d = up_to_the_court(engine, make_driver)
        assert d.fire(*COURT).state == "assisting"
        assert [e.trigger for e in engine.store.events(watch)] == ["register"]
        assert engine.verify().ok
