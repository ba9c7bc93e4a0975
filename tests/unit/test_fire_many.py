"""``Engine.fire_many``: many triggers in one transaction, each judged as ``fire`` judges it,
all or none — on every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import Conflict, Engine, FakeClock, InvalidInput, NotFound, TransitionRefused
from shouhu.engine.core import FireRequest

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


def test_a_batch_records_what_firing_one_by_one_records(clock: FakeClock) -> None:
    """Events, facts and deadline rows from a batch are those of the same fires one by one."""
    results = []
    for batched in (False, True):
        with Engine.in_memory(clock=FakeClock(NOW), zone=ZONE) as engine:
            (case_id,) = _file(engine, 1)
            requests = _branch(case_id)
            if batched:
                engine.fire_many(requests)
            else:
                for r in requests:
                    engine.fire(
                        r.case_id, r.trigger, actor=r.actor, occurred_at=r.occurred_at, data=r.data
                    )
            results.append(
                (
                    [
                        (e.seq, e.trigger, e.from_state, e.to_state, e.data, e.effects)
                        for e in engine.history(case_id)[1:]
                    ],
                    engine.case(case_id).facts,
                    [
                        (d["kind"], d["status"], d["due_at"])
                        for d in engine.deadlines(case_id=case_id)
                    ],
                )
            )
    assert results[0] == results[1]


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
