"""Performance figures for shouhu, each beside a raw ``sqlite3`` baseline measured in the same run.

``make bench`` runs the full sizes (about two hours on 2 CPUs, most of it the scale run of
:mod:`benchmarks.scale`); ``make bench-quick`` runs small sizes (CI, about two minutes) so the
benchmark cannot rot. The groups of :mod:`benchmarks.signing`, :mod:`benchmarks.naive`,
:mod:`benchmarks.soak`, :mod:`benchmarks.cli_latency` and :mod:`benchmarks.scale` are described
in their modules.
``--json FILE`` also writes the figures as JSON. The exit code is 0 even when a goal is
missed: this is a report, not a test.

What is compared with what
--------------------------
1. **Durable transitions per second.** ``Engine.fire``, one commit each, on cases of a SQLite
   file: the engine reads the case, validates the actor and data, runs the workflow machine,
   hashes the event and commits the new event and case row. The baseline is Python's
   ``sqlite3`` doing, per transition, only the SQL that the same durable write needs:
   ``BEGIN IMMEDIATE``; ``SELECT`` the case row by id; ``SELECT`` its deadline rows (an event
   may start, meet or cancel one); ``UPDATE cases … WHERE id=? AND version=?``; ``INSERT INTO
   events``; ``COMMIT``. Goal: ours ≥ 0.5 × raw.
2. **Batched reports per second.** ``Engine.report_many`` with 1,000 reports per call (one
   transaction per call) against ``executemany`` inserting the same case, event and deadline
   rows (each report starts its ``dispatch`` deadline), one transaction per batch of the same
   size. Goal: ours ≥ 0.5 × raw (issue 18; it was 0.25 ×), on SQLite and on PostgreSQL.
5. **Replay and verify speed.** ``Engine.verify(replay=True)`` over every case, one streamed
   pass: each event's hash recomputed and each event fed back through its workflow machine, in
   events per second, beside a raw loop that reads the same event rows with ``sqlite3`` and SHA-256s
   each row's JSON. Goal: ours ≥ 0.3 × raw.
4. **Sweep cost with many pending deadlines.** One ``run_due`` that fires 100 due deadlines on
   a file with 1,000,000 pending deadlines (the rest due in 2030; ten per case, over 100,000
   cases), beside the same on a file with 1,000 (ten per case, over 100 cases): only the total
   differs. The due rows must be found through the ``(status, due_at)`` index, not a scan.
   Goal: the ratio stays under 2.
3. **Memory flat in the number of cases.** A fresh process opens the engine on a file of
   100,000 cases (filed with ``report_many``) and fires 2,000 transitions on random cases; its
   peak RSS (``VmHWM`` on Linux, see :func:`peak_rss_kb`) is compared with the same on a file
   of 1,000 cases. Goals: under 200 MB, and the ratio at most 1.25 ("about flat").

Why the baseline is fair
------------------------
* Same file: for the durable figure the raw file is a byte copy of the engine's file taken just
  before the timed part (same schema, indexes, append-only triggers and rows); for the batched
  figure both sides start from copies of one empty file whose schema the engine created.
* Same settings: the raw connection runs the PRAGMAs the engine's store runs on connect
  (``journal_mode=WAL``, ``synchronous=FULL``, ``busy_timeout``, ``foreign_keys=ON``), uses
  ``isolation_level=None`` and writes inside explicit ``BEGIN IMMEDIATE`` … ``COMMIT``.
* Same rows: the raw side replays the values the engine wrote, read back from the engine's
  file after its timed run: the event rows verbatim, in the same order and the same
  transactions. For a transition's ``UPDATE`` (all columns but ``id``, as the engine's) the
  case row is the engine's final row with the columns an event changes (state, version, head
  hash, last occurred, updated) taken from that event; only ``facts`` is the final JSON, at
  least as long as any earlier one, so if anything the baseline writes more.
* Same run, same disk, same repetitions: each timed section runs 3 times on fresh files, the
  engine then the raw replay, and the medians are reported. Building inputs (requests, the
  replay rows) is outside the timed parts on both sides.

What the baseline leaves out is exactly the engine's own work (input validation, the workflow
machine, hashing, records, SQLAlchemy): each ratio is the price of that work.

PostgreSQL
----------
Figures 1 and 2 are measured again on PostgreSQL (``postgresql+psycopg://``), beside raw
``psycopg`` doing the same SQL: per transition ``BEGIN``; ``SELECT`` the case; ``SELECT`` its
deadlines; ``UPDATE cases … WHERE id = %s AND version = %s``; ``INSERT INTO events``;
``COMMIT``; per batch of reports, ``executemany`` of the same case, event and deadline rows in
one transaction. The same rules hold: the raw database of the durable figure is a copy of the
engine's taken just before the timed part (``CREATE DATABASE … TEMPLATE``), both batched
databases are copies of one whose schema the engine created, the raw side replays the rows
the engine wrote (JSON columns passed as JSON), on the same server in the same run, medians of
3 rounds. The server is ``SHOUHU_BENCH_PG`` (a SQLAlchemy URL, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), else the server of
``SHOUHU_TEST_PG``, else 127.0.0.1:5432 as user postgres; the benchmark creates its databases
(``shouhu_bench_<pid>_…``) there and drops them. No server answering: those rows say
"skipped: PostgreSQL not reachable".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    NOW,
    POLICE,
    REPEATS,
    ROOT,
    Figure,
    columns,
    machine,
    open_engine,
    peak_rss_kb,
    progress,
    quoted,
    raw_connect,
    report_request,
    table,
)
from shouhu import __version__

#: Triggers that keep a dispatched ``suspected_harm`` case in ``dispatched``, with their data.
CHAIN: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("collect_evidence", None),
    ("arrange_medical_care", None),
    ("stop_harm", None),
    ("record_injury_assessment", {"severity": "minor"}),
    ("education_given", None),
    ("refused_to_correct", None),
)
GOAL_DURABLE = 0.5
#: Group commit (issue 18): 32 threads sharing one engine, against raw one-commit-each.
GOAL_GROUP = 1.5
GROUP_THREADS = 32
GOAL_BATCHED = 0.5
GOAL_RSS_MB = 200.0
GOAL_FLAT = 1.25


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does (the full run, or the quick one CI runs)."""

    durable_cases: int
    durable_per_case: int
    batch_size: int
    batch_total: int
    memory_small: int
    memory_large: int
    memory_fires: int

    sweep_small: int = 1_000
    sweep_large: int = 1_000_000
    sweep_due: int = 100


FULL = Sizes(200, 10, 1_000, 20_000, 1_000, 100_000, 2_000)
QUICK = Sizes(50, 4, 1_000, 2_000, 1_000, 10_000, 500, 1_000, 100_000, 100)
GOAL_SWEEP = 2.0
GOAL_AUDIT = 0.3


def transitions(ids: Sequence[str], per_case: int) -> list[tuple[str, str, str, Any]]:
    """``per_case`` transitions on each case, round robin: (case id, trigger, occurred_at, data)."""
    base = datetime(2026, 3, 3, 10, 0)
    plan = []
    for step in range(per_case):
        trigger, data = CHAIN[step % len(CHAIN)]
        when = (base + timedelta(minutes=step)).isoformat(timespec="minutes")
        plan.extend((case_id, trigger, when, data) for case_id in ids)
    return plan


# -- the raw side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawSql:
    """Hand-written SQL for the tables the engine created, with their columns in file order."""

    case_columns: list[str]
    event_columns: list[str]  # without the autoincrement id, as the engine inserts them
    deadline_columns: list[str]  # likewise

    @classmethod
    def of(cls, con: sqlite3.Connection) -> RawSql:
        return cls(
            columns(con, "cases"),
            [c for c in columns(con, "events") if c != "id"],
            [c for c in columns(con, "deadlines") if c != "id"],
        )

    @property
    def select_deadlines(self) -> str:
        return "SELECT * FROM deadlines WHERE case_id = ? ORDER BY id"

    @property
    def insert_deadline(self) -> str:
        marks = ", ".join("?" * len(self.deadline_columns))
        return f"INSERT INTO deadlines ({quoted(self.deadline_columns)}) VALUES ({marks})"

    @property
    def select_case(self) -> str:
        return "SELECT * FROM cases WHERE id = ?"

    @property
    def update_case(self) -> str:
        sets = ", ".join(f'"{c}" = ?' for c in self.case_columns if c != "id")
        return f"UPDATE cases SET {sets} WHERE id = ? AND version = ?"

    @property
    def insert_case(self) -> str:
        marks = ", ".join("?" * len(self.case_columns))
        return f"INSERT INTO cases ({quoted(self.case_columns)}) VALUES ({marks})"

    @property
    def insert_event(self) -> str:
        marks = ", ".join("?" * len(self.event_columns))
        return f"INSERT INTO events ({quoted(self.event_columns)}) VALUES ({marks})"


def transition_rows(
    path: Path, after_event: int
) -> tuple[RawSql, list[tuple[str, list[Any], tuple[Any, ...]]]]:
    """What the engine wrote after event id ``after_event``: per transition (case id, UPDATE
    parameters, INSERT parameters), in commit order."""
    con = sqlite3.connect(path)
    try:
        sql = RawSql.of(con)
        final = {
            row[0]: row for row in con.execute(f"SELECT {quoted(sql.case_columns)} FROM cases")
        }
        events = con.execute(
            f"SELECT {quoted(sql.event_columns)} FROM events WHERE id > ? ORDER BY id",
            (after_event,),
        ).fetchall()
    finally:
        con.close()
    rows = []
    for event in events:
        case_id, values, seq = case_after(sql.case_columns, final, sql.event_columns, event)
        update = [values[c] for c in sql.case_columns if c != "id"] + [case_id, seq - 1]
        rows.append((case_id, update, event))
    return sql, rows


#: The case row's columns each event sets (the rest are the case's final values).
CHANGED_BY_EVENT = {
    "state": "to_state",
    "version": "seq",
    "head_hash": "hash",
    "last_occurred_at": "occurred_at",
    "updated_at": "recorded_at",
}


def case_after(
    case_columns: Sequence[str],
    final: dict[str, Sequence[Any]],
    event_columns: Sequence[str],
    event: Sequence[Any],
) -> tuple[str, dict[str, Any], int]:
    """The case row as ``event`` left it (its final row, with what the event sets): the
    case id, the row's values by column, the event's seq."""
    ev = dict(zip(event_columns, event, strict=True))
    case_id = ev["case_id"]
    values = dict(zip(case_columns, final[case_id], strict=True))
    values.update({col: ev[src] for col, src in CHANGED_BY_EVENT.items()})
    return case_id, values, int(ev["seq"])


def raw_transitions(con: sqlite3.Connection, sql: RawSql, rows: Sequence[Any]) -> None:
    cur = con.cursor()
    for case_id, update, event in rows:
        cur.execute("BEGIN IMMEDIATE")
        if cur.execute(sql.select_case, (case_id,)).fetchone() is None:
            raise RuntimeError(f"raw replay: no case {case_id}")
        cur.execute(sql.select_deadlines, (case_id,)).fetchall()
        cur.execute(sql.update_case, update)
        if cur.rowcount != 1:
            raise RuntimeError(f"raw replay: case {case_id} is not at version {update[-1]}")
        cur.execute(sql.insert_event, event)
        cur.execute("COMMIT")


def report_rows(
    path: Path, sizes: Sequence[int]
) -> tuple[RawSql, list[tuple[list[Any], list[Any]]]]:
    """The case and event rows the engine wrote, grouped as its batches were."""
    con = sqlite3.connect(path)
    try:
        sql = RawSql.of(con)
        cases = con.execute(
            f"SELECT {quoted(sql.case_columns)} FROM cases ORDER BY rowid"
        ).fetchall()
        events = con.execute(
            f"SELECT {quoted(sql.event_columns)} FROM events ORDER BY id"
        ).fetchall()
        deadlines = con.execute(
            f"SELECT {quoted(sql.deadline_columns)} FROM deadlines ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    return sql, in_batches(cases, events, deadlines, sql.deadline_columns.index("case_id"), sizes)


def in_batches(
    cases: Sequence[Any],
    events: Sequence[Any],
    deadlines: Sequence[Any],
    owner: int,
    sizes: Sequence[int],
) -> list[tuple[list[Any], list[Any], list[Any]]]:
    """The rows a batch import wrote, one report's case and event each, grouped by the batch
    sizes: (case rows, event rows, the deadline rows those cases started; column ``owner`` of
    a deadline row is its case's id)."""
    if len(cases) != len(events) or len(cases) != sum(sizes):
        raise RuntimeError("expected one case row and one report event per report")
    by_case: dict[str, list[Any]] = {}
    for row in deadlines:
        by_case.setdefault(row[owner], []).append(row)
    batches, start = [], 0
    for n in sizes:
        chunk = list(cases[start : start + n])
        started = [d for case in chunk for d in by_case.get(case[0], [])]
        batches.append((chunk, list(events[start : start + n]), started))
        start += n
    return batches


def raw_reports(con: sqlite3.Connection, sql: RawSql, batches: Sequence[Any]) -> None:
    cur = con.cursor()
    for cases, events, deadlines in batches:
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(sql.insert_case, cases)
        cur.executemany(sql.insert_event, events)
        cur.executemany(sql.insert_deadline, deadlines)
        cur.execute("COMMIT")


# -- the figures -------------------------------------------------------------------------------


def durable_files(
    tmp: Path, sizes: Sizes, name: str
) -> tuple[Path, Path, int, list[tuple[str, str, str, Any]]]:
    """Figure 1's two identical files (every case reported and dispatched), the last event id
    before the timed part, and the plan of transitions to time."""
    ours_path, raw_path = tmp / f"{name}-ours.db", tmp / f"{name}-raw.db"
    engine = open_engine(ours_path)
    ids = engine.report_many((report_request(i) for i in range(sizes.durable_cases)), new_case=True)
    for case_id in ids:
        engine.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
    engine.close()  # the last close checkpoints the WAL: the copy is the whole file
    shutil.copyfile(ours_path, raw_path)
    with closing(sqlite3.connect(raw_path)) as con:
        (setup_events,) = con.execute("SELECT max(id) FROM events").fetchone()
    return ours_path, raw_path, setup_events, transitions(ids, sizes.durable_per_case)


def raw_seconds(ours_path: Path, raw_path: Path, setup_events: int, count: int) -> float:
    """Raw one-commit-each ``sqlite3`` writing the rows the engine wrote after
    ``setup_events`` (``count`` of them) on the other file: seconds."""
    sql, rows = transition_rows(ours_path, setup_events)
    if len(rows) != count:
        raise RuntimeError(f"expected {count} events from the engine, found {len(rows)}")
    con = raw_connect(raw_path)
    start = time.perf_counter()
    raw_transitions(con, sql, rows)
    raw = time.perf_counter() - start
    con.close()
    return raw


def durable_round(tmp: Path, sizes: Sizes, n: int) -> tuple[float, float]:
    """One repetition of figure 1: seconds for the engine's transitions, then for raw's."""
    ours_path, raw_path, setup_events, plan = durable_files(tmp, sizes, f"durable-{n}")
    engine = open_engine(ours_path)
    start = time.perf_counter()
    for case_id, trigger, when, data in plan:
        engine.fire(case_id, trigger, actor=POLICE, occurred_at=when, data=data)
    ours = time.perf_counter() - start
    engine.close()
    return ours, raw_seconds(ours_path, raw_path, setup_events, len(plan))


def group_round(tmp: Path, sizes: Sizes, n: int) -> tuple[float, float]:
    """One repetition of the group-commit figure: the transitions of figure 1 fired by
    :data:`GROUP_THREADS` threads sharing one engine opened with ``group_commit=True`` (each
    thread takes whole cases, their steps in order), then raw's one-commit-each of the same
    rows (figure 1's baseline). Seconds of each."""
    from shouhu import Engine

    ours_path, raw_path, setup_events, plan = durable_files(tmp, sizes, f"group-{n}")
    shared = Engine.open(f"sqlite:///{ours_path}", create=False, group_commit=True)
    ours = fired_in_threads(shared, plan, GROUP_THREADS)
    shared.close()
    return ours, raw_seconds(ours_path, raw_path, setup_events, len(plan))


def fired_in_threads(shared: Any, plan: Sequence[tuple[str, str, str, Any]], threads: int) -> float:
    """``plan`` fired by ``threads`` threads sharing the engine ``shared`` (each thread takes
    whole cases, their steps in order); the seconds, or the first thread's error."""
    by_case: dict[str, list[tuple[str, str, str, Any]]] = {}
    for step in plan:
        by_case.setdefault(step[0], []).append(step)
    shares = [list(by_case.values())[k::threads] for k in range(threads)]
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
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds


def batched_round(tmp: Path, sizes: Sizes, n: int, empty: Path) -> tuple[float, float]:
    """One repetition of figure 2: seconds for the engine's batches, then for raw's."""
    ours_path, raw_path = tmp / f"batched-{n}-ours.db", tmp / f"batched-{n}-raw.db"
    shutil.copyfile(empty, ours_path)
    shutil.copyfile(empty, raw_path)
    total, size = sizes.batch_total, sizes.batch_size
    batches = [
        [report_request(i) for i in range(b, min(b + size, total))] for b in range(0, total, size)
    ]

    engine = open_engine(ours_path)
    start = time.perf_counter()
    for batch in batches:
        engine.report_many(batch, new_case=True)
    ours = time.perf_counter() - start
    engine.close()

    sql, rows = report_rows(ours_path, [len(b) for b in batches])
    con = raw_connect(raw_path)
    start = time.perf_counter()
    raw_reports(con, sql, rows)
    raw = time.perf_counter() - start
    con.close()
    return ours, raw


def throughput(
    key: str, label: str, goal: float, count: int, rounds: Sequence[tuple[float, float]]
) -> Figure:
    ours = [count / s for s, _ in rounds]
    raw = [count / s for _, s in rounds]
    ratio = statistics.median(ours) / statistics.median(raw)
    return Figure(
        key,
        label,
        "/s",
        statistics.median(ours),
        statistics.median(raw),
        ratio,
        f"≥ {goal:g}×",
        ratio >= goal,
        {"ours_per_s": ours, "raw_per_s": raw},
    )


def fill(path: Path, cases: int, batch: int) -> list[str]:
    """A file of ``cases`` reported cases, filed with ``report_many``; returns their ids."""
    engine = open_engine(path)
    ids: list[str] = []
    for b in range(0, cases, batch):
        ids += engine.report_many(
            (report_request(i) for i in range(b, min(b + batch, cases))), new_case=True
        )
    engine.close()
    return ids


def rss_child(db: str, picks_file: str) -> None:
    """In a fresh process: open the engine on ``db`` and fire on the listed cases; print RSS.

    The first transition on a case dispatches it, later ones record that education was given
    (the case stays where it is), so any case may be picked any number of times.
    """
    picks = json.loads(Path(picks_file).read_text())
    engine = open_engine(Path(db))
    opened = peak_rss_kb()
    dispatched: set[str] = set()
    start = time.perf_counter()
    for case_id in picks:
        trigger = "education_given" if case_id in dispatched else "dispatch"
        dispatched.add(case_id)
        engine.fire(case_id, trigger, actor=POLICE)
    seconds = time.perf_counter() - start
    peak = peak_rss_kb()
    engine.close()
    print(json.dumps({"open_kb": opened, "peak_kb": peak, "fires": len(picks), "seconds": seconds}))


def memory_figures(tmp: Path, sizes: Sizes) -> list[Figure]:
    measured: dict[int, dict[str, Any]] = {}
    for cases in (sizes.memory_small, sizes.memory_large):
        progress(f"memory: filing {cases:,} cases, then firing in a fresh process")
        path = tmp / f"memory-{cases}.db"
        ids = fill(path, cases, sizes.batch_size)
        picks = tmp / f"memory-{cases}-picks.json"
        picks.write_text(json.dumps(random.Random(cases).choices(ids, k=sizes.memory_fires)))
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench", "--rss-child", str(path), str(picks)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{out.stderr}")
        measured[cases] = json.loads(out.stdout)
    small, large = (measured[n]["peak_kb"] / 1024 for n in (sizes.memory_small, sizes.memory_large))
    detail = {
        f"{n}_cases": {
            "rss_after_open_mb": m["open_kb"] / 1024,
            "peak_rss_mb": m["peak_kb"] / 1024,
            "transitions": m["fires"],
            "transitions_per_s": m["fires"] / m["seconds"],
        }
        for n, m in measured.items()
    }
    return [
        Figure(
            "peak_rss_mb",
            f"peak RSS firing, {sizes.memory_large:,} cases",
            "MB",
            large,
            None,
            None,
            f"< {GOAL_RSS_MB:g} MB",
            large < GOAL_RSS_MB,
            detail,
        ),
        Figure(
            "rss_flatness",
            f"peak RSS, {sizes.memory_large:,} vs {sizes.memory_small:,} cases",
            "MB",
            large,
            small,
            large / small,
            f"≤ {GOAL_FLAT:g}×",
            large / small <= GOAL_FLAT,
            detail,
        ),
    ]


# -- running and printing ----------------------------------------------------------------------


def sweep_file(path: Path, sizes: Sizes, pending: int) -> None:
    """A file with ``sweep_small`` reported cases whose first ``sweep_due`` dispatch deadlines
    are due, and ``pending`` deadlines in all that are not (the extra rows are written raw: the
    sweep must find the due ones by the (status, due_at) index, not by a scan)."""
    # At most ten pending deadlines per case, as in life (a case has a handful of duties):
    # firing one reads its case's pending deadlines for the notice's due times.
    ids = fill(path, max(sizes.sweep_due, pending // 10), 5_000)
    con = raw_connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "UPDATE deadlines SET due_at = '2030-01-01 00:00:00.000000' WHERE id > ?",
            (sizes.sweep_due,),
        )
        extra = pending - len(ids)
        cols = [c for c in columns(con, "deadlines") if c != "id"]
        template = dict.fromkeys(cols)
        template.update(
            kind="dispatch",
            status="pending",
            started_at="2026-03-02 00:30:00.000000",
            started_seq=1,
            policy_version="bench@1",
            not_extended=0,
        )
        marks = ", ".join("?" * len(cols))
        sql = f"INSERT INTO deadlines ({quoted(cols)}) VALUES ({marks})"
        chunk = 50_000
        for start in range(0, extra, chunk):
            rows = []
            for i in range(start, min(start + chunk, extra)):
                row = dict(template, case_id=ids[i % len(ids)])
                row["due_at"] = f"2030-{1 + i % 12:02d}-{1 + i % 28:02d} 00:00:00.{i % 999_999:06d}"
                rows.append([row[c] for c in cols])
            con.executemany(sql, rows)
        con.execute("COMMIT")
    finally:
        con.close()


def sweep_figure(tmp: Path, sizes: Sizes) -> Figure:
    """The cost of one sweep that fires ``sweep_due`` deadlines, with many or few pending."""
    times: dict[int, list[float]] = {}
    for pending in (sizes.sweep_small, sizes.sweep_large):
        progress(f"sweep: preparing {pending:,} pending deadlines")
        base = tmp / f"sweep-{pending}.db"
        sweep_file(base, sizes, pending)
        for n in range(REPEATS):
            work = tmp / f"sweep-{pending}-{n}.db"
            shutil.copyfile(base, work)
            engine = open_engine(work)
            engine.next_due()  # open the connection outside the timed part
            start = time.perf_counter()
            fired = engine.run_due(NOW)
            times.setdefault(pending, []).append(time.perf_counter() - start)
            engine.close()
            if len(fired) != sizes.sweep_due:
                raise RuntimeError(f"sweep fired {len(fired)}, expected {sizes.sweep_due}")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
    small = statistics.median(times[sizes.sweep_small])
    large = statistics.median(times[sizes.sweep_large])
    ratio = large / small
    return Figure(
        "sweep_cost_ratio",
        f"sweep firing {sizes.sweep_due} due, "
        f"{sizes.sweep_large:,} vs {sizes.sweep_small:,} pending",
        "s",
        large,
        small,
        ratio,
        f"< {GOAL_SWEEP:g}×",
        ratio < GOAL_SWEEP,
        {"seconds": {str(k): v for k, v in times.items()}},
    )


def audit_figure(tmp: Path, sizes: Sizes) -> Figure:
    """Replay + verify of every case, events per second, beside a raw read-and-SHA-256 loop."""
    path = tmp / "audit.db"
    engine = open_engine(path)
    ids: list[str] = []
    for b in range(0, sizes.durable_cases * 5, 1_000):
        n = min(1_000, sizes.durable_cases * 5 - b)
        ids += engine.report_many((report_request(i) for i in range(b, b + n)), new_case=True)
    for case_id in ids:
        engine.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
    for case_id, trigger, when, data in transitions(ids, 4):
        engine.fire(case_id, trigger, actor=POLICE, occurred_at=when, data=data)
    engine.close()
    ours: list[float] = []
    raw: list[float] = []
    count = 0
    for n in range(REPEATS):
        progress(f"audit: round {n + 1}/{REPEATS}")
        engine = open_engine(path)
        start = time.perf_counter()
        result = engine.verify(replay=True)  # hashes, seq, heads, and every event replayed
        ours.append(time.perf_counter() - start)
        engine.close()
        if not result.ok:
            raise RuntimeError("verify failed on the bench file")
        count = result.events
        con = raw_connect(path)
        start = time.perf_counter()
        seen = 0
        for row in con.execute("SELECT * FROM events ORDER BY case_id, seq"):
            hashlib.sha256(json.dumps(row, ensure_ascii=False).encode()).hexdigest()
            seen += 1
        raw.append(time.perf_counter() - start)
        con.close()
        if seen != count:
            raise RuntimeError("the raw loop read a different number of events")
    return throughput(
        "replay_verify_events_per_s",
        f"replay + verify events/s ({count:,} events)",
        GOAL_AUDIT,
        count,
        list(zip(ours, raw, strict=True)),
    )


GROUPS = (
    "durable",
    "group",
    "batched",
    "pg",
    "memory",
    "sweep",
    "audit",
    "signing",
    "naive",
    "soak",
    "cli",
    "lists",
    "service",
    "scale",
    "scaleout",
    "pgfire",
    "pggroup",
)


def run(
    sizes: Sizes,
    tmp: Path,
    only: Sequence[str] = GROUPS,
    quick: bool = False,
    figures: list[Figure] | None = None,
) -> list[Figure]:
    """Run the groups in ``only``; each group's figures are appended to ``figures`` (a new list
    if none is given) as soon as the group ends, so a caller keeps what was measured before a
    group that fails."""
    figures = [] if figures is None else figures
    if "durable" in only:
        durable = []
        for n in range(REPEATS):
            progress(f"durable transitions: round {n + 1}/{REPEATS}")
            durable.append(durable_round(tmp, sizes, n))
        count = sizes.durable_cases * sizes.durable_per_case
        figures.append(
            throughput(
                "durable_transitions_per_s",
                f"durable transitions/s ({count:,}, one commit each)",
                GOAL_DURABLE,
                count,
                durable,
            )
        )
    if "group" in only:
        rounds = []
        for n in range(REPEATS):
            progress(f"group commit: round {n + 1}/{REPEATS}")
            rounds.append(group_round(tmp, sizes, n))
        count = sizes.durable_cases * sizes.durable_per_case
        figures.append(
            throughput(
                "group_commit_transitions_per_s",
                f"group commit: durable transitions/s, {GROUP_THREADS} threads, one engine "
                f"({count:,}; raw: one commit each)",
                GOAL_GROUP,
                count,
                rounds,
            )
        )
    if "batched" in only:
        empty = tmp / "empty.db"
        open_engine(empty).close()  # the engine creates its schema on a new file
        batched = []
        for n in range(REPEATS):
            progress(f"batched reports: round {n + 1}/{REPEATS}")
            batched.append(batched_round(tmp, sizes, n, empty))
        figures.append(
            throughput(
                "batched_reports_per_s",
                f"batched reports/s ({sizes.batch_total:,}, {sizes.batch_size:,} per call)",
                GOAL_BATCHED,
                sizes.batch_total,
                batched,
            )
        )
    if "pg" in only:
        from benchmarks import pgbench

        figures += pgbench.pg_figures(sizes)
    if "memory" in only:
        figures += memory_figures(tmp, sizes)
    if "sweep" in only:
        figures.append(sweep_figure(tmp, sizes))
    if "audit" in only:
        figures.append(audit_figure(tmp, sizes))
    if "signing" in only:
        from benchmarks import signing

        figures += signing.figures(tmp, sizes)
    if "naive" in only:
        from benchmarks import naive

        figures += naive.figures(tmp, quick)
    if "soak" in only:
        from benchmarks import soak

        figures += soak.figures(tmp, quick)
    if "cli" in only:
        from benchmarks import cli_latency

        figures += cli_latency.figures(tmp, quick)
    if "lists" in only:
        from benchmarks import lists

        figures += lists.figures(tmp, quick)
    if "service" in only:
        from benchmarks import service

        figures += service.figures(tmp, quick)
    if "scale" in only:
        from benchmarks import scale

        figures += scale.figures(tmp, quick)
    if "scaleout" in only:
        from benchmarks import scaleout

        figures += scaleout.figures(tmp, quick)
    if "pgfire" in only:
        from benchmarks import pgfire

        figures += pgfire.figures(quick)
    if "pggroup" in only:
        from benchmarks import pggroup

        figures += pggroup.figures(sizes)
    return figures


def _groups(text: str) -> list[str]:
    names = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in names if g not in GROUPS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown figure group {unknown[0] if unknown else text!r} "
            f"(groups: {', '.join(GROUPS)})"
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI): under a minute")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--only",
        type=_groups,
        default=list(GROUPS),
        metavar="GROUPS",
        help=f"comma-separated figure groups to run (default all: {','.join(GROUPS)})",
    )
    parser.add_argument("--rss-child", nargs=2, metavar=("DB", "PICKS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        rss_child(*args.rss_child)
        return 0

    sizes = QUICK if args.quick else FULL
    started = datetime.now(UTC)
    facts = machine()
    print(
        f"shouhu {__version__} benchmark, {'quick' if args.quick else 'full'} run, "
        f"{started:%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"{facts['platform']}; {facts['cpu_count']} CPUs ({facts['cpu']}); Python "
        f"{facts['python']}; SQLite {facts['sqlite']}; SQLAlchemy {facts['sqlalchemy']}"
    )
    (ROOT / ".bench").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=ROOT / ".bench"))
    print(f"files on the same disk for both sides: {tmp}; medians of {REPEATS} rounds")
    figures: list[Figure] = []
    failed: BaseException | None = None
    try:
        run(sizes, tmp, args.only, quick=args.quick, figures=figures)
    except Exception as exc:  # keep what the groups before it measured; exit 1 below
        failed = exc
        traceback.print_exc()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = (datetime.now(UTC) - started).total_seconds()
    print()
    print(table(figures))
    if failed is not None:
        print(f"\n({seconds:.0f} s; a group failed: {failed}; the figures above came before it)")
    else:
        print(f"\n({seconds:.0f} s; the exit code is 0 whatever the results: a report, not a test)")
    if args.json:
        report = {
            "date": started.isoformat(timespec="seconds"),
            "mode": "partial" if failed is not None else "quick" if args.quick else "full",
            "seconds": round(seconds, 1),
            "machine": facts,
            "sizes": asdict(sizes),
            "repeats": REPEATS,
            "figures": [asdict(f) for f in figures],
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 1 if failed is not None else 0


if __name__ == "__main__":
    sys.exit(main())
