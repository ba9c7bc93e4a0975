"""Group ``scaleout``: several scheduler daemons sweeping one PostgreSQL database (issue 18).

A database of ``cases`` reported cases whose ``dispatch`` deadlines are all due (filed by
``report_many``, as :func:`benchmarks.bench.fill` does, and never dispatched) is copied
(``CREATE DATABASE … TEMPLATE``) once per side. On each copy, ``k`` separate processes — one,
then :data:`DAEMONS` — each open the engine, connect, and wait at a common start line; then
each runs the sweep the daemon runs (``Engine.run_due``, 500 rows claimed a transaction with
``FOR UPDATE SKIP LOCKED``) until nothing is due. The figure is the due deadlines fired per
second from the first process's start to the last one's end, ``k`` = :data:`DAEMONS` beside
``k`` = 1, medians of 3 rounds. What is left out: the processes' start and the daemon's wait
between sweeps (``--interval``), the same on both sides.

Exactly once, checked after every round: the deadlines the processes say they fired are all
distinct, there are as many as were due, no due row is left pending, and each case has one
``deadline_missed`` event. A round that fails a check stops the benchmark.

Goal: ≥ 3× with 4 daemons. The machine's CPU count is in the figure's detail: a sweep is
Python work between the server's round trips, and the server shares the machine, so on a
machine of 2 CPUs the daemons and the server share two cores.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import (
    NOW,
    PG_UNREACHABLE,
    REPEATS,
    ROOT,
    Figure,
    PgServer,
    progress,
    report_request,
)

GOAL_SCALEOUT = 3.0
DAEMONS = 4


def label(cases: int) -> str:
    return (
        f"PostgreSQL: {DAEMONS} scheduler daemons vs 1, due deadlines fired/s "
        f"({cases:,} cases, 0 fired twice)"
    )


def build(pg: PgServer, cases: int) -> tuple[str, int]:
    """The template database: ``cases`` cases, each with its dispatch deadline due at NOW;
    its name and the number of rows due."""
    db = pg.create("scaleout")
    engine = pg.engine(db)
    for b in range(0, cases, 1_000):
        engine.report_many(
            (report_request(i) for i in range(b, min(b + 1_000, cases))), new_case=True
        )
    due = sum(1 for _ in engine.store.deadlines(status="pending", due_before=NOW))
    engine.close()  # no connection left: the database can be a template
    if due < cases:
        raise RuntimeError(f"scaleout: expected {cases:,} due deadlines, found {due:,}")
    return db, due


def sweep_child(url: str, go: str, out: str) -> None:
    """In a child process: connect, say ready, wait for ``go`` to exist, sweep, write times."""
    from benchmarks.common import TickingClock
    from shouhu import Engine

    engine = Engine.open(url, clock=TickingClock(NOW))
    engine.next_due()  # connected before the start line, as the daemon is between sweeps
    Path(out + ".ready").touch()
    while not os.path.exists(go):
        time.sleep(0.001)
    start = time.time()
    fired = engine.run_due(NOW)
    end = time.time()
    engine.close()
    rows = [[f.case_id, f.kind, f.seq] for f in fired]
    Path(out).write_text(json.dumps({"start": start, "end": end, "fired": rows}))


def sweep_round(pg: PgServer, template: str, due: int, k: int, n: int, tmp: Path) -> float:
    """``k`` processes sweep a fresh copy of ``template``; their wall seconds, checked."""
    import psycopg

    db = pg.create(f"scaleout_{k}_{n}", template=template)
    url = pg.sqlalchemy_url(db)
    go = tmp / f"scaleout-{k}-{n}.go"
    outs = [tmp / f"scaleout-{k}-{n}-{j}.json" for j in range(k)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.scaleout", "--sweep", url, str(go), str(out)],
            cwd=ROOT,
            env={**os.environ, "SHOUHU_LOG_LEVEL": "warning"},
        )
        for out in outs
    ]
    deadline = time.monotonic() + 120
    while not all(Path(f"{out}.ready").exists() for out in outs):
        if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in procs):
            for p in procs:
                p.kill()
            raise RuntimeError("scaleout: a sweep process did not get ready")
        time.sleep(0.01)
    go.touch()
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError(f"scaleout: a sweep process failed ({p.returncode})")
    results = [json.loads(out.read_text()) for out in outs]
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    fired = [tuple(row) for r in results for row in r["fired"]]
    twice = [row for row, c in Counter(fired).items() if c > 1]
    with psycopg.connect(pg.conninfo(db)) as con:
        (pending,) = con.execute(
            "SELECT count(*) FROM deadlines WHERE status = 'pending' AND due_at <= %s", (NOW,)
        ).fetchone()  # type: ignore[misc]
        (events,) = con.execute(
            "SELECT count(*) FROM events WHERE trigger = 'deadline_missed'"
        ).fetchone()  # type: ignore[misc]
    pg.drop(db)
    if twice or events != due or len(fired) != due or pending:
        raise RuntimeError(
            f"scaleout, {k} daemons: {len(fired):,} fired of {due:,} due, {len(twice)} twice by "
            f"the daemons' account, {events:,} deadline_missed events, "
            f"{pending} due rows left pending"
        )
    return seconds


def figures(tmp: Path, quick: bool) -> list[Figure]:
    cases = 2_000 if quick else 20_000
    pg = PgServer.find()
    if pg is None:
        goal = f"≥ {GOAL_SCALEOUT:g}×"
        return [Figure("scaleout_pg_fired_per_s", label(cases), "/s", 0.0, None, None, goal,
                       False, {}, PG_UNREACHABLE)]  # fmt: skip
    try:
        progress(f"scaleout: {cases:,} cases with their dispatch deadline due")
        template, due = build(pg, cases)
        one: list[float] = []
        many: list[float] = []
        for n in range(REPEATS):
            progress(f"scaleout: round {n + 1}/{REPEATS}, 1 daemon then {DAEMONS}")
            one.append(sweep_round(pg, template, due, 1, n, tmp))
            many.append(sweep_round(pg, template, due, DAEMONS, n, tmp))
    finally:
        pg.drop_all()
    ours, base = due / statistics.median(many), due / statistics.median(one)
    ratio = ours / base
    detail: dict[str, Any] = {
        "daemons": DAEMONS,
        "due": due,
        "cpus": os.cpu_count(),
        "seconds_one": one,
        f"seconds_{DAEMONS}": many,
    }
    return [
        Figure(
            "scaleout_pg_fired_per_s",
            label(cases),
            "/s",
            ours,
            base,
            ratio,
            f"≥ {GOAL_SCALEOUT:g}×",
            ratio >= GOAL_SCALEOUT,
            detail,
        )
    ]


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "--sweep":
        sweep_child(argv[1], argv[2], argv[3])
        return 0
    print("usage: python -m benchmarks.scaleout --sweep URL GO_FILE OUT_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
