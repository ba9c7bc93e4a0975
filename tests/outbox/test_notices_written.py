"""Which transitions write notices, and that each is written with its event, or not at all.

A notice's ``seq`` is its event's ``seq`` and its ``created_at`` the event's ``recorded_at``;
a refused trigger or a lost race writes no event and so no notice. Run on both stores.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from outboxkit import CHILD_WITH_ID, TO_TOWNSHIP, identity_of

from shouhu import Conflict, Engine, FakeClock, TransitionRefused
from shouhu.engine.model import Notice

CST = timezone(timedelta(hours=8))
CIVIL_AFFAIRS = "county civil affairs (县级民政部门)"


def the_notice_of(engine: Engine, case_id: str, trigger: str, kind: str) -> Notice:
    """The one notice of ``kind`` for the case, checked against the one ``trigger`` event."""
    (event,) = [e for e in engine.store.events(case_id) if e.trigger == trigger]
    notices = [n for n in engine.notices(case_id=case_id) if n.kind == kind]
    assert len(notices) == 1, notices
    (n,) = notices
    assert n.seq == event.seq
    assert n.created_at == event.recorded_at
    assert n.key == f"{case_id}:{event.seq}:{kind}"
    assert (n.status, n.attempts, n.next_attempt_at, n.last_error) == ("pending", 0, None, None)
    assert n.payload["case_id"] == case_id
    assert n.payload["notice"] == kind
    assert n.payload["recipient"] == n.recipient
    assert n.payload["event"]["trigger"] == trigger
    assert n.payload["event"]["seq"] == event.seq
    text = repr(n.payload)
    for secret in identity_of(engine, case_id):
        assert secret not in text
    return n


def test_notify_township_writes_the_township_notice_with_its_event(
    store_engine: Engine, make_driver: Any
) -> None:
    """The township notice names the township body, the location and the next due times."""
    d = make_driver(store_engine)
    d.report("solo_living", child=CHILD_WITH_ID)
    d.run(TO_TOWNSHIP[:-1])
    assert [n.kind for n in store_engine.notices(case_id=d.case_id)] == ["report_accepted"]
    d.fire(*TO_TOWNSHIP[-1])
    n = the_notice_of(store_engine, d.case_id, "notify_township", "township_notice")
    assert n.recipient == "青山镇 township government (乡镇人民政府/街道办事处)"
    assert n.payload["location"] == {"village": "石桥村", "township": "青山镇", "county": None}
    assert n.payload["case_type"] == "solo_living"
    assert n.payload["state"] == "township_notified"
    assert "assessment_start" in [x["kind"] for x in n.payload["due"]]


def test_a_refused_trigger_writes_no_notice(store_engine: Engine, make_driver: Any) -> None:
    """notify_township by the wrong role, or from the wrong state: refused, outbox empty."""
    d = make_driver(store_engine)
    d.report("solo_living")
    with pytest.raises(TransitionRefused):
        d.fire("notify_township", "police")  # state: not yet emergency_handled
    d.run(TO_TOWNSHIP[:-1])
    with pytest.raises(TransitionRefused):
        d.fire("notify_township", "village_committee")  # role
    assert [n.kind for n in store_engine.notices()] == ["report_accepted"]  # dispatch's only
    assert "notify_township" not in [e.trigger for e in store_engine.store.events(d.case_id)]


def test_a_lost_race_writes_no_notice(store_engine: Engine, make_driver: Any) -> None:
    """notify_township at a stale expected version: Conflict, and no notice."""
    d = make_driver(store_engine)
    d.report("solo_living")
    d.run(TO_TOWNSHIP[:-1])
    stale = store_engine.case(d.case_id).version - 1
    with pytest.raises(Conflict):
        d.fire("notify_township", "police", expected_version=stale)
    assert [n.kind for n in store_engine.notices()] == ["report_accepted"]
    d.fire("notify_township", "police", expected_version=stale + 1)
    assert [n.kind for n in store_engine.notices()] == ["report_accepted", "township_notice"]


def test_place_in_temporary_care_notifies_civil_affairs(
    store_engine: Engine, make_driver: Any, branches: Any
) -> None:
    """Placement in temporary care writes a placement notice to county civil affairs."""
    d = make_driver(store_engine)
    d.report("guardian_incapacity")
    d.until("guardian_incapacity", "place_in_temporary_care")
    d.fire("place_in_temporary_care", "police", {"placement": "village_committee"})
    n = the_notice_of(store_engine, d.case_id, "place_in_temporary_care", "placement")
    assert n.recipient == CIVIL_AFFAIRS
    assert n.payload["case_type"] == "guardian_incapacity"


def test_place_in_shelter_notifies_civil_affairs(
    store_engine: Engine, make_driver: Any, branches: Any
) -> None:
    """Placement in shelter writes a placement notice to county civil affairs."""
    d = make_driver(store_engine)
    d.report("suspected_abuse", child=CHILD_WITH_ID)
    d.until("suspected_abuse", "place_in_shelter")
    d.fire("place_in_shelter", "civil_affairs", {"placement": "temporary_shelter"})
    n = the_notice_of(store_engine, d.case_id, "place_in_shelter", "placement")
    assert n.recipient == CIVIL_AFFAIRS
    assert n.payload["case_type"] == "suspected_abuse"


def test_a_missed_deadline_notifies_the_supervising_body(
    store_engine: Engine, make_driver: Any
) -> None:
    """A dispatch deadline passed unmet: deadline_missed tells the county public security bureau."""
    d = make_driver(store_engine)
    d.report("missing_child", child=CHILD_WITH_ID)
    fired = store_engine.run_due()
    assert [(f.case_id, f.kind, f.trigger) for f in fired] == [
        (d.case_id, "dispatch", "deadline_missed")
    ]
    n = the_notice_of(store_engine, d.case_id, "deadline_missed", "deadline_missed")
    assert n.seq == fired[0].seq
    assert n.recipient == "county public security bureau (县级公安机关)"
    assert n.payload["missed"]["kind"] == "dispatch"
    assert n.payload["missed"]["due_at"] == fired[0].due_at.astimezone(CST).isoformat()


def test_six_months_of_nonperformance_notify_those_who_may_petition(
    store_engine: Engine, clock: FakeClock, make_driver: Any
) -> None:
    """Ground (b) matures: the village committee and civil affairs, who may petition, are told."""
    d = make_driver(store_engine)
    d.report("guardian_nonperformance", data={"nonperformance_since": "2025-09-15"})
    d.until("guardian_nonperformance", "refused_to_correct")
    matures = datetime(2026, 3, 16, tzinfo=CST)
    assert store_engine.case(d.case_id).facts["nonperformance_matures_at"] == matures.isoformat()
    assert [n.kind for n in store_engine.notices(case_id=d.case_id)] == [
        "report_accepted",
        "placement",
    ]

    clock.set(matures)
    fired = [f for f in store_engine.run_due() if f.trigger == "nonperformance_six_months"]
    assert [(f.case_id, f.due_at) for f in fired] == [(d.case_id, matures)]
    n = the_notice_of(store_engine, d.case_id, "nonperformance_six_months", "ground_matured")
    assert n.seq == fired[0].seq
    assert n.recipient.startswith("village committee (村(居)民委员会) and county civil affairs")


def test_every_notice_in_a_whole_branch_is_written_once_with_its_own_event(
    store_engine: Engine, make_driver: Any, branches: Any
) -> None:
    """Across all six branches, notices are exactly those the workflow calls for, one each."""
    expected = {
        "dispatch": "report_accepted",
        "notify_township": "township_notice",
        "place_in_temporary_care": "placement",
        "place_in_shelter": "placement",
    }
    for type_, steps in branches.items():
        d = make_driver(store_engine)
        d.report(type_)
        d.run(steps)
        events = {e.seq: e.trigger for e in store_engine.store.events(d.case_id)}
        got = [(events[n.seq], n.kind) for n in store_engine.notices(case_id=d.case_id)]
        want = [(t, expected[t]) for t, _role, _data in steps if t in expected]
        assert got == want, type_
