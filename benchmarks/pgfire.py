"""Group ``pgfire``: ``Engine.fire_many`` on PostgreSQL beside raw psycopg writing the same rows
(issue 18).

A database of ``cases`` reported cases (``report_many``) is copied (``CREATE DATABASE …
TEMPLATE``) for each side. Ours: four steps on every case — ``dispatch``, then
``collect_evidence``, ``arrange_medical_care``, ``stop_harm`` — by ``Engine.fire_many``,
:data:`PER_CALL` transitions a call (each case's four steps in the same call, in order), one
transaction a call. Raw: for the same batches, in one transaction each, what a careful
hand-written program needs to write the same rows: ``SELECT`` the batch's cases and their
deadline rows (``WHERE … = ANY(%s)``), then ``executemany`` (which psycopg sends in pipeline
mode) of the version-guarded ``UPDATE`` of each case to its final row, the ``INSERT`` of the
events, and the deadline and outbox rows the engine inserted and updated — the rows are read
back from the engine's database after its run, by diffing it with the copy taken before. The
raw side checks each update found its row (the rows' counts add up) and, at the end, that both
databases hold as many rows of each table. Medians of 3 rounds, both sides on the same server
in the same run.

What the baseline leaves out is the engine's own work: the workflow machine, validation,
hashing, the records, the deadlines' arithmetic and SQLAlchemy. Goal: ≥ 0.5×.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

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

GOAL_PG_FIRE_MANY = 0.5
PER_CALL = 1_000
STEPS: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("dispatch", None),
    ("collect_evidence", None),
    ("arrange_medical_care", None),
    ("stop_harm", None),
)


def label(cases: int) -> str:
    return (
        f"PostgreSQL: fire_many transitions/s ({len(STEPS) * cases:,}, "
        f"{PER_CALL:,} per call; raw: psycopg, the same rows)"
    )


def build(pg: PgServer, cases: int) -> tuple[str, list[str]]:
    db = pg.create("pgfire")
    engine = pg.engine(db)
    ids: list[str] = []
    for b in range(0, cases, 1_000):
        ids += engine.report_many(
            (report_request(i) for i in range(b, min(b + 1_000, cases))), new_case=True
        )
    engine.close()  # no connection left: the database can be a template
    return db, ids


def batches(ids: list[str]) -> list[list[Any]]:
    from shouhu.engine.core import FireRequest

    per = PER_CALL // len(STEPS)
    base = datetime(2026, 3, 2, 9, 0)
    out = []
    for b in range(0, len(ids), per):
        out.append(
            [
                FireRequest(case_id, trigger, POLICE, base + timedelta(minutes=10 * k), data)
                for case_id in ids[b : b + per]
                for k, (trigger, data) in enumerate(STEPS)
            ]
        )
    return out


def _rows(con: Any, table: str, cols: list[str], order: str) -> list[tuple[Any, ...]]:
    return list(con.execute(f"SELECT {quoted(cols)} FROM {table} ORDER BY {order}").fetchall())


def raw_plan(pg: PgServer, ours: str, before: str, calls: list[list[Any]]) -> tuple[Any, list[Any]]:
    """Each call's rows as the engine wrote them: (case ids, case updates, events, deadline
    inserts, deadline updates, outbox inserts)."""
    import psycopg

    from benchmarks.pgbench import PgSql

    with psycopg.connect(pg.conninfo(ours)) as con:
        sql = PgSql.of(con)
        outbox_cols = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox' "
                "AND column_name <> 'id' ORDER BY ordinal_position"
            ).fetchall()
        ]
        dl_cols = ["id", *sql.deadline_columns]
        cases = {r[0]: r for r in _rows(con, "cases", sql.case_columns, "id")}
        events = _rows(con, "events", ["id", *sql.event_columns], "id")
        deadlines = {r[0]: r for r in _rows(con, "deadlines", dl_cols, "id")}
        outbox = _rows(con, "outbox", ["id", *outbox_cols], "id")
    with psycopg.connect(pg.conninfo(before)) as con:
        (events_before,) = con.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()  # type: ignore[misc]
        (outbox_before,) = con.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()  # type: ignore[misc]
        old_deadlines = {r[0]: r for r in _rows(con, "deadlines", dl_cols, "id")}
        versions = dict(con.execute("SELECT id, version FROM cases").fetchall())
    owner = dl_cols.index("case_id")
    ev_case = sql.event_columns.index("case_id") + 1
    ob_case = outbox_cols.index("case_id") + 1
    plan = []
    for call in calls:
        ids = list(dict.fromkeys(r.case_id for r in call))
        mine = set(ids)
        names = [c for c in sql.case_columns if c != "id"]
        updates = []
        for case_id in ids:
            values = dict(zip(sql.case_columns, cases[case_id], strict=True))
            updates.append(
                [*sql.params(names, [values[c] for c in names]), case_id, versions[case_id]]
            )
        new_events = [
            sql.params(sql.event_columns, e[1:])
            for e in events
            if e[0] > events_before and e[ev_case] in mine
        ]
        inserts, changed = [], []
        for did, row in deadlines.items():
            if row[owner] not in mine:
                continue
            if did not in old_deadlines:
                inserts.append(sql.params(sql.deadline_columns, row[1:]))
            elif row != old_deadlines[did]:
                changed.append([*sql.params(sql.deadline_columns, row[1:]), did])
        notices = [
            sql.params(outbox_cols, n[1:])
            for n in outbox
            if n[0] > outbox_before and n[ob_case] in mine
        ]
        plan.append((ids, updates, new_events, inserts, changed, notices))
    return (sql, outbox_cols), plan


def raw_fire(conninfo: str, shape: Any, plan: list[Any]) -> float:
    import psycopg

    sql, outbox_cols = shape
    names = [c for c in sql.case_columns if c != "id"]
    update_case = (
        "UPDATE cases SET " + ", ".join(f'"{c}" = %s' for c in names) + " WHERE id = %s"
        " AND version = %s"
    )
    update_deadline = (
        "UPDATE deadlines SET "
        + ", ".join(f'"{c}" = %s' for c in sql.deadline_columns)
        + " WHERE id = %s"
    )
    marks = ", ".join(["%s"] * len(outbox_cols))
    insert_outbox = f"INSERT INTO outbox ({quoted(outbox_cols)}) VALUES ({marks})"
    with psycopg.connect(conninfo, autocommit=True) as con:
        cur = con.cursor()
        start = time.perf_counter()
        for ids, updates, events, inserts, changed, notices in plan:
            with con.transaction():
                cur.execute("SELECT * FROM cases WHERE id = ANY(%s)", (ids,))
                if len(cur.fetchall()) != len(ids):
                    raise RuntimeError("raw fire_many: a case is missing")
                cur.execute(
                    "SELECT * FROM deadlines WHERE case_id = ANY(%s) ORDER BY case_id, id", (ids,)
                )
                cur.fetchall()
                cur.executemany(update_case, updates)
                if cur.rowcount != len(updates):
                    raise RuntimeError("raw fire_many: a case was not at its version")
                cur.executemany(sql.insert_event, events)
                if inserts:
                    cur.executemany(sql.insert_deadline, inserts)
                if changed:
                    cur.executemany(update_deadline, changed)
                if notices:
                    cur.executemany(insert_outbox, notices)
        return time.perf_counter() - start


def counts(pg: PgServer, db: str) -> list[int]:
    import psycopg

    with psycopg.connect(pg.conninfo(db)) as con:
        return [
            int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("cases", "events", "deadlines", "outbox")
        ]


def fire_round(pg: PgServer, template: str, ids: list[str], n: int) -> tuple[float, float]:
    ours = pg.create(f"pgfire_{n}", template=template)
    raw = pg.create(f"pgfire_{n}_raw", template=template)
    calls = batches(ids)
    engine = pg.engine(ours)
    engine.next_due()  # connected outside the timed part, as raw is
    start = time.perf_counter()
    for call in calls:
        engine.fire_many(call)
    ours_s = time.perf_counter() - start
    engine.close()
    shape, plan = raw_plan(pg, ours, raw, calls)
    raw_s = raw_fire(pg.conninfo(raw), shape, plan)
    if counts(pg, ours) != counts(pg, raw):
        raise RuntimeError(f"pgfire: rows differ: ours {counts(pg, ours)}, raw {counts(pg, raw)}")
    pg.drop(ours)
    pg.drop(raw)
    return ours_s, raw_s


def figures(quick: bool) -> list[Figure]:
    from benchmarks.bench import throughput

    cases = 250 if quick else 2_500
    pg = PgServer.find()
    if pg is None:
        return [Figure("pg_fire_many_transitions_per_s", label(cases), "/s", 0.0, None, None,
                       f"≥ {GOAL_PG_FIRE_MANY:g}×", False, {}, PG_UNREACHABLE)]  # fmt: skip
    try:
        progress(f"pgfire: {cases:,} reported cases")
        template, ids = build(pg, cases)
        rounds = []
        for n in range(REPEATS):
            progress(f"pgfire: round {n + 1}/{REPEATS}")
            rounds.append(fire_round(pg, template, ids, n))
    finally:
        pg.drop_all()
    return [
        throughput(
            "pg_fire_many_transitions_per_s",
            label(cases),
            GOAL_PG_FIRE_MANY,
            len(STEPS) * cases,
            rounds,
        )
    ]
