"""A SQLite file's write transactions run on the store's own driver connections
(:class:`~shouhu.adapters.sqlitewriters._Writers`), not a pool checkout per write: they keep the
durable settings, serve one write at a time from any thread, come back clean after an error,
close with the store, and are never used across ``fork``."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from shouhu import Conflict, Engine, FakeClock, StoreUnavailable
from shouhu.adapters.sqlitewriters import _Writers
from shouhu.adapters.sqlstore import SqlStore


def _writers(engine: Engine) -> _Writers:
    store = engine.store
    assert isinstance(store, SqlStore)
    assert store._writers is not None
    return store._writers


def _idle(engine: Engine) -> list[Any]:
    return [conn for conn, _, _ in _writers(engine).idle]


def _closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_transitions_reuse_one_write_connection_with_the_durable_settings(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    d.fire("dispatch")
    (first,) = _idle(sqlite_engine)
    d.fire("stop_harm")
    d.fire("collect_evidence")
    assert _idle(sqlite_engine) == [first]
    assert first.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert first.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert first.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert first.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert not first.in_transaction


def test_a_refused_write_rolls_back_and_its_connection_serves_the_next(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    """A Conflict raised inside the transaction: nothing written, no transaction left open."""
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    with pytest.raises(Conflict):
        d.fire("dispatch", expected_version=7)
    (conn,) = _idle(sqlite_engine)
    assert not conn.in_transaction
    assert sqlite_engine.case(d.case_id).version == 1
    assert d.fire("dispatch").version == 2
    assert _idle(sqlite_engine) == [conn]


def test_an_error_after_a_statement_leaves_nothing_written_and_no_transaction_open(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    store = sqlite_engine.store

    def update_then_fail() -> None:
        with store.write() as tx:
            cur = tx.cur  # type: ignore[attr-defined]
            cur.execute("UPDATE cases SET state = 'x' WHERE id = ?", (d.case_id,))
            raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        update_then_fail()
    (conn,) = _idle(sqlite_engine)
    assert not conn.in_transaction
    assert sqlite_engine.case(d.case_id).state == "reported"


def test_a_connection_left_in_a_transaction_is_closed_not_reused(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    """If a connection cannot be brought back out of its transaction it is let go."""
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    writers = _writers(sqlite_engine)
    held = writers.take()
    conn = held[0]
    conn.close()  # cannot even say whether it is in a transaction
    writers.give(held)
    assert writers.idle == []
    assert d.fire("dispatch").version == 2  # a new one serves the next write


def test_a_busy_file_maps_to_store_unavailable_and_the_connection_is_kept(
    sqlite_url: str, clock: FakeClock, make_driver: Any
) -> None:
    """Another process holding the write lock past the busy timeout: StoreUnavailable."""
    with Engine.open(sqlite_url, clock=clock) as engine:
        d = make_driver(engine)
        d.report("suspected_harm")
        (conn,) = _idle(engine)
        conn.execute("PRAGMA busy_timeout = 50")  # not five seconds of waiting in a test
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreUnavailable, match="busy"):
                d.fire("dispatch")
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert _idle(engine) == [conn]
        assert not conn.in_transaction
        assert d.fire("dispatch").version == 2


def test_writers_on_several_threads_never_share_a_connection_at_once(
    sqlite_engine: Engine, make_driver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four threads firing at once (SQLite lets one write at a time, the rest wait their turn):
    every write succeeds, no connection is handed out while another write holds it, and no
    more than the pool's size stay open afterwards."""
    drivers = [make_driver(sqlite_engine) for _ in range(4)]
    for d in drivers:
        d.report("suspected_harm")
    writers = _writers(sqlite_engine)
    take, give = writers.take, writers.give
    guard = threading.Lock()
    in_use: set[int] = set()
    shared: list[Any] = []
    used: set[int] = set()

    def taking() -> Any:
        held = take()
        with guard:
            if id(held[0]) in in_use:
                shared.append(held)
            in_use.add(id(held[0]))
            used.add(id(held[0]))
        return held

    def giving(held: Any) -> None:
        with guard:
            in_use.discard(id(held[0]))
        give(held)

    monkeypatch.setattr(writers, "take", taking)
    monkeypatch.setattr(writers, "give", giving)
    errors: list[BaseException] = []
    start = threading.Barrier(4, timeout=30)

    def write(d: Any) -> None:
        try:
            start.wait()
            d.run(
                (("dispatch", "police", {}), ("stop_harm", "police", {}))
                + (("collect_evidence", "police", {}),) * 3
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(d,)) for d in drivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert shared == []
    assert all(sqlite_engine.case(d.case_id).version == 6 for d in drivers)
    assert 1 <= len(used) <= 4
    assert 1 <= len(_idle(sqlite_engine)) <= writers.keep


def test_close_closes_the_write_connections_and_checkpoints_the_file(
    sqlite_url: str, clock: FakeClock, make_driver: Any
) -> None:
    engine = Engine.open(sqlite_url, clock=clock)
    d = make_driver(engine)
    d.report("suspected_harm")
    d.fire("dispatch")
    (conn,) = _idle(engine)
    engine.close()
    assert _closed(conn)
    assert _idle(engine) == []
    wal = Path(sqlite_url.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the last close checkpointed it
    assert d.fire("stop_harm").version == 3  # as after dispose: used again, it reconnects
    engine.close()


def test_a_connection_writing_while_the_store_closes_is_closed_when_its_write_ends(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    store = sqlite_engine.store
    with store.write() as tx:
        conn = tx.cur.connection  # type: ignore[attr-defined]
        store.close()
        assert not _closed(conn)  # not taken away from the write under way
    assert _closed(conn)
    assert _idle(sqlite_engine) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_writes_on_connections_of_its_own(
    sqlite_engine: Engine, make_driver: Any
) -> None:
    """The child never uses, nor closes, a connection it inherited; the parent's still works."""
    d = make_driver(sqlite_engine)
    d.report("suspected_harm")
    (parents,) = _idle(sqlite_engine)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            writers = _writers(sqlite_engine)
            d.fire("dispatch")
            mine = _idle(sqlite_engine)
            if len(mine) == 1 and mine[0] is not parents and writers.inherited == [parents]:
                code = 0
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    try:
        answer = os.read(read, 1)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert answer == b"\x00"
    assert _idle(sqlite_engine) == [parents]
    assert not _closed(parents)
    assert sqlite_engine.case(d.case_id).version == 2  # the child's write, read here
    assert d.fire("stop_harm").version == 3
