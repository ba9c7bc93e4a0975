"""``Engine.fire_many``: many triggers in one transaction, each judged as ``fire`` judges it,
all or none — on every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shouhu import (
    Conflict,
    Engine,
    FakeClock,
    FireRequest,
    InvalidInput,
    NotFound,
    TransitionRefused,
)

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # the fake clock: 2026-03-10T10:00+08:00
ZONE = "Asia/Shanghai"
POLICE = {"name": "李警官", "role": "police"}
#: The first five steps of suspected_harm's branch (the same as conftest's BRANCHES).
HARM_STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dispatch", "police", {}),
    ("stop_harm", "police", {}),
    ("collect_evidence", "police", {}),
    ("arrange_medical_care", "police", {}),
    ("record_injury_assessment", "police", {"severity": "minor"}),
)


def _report(engine: Engine) -> str:
    return engine.report(
        "suspected_harm",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        discovered_at="2026-03-02T08:10",
        occurred_at="2026-03-02T08:30",
        new_case=True,  # the same child again and again: each test drives several cases
    ).id


def _file(engine: Engine, n: int) -> list[str]:
    return [_report(engine) for _ in range(n)]


def _snapshot(engine: Engine) -> tuple[list[tuple[str, str, int]], int, list[tuple[Any, ...]]]:
    cases = [(c.id, c.state, c.version) for c in engine.cases()]
    events = sum(len(engine.history(c.id)) for c in engine.cases())
    rows = [(d["case_id"], d["kind"], d["status"]) for d in engine.deadlines()]
    return cases, events, rows


def _branch(case_id: str, start_hour: int = 9) -> list[FireRequest]:
    """The first five steps of suspected_harm's branch on one case, a minute apart."""
    return [
        FireRequest(
            case_id,
            trigger,
            {"name": "经办人", "role": role},
            occurred_at=f"2026-03-02T{start_hour:02d}:{k:02d}",
            data=data,
        )
        for k, (trigger, role, data) in enumerate(HARM_STEPS)
    ]


def test_fire_many_moves_several_cases_several_steps_in_order(store_engine: Engine) -> None:
    """A batch may move one case several steps: each request sees the case as the earlier
    ones left it, and the result gives each request's case after it."""
    a, b = _file(store_engine, 2)
    batch = [r for pair in zip(_branch(a), _branch(b), strict=True) for r in pair]
    after = store_engine.fire_many(batch)
    assert [(s.id, s.version) for s in after] == [
        (case_id, version) for version in range(2, 7) for case_id in (a, b)
    ]
    for case_id in (a, b):
        history = store_engine.history(case_id)
        assert [e.trigger for e in history] == ["report"] + [t for t, _, _ in HARM_STEPS]
        assert store_engine.case(case_id).state == history[-1].to_state == after[-1].state
    assert store_engine.verify().ok


def _record_of(engine: Engine, case_id: str, *others: str) -> str:
    """What a case's steps wrote, as text, with what differs between two cases (its id and
    the ``others`` it links to) replaced and hashes left out."""
    view = engine.case(case_id)
    record = (
        view.state,
        view.facts,
        [
            (e.seq, e.trigger, e.from_state, e.to_state, e.role, e.occurred_at, e.data, e.effects)
            for e in engine.history(case_id)
        ][1:],
        sorted(
            (d["kind"], d["status"], d["due_at"], d.get("closed_seq"), d.get("met_at"))
            for d in engine.deadlines(case_id=case_id)
        ),
        sorted((n.kind, n.seq, json.dumps(n.payload)) for n in engine.notices(case_id=case_id)),
    )
    text = json.dumps(record, default=str, ensure_ascii=False, sort_keys=True)
    for k, other in enumerate((case_id, *others)):
        text = text.replace(other, f"<case {k}>")
    return text


def _requests(case_id: str, steps: Any, start: datetime) -> list[FireRequest]:
    return [
        FireRequest(
            case_id,
            trigger,
            {"name": "经办人", "role": role},
            occurred_at=start + timedelta(minutes=10 * k),
            data=data,
        )
        for k, (trigger, role, data) in enumerate(steps)
    ]


def test_a_batch_records_what_firing_one_by_one_records(
    store_engine: Engine, branches: dict[str, Any]
) -> None:
    """Every type's branch to closed — deadlines started, met and new ones started inside
    the batch, notices, the six-month ground — in one interleaved batch writes the events,
    facts, deadline rows and notices that firing the same steps one by one writes."""
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    one_by_one: dict[str, str] = {}
    batched: dict[str, str] = {}
    for type_ in branches:
        for into in (one_by_one, batched):
            into[type_] = store_engine.report(
                type_,
                child={"name": "王小明", "birthdate": "2016-02-01"},
                location="石桥村, 青山镇",
                reporter={"kind": "school", "name": "青山镇中心小学"},
                discovered_at="2026-03-02T08:10",
                occurred_at="2026-03-02T08:30",
                data={"nonperformance_since": "2025-06-01"}
                if type_ == "guardian_nonperformance"
                else {},
                new_case=True,
            ).id
    for type_, case_id in one_by_one.items():
        for r in _requests(case_id, branches[type_], start):
            store_engine.fire(
                r.case_id, r.trigger, actor=r.actor, occurred_at=r.occurred_at, data=r.data
            )
    plans = [_requests(case_id, branches[t], start) for t, case_id in batched.items()]
    interleaved = [r for step in itertools.zip_longest(*plans) for r in step if r is not None]
    store_engine.fire_many(interleaved)
    for type_ in branches:
        assert store_engine.case(batched[type_]).state == "closed"
        assert _record_of(store_engine, batched[type_]) == _record_of(
            store_engine, one_by_one[type_]
        )
    assert store_engine.verify().ok


def test_a_batch_catches_up_a_watchs_missed_month_and_files_a_raised_report(
    store_engine: Engine, clock: FakeClock
) -> None:
    """A visit recorded in a batch after an unswept month end records the miss first, as
    fire does; a report raised in the same batch is filed and linked both ways."""
    clock.set(datetime(2026, 2, 10, 1, 0, tzinfo=UTC))
    vc = {"name": "村儿童主任", "role": "village_committee"}
    watches = [
        store_engine.register(
            "child",
            person={"name": name, "birthdate": "2015-04-30"},
            location="青山村, 白水镇",
            actor=vc,
            data={"parents_away": "both", "guardian": "张奶奶", "agreement_signed": True},
        ).id
        for name in ("张三", "李四")
    ]
    clock.set(datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    visit = {"guardian_present": False, "concerns": "独自在家"}
    raised = {"type": "solo_living"}
    a, b = watches
    store_engine.fire(a, "record_visit", actor=vc, data=visit)
    store_engine.fire(a, "raise_report", actor=vc, data=raised)
    store_engine.fire_many(
        [
            FireRequest(b, "record_visit", vc, data=visit),
            FireRequest(b, "raise_report", vc, data=raised),
        ]
    )
    report_ids = [store_engine.case(w).facts["reports"][-1] for w in watches]
    assert [e.trigger for e in store_engine.history(b)][1:] == [
        "deadline_missed",
        "record_visit",
        "raise_report",
    ]
    assert _record_of(store_engine, b, report_ids[1]) == _record_of(store_engine, a, report_ids[0])
    assert _record_of(store_engine, report_ids[1], b) == _record_of(store_engine, report_ids[0], a)
    for report_id, watch in zip(report_ids, watches, strict=True):
        assert store_engine.case(report_id).facts["watch_case"] == watch
    assert store_engine.verify().ok


def test_a_batch_meets_the_dispatch_deadlines_it_dispatches(store_engine: Engine) -> None:
    """Deadlines move in the batch's transaction: dispatching meets each case's duty."""
    ids = _file(store_engine, 3)
    store_engine.fire_many(
        [FireRequest(i, "dispatch", POLICE, occurred_at="2026-03-02T09:00") for i in ids]
    )
    assert {(d["case_id"], d["kind"], d["status"]) for d in store_engine.deadlines()} >= {
        (i, "dispatch", "met") for i in ids
    }
    assert store_engine.run_due(NOW) == []


COURT = {"name": "某法官", "role": "court"}
SYSTEM = {"name": "调度", "role": "system"}
NO_CASE = "0000000000000000"
BAD = [
    ("wrong state", FireRequest("{a}", "close", POLICE), TransitionRefused, "rule state"),
    ("wrong role", FireRequest("{a}", "stop_harm", COURT), TransitionRefused, "role"),
    ("system role", FireRequest("{a}", "dispatch", SYSTEM), TransitionRefused, "system"),
    ("unknown case", FireRequest(NO_CASE, "dispatch", POLICE), NotFound, NO_CASE),
    ("unknown trigger", FireRequest("{a}", "no_such", POLICE), InvalidInput, "no_such"),
    (
        "bad data",
        FireRequest("{a}", "record_injury_assessment", POLICE, data={"severity": "x"}),
        InvalidInput,
        "severity",
    ),
    ("stale version", FireRequest("{a}", "stop_harm", POLICE, expected_version=1), Conflict, "1"),
    (
        "time going back",
        FireRequest("{a}", "stop_harm", POLICE, occurred_at="2026-03-01T00:00"),
        InvalidInput,
        "precedes",
    ),
    ("not a request", ("{a}", "stop_harm"), InvalidInput, "FireRequest"),
]


@pytest.mark.parametrize(("bad", "error", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_one_refused_request_writes_nothing_of_the_batch_and_says_which(
    store_engine: Engine, bad: Any, error: type[Exception], words: str
) -> None:
    """The last request refused: the earlier ones are not written either; the error is
    what ``fire`` raises, with the request's place in the batch."""
    a, b = _file(store_engine, 2)
    bad = _with_case(bad, a)
    before = _snapshot(store_engine)
    good = [
        FireRequest(a, "dispatch", POLICE, occurred_at="2026-03-02T09:00"),
        FireRequest(b, "dispatch", POLICE, occurred_at="2026-03-02T09:00"),
        FireRequest(a, "collect_evidence", POLICE, occurred_at="2026-03-02T09:10"),
    ]
    with pytest.raises(error) as caught:
        store_engine.fire_many([*good, bad])
    assert str(caught.value).startswith("request 3: ")
    assert words in str(caught.value)
    assert getattr(caught.value, "data", {}).get("index") == 3
    assert _snapshot(store_engine) == before


def _with_case(bad: Any, case_id: str) -> Any:
    if isinstance(bad, FireRequest):
        return FireRequest(
            bad.case_id.format(a=case_id),
            bad.trigger,
            bad.actor,
            bad.occurred_at,
            bad.data,
            bad.expected_version,
        )
    return tuple(x.format(a=case_id) for x in bad)


def test_an_empty_batch_writes_nothing_and_returns_nothing(store_engine: Engine) -> None:
    """fire_many([]) is no error: nothing happens."""
    _file(store_engine, 1)
    before = _snapshot(store_engine)
    assert store_engine.fire_many([]) == []
    assert _snapshot(store_engine) == before
