"""Group ``pggroup``: concurrent durable fires on PostgreSQL (issue 18's group-commit goal, "the
same on PostgreSQL against raw psycopg").

Figure 1's transitions on PostgreSQL (``durable_cases`` cases reported and dispatched, then
``durable_per_case`` steps each: :func:`benchmarks.bench.transitions`) fired by
:data:`~benchmarks.bench.GROUP_THREADS` threads sharing one engine whose store keeps a
connection per thread (``Engine.open(url, connections=32)``; each thread takes whole cases,
their steps in order). Each fire is its own transaction and is answered only once committed:
PostgreSQL gathers concurrent commits' log flushes itself (which is why ``group_commit=True``
is SQLite's alone). Beside it, raw psycopg writing the same rows one commit each on a copy of
the database taken before (figure 1's PostgreSQL baseline, :func:`benchmarks.bench.
pg_raw_transitions`). Medians of 3 rounds. Goal: ≥ 1.5×.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from benchmarks.common import PG_UNREACHABLE, POLICE, REPEATS, Figure, PgServer, progress

if TYPE_CHECKING:
    from benchmarks.bench import Sizes

GOAL_PG_GROUP = 1.5


def label(count: int, threads: int) -> str:
    return (
        f"PostgreSQL: durable transitions/s, {threads} threads, one engine "
        f"({count:,}; raw: one commit each)"
    )


def pg_group_round(pg: PgServer, sizes: Sizes, n: int) -> tuple[float, float]:
    import psycopg

    from benchmarks.bench import GROUP_THREADS, transitions
    from benchmarks.common import TickingClock, report_request
    from benchmarks.pgbench import pg_raw_transitions, pg_transition_rows
    from shouhu import Engine

    ours = pg.create(f"pggroup_{n}")
    engine = pg.engine(ours)
    ids = engine.report_many((report_request(i) for i in range(sizes.durable_cases)), new_case=True)
    for case_id in ids:
        engine.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
    engine.close()  # no connection left: the database can be a template
    raw = pg.create(f"pggroup_{n}_raw", template=ours)
    with psycopg.connect(pg.conninfo(ours)) as con:
        (setup_events,) = con.execute("SELECT max(id) FROM events").fetchone()  # type: ignore[misc]
    plan = transitions(ids, sizes.durable_per_case)
    by_case: dict[str, list[tuple[str, str, str, Any]]] = {}
    for step in plan:
        by_case.setdefault(step[0], []).append(step)
    shares = [list(by_case.values())[k::GROUP_THREADS] for k in range(GROUP_THREADS)]

    from benchmarks.common import NOW

    shared = Engine.open(
        pg.sqlalchemy_url(ours), clock=TickingClock(NOW), create=False, connections=GROUP_THREADS
    )
    shared.next_due()  # connected outside the timed part
    errors: list[BaseException] = []

    def work(cases: list[list[tuple[str, str, str, Any]]]) -> None:
        try:
            for steps in cases:
                for case_id, trigger, when, data in steps:
                    shared.fire(case_id, trigger, actor=POLICE, occurred_at=when, data=data)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(share,)) for share in shares]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    ours_s = time.perf_counter() - start
    shared.close()
    if errors:
        raise errors[0]
    sql, rows = pg_transition_rows(pg.conninfo(ours), setup_events)
    if len(rows) != len(plan):
        raise RuntimeError(f"expected {len(plan)} events from the engine, found {len(rows)}")
    # raw replays them in the engine's commit order, one transaction each
    raw_s = pg_raw_transitions(pg.conninfo(raw), sql, rows)
    pg.drop(ours)
    pg.drop(raw)
    return ours_s, raw_s


def figures(sizes: Sizes) -> list[Figure]:
    from benchmarks.bench import GROUP_THREADS, throughput

    count = sizes.durable_cases * sizes.durable_per_case
    name = label(count, GROUP_THREADS)
    pg = PgServer.find()
    if pg is None:
        return [Figure("pg_group_transitions_per_s", name, "/s", 0.0, None, None,
                       f"≥ {GOAL_PG_GROUP:g}×", False, {}, PG_UNREACHABLE)]  # fmt: skip
    try:
        rounds = []
        for n in range(REPEATS):
            progress(f"PostgreSQL, {GROUP_THREADS} threads: round {n + 1}/{REPEATS}")
            rounds.append(pg_group_round(pg, sizes, n))
    finally:
        pg.drop_all()
    return [throughput("pg_group_transitions_per_s", name, GOAL_PG_GROUP, count, rounds)]
