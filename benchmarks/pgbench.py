"""Group ``pg``: figures 1 and 2 on PostgreSQL, beside raw psycopg doing the same SQL (the
method is in :mod:`benchmarks.bench`'s docstring, "PostgreSQL"); also the hand-written SQL and
the engine's rows read back that :mod:`benchmarks.pgfire` and :mod:`benchmarks.pggroup` use."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.bench import (
    GOAL_BATCHED,
    GOAL_DURABLE,
    Sizes,
    case_after,
    in_batches,
    throughput,
    transitions,
)
from benchmarks.common import (
    PG_UNREACHABLE,
    POLICE,
    REPEATS,
    Figure,
    PgServer,
    progress,
    quoted,
    report_request,
)


@dataclass(frozen=True)
class PgSql:
    """Hand-written SQL for the tables the engine created on PostgreSQL (``%s`` parameters);
    ``json`` names the JSON columns, whose values go to the driver wrapped as JSON."""

    case_columns: list[str]
    event_columns: list[str]
    deadline_columns: list[str]
    json: frozenset[str]

    @classmethod
    def of(cls, con: Any) -> PgSql:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()

        def cols(table: str, skip: str | None = None) -> list[str]:
            return [c for t, c, _ in rows if t == table and c != skip]

        json_cols = frozenset(c for _, c, kind in rows if kind in ("json", "jsonb"))
        return cls(cols("cases"), cols("events", "id"), cols("deadlines", "id"), json_cols)

    def _insert(self, table: str, names: Sequence[str]) -> str:
        return f"INSERT INTO {table} ({quoted(names)}) VALUES ({', '.join(['%s'] * len(names))})"

    @property
    def insert_case(self) -> str:
        return self._insert("cases", self.case_columns)

    @property
    def insert_event(self) -> str:
        return self._insert("events", self.event_columns)

    @property
    def insert_deadline(self) -> str:
        return self._insert("deadlines", self.deadline_columns)

    select_case = "SELECT * FROM cases WHERE id = %s"
    select_deadlines = "SELECT * FROM deadlines WHERE case_id = %s ORDER BY id"

    @property
    def update_case(self) -> str:
        sets = ", ".join(f'"{c}" = %s' for c in self.case_columns if c != "id")
        return f"UPDATE cases SET {sets} WHERE id = %s AND version = %s"

    def params(self, names: Sequence[str], row: Sequence[Any]) -> list[Any]:
        """A row's values as parameters, JSON columns wrapped for the driver."""
        from psycopg.types.json import Json

        return [
            Json(v) if n in self.json and v is not None else v
            for n, v in zip(names, row, strict=True)
        ]


def pg_transition_rows(
    conninfo: str, after_event: int
) -> tuple[PgSql, list[tuple[str, list[Any], list[Any]]]]:
    """As :func:`transition_rows`, from the engine's PostgreSQL database."""
    import psycopg

    with psycopg.connect(conninfo) as con:
        sql = PgSql.of(con)
        final = {
            row[0]: row
            for row in con.execute(f"SELECT {quoted(sql.case_columns)} FROM cases").fetchall()
        }
        events = con.execute(
            f"SELECT {quoted(sql.event_columns)} FROM events WHERE id > %s ORDER BY id",
            (after_event,),
        ).fetchall()
    names = [c for c in sql.case_columns if c != "id"]
    rows = []
    for event in events:
        case_id, values, seq = case_after(sql.case_columns, final, sql.event_columns, event)
        update = [*sql.params(names, [values[c] for c in names]), case_id, seq - 1]
        rows.append((case_id, update, sql.params(sql.event_columns, event)))
    return sql, rows


def pg_raw_transitions(conninfo: str, sql: PgSql, rows: Sequence[Any]) -> float:
    """Raw psycopg replays the transitions, one transaction each; returns the seconds."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as con:
        cur = con.cursor()
        start = time.perf_counter()
        for case_id, update, event in rows:
            with con.transaction():  # BEGIN … COMMIT
                cur.execute(sql.select_case, (case_id,))
                if cur.fetchone() is None:
                    raise RuntimeError(f"raw replay: no case {case_id}")
                cur.execute(sql.select_deadlines, (case_id,))
                cur.fetchall()
                cur.execute(sql.update_case, update)
                if cur.rowcount != 1:
                    raise RuntimeError(f"raw replay: case {case_id} is not at version {update[-1]}")
                cur.execute(sql.insert_event, event)
        return time.perf_counter() - start


def pg_durable_databases(
    pg: PgServer, sizes: Sizes, name: str
) -> tuple[str, str, int, list[tuple[str, str, str, Any]]]:
    """Figure 1's two identical databases on PostgreSQL (every case reported and dispatched;
    the second a template copy of the first), the last event id before the timed part, and
    the plan of transitions to time."""
    import psycopg

    ours = pg.create(name)
    engine = pg.engine(ours)
    ids = engine.report_many((report_request(i) for i in range(sizes.durable_cases)), new_case=True)
    for case_id in ids:
        engine.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
    engine.close()  # no connection left: the database can be a template
    raw = pg.create(f"{name}_raw", template=ours)
    with psycopg.connect(pg.conninfo(ours)) as con:
        (setup_events,) = con.execute("SELECT max(id) FROM events").fetchone()  # type: ignore[misc]
    return ours, raw, setup_events, transitions(ids, sizes.durable_per_case)


def pg_raw_seconds(pg: PgServer, ours: str, raw: str, setup_events: int, count: int) -> float:
    """Raw psycopg writing, one commit each and in the engine's commit order, the rows the
    engine wrote after ``setup_events`` (``count`` of them) on the copy; then both dropped."""
    sql, rows = pg_transition_rows(pg.conninfo(ours), setup_events)
    if len(rows) != count:
        raise RuntimeError(f"expected {count} events from the engine, found {len(rows)}")
    raw_s = pg_raw_transitions(pg.conninfo(raw), sql, rows)
    pg.drop(ours)
    pg.drop(raw)
    return raw_s


def pg_durable_round(pg: PgServer, sizes: Sizes, n: int) -> tuple[float, float]:
    """One repetition of figure 1 on PostgreSQL: the engine's seconds, then raw psycopg's."""
    ours, raw, setup_events, plan = pg_durable_databases(pg, sizes, f"durable_{n}")
    engine = pg.engine(ours)
    engine.next_due()  # connected outside the timed part, as raw is
    start = time.perf_counter()
    for case_id, trigger, when, data in plan:
        engine.fire(case_id, trigger, actor=POLICE, occurred_at=when, data=data)
    ours_s = time.perf_counter() - start
    engine.close()
    return ours_s, pg_raw_seconds(pg, ours, raw, setup_events, len(plan))


def pg_report_rows(conninfo: str, sizes: Sequence[int]) -> tuple[PgSql, list[Any]]:
    """As :func:`report_rows`, from the engine's PostgreSQL database (ids are time-ordered)."""
    import psycopg

    with psycopg.connect(conninfo) as con:
        sql = PgSql.of(con)
        cases = con.execute(f"SELECT {quoted(sql.case_columns)} FROM cases ORDER BY id").fetchall()
        events = con.execute(
            f"SELECT {quoted(sql.event_columns)} FROM events ORDER BY id"
        ).fetchall()
        deadlines = con.execute(
            f"SELECT {quoted(sql.deadline_columns)} FROM deadlines ORDER BY id"
        ).fetchall()
    owner = sql.deadline_columns.index("case_id")
    batches = [
        (
            [sql.params(sql.case_columns, r) for r in chunk],
            [sql.params(sql.event_columns, r) for r in rows],
            [sql.params(sql.deadline_columns, r) for r in started],
        )
        for chunk, rows, started in in_batches(cases, events, deadlines, owner, sizes)
    ]
    return sql, batches


def pg_batched_round(pg: PgServer, sizes: Sizes, n: int, empty: str) -> tuple[float, float]:
    """One repetition of figure 2 on PostgreSQL: the engine's seconds, then raw psycopg's."""
    import psycopg

    ours = pg.create(f"batched_{n}", template=empty)
    raw = pg.create(f"batched_{n}_raw", template=empty)
    total, size = sizes.batch_total, sizes.batch_size
    batches = [
        [report_request(i) for i in range(b, min(b + size, total))] for b in range(0, total, size)
    ]
    engine = pg.engine(ours)
    engine.next_due()  # connected outside the timed part, as raw is
    start = time.perf_counter()
    for batch in batches:
        engine.report_many(batch, new_case=True)
    ours_s = time.perf_counter() - start
    engine.close()

    sql, rows = pg_report_rows(pg.conninfo(ours), [len(b) for b in batches])
    with psycopg.connect(pg.conninfo(raw), autocommit=True) as con:
        cur = con.cursor()
        start = time.perf_counter()
        for cases, events, deadlines in rows:
            with con.transaction():
                cur.executemany(sql.insert_case, cases)
                cur.executemany(sql.insert_event, events)
                cur.executemany(sql.insert_deadline, deadlines)
        raw_s = time.perf_counter() - start
    pg.drop(ours)
    pg.drop(raw)
    return ours_s, raw_s


def pg_figures(sizes: Sizes) -> list[Figure]:
    """Figures 1 and 2 on PostgreSQL, or two rows saying why they were skipped."""
    count = sizes.durable_cases * sizes.durable_per_case
    durable_label = f"PostgreSQL: durable transitions/s ({count:,}, one commit each)"
    batched_label = (
        f"PostgreSQL: batched reports/s ({sizes.batch_total:,}, {sizes.batch_size:,} per call)"
    )
    pg = PgServer.find()
    if pg is None:
        return [
            Figure(key, label, "/s", 0.0, None, None, f"≥ {goal:g}×", False, {}, PG_UNREACHABLE)
            for key, label, goal in (
                ("pg_durable_transitions_per_s", durable_label, GOAL_DURABLE),
                ("pg_batched_reports_per_s", batched_label, GOAL_BATCHED),
            )
        ]
    server = {"server": pg.url.render_as_string(hide_password=True), "version": pg.version()}
    print(f"PostgreSQL {server['version']} at {server['server']}: figures 1 and 2 again")
    try:
        durable = []
        for n in range(REPEATS):
            progress(f"PostgreSQL durable transitions: round {n + 1}/{REPEATS}")
            durable.append(pg_durable_round(pg, sizes, n))
        empty = pg.create("empty")
        pg.engine(empty).close()  # the engine creates its schema on a new database
        batched = []
        for n in range(REPEATS):
            progress(f"PostgreSQL batched reports: round {n + 1}/{REPEATS}")
            batched.append(pg_batched_round(pg, sizes, n, empty))
    finally:
        pg.drop_all()
    figures = [
        throughput("pg_durable_transitions_per_s", durable_label, GOAL_DURABLE, count, durable),
        throughput(
            "pg_batched_reports_per_s", batched_label, GOAL_BATCHED, sizes.batch_total, batched
        ),
    ]
    for f in figures:
        f.detail.update(server)
    return figures
