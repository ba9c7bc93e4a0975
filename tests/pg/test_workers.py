"""Several scheduler workers on one PostgreSQL database: each deadline fires exactly once.

Four spawned processes, each with its own ``Engine.open``, pass a common start line and run
``run_due`` together. They claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED``; a batch
that loses a race on a case row (two workers holding two deadlines of one case) writes
nothing and is claimed again.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pgworkers
import pytest

from shouhu import Engine, FakeClock, ReportRequest

WORKERS = 4
ZONE = "Asia/Shanghai"
#: Where every clock stands: after each report and each due time below.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def request(type_: str, day: date, data: dict[str, Any] | None = None) -> ReportRequest:
    """A report discovered at 08:10 and filed at 08:30 on ``day``: dispatch due at 09:30."""
    return ReportRequest(
        type_,
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        discovered_at=f"{day.isoformat()}T08:10",
        occurred_at=f"{day.isoformat()}T08:30",
        data=data or {},
    )


def sweep_together(url: str, batch: int) -> tuple[list[list[tuple[str, str, int]]], int]:
    """Four processes sweep at once: what each fired (case, kind, seq), and how many of their
    batches lost a race and were claimed again. A worker's error fails the test."""
    ctx: Any = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [
        ctx.Process(target=pgworkers.sweep, args=(url, NOW, batch, barrier, out))
        for _ in range(WORKERS)
    ]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=300) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    errors = [detail for _, status, detail in results if status != "ok"]
    assert not errors, errors
    assert all(p.exitcode == 0 for p in procs)
    return [fired for _, _, (fired, _) in results], sum(lost for _, _, (_, lost) in results)


def counts(db: Any) -> dict[str, Any]:
    with db.connect() as con:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchone()[0]

        return {
            "cases": one("SELECT count(*) FROM cases"),
            "deadlines": one("SELECT count(*) FROM deadlines"),
            "by_status": dict(
                con.execute("SELECT status, count(*) FROM deadlines GROUP BY status").fetchall()
            ),
            "system_events_per_case": Counter(
                n
                for (n,) in con.execute(
                    "SELECT count(e.id) FROM cases c LEFT JOIN events e "
                    "ON e.case_id = c.id AND e.role = 'system' GROUP BY c.id"
                )
            ),
            "seq_gaps": one(
                "SELECT count(*) FROM (SELECT c.id FROM cases c JOIN events e ON e.case_id = c.id "
                "GROUP BY c.id, c.version "
                "HAVING count(*) <> c.version OR max(e.seq) <> c.version OR min(e.seq) <> 1) g"
            ),
        }


@pytest.mark.slow
def test_four_workers_fire_each_of_1000_due_deadlines_exactly_once(
    pg_url: str, pg_database: Any
) -> None:
    """1,000 dispatch deadlines due; four workers: 1,000 fired in all, each (case, kind) once,
    one ``deadline_missed`` per case, every row ``missed``, none ``pending`` (10,000 under
    ``make soak``)."""
    n = 10_000 if os.environ.get("SHOUHU_SOAK") == "1" else 1_000
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        ids = engine.report_many([request("solo_living", date(2026, 3, 2))] * n, new_case=True)
    assert len(set(ids)) == n

    results, _ = sweep_together(pg_url, batch=25)

    fired = [f for worker in results for f in worker]
    assert len(fired) == n
    assert len({(case_id, kind) for case_id, kind, _ in fired}) == n
    assert {case_id for case_id, _, _ in fired} == set(ids)
    assert {(kind, seq) for _, kind, seq in fired} == {("dispatch", 2)}
    assert sum(1 for worker in results if worker) >= 2, [len(w) for w in results]
    assert counts(pg_database) == {
        "cases": n,
        "deadlines": n,
        "by_status": {"missed": n},
        "system_events_per_case": Counter({1: n}),
        "seq_gaps": 0,
    }
    with pg_database.connect() as con:
        missed = con.execute(
            "SELECT count(*), count(DISTINCT case_id) FROM events WHERE trigger = 'deadline_missed'"
        ).fetchone()
    assert missed == (n, n)
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        assert engine.verify().ok
        assert engine.run_due(NOW) == []


def six_months_before(day: date) -> date:
    month = day.month - 6
    return day.replace(year=day.year - (month <= 0), month=month + 12 * (month <= 0))


@pytest.mark.slow
def test_workers_holding_two_deadlines_of_one_case_retry_and_fire_each_once(
    pg_url: str, pg_database: Any
) -> None:
    """Each case has two due rows next to each other in due order (its dispatch, then its
    six-month maturity); batches of 7 split the pairs, so two workers often hold the two rows
    of one case at once: the loser's batch conflicts on the case row and is claimed again.
    Every row fires once, each case ends at version 3 with no gap and a chain that verifies."""
    days = [
        date(2025, 9, 1) + timedelta(days=i)
        for i in range(190)
        if (date(2025, 9, 1) + timedelta(days=i)).day <= 28
    ]
    requests = [
        request(
            "guardian_nonperformance",
            day,
            {"nonperformance_since": six_months_before(day).isoformat()},
        )
        for day in days
    ]
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        ids = engine.report_many(requests, new_case=True)  # one child, a day apart
        rows = list(engine.deadlines(status="pending"))
    n = len(ids)
    assert Counter(r["kind"] for r in rows) == {"dispatch": n, "nonperformance_six_months": n}
    order = [r["case_id"] for r in rows]  # by due time: each case's two rows side by side
    assert sum(a == b for a, b in itertools.pairwise(order)) == n

    results, lost = sweep_together(pg_url, batch=7)
    assert lost >= 1, "no batch lost a race: the retry was not exercised"

    fired = [f for worker in results for f in worker]
    assert len(fired) == 2 * n
    assert Counter((case_id, kind) for case_id, kind, _ in fired) == Counter(
        {
            (case_id, kind): 1
            for case_id in ids
            for kind in ("dispatch", "nonperformance_six_months")
        }
    )
    assert sorted(seq for _, _, seq in fired) == [2] * n + [3] * n
    assert counts(pg_database) == {
        "cases": n,
        "deadlines": 2 * n,
        "by_status": {"missed": n, "fired": n},
        "system_events_per_case": Counter({2: n}),
        "seq_gaps": 0,
    }
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        assert {engine.case(i).version for i in ids} == {3}
        assert engine.verify().ok
