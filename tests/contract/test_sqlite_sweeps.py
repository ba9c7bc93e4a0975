"""Sweeps on SQLite at scale and under concurrency: every due deadline fires exactly once.

Cases are filed with ``report_many`` (each report starts a ``dispatch`` deadline due an hour
later), then swept by one engine, by two threads with their own engines, or by two processes.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shouhu import Engine, FakeClock
from shouhu.engine.core import Fired, ReportRequest

CST = timezone(timedelta(hours=8))
REPORTED = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
#: Deadlines the racing sweepers share: the long version (``make soak``) races ten times more.
RACE = 20_000 if os.environ.get("SHOUHU_SOAK") == "1" else 2_000
DUE = REPORTED + timedelta(hours=1)
REQUEST = ReportRequest(
    "solo_living",
    child={"name": "王小明", "birthdate": "2016-02-01"},
    location="石桥村, 青山镇",
    reporter={"kind": "school", "name": "青山镇中心小学"},
    discovered_at=REPORTED,
    occurred_at=REPORTED,
)


def file_cases(url: str, n: int, batch: int = 5_000) -> None:
    """``n`` solo_living reports at 09:00, in batches, each with a dispatch due at 10:00."""
    with Engine.open(url, clock=FakeClock(REPORTED)) as engine:
        for start in range(0, n, batch):
            engine.report_many([REQUEST] * min(batch, n - start), new_case=True)


def counts(db: Path) -> dict[str, int]:
    """What the file holds, counted with the standard library."""
    con = sqlite3.connect(db)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "cases": one("SELECT COUNT(*) FROM cases"),
            "cases_at_version_2": one("SELECT COUNT(*) FROM cases WHERE version = 2"),
            "missed_events": one("SELECT COUNT(*) FROM events WHERE trigger = 'deadline_missed'"),
            "cases_with_missed_event": one(
                "SELECT COUNT(DISTINCT case_id) FROM events WHERE trigger = 'deadline_missed'"
            ),
            "pending": one("SELECT COUNT(*) FROM deadlines WHERE status = 'pending'"),
            "missed_rows": one("SELECT COUNT(*) FROM deadlines WHERE status = 'missed'"),
        }
    finally:
        con.close()


def all_fired_once(n: int) -> dict[str, int]:
    return {
        "cases": n,
        "cases_at_version_2": n,
        "missed_events": n,
        "cases_with_missed_event": n,
        "pending": 0,
        "missed_rows": n,
    }


@pytest.mark.slow
def test_a_sweep_over_100000_deadlines_due_at_one_instant_fires_each_exactly_once(
    tmp_path: Path,
) -> None:
    """100,000 dispatch deadlines due at 10:00: one run_due fires all, a second fires none."""
    n = 100_000
    db = tmp_path / "many.db"
    url = f"sqlite:///{db}"
    started = time.perf_counter()
    file_cases(url, n)
    clock = FakeClock(DUE)
    with Engine.open(url, clock=clock) as engine:
        assert engine.next_due() == DUE
        assert engine.run_due(DUE - timedelta(seconds=1)) == []
        fired = engine.run_due(DUE)
        assert len(fired) == n
        assert len({f.case_id for f in fired}) == n
        assert {(f.kind, f.trigger, f.seq, f.due_at) for f in fired} == {
            ("dispatch", "deadline_missed", 2, DUE)
        }
        assert engine.next_due() is None
        assert engine.run_due(DUE + timedelta(minutes=1)) == []
    assert counts(db) == all_fired_once(n)
    assert time.perf_counter() - started < 300  # ~40 s alone; a guard against a blow-up only


class _Yielding:
    """A store whose write transactions pause after committing, so that two sweepers take
    turns (SQLite's busy handler otherwise lets the engine holding the lock take it back)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self._store.write() as tx:
            yield tx
        time.sleep(0.02)


def _sweep_in_thread(url: str, barrier: threading.Barrier, out: list[Fired]) -> None:
    with Engine.open(url, clock=FakeClock(DUE)) as engine:
        engine.store = _Yielding(engine.store)
        barrier.wait()
        out.extend(engine.run_due(DUE, batch=100))


def test_two_engines_sweeping_the_same_file_at_once_fire_each_deadline_once(
    tmp_path: Path,
) -> None:
    """Two threads, each with its own Engine.open, run_due together over 2,000 due deadlines
    (20,000 under ``make soak``)."""
    n = RACE
    db = tmp_path / "shared.db"
    url = f"sqlite:///{db}"
    file_cases(url, n)
    barrier = threading.Barrier(2)
    results: list[list[Fired]] = [[], []]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _sweep_in_thread(url, barrier, results[i])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert all(results), "both sweepers should have taken turns"
    ids = [f.case_id for r in results for f in r]
    assert len(ids) == n
    assert len(set(ids)) == n
    assert counts(db) == all_fired_once(n)


def _sweep_in_process(url: str, start_at: float) -> list[str]:
    """A worker process: its own engine; waits for the common start, sweeps, returns case ids."""
    with Engine.open(url, clock=FakeClock(DUE)) as engine:
        time.sleep(max(0.0, start_at - time.time()))
        return [f.case_id for f in engine.run_due(DUE, batch=100)]


@pytest.mark.slow
def test_two_processes_sweeping_the_same_file_at_once_fire_each_deadline_once(
    tmp_path: Path,
) -> None:
    """Two processes (spawned, separate Engine.open) run_due together: 2,000 fired, each once
    (20,000 under ``make soak``)."""
    n = RACE
    db = tmp_path / "shared.db"
    url = f"sqlite:///{db}"
    file_cases(url, n)
    ctx: Any = multiprocessing.get_context("spawn")
    start_at = time.time() + 5.0
    with ctx.Pool(2) as pool:
        results = pool.starmap(_sweep_in_process, [(url, start_at), (url, start_at)])
    ids = [case_id for r in results for case_id in r]
    assert len(ids) == n
    assert len(set(ids)) == n
    assert counts(db) == all_fired_once(n)
