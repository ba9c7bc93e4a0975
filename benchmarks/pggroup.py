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

from typing import TYPE_CHECKING

from benchmarks.common import PG_UNREACHABLE, REPEATS, Figure, PgServer, progress

if TYPE_CHECKING:
    from benchmarks.bench import Sizes

GOAL_PG_GROUP = 1.5


def label(count: int, threads: int) -> str:
    return (
        f"PostgreSQL: durable transitions/s, {threads} threads, one engine "
        f"({count:,}; raw: one commit each)"
    )


def pg_group_round(pg: PgServer, sizes: Sizes, n: int) -> tuple[float, float]:
    """One repetition: the engine's seconds with the threads, then raw psycopg's."""
    from benchmarks.bench import GROUP_THREADS, fired_in_threads
    from benchmarks.common import NOW, TickingClock
    from benchmarks.pgbench import pg_durable_databases, pg_raw_seconds
    from shouhu import Engine

    ours, raw, setup_events, plan = pg_durable_databases(pg, sizes, f"pggroup_{n}")
    shared = Engine.open(
        pg.sqlalchemy_url(ours), clock=TickingClock(NOW), create=False, connections=GROUP_THREADS
    )
    shared.next_due()  # connected outside the timed part
    try:
        ours_s = fired_in_threads(shared, plan, GROUP_THREADS)
    finally:
        shared.close()
    return ours_s, pg_raw_seconds(pg, ours, raw, setup_events, len(plan))


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
