"""The Store port's contract, one suite run on both stores: MemoryStore and SqlStore (SQLite).

Each test gets ``store_engine`` once per store and talks to ``store_engine.store`` directly.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shouhu import CaseRecord, Child, Conflict, Engine, Event, Location, Reporter
from shouhu.engine.hashing import GENESIS, event_hash
from shouhu.engine.ports import Commit

T0 = datetime(2026, 3, 2, 0, 30, 0, 123456, tzinfo=UTC)
RICH_DATA: dict[str, Any] = {
    "child": {
        "name": "王小明",
        "birthdate": "2016-02-01",
        "left_behind": True,
        "age_at_discovery": 10,
    },
    "location": {"village": "石桥村", "township": "青山镇", "county": None},
    "services": ["legal_aid", "medical_treatment"],
    "count": 3,
    "note": "“引号” and emoji 🙂\nsecond line",
}


def _event(
    case_id: str,
    seq: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    prev_hash: str,
    at: datetime,
    data: dict[str, Any] | None = None,
    role: str = "police",
) -> Event:
    payload = dict(data or {})
    fields: dict[str, Any] = {
        "case_id": case_id,
        "seq": seq,
        "workflow": "solo_living",
        "workflow_version": 1,
        "policy_version": "test-pack-1",
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "actor": "李警官",
        "role": role,
        "occurred_at": at,
        "recorded_at": at + timedelta(seconds=7, microseconds=1),
        "data": payload,
        "prev_hash": prev_hash,
    }
    return Event(**fields, hash=event_hash(**fields))


def new_case(
    case_id: str, type_: str = "solo_living", at: datetime = T0, state: str = "reported"
) -> Commit:
    """A commit that files case ``case_id`` (one report event)."""
    ev = _event(case_id, 1, "report", None, state, GENESIS, at, RICH_DATA, role="reporter")
    record = CaseRecord(
        id=case_id,
        type=type_,
        workflow_version=1,
        state=state,
        version=1,
        head_hash=ev.hash,
        child=Child("王小明", date(2016, 2, 1), "110105201602011238", True, 10),
        location=Location("石桥村", "青山镇", "青山县"),
        reporter=Reporter("school", "青山镇中心小学", True),
        discovered_at=at - timedelta(minutes=20),
        reported_at=at,
        last_occurred_at=at,
        created_at=at + timedelta(seconds=7),
        updated_at=at + timedelta(seconds=7),
        facts={"nested": {"a": [1, 2, None]}, "flag": False},
        report_delay_seconds=1200,
    )
    return Commit(record, (ev,), None)


def follow(
    previous: Commit,
    trigger: str = "dispatch",
    to_state: str = "dispatched",
    expected_version: int | None = -1,
    n_events: int = 1,
) -> Commit:
    """A commit that appends ``n_events`` events to the case ``previous`` left behind."""
    rec = previous.case
    head, seq, at = rec.head_hash, rec.version, rec.last_occurred_at
    events = []
    for _ in range(n_events):
        seq += 1
        at += timedelta(minutes=5)
        ev = _event(rec.id, seq, trigger, rec.state, to_state, head, at, {"k": f"v{seq}"})
        events.append(ev)
        head = ev.hash
    case = replace(
        rec,
        state=to_state,
        version=seq,
        head_hash=head,
        last_occurred_at=at,
        updated_at=at,
        facts={**rec.facts, trigger: True},
        outcome="resolved" if to_state == "closed" else None,
        closed_at=at if to_state == "closed" else None,
    )
    return Commit(case, tuple(events), rec.version if expected_version == -1 else expected_version)


def _aware_utc(dt: datetime | None) -> bool:
    return dt is not None and dt.tzinfo is not None and dt.utcoffset() == timedelta(0)


def _contents(store: Any) -> tuple[list[CaseRecord], dict[str, list[Event]]]:
    cases = list(store.list_cases())
    return cases, {c.id: store.events(c.id) for c in cases}


# --- round trip -----------------------------------------------------------------------------------


def test_a_committed_case_loads_back_equal_in_every_field(store_engine: Engine) -> None:
    """load() returns the projection exactly as committed: values, dates, nested facts."""
    store = store_engine.store
    c = new_case("CASE000000000001")
    store.commit(c)
    loaded = store.load("CASE000000000001")
    assert loaded == c.case
    assert loaded.child.birthdate == date(2016, 2, 1)
    assert loaded.facts == {"nested": {"a": [1, 2, None]}, "flag": False}
    for dt in (
        loaded.discovered_at,
        loaded.reported_at,
        loaded.last_occurred_at,
        loaded.created_at,
        loaded.updated_at,
    ):
        assert _aware_utc(dt)


def test_committed_events_read_back_equal_and_their_hashes_recompute(store_engine: Engine) -> None:
    """events() returns every field as written, in seq order, and each hash still recomputes."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    c2 = follow(c1, n_events=3, trigger="order_parents_return", to_state="reported")
    store.commit(c1)
    store.commit(c2)
    events = store.events("CASE000000000001")
    assert events == [*c1.events, *c2.events]
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].data == RICH_DATA
    for ev in events:
        assert ev.computed_hash() == ev.hash
        assert _aware_utc(ev.occurred_at)
        assert _aware_utc(ev.recorded_at)
        assert ev.occurred_at.microsecond != 0 or ev.recorded_at.microsecond != 0
    for prev, ev in itertools.pairwise(events):
        assert ev.prev_hash == prev.hash


def test_an_update_replaces_the_projection(store_engine: Engine) -> None:
    """After a second commit load() returns the new state, version, outcome and closing time."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    store.commit(c1)
    c2 = follow(c1, trigger="dismiss", to_state="closed")
    store.commit(c2)
    loaded = store.load("CASE000000000001")
    assert loaded == c2.case
    assert (loaded.state, loaded.version, loaded.outcome) == ("closed", 2, "resolved")
    assert _aware_utc(loaded.closed_at)


def test_an_unknown_case_loads_as_none_with_no_events(store_engine: Engine) -> None:
    """load() of an id never committed is None; events() is empty."""
    store = store_engine.store
    assert store.load("NOSUCHCASE000000") is None
    assert store.events("NOSUCHCASE000000") == []


def test_what_a_caller_reads_is_a_copy_that_cannot_change_the_store(store_engine: Engine) -> None:
    """Mutating a loaded case's facts or a read event's data does not alter what is stored."""
    store = store_engine.store
    c = new_case("CASE000000000001")
    store.commit(c)
    loaded = store.load("CASE000000000001")
    loaded.facts["flag"] = True
    loaded.facts["injected"] = 1
    (ev,) = store.events("CASE000000000001")
    ev.data["child"]["name"] = "别人"
    assert store.load("CASE000000000001").facts == {"nested": {"a": [1, 2, None]}, "flag": False}
    (again,) = store.events("CASE000000000001")
    assert again.data["child"]["name"] == "王小明"
    assert again.computed_hash() == again.hash


def test_changing_a_returned_view_does_not_change_the_case(
    store_engine: Engine, make_driver: Any
) -> None:
    """Facts and event data handed to a caller are its own: editing them alters nothing stored."""
    d = make_driver(store_engine)
    filed = d.report("guardian_nonperformance", data={"nonperformance_since": "2025-08-31"})
    filed.facts["nonperformance_since"] = "2020-01-01"
    shown = store_engine.case(d.case_id)
    shown.facts["education_given"] = True
    shown.history[0].event.data["reporter"]["name"] = "别人"
    again = store_engine.case(d.case_id)
    assert again.facts == {"nonperformance_since": "2025-08-31", "nonperformance_matured": False}
    assert again.history[0].event.data["reporter"]["name"] == "青山镇中心小学"
    assert again.history[0].event.computed_hash() == again.history[0].event.hash


def test_a_case_driven_through_the_engine_reads_back_with_an_intact_chain(
    store_engine: Engine, make_driver: Any, branches: Any
) -> None:
    """A full branch on the store: every hash recomputes, version is the last seq."""
    d = make_driver(store_engine)
    d.report("suspected_abuse")
    d.run(branches["suspected_abuse"])
    case = store_engine.case(d.case_id)
    events = store_engine.store.events(d.case_id)
    assert case.state == "closed"
    assert case.version == events[-1].seq == len(events)
    assert case.record.head_hash == events[-1].hash
    assert all(e.computed_hash() == e.hash for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


# --- conflicts ------------------------------------------------------------------------------------


def test_a_stale_expected_version_conflicts_and_writes_nothing(store_engine: Engine) -> None:
    """A commit expecting version 1 on a case at version 2 raises Conflict; nothing changes."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    c2 = follow(c1)
    store.commit(c1)
    store.commit(c2)
    before = _contents(store)
    stale = follow(c1, trigger="dismiss", to_state="closed")  # also built on version 1
    with pytest.raises(Conflict) as exc:
        store.commit(stale)
    assert (exc.value.case_id, exc.value.expected, exc.value.actual) == ("CASE000000000001", 1, 2)
    assert _contents(store) == before


def test_an_expected_version_ahead_of_the_case_conflicts(store_engine: Engine) -> None:
    """Expecting version 5 of a case at version 1 is a Conflict too."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    store.commit(c1)
    before = _contents(store)
    with pytest.raises(Conflict):
        store.commit(follow(c1, expected_version=5))
    assert _contents(store) == before


def test_an_update_of_a_case_that_does_not_exist_conflicts(store_engine: Engine) -> None:
    """A commit with an expected version for an unknown case raises Conflict and writes nothing."""
    store = store_engine.store
    ghost = follow(new_case("CASE000000000009"))
    with pytest.raises(Conflict):
        store.commit(ghost)
    assert store.load("CASE000000000009") is None
    assert store.events("CASE000000000009") == []


def test_a_new_case_with_an_existing_id_conflicts(store_engine: Engine) -> None:
    """Filing a second case under an existing id raises Conflict; the first case is untouched."""
    store = store_engine.store
    first = new_case("CASE000000000001")
    store.commit(first)
    before = _contents(store)
    second = new_case("CASE000000000001", type_="missing_child", at=T0 + timedelta(hours=1))
    with pytest.raises(Conflict) as exc:
        store.commit(second)
    assert exc.value.expected is None
    assert _contents(store) == before


# --- batches --------------------------------------------------------------------------------------


def test_commit_many_writes_a_whole_batch(store_engine: Engine) -> None:
    """New cases and successive updates of one case in one batch are all written."""
    store = store_engine.store
    a, b = new_case("CASE000000000001"), new_case("CASE000000000002")
    a2 = follow(a)
    a3 = follow(a2, trigger="order_parents_return", to_state="dispatched")
    store.commit_many([a, b, a2, a3])
    assert store.load("CASE000000000001") == a3.case
    assert store.load("CASE000000000002") == b.case
    assert [e.seq for e in store.events("CASE000000000001")] == [1, 2, 3]


def test_commit_many_is_all_or_none_when_the_last_commit_conflicts(store_engine: Engine) -> None:
    """A batch whose last commit conflicts writes none of its commits."""
    store = store_engine.store
    existing = new_case("CASE000000000003")
    store.commit(existing)
    store.commit(follow(existing))
    before = _contents(store)
    batch = [
        new_case("CASE000000000001"),
        new_case("CASE000000000002"),
        follow(existing, trigger="dismiss", to_state="closed"),  # stale: expects version 1
    ]
    with pytest.raises(Conflict):
        store.commit_many(batch)
    assert _contents(store) == before
    assert store.load("CASE000000000001") is None
    assert store.events("CASE000000000002") == []


def test_commit_many_is_all_or_none_when_a_new_id_is_taken(store_engine: Engine) -> None:
    """A batch that files an existing id, even last, writes none of its commits."""
    store = store_engine.store
    store.commit(new_case("CASE000000000002"))
    before = _contents(store)
    with pytest.raises(Conflict):
        store.commit_many([new_case("CASE000000000001"), new_case("CASE000000000002")])
    assert _contents(store) == before


def test_commit_many_refuses_the_same_new_case_twice(store_engine: Engine) -> None:
    """Filing one id twice within a batch conflicts and writes nothing."""
    store = store_engine.store
    with pytest.raises(Conflict):
        store.commit_many([new_case("CASE000000000001"), new_case("CASE000000000001")])
    assert list(store.list_cases()) == []


def test_an_empty_batch_writes_nothing(store_engine: Engine) -> None:
    """commit_many([]) is a no-op."""
    store = store_engine.store
    store.commit_many([])
    assert list(store.list_cases()) == []


# --- write transactions ----------------------------------------------------------------------


def _append_all(store: Any, commits: list[Commit], *, fail: bool = False) -> None:
    """Append ``commits`` in one write block; raise inside it when ``fail``."""
    with store.write() as tx:
        for c in commits:
            tx.append(c)
        if fail:
            raise RuntimeError("changed my mind")


def test_appends_in_a_write_transaction_land_together(store_engine: Engine) -> None:
    """Two commits appended in one write block are both there when the block ends."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    store.commit(c1)
    c2 = follow(c1)
    c3 = follow(c2, trigger="order_parents_return", to_state="dispatched")
    with store.write() as tx:
        assert tx.load("CASE000000000001") == c1.case
        tx.append(c2)
        tx.append(c3)
    assert store.load("CASE000000000001") == c3.case
    assert [e.seq for e in store.events("CASE000000000001")] == [1, 2, 3]


def test_an_error_inside_a_write_transaction_writes_nothing(store_engine: Engine) -> None:
    """If the block raises after appending, the append is rolled back."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    store.commit(c1)
    before = _contents(store)
    with pytest.raises(RuntimeError, match="changed my mind"):
        _append_all(store, [follow(c1), new_case("CASE000000000002")], fail=True)
    assert _contents(store) == before


def test_a_conflicting_append_leaves_the_store_unchanged(store_engine: Engine) -> None:
    """A stale commit in a write block raises Conflict and nothing of the block is written."""
    store = store_engine.store
    c1 = new_case("CASE000000000001")
    store.commit(c1)
    c2 = follow(c1)
    store.commit(c2)
    before = _contents(store)
    stale = follow(c1, trigger="dismiss", to_state="closed")  # built on version 1
    with pytest.raises(Conflict):
        _append_all(store, [new_case("CASE000000000002"), stale])
    assert _contents(store) == before


# --- listing --------------------------------------------------------------------------------------


@pytest.fixture
def listed(store_engine: Engine) -> tuple[Any, list[str]]:
    """Six cases of mixed types and states, committed out of id order."""
    store = store_engine.store
    specs = [
        ("CASE000000000004", "missing_child", "dispatched"),
        ("CASE000000000001", "solo_living", "reported"),
        ("CASE000000000006", "solo_living", "dispatched"),
        ("CASE000000000002", "missing_child", "reported"),
        ("CASE000000000005", "solo_living", "reported"),
        ("CASE000000000003", "suspected_harm", "closed"),
    ]
    store.commit_many([new_case(i, t, state=s) for i, t, s in specs])
    return store, sorted(i for i, _, _ in specs)


def _ids(rows: Any) -> list[str]:
    return [r.id for r in rows]


def test_list_cases_orders_by_id(listed: tuple[Any, list[str]]) -> None:
    """Every case, in id order whatever the order of writing."""
    store, ids = listed
    assert _ids(store.list_cases()) == ids


def test_list_cases_filters_by_type_and_state(listed: tuple[Any, list[str]]) -> None:
    """type and state filter alone and together."""
    store, _ = listed
    assert _ids(store.list_cases(type="solo_living")) == [
        "CASE000000000001",
        "CASE000000000005",
        "CASE000000000006",
    ]
    assert _ids(store.list_cases(state="reported")) == [
        "CASE000000000001",
        "CASE000000000002",
        "CASE000000000005",
    ]
    assert _ids(store.list_cases(type="solo_living", state="dispatched")) == ["CASE000000000006"]
    assert _ids(store.list_cases(type="suspected_abuse")) == []


def test_list_cases_pages_with_limit_and_after(listed: tuple[Any, list[str]]) -> None:
    """limit cuts a page; after continues from the last id of the previous page."""
    store, ids = listed
    pages, after = [], None
    while True:
        page = _ids(store.list_cases(limit=4, after=after))
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert pages == [ids[:4], ids[4:]]
    assert _ids(store.list_cases(after="CASE000000000003", limit=1)) == ["CASE000000000004"]


def test_list_cases_applies_the_filter_before_the_limit(listed: tuple[Any, list[str]]) -> None:
    """A filtered page holds limit matching cases, not limit cases of which some match."""
    store, _ = listed
    assert _ids(store.list_cases(type="solo_living", limit=2)) == [
        "CASE000000000001",
        "CASE000000000005",
    ]
    assert _ids(store.list_cases(state="reported", after="CASE000000000001", limit=1)) == [
        "CASE000000000002"
    ]


def test_list_cases_returns_full_records(listed: tuple[Any, list[str]]) -> None:
    """Listed records are the same as loaded ones."""
    store, _ = listed
    for rec in store.list_cases():
        assert rec == store.load(rec.id)
