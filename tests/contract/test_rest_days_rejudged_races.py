"""Civil Code Art. 203 re-judged under concurrent sweeps, on SQLite and PostgreSQL: however
many sweepers start at once under a pack that adds the year, each flagged case gets exactly one
``rest_days_rejudged`` event, no duty is reported missed that the new computation has not
passed, and ``audit verify`` (derived deadlines == replay) holds.

The 2027 calendar is the TEST FIXTURE of ``tests/contract/test_rest_days_rejudged.py``, not law.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from test_rest_days_rejudged import assessing, city, cst, national

from shouhu import Engine, FakeClock

SWEEPERS = 4
CASES = 12


def race(url: str) -> None:
    with Engine.open(url, clock=FakeClock(cst("2027-01-23T10:00")), policy=national()) as old:
        cases = [assessing(old, "2027-01-23T09:00") for _ in range(CASES)]
    clock = FakeClock(cst("2027-02-09T09:00"))  # past the old due time (02-08), not the new
    engines = [Engine.open(url, clock=clock, policy=city()) for _ in range(SWEEPERS)]
    start = threading.Barrier(SWEEPERS)
    errors: list[BaseException] = []
    fired: list[Any] = []

    def sweep(engine: Engine) -> None:
        engine.next_due()  # connected before the start line
        start.wait(timeout=60)
        try:
            fired.extend(engine.run_due())
        except Exception as exc:  # reported to the test, which names it
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(e,)) for e in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        for e in engines:
            e.close()
    assert errors == []
    assert fired == []  # nothing was missed under Art. 203: the duties run to 02-15
    with Engine.open(url, clock=clock, policy=city()) as engine:
        for case_id in cases:
            triggers = [e.trigger for e in engine.history(case_id)]
            assert triggers.count("rest_days_rejudged") == 1
            assert "deadline_missed" not in triggers
            (row,) = [d for d in engine.deadlines(case_id=case_id) if d["kind"] == "assessment"]
            assert row["due_at"] == "2027-02-15T00:00:00+08:00"
        assert engine.verify().ok


def test_concurrent_sweeps_rejudge_each_flagged_case_once_on_sqlite(tmp_path: Path) -> None:
    race(f"sqlite:///{tmp_path / 'cases.db'}")


def test_concurrent_sweeps_rejudge_each_flagged_case_once_on_postgresql(pg_url: str) -> None:
    race(pg_url)
