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
from shouhu.engine.model import Deadline, DeadlineWrite
from shouhu.engine.ports import Commit, ListsSummaries
from shouhu.engine.views import CaseSummary

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


def test_load_many_reads_each_case_on_file_as_load_does_and_leaves_out_the_rest(
    store_engine: Engine,
) -> None:
    """load_many() (the worklist's read of a page of cases at once) gives every asked case on
    file by id, equal to its load(), past one IN list's worth of ids, and no entry for an id
    not on file; an id asked twice is read once."""
    store = store_engine.store
    ids = [f"CASE{n:012d}" for n in range(1, 603)]
    store.commit_many([new_case(i) for i in ids])
    asked = [*ids[::-1], "CASE999999999999", ids[0]]
    found = store.load_many(asked)
    assert sorted(found) == sorted(ids)
    assert all(found[i] == store.load(i) for i in (ids[0], ids[500], ids[-1]))
    assert store.load_many([]) == {}


def test_known_external_finds_each_filed_id_of_its_source_however_many_are_asked(
    store_engine: Engine,
) -> None:
    """known_external() (an import's "filed before?" per batch) answers 1,200 ids asked at
    once — past any one IN list — with exactly the filed ones of that source and their cases."""
    from shouhu import ReportRequest

    requests = [
        ReportRequest(
            "solo_living",
            {"name": "王小明", "birthdate": "2016-02-01"},
            "石桥村, 青山镇",
            {"kind": "school", "name": "青山镇中心小学"},
            external_id=f"H-{n}",
        )
        for n in (7, 600, 1199)
    ]
    case_ids = store_engine.report_many(requests, source="hotline", new_case=True)
    asked = [f"H-{n}" for n in range(1200)]
    assert store_engine.store.known_external("hotline", asked) == {
        "H-7": case_ids[0],
        "H-600": case_ids[1],
        "H-1199": case_ids[2],
    }
    assert store_engine.store.known_external("another", asked) == {}
    assert store_engine.store.known_external("hotline", []) == {}


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
    assert again.facts == {
        "nonperformance_since": "2025-08-31",
        "nonperformance_matured": False,
        "nonperformance_matures_at": "2026-03-01T00:00:00+08:00",
    }
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


# --- deadline rows ------------------------------------------------------------------------------


def _deadline(
    case_id: str,
    kind: str = "dispatch",
    due: datetime = T0 + timedelta(hours=1),
    status: str = "pending",
) -> Deadline:
    """A new deadline row (no id yet) started by event 1 of ``case_id``."""
    return Deadline(
        id=None,
        case_id=case_id,
        kind=kind,
        status=status,
        due_at=due,
        started_at=T0,
        started_seq=1,
        policy_version="test-pack-1",
    )


def _with_deadlines(commit: Commit, *writes: DeadlineWrite) -> Commit:
    return replace(commit, deadlines=writes)


def _rows(store: Any, **filters: Any) -> list[Deadline]:
    return list(store.deadlines(**filters))


def _due(store: Any, now: datetime, limit: int = 100) -> list[Deadline]:
    with store.write() as tx:
        return list(tx.due(now, limit))


def test_a_deadline_row_inserted_with_its_event_reads_back_equal(store_engine: Engine) -> None:
    """Inserted in the commit that files the case: an id assigned, every field as written."""
    store = store_engine.store
    row = _deadline("CASE000000000001")
    store.commit(_with_deadlines(new_case("CASE000000000001"), DeadlineWrite(row)))
    (back,) = _rows(store, case_id="CASE000000000001")
    assert isinstance(back.id, int)
    assert replace(back, id=None) == row
    assert _aware_utc(back.due_at)
    assert _aware_utc(back.started_at)
    with store.write() as tx:
        assert tx.deadlines("CASE000000000001") == [back]


def test_a_deadline_update_expecting_its_status_moves_it(store_engine: Engine) -> None:
    """pending → missed, with closed_at, closed_seq; later met_at on the missed row."""
    store = store_engine.store
    c1_id = "CASE000000000001"
    c1 = _with_deadlines(new_case(c1_id), DeadlineWrite(_deadline(c1_id)))
    store.commit(c1)
    (row,) = _rows(store, case_id=c1_id)
    c2 = follow(c1, trigger="deadline_missed", to_state="reported")
    missed = replace(row, status="missed", closed_at=row.due_at, closed_seq=2)
    store.commit(_with_deadlines(c2, DeadlineWrite(missed, "pending")))
    assert _rows(store, case_id=c1_id) == [missed]
    c3 = follow(c2)
    late = replace(missed, met_at=row.due_at + timedelta(minutes=90))
    store.commit(_with_deadlines(c3, DeadlineWrite(late, "missed")))
    assert _rows(store, case_id=c1_id) == [late]


def test_a_deadline_update_whose_status_moved_conflicts_and_writes_nothing(
    store_engine: Engine,
) -> None:
    """Expecting pending when another writer made it met: Conflict; case, events, row unchanged."""
    store = store_engine.store
    c1 = _with_deadlines(new_case("CASE000000000001"), DeadlineWrite(_deadline("CASE000000000001")))
    store.commit(c1)
    (row,) = _rows(store)
    c2 = follow(c1)
    met = replace(row, status="met", closed_at=T0, closed_seq=2, met_at=T0)
    store.commit(_with_deadlines(c2, DeadlineWrite(met, "pending")))
    before = (_contents(store), _rows(store))
    c3 = follow(c2, trigger="deadline_missed", to_state="dispatched")
    stale = replace(row, status="missed", closed_at=row.due_at, closed_seq=3)
    with pytest.raises(Conflict):
        store.commit(_with_deadlines(c3, DeadlineWrite(stale, "pending")))
    assert (_contents(store), _rows(store)) == before


def test_a_deadline_conflict_in_a_batch_writes_none_of_the_batch(store_engine: Engine) -> None:
    """commit_many: a second case's stale deadline update undoes the first case's commit too."""
    store = store_engine.store
    a = _with_deadlines(new_case("CASE000000000001"), DeadlineWrite(_deadline("CASE000000000001")))
    b = _with_deadlines(new_case("CASE000000000002"), DeadlineWrite(_deadline("CASE000000000002")))
    store.commit_many([a, b])
    rows = {d.case_id: d for d in _rows(store)}
    moved = replace(rows["CASE000000000002"], status="cancelled", closed_at=T0, closed_seq=2)
    b2 = follow(b, trigger="dismiss", to_state="closed")
    store.commit(_with_deadlines(b2, DeadlineWrite(moved, "pending")))
    before = (_contents(store), _rows(store))
    a_met = replace(rows["CASE000000000001"], status="met", closed_at=T0, closed_seq=2, met_at=T0)
    b_missed = replace(rows["CASE000000000002"], status="missed", closed_seq=3)
    with pytest.raises(Conflict):
        store.commit_many(
            [
                _with_deadlines(follow(a), DeadlineWrite(a_met, "pending")),
                _with_deadlines(follow(b2, to_state="closed"), DeadlineWrite(b_missed, "pending")),
            ]
        )
    assert (_contents(store), _rows(store)) == before


def test_a_deadline_written_in_a_failed_transaction_is_rolled_back(store_engine: Engine) -> None:
    """An error in the write block after appending a deadline update leaves the row as it was."""
    store = store_engine.store
    c1 = _with_deadlines(new_case("CASE000000000001"), DeadlineWrite(_deadline("CASE000000000001")))
    store.commit(c1)
    (row,) = _rows(store)
    gone = replace(row, status="cancelled", closed_at=T0, closed_seq=2)
    with pytest.raises(RuntimeError, match="changed my mind"):
        _append_all(store, [_with_deadlines(follow(c1), DeadlineWrite(gone, "pending"))], fail=True)
    assert _rows(store) == [row]
    assert store.next_due() == row.due_at


@pytest.fixture
def due_rows(store_engine: Engine) -> Any:
    """Seven deadlines on four cases, written out of due order; two of them not pending."""
    store = store_engine.store
    h = timedelta(hours=1)
    specs = [
        ("CASE000000000001", "dispatch", T0 + 3 * h, "pending"),
        ("CASE000000000002", "dispatch", T0 + 1 * h, "pending"),
        ("CASE000000000003", "dispatch", T0 + 2 * h, "pending"),
        ("CASE000000000003", "guardian_restored", T0 + 2 * h, "pending"),  # a tie, later id
        ("CASE000000000004", "dispatch", T0 + 30 * timedelta(minutes=1), "met"),
        ("CASE000000000004", "township_notice", T0 + 5 * h, "pending"),
        ("CASE000000000001", "assessment", T0 + 1 * h, "cancelled"),
    ]
    by_case: dict[str, list[DeadlineWrite]] = {}
    for case_id, kind, due, status in specs:
        by_case.setdefault(case_id, []).append(DeadlineWrite(_deadline(case_id, kind, due, status)))
    store.commit_many(
        [_with_deadlines(new_case(cid), *writes) for cid, writes in sorted(by_case.items())]
    )
    return store


def test_due_gives_pending_rows_due_by_now_oldest_first_ties_by_id(due_rows: Any) -> None:
    """Only pending, due_at <= now (inclusive), ordered by (due_at, id)."""
    h = timedelta(hours=1)
    due = _due(due_rows, T0 + 2 * h)
    assert [(d.case_id, d.kind) for d in due] == [
        ("CASE000000000002", "dispatch"),
        ("CASE000000000003", "dispatch"),
        ("CASE000000000003", "guardian_restored"),
    ]
    assert due[1].id < due[2].id  # type: ignore[operator]
    assert _due(due_rows, T0 + h - timedelta(microseconds=1)) == []
    assert [d.case_id for d in _due(due_rows, T0 + h)] == ["CASE000000000002"]
    assert len(_due(due_rows, T0 + 10 * h)) == 5


def test_due_takes_at_most_limit_rows_the_oldest(due_rows: Any) -> None:
    """limit cuts the list after the earliest rows."""
    h = timedelta(hours=1)
    everything = _due(due_rows, T0 + 10 * h)
    assert _due(due_rows, T0 + 10 * h, limit=2) == everything[:2]
    assert _due(due_rows, T0 + 10 * h, limit=1) == everything[:1]
    assert [d.due_at for d in everything] == sorted(d.due_at for d in everything)


def test_next_due_is_the_earliest_pending_due_time(store_engine: Engine, due_rows: Any) -> None:
    """Met and cancelled rows do not count; no pending row: None."""
    assert due_rows.next_due() == T0 + timedelta(hours=1)
    assert _aware_utc(due_rows.next_due())
    empty = Engine.in_memory().store
    assert empty.next_due() is None


def test_deadlines_lists_rows_by_due_time_with_filters(due_rows: Any) -> None:
    """store.deadlines(): every row by (due_at, id); case_id, status and due_before narrow it."""
    every = _rows(due_rows)
    assert len(every) == 7
    assert [(d.due_at, d.id) for d in every] == sorted((d.due_at, d.id) for d in every)
    assert {d.kind for d in _rows(due_rows, case_id="CASE000000000004")} == {
        "dispatch",
        "township_notice",
    }
    assert [d.kind for d in _rows(due_rows, status="cancelled")] == ["assessment"]
    early = _rows(due_rows, due_before=T0 + timedelta(hours=1))
    assert [(d.case_id, d.kind) for d in early] == [
        ("CASE000000000004", "dispatch"),
        ("CASE000000000001", "assessment"),
        ("CASE000000000002", "dispatch"),
    ]
    assert {
        d.status for d in _rows(due_rows, status="pending", due_before=T0 + timedelta(hours=2))
    } == {"pending"}


def test_list_cases_overdue_means_a_missed_deadline_not_yet_done(store_engine: Engine) -> None:
    """overdue=True: cases with a missed row whose met_at is unset; met late, pending, met: not."""
    store = store_engine.store
    specs = {
        "CASE000000000001": ("missed", None),
        "CASE000000000002": ("missed", T0 + timedelta(hours=2)),
        "CASE000000000003": ("pending", None),
        "CASE000000000004": ("met", T0),
        "CASE000000000005": ("missed", None),
    }
    commits = []
    for case_id, (status, met_at) in specs.items():
        row = replace(_deadline(case_id), status=status, met_at=met_at)
        commits.append(_with_deadlines(new_case(case_id), DeadlineWrite(row)))
    store.commit_many(commits)
    assert _ids(store.list_cases(overdue=True)) == ["CASE000000000001", "CASE000000000005"]
    assert _ids(store.list_cases(overdue=True, limit=1)) == ["CASE000000000001"]
    assert _ids(store.list_cases(overdue=True, after="CASE000000000001")) == ["CASE000000000005"]
    assert _ids(store.list_cases(overdue=True, state="dispatched")) == []
    assert len(_ids(store.list_cases())) == 5

    (row,) = _rows(store, case_id="CASE000000000001")
    c1 = commits[0]
    store.commit(
        _with_deadlines(
            follow(c1), DeadlineWrite(replace(row, met_at=T0 + timedelta(hours=3)), "missed")
        )
    )
    assert _ids(store.list_cases(overdue=True)) == ["CASE000000000005"]


def _elsewhere(case_id: str, state: str = "reported") -> Commit:
    """A case of 白石乡 (another township of the county)."""
    c = new_case(case_id, state=state)
    moved = replace(c.case, location=Location("河湾村", "白石乡", "青山县"))
    return Commit(moved, c.events, None)


def test_list_cases_keeps_to_one_township_when_asked(listed: tuple[Any, list[str]]) -> None:
    """township= filters in the store (a scope's township, through its index)."""
    store, ids = listed
    store.commit_many([_elsewhere("CASE000000000007"), _elsewhere("CASE000000000008")])
    assert _ids(store.list_cases(township="白石乡")) == ["CASE000000000007", "CASE000000000008"]
    assert _ids(store.list_cases(township="青山镇")) == ids
    assert _ids(store.list_cases(township="白石乡", state="reported", limit=1)) == [
        "CASE000000000007"
    ]


def test_a_stores_case_lines_are_its_listed_cases_line_for_line(
    listed: tuple[Any, list[str]],
) -> None:
    """list_summaries gives what list_cases gives, summarised, for every filter: the same
    cases, in the same order, each with its place (a listing of every case reads only these)."""
    store, _ = listed
    assert isinstance(store, ListsSummaries)
    store.commit_many([_elsewhere("CASE000000000007"), _elsewhere("CASE000000000008")])
    late = replace(_deadline("CASE000000000007"), status="missed")
    store.commit(_with_deadlines(follow(_elsewhere("CASE000000000007")), DeadlineWrite(late)))
    filters: list[dict[str, Any]] = [
        {},
        {"type": "solo_living"},
        {"state": "reported"},
        {"type": "missing_child", "state": "dispatched"},
        {"limit": 3},
        {"after": "CASE000000000003", "limit": 2},
        {"township": "白石乡"},
        {"township": "青山镇", "state": "reported", "limit": 1},
        {"overdue": True},
    ]
    for f in filters:
        expected = [(CaseSummary.of(r), r.location) for r in store.list_cases(**f)]
        assert list(store.list_summaries(**f)) == expected, f
    places = {s.id: where for s, where in store.list_summaries(township="白石乡")}
    assert places == {
        "CASE000000000007": Location("河湾村", "白石乡", "青山县"),
        "CASE000000000008": Location("河湾村", "白石乡", "青山县"),
    }
    assert [s.id for s, _ in store.list_summaries(overdue=True)] == ["CASE000000000007"]


def test_count_cases_counts_per_type_state_and_place(listed: tuple[Any, list[str]]) -> None:
    """One aggregate per (type, state, county, township, village), matching a hand count."""
    store, _ = listed
    store.commit_many([_elsewhere("CASE000000000007")])
    counted = sorted(store.count_cases())
    assert counted == [
        ("missing_child", "dispatched", "青山县", "青山镇", "石桥村", 1),
        ("missing_child", "reported", "青山县", "青山镇", "石桥村", 1),
        ("solo_living", "dispatched", "青山县", "青山镇", "石桥村", 1),
        ("solo_living", "reported", "青山县", "白石乡", "河湾村", 1),
        ("solo_living", "reported", "青山县", "青山镇", "石桥村", 2),
        ("suspected_harm", "closed", "青山县", "青山镇", "石桥村", 1),
    ]
