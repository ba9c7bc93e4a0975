"""Group commit on a SQLite file (issue 18): concurrent write transactions of one store run in
one SQLite transaction, one after another, each in its own savepoint, and one ``COMMIT``
makes them all durable; a block that raises is rolled back alone; no writer is answered
before its write is committed."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shouhu import Engine, FakeClock, ReportRequest
from shouhu.adapters.sqlstore import SqlStore
from shouhu.errors import InvalidInput
from tests.contract.test_store_contract import new_case


def _rows(path: Path) -> list[str]:
    """The case ids another connection sees committed."""
    with sqlite3.connect(path) as con:
        return [r[0] for r in con.execute("SELECT id FROM cases ORDER BY id")]


def _until(check: object, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError("the writers never queued")
        time.sleep(0.005)


def test_a_refused_block_is_rolled_back_alone_and_its_batch_mates_commit_together(
    tmp_path: Path,
) -> None:
    """Three writers in one batch: the first holds the transaction while the other two queue;
    the second's block raises. The first and third are committed by one COMMIT, the second's
    case is nowhere, and each of the two was answered only once its case was committed."""
    path = tmp_path / "group.db"
    store = SqlStore(f"sqlite:///{path}")
    store.group_commit()
    group = store._group  # type: ignore[attr-defined]
    inside, go = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def first() -> None:
        with store.write() as tx:
            tx.append(new_case("CASE000000000001"))
            inside.set()
            go.wait(10)
        seen["first"] = _rows(path)

    def member(name: str, case_id: str, refuse: bool) -> None:
        try:
            with store.write() as tx:
                tx.append(new_case(case_id))
                if refuse:
                    raise ValueError("refused by the rules")
        except ValueError:
            seen[name] = "refused"
            return
        seen[name] = _rows(path)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    inside.wait(10)
    threads += [
        threading.Thread(target=member, args=("second", "CASE000000000002", True)),
        threading.Thread(target=member, args=("third", "CASE000000000003", False)),
    ]
    for t in threads[1:]:
        t.start()
    _until(lambda: group.open is not None and group.open.waiting == 2)
    assert _rows(path) == []  # nothing committed while the batch gathers
    go.set()
    for t in threads:
        t.join(10)
    both = ["CASE000000000001", "CASE000000000003"]
    assert seen == {"first": both, "second": "refused", "third": both}
    assert _rows(path) == both
    assert (group.batches, group.writes) == (1, 2)
    store.close()


def test_concurrent_fires_through_one_engine_are_each_durable_and_the_history_verifies(
    tmp_path: Path,
) -> None:
    """16 threads sharing one engine fire on 96 cases: every fire answered is on the file, in
    fewer commits than fires or as many (never more), and ``audit verify`` holds."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with Engine.open(url, clock=clock) as engine:
        ids = engine.report_many(
            [
                ReportRequest(
                    "solo_living",
                    {"name": f"王小{i}", "birthdate": "2016-02-01"},
                    "石桥村, 青山镇",
                    {"kind": "school", "name": "青山镇中心小学"},
                    occurred_at="2026-03-02T08:30",
                )
                for i in range(96)
            ],
            new_case=True,
        )
    engine = Engine.open(url, clock=clock, group_commit=True)
    police = {"name": "李警官", "role": "police"}
    answered: list[str] = []
    lock = threading.Lock()

    def work(mine: list[str]) -> None:
        for case_id in mine:
            engine.fire(case_id, "dispatch", actor=police)
            with lock:
                answered.append(case_id)

    threads = [threading.Thread(target=work, args=(ids[n::16],)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    group = engine.store._group  # type: ignore[attr-defined]
    assert sorted(answered) == sorted(ids)
    assert group.writes == 96
    assert 1 <= group.batches <= 96
    engine.close()
    with Engine.open(url, clock=clock, create=False) as fresh:
        assert {c.state for c in fresh.cases(limit=200)} == {"dispatched"}
        assert fresh.verify().ok


def test_group_commit_is_refused_for_a_database_in_memory() -> None:
    """A database in memory is one per thread: there is no transaction to share."""
    with pytest.raises(InvalidInput, match="group commit needs a SQLite file"):
        Engine.open("sqlite://", ephemeral=True, group_commit=True)


def test_group_commit_is_refused_on_postgresql(pg_url: str) -> None:
    """PostgreSQL commits concurrent transactions side by side (and gathers their log flushes
    itself): asking for it there is bad input, not a silent no-op."""
    with pytest.raises(InvalidInput, match="group commit is for a SQLite file"):
        Engine.open(pg_url, group_commit=True)


def test_a_write_inside_a_write_on_the_same_thread_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """Group commit queues a writer behind the block running: one nested in that block would
    wait for itself for ever, so it is refused at once (and the outer write still commits)."""
    path = tmp_path / "group.db"
    store = SqlStore(f"sqlite:///{path}")
    store.group_commit()
    with store.write() as tx:
        tx.append(new_case("CASE000000000001"))
        with pytest.raises(RuntimeError, match="inside another one"), store.write():
            pass
    assert _rows(path) == ["CASE000000000001"]
    store.close()


def test_a_block_whose_savepoint_cannot_be_undone_takes_its_batch_down_with_nothing_written(
    tmp_path: Path,
) -> None:
    """If a block's savepoint is gone (here the block released it itself), its writes can no
    longer be told from its batch-mates': the batch is rolled back whole and every member that
    waited for its COMMIT raises — none is told its write is durable."""
    from shouhu.errors import StoreUnavailable

    path = tmp_path / "group.db"
    store = SqlStore(f"sqlite:///{path}")
    store.group_commit()
    group = store._group  # type: ignore[attr-defined]
    inside, go = threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def first() -> None:
        try:
            with store.write() as tx:
                tx.append(new_case("CASE000000000001"))
                inside.set()
                go.wait(10)
        except StoreUnavailable:
            seen["first"] = "raised"
        else:
            seen["first"] = "answered"

    def breaker() -> None:
        try:
            with store.write() as tx:
                tx.append(new_case("CASE000000000002"))
                tx.cur.execute("RELEASE shouhu_member")  # type: ignore[attr-defined]
        except StoreUnavailable:
            seen["breaker"] = "raised"

    a = threading.Thread(target=first)
    a.start()
    inside.wait(10)
    b = threading.Thread(target=breaker)
    b.start()
    _until(lambda: group.open is not None and group.open.waiting == 1)
    go.set()
    a.join(10)
    b.join(10)
    assert seen == {"first": "raised", "breaker": "raised"}
    assert _rows(path) == []
    assert group.batches == 0
    store.close()


@pytest.mark.parametrize("connections", [0, -1, True, "8"])
def test_a_pool_of_no_connections_is_refused_and_no_file_is_made(
    tmp_path: Path, connections: object
) -> None:
    target = tmp_path / "pool.db"
    with pytest.raises(InvalidInput, match="connections must be at least 1"):
        Engine.open(f"sqlite:///{target}", connections=connections)  # type: ignore[arg-type]
    assert not target.exists()


def test_a_store_keeps_the_connections_it_was_sized_for(tmp_path: Path) -> None:
    with Engine.open(f"sqlite:///{tmp_path / 'pool.db'}", connections=40) as engine:
        assert engine.store.engine.pool.size() == 40  # type: ignore[attr-defined]
