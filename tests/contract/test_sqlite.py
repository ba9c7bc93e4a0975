"""What only the SQLite store promises: durable settings, a private file, an append-only log at the
database level, and optimistic concurrency between two engines on one file."""

from __future__ import annotations

import sqlite3
import stat
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shouhu import CaseRecord, Conflict, Engine, Event, FakeClock, StoreUnavailable
from shouhu.adapters.sqlstore import SqlStore
from shouhu.engine.hashing import event_hash
from shouhu.engine.ports import Commit

POLICE = {"name": "李警官", "role": "police"}


def _file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _file_report(engine: Engine, make_driver: Any) -> str:
    d = make_driver(engine)
    d.report("solo_living")
    return d.case_id


def test_every_connection_runs_in_wal_mode_with_full_sync(sqlite_engine: Engine) -> None:
    """journal_mode=wal and synchronous=FULL (2) hold on each of the engine's connections."""
    store = sqlite_engine.store
    with store.engine.connect() as one, store.engine.connect() as two:
        for conn in (one, two):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_a_new_database_file_is_readable_by_its_owner_only(
    sqlite_engine: Engine, sqlite_url: str, make_driver: Any
) -> None:
    """The file holds children's names: it is created 0600, and so are its WAL companions."""
    _file_report(sqlite_engine, make_driver)
    path = _file(sqlite_url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            assert stat.S_IMODE(companion.stat().st_mode) == 0o600


def test_a_database_in_a_missing_directory_is_unavailable(tmp_path: Path, clock: FakeClock) -> None:
    """Engine.open on a path whose directory does not exist raises StoreUnavailable (exit 5)."""
    with pytest.raises(StoreUnavailable) as exc:
        Engine.open("sqlite:///" + str(tmp_path / "no" / "such" / "c.db"), clock=clock)
    assert exc.value.exit_code == 5
    assert not (tmp_path / "no").exists()


def test_a_case_survives_closing_and_reopening_the_file(
    sqlite_url: str, clock: FakeClock, make_driver: Any, branches: Any
) -> None:
    """What one engine wrote, a new engine on the same file reads back, chain intact."""
    with Engine.open(sqlite_url, clock=clock) as first:
        d = make_driver(first)
        d.report("missing_child")
        d.run(branches["missing_child"][:4])
        shown = first.case(d.case_id).to_dict("Asia/Shanghai", identity=True)
    with Engine.open(sqlite_url, clock=clock) as second:
        assert second.case(d.case_id).to_dict("Asia/Shanghai", identity=True) == shown
        events = second.store.events(d.case_id)
    assert all(e.computed_hash() == e.hash for e in events)
    assert stat.S_IMODE(_file(sqlite_url).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = '别人'",
        "UPDATE events SET data = '{}' WHERE seq = 1",
        "DELETE FROM events",
        "DELETE FROM events WHERE seq = 2",
    ],
)
def test_the_event_log_is_append_only_in_the_database(
    sqlite_engine: Engine, sqlite_url: str, make_driver: Any, statement: str
) -> None:
    """An UPDATE or DELETE on events is refused by the database itself; the log is unchanged."""
    d = make_driver(sqlite_engine)
    d.report()
    d.fire("dispatch")
    before = sqlite_engine.store.events(d.case_id)
    con = sqlite3.connect(_file(sqlite_url))
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(statement)
        con.rollback()
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)
    finally:
        con.close()
    assert sqlite_engine.store.events(d.case_id) == before


def test_appending_events_is_still_allowed(sqlite_engine: Engine, make_driver: Any) -> None:
    """The append-only triggers do not stop new events being written."""
    d = make_driver(sqlite_engine)
    d.report()
    assert d.fire("dispatch").version == 2
    assert len(sqlite_engine.store.events(d.case_id)) == 2


def test_two_engines_racing_on_one_case_give_one_conflict(
    sqlite_url: str, clock: FakeClock, make_driver: Any
) -> None:
    """Two engines fire at version 1 at once: one wins, the other gets Conflict, chain intact."""
    with Engine.open(sqlite_url, clock=clock) as a, Engine.open(sqlite_url, clock=clock) as b:
        case_id = _file_report(a, make_driver)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def run(name: str, engine: Engine) -> None:
            barrier.wait()
            try:
                results[name] = engine.fire(
                    case_id,
                    "dispatch",
                    actor=POLICE,
                    occurred_at="2026-03-02T09:00",
                    expected_version=1,
                ).version
            except Exception as exc:  # the loser's error is what the test inspects
                results[name] = exc

        threads = [threading.Thread(target=run, args=(n, e)) for n, e in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        outcomes = sorted(type(r).__name__ for r in results.values())
        assert outcomes == ["Conflict", "int"]
        assert 2 in results.values()
        events = b.store.events(case_id)
    assert [e.seq for e in events] == [1, 2]
    assert events[1].prev_hash == events[0].hash
    assert all(e.computed_hash() == e.hash for e in events)


def _dispatch_commit(record: CaseRecord, head: Event) -> Commit:
    """What an engine that read ``record`` would commit for dispatch."""
    at = record.last_occurred_at + timedelta(minutes=30)
    fields: dict[str, Any] = {
        "case_id": record.id,
        "seq": record.version + 1,
        "workflow": record.type,
        "workflow_version": record.workflow_version,
        "policy_version": None,
        "trigger": "dispatch",
        "from_state": record.state,
        "to_state": "dispatched",
        "actor": "王警官",
        "role": "police",
        "occurred_at": at,
        "recorded_at": at,
        "data": {},
        "prev_hash": head.hash,
    }
    ev = Event(**fields, hash=event_hash(**fields))
    new = replace(
        record, state="dispatched", version=ev.seq, head_hash=ev.hash, last_occurred_at=at
    )
    return Commit(new, (ev,), record.version)


def test_a_commit_on_a_version_another_engine_moved_on_conflicts(
    sqlite_url: str, clock: FakeClock, make_driver: Any
) -> None:
    """B read version 1, A then wrote version 2: B's commit conflicts and writes nothing."""
    with Engine.open(sqlite_url, clock=clock) as a, Engine.open(sqlite_url, clock=clock) as b:
        case_id = _file_report(a, make_driver)
        stale = _dispatch_commit(b.store.load(case_id), b.store.events(case_id)[-1])
        a.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
        with pytest.raises(Conflict) as exc:
            b.store.commit(stale)
        assert (exc.value.expected, exc.value.actual) == (1, 2)
        events = b.store.events(case_id)
        assert b.case(case_id).version == 2
    assert [e.seq for e in events] == [1, 2]
    assert events[1].actor == POLICE["name"]  # A's event, not B's
    assert events[1].prev_hash == events[0].hash
    assert all(e.computed_hash() == e.hash for e in events)


def test_the_store_can_be_opened_directly_on_an_existing_file(
    sqlite_engine: Engine, sqlite_url: str, make_driver: Any
) -> None:
    """SqlStore(url) on a file with data reads it; creating the schema again changes nothing."""
    case_id = _file_report(sqlite_engine, make_driver)
    store = SqlStore(sqlite_url)
    try:
        assert store.load(case_id) == sqlite_engine.store.load(case_id)
        assert [r.id for r in store.list_cases()] == [case_id]
    finally:
        store.close()
