"""The same workload written the naive way, beside ours: time and peak memory.

The naive way is what a first version of this project would look like: one
``transitions.Machine`` per case, every case's machine held in memory for the whole run, and
APScheduler's SQLAlchemy job store holding one job per deadline. Ours is the engine: one shared
machine per workflow, the state on file, deadlines as durable rows fired by ``Engine.run_due``.
Goals (the project's issue): at 100,000 cases, ours uses at least 10× less peak memory, and is
faster.

The workload (identical on both sides)
--------------------------------------
N cases (100,000 in the full run, 2,000 in the quick one) of the real ``suspected_harm``
workflow, the definition new cases use (``shouhu.workflows.latest``):

a. **Reports.** N reports, ``benchmarks.common.report_request(i)`` for i = 0 … N-1 (reported at
   2026-03-02 08:30 Beijing time), filed in batches of 1,000, one transaction per batch. Each
   report starts a ``dispatch`` deadline due one hour after it (09:30; the national policy
   pack's ``dispatch`` duty, ``PT1H`` from the report).
b. **Dispatch.** ``dispatch`` by the police on every case (09:00), in filing order, one durable
   commit each: the case goes ``reported`` → ``dispatched`` and meets its deadline.
c. **Two measures.** ``stop_harm`` (09:10), then ``record_injury_assessment`` with
   ``{"severity": "minor"}`` (09:20) on every case, round robin, one durable commit each: the
   case stays ``dispatched`` and records the facts ``stop_harm`` and ``injury_severity``.
d. **Sweep.** One sweep for deadlines due at 2026-03-10 02:00 UTC (after every due time); it
   must find and fire nothing, since every deadline was met.

That is 4 N events (N in batches, 3 N one commit each), N deadlines started and met. Time is
the sum of the phases, including opening the stores on fresh files (ours: the engine creates
its schema; naive: the events table and the job store's table are created and the scheduler is
started).

Ours
----
``Engine.open("sqlite:///…", clock=TickingClock(NOW))``; ``report_many`` per batch of 1,000;
``fire(case_id, trigger, actor=POLICE, occurred_at=…, data=…)`` per transition; ``run_due(NOW)``
for the sweep. The engine validates every input, writes events, case rows and deadline rows, and
hash-chains the events, in SQLite with WAL and ``synchronous=FULL``.

Naive
-----
* **Machines.** One model object per case, each with its own ``transitions.Machine(model=case,
  states=…, transitions=…, initial=…)`` built from the workflow definition as data: its states,
  and for each of its rows the trigger, sources and destination (``None``: stays), with the
  row's data routing (``when``) and guards as ``conditions`` and its effect and outcome as
  ``after`` (``send_event=True``). ``auto_transitions=False``: the ``to_<state>`` triggers are
  not in the definition (with them each machine would be larger still). The role is checked in
  plain Python from the rows (trigger, state) → roles. Input data is not validated and the
  report is not normalised (no age, location parsing or report-delay rule): less work than ours.
* **Deadlines.** APScheduler 3.x: a ``BackgroundScheduler`` started paused, with one
  ``SQLAlchemyJobStore(url="sqlite:///…")`` on its own file at the store's defaults (SQLite's
  rollback journal, its default ``synchronous``; nothing tuned). Each report adds one job
  (``add_job`` with a ``DateTrigger`` at the due time and the module-level function
  :func:`deadline_due`, by reference, so the job can be pickled): the store commits each job on
  its own, as it has no batch API. Meeting the deadline removes the job (``remove_job``). The
  sweep asks the store for the due jobs (``get_due_jobs``); a due job would record
  ``deadline_missed`` on its case and be removed.
* **Events.** A plain ``events`` table (case id, seq, workflow, trigger, from and to state,
  actor, role, occurred and recorded times, JSON data, previous hash, hash; unique (case id,
  seq)) on a file opened with the engine's settings (``journal_mode=WAL``,
  ``synchronous=FULL``). Each event is SHA-256 hash-chained per case, as ours. Reports insert
  their events with one ``executemany`` per batch of 1,000 in one transaction (then add their
  jobs); each transition is ``BEGIN IMMEDIATE``; ``INSERT``; ``COMMIT``, then, for a dispatch,
  the job is removed (two stores, so not atomic: a crash in between leaves a job for a met
  duty, one of the naive design's faults). There is no cases table: the machines in memory are
  the cases.

How it is measured
------------------
Each side runs in its own fresh Python process (``python -m benchmarks.naive --side ours|naive``)
so that its peak RSS (``VmHWM``, :func:`benchmarks.common.peak_rss_kb`) is its own; the child
times each phase with ``perf_counter``, checks its result and prints one JSON line. The checks,
so that no figure comes from a broken run: ours — 4 N events, N cases all ``dispatched``, N
deadlines all ``met``, and the sweep fired nothing; naive — every machine ``dispatched`` with
both facts recorded, 4 N event rows, the job store empty and the sweep found no due job.
Files go in the caller's scratch directory, each side on the same disk.

Each side runs once, ours first: the full run takes about 15 minutes on the 2-CPU test machine
(ours about 4, the naive side about 11: it builds 100,000 machines, some 6.4 GB of memory, and
commits 200,000 job-store transactions), the quick run (CI) about 15 seconds.
(``QUICK_REPEATS`` > 1 alternates the sides that many times and reports medians.) At 2,000
cases the memory ratio is far below 10×, so the quick run's memory row reads MISS: the goal is
stated for 100,000 cases, and the quick run only keeps the benchmark from rotting.

What favours which side: the naive side writes less per transition (one event row; ours also
reads and rewrites the case row and its deadline rows) and validates nothing, so its
transitions alone are faster than ours; it is slower where the naive design costs: a machine
built per case, and one job-store commit per deadline added or removed, in the store's default
rollback-journal mode (measured while writing this, an ``add_job`` costs about three times
what it does with the same file in WAL mode; a naive programmer keeps the defaults).

Figures: peak memory, ours vs naive, ratio = naive / ours (goal ≥ 10×); time, ours vs naive,
ratio = naive / ours, i.e. how many times faster ours is (goal > 1×).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import (
    NOW,
    POLICE,
    ROOT,
    Figure,
    open_engine,
    peak_rss_kb,
    progress,
    raw_connect,
    report_request,
)

FULL_CASES = 100_000
QUICK_CASES = 2_000
QUICK_REPEATS = 1
BATCH = 1_000
WORKFLOW = "suspected_harm"
#: The transitions of phases b and c: (trigger, occurred at, Beijing time, data).
STEPS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("dispatch", "2026-03-02T09:00", None),
    ("stop_harm", "2026-03-02T09:10", None),
    ("record_injury_assessment", "2026-03-02T09:20", {"severity": "minor"}),
)
#: The national policy pack's ``dispatch`` duty, as the naive side hard-codes it.
DEADLINE_KIND = "dispatch"
DEADLINE_PERIOD = timedelta(hours=1)
DEADLINE_MET_BY = frozenset({"dispatch", "dismiss"})
ZONE = ZoneInfo("Asia/Shanghai")
GOAL_MEMORY = 10.0
GOAL_SPEED = 1.0
GENESIS = "0" * 64


# -- ours --------------------------------------------------------------------------------------


def ours_side(work: Path, cases: int) -> dict[str, Any]:
    """The workload on the engine; the seconds of each phase, peak RSS and counts."""
    seconds: dict[str, float] = {}
    peaks: dict[str, int] = {"start": peak_rss_kb()}
    db = work / "ours.db"

    start = time.perf_counter()
    engine = open_engine(db)
    engine.next_due()  # the schema is made and the connection opened here, not in phase a
    seconds["open"] = time.perf_counter() - start

    start = time.perf_counter()
    ids: list[str] = []
    for b in range(0, cases, BATCH):
        ids += engine.report_many(
            (report_request(i) for i in range(b, min(b + BATCH, cases))), new_case=True
        )
        if b and b % 20_000 == 0:
            progress(f"naive/ours: {b:,} reports")
    seconds["reports"] = time.perf_counter() - start
    peaks["reports"] = peak_rss_kb()

    for trigger, when, data in STEPS:
        start = time.perf_counter()
        for case_id in ids:
            engine.fire(case_id, trigger, actor=POLICE, occurred_at=when, data=data)
        seconds[trigger] = time.perf_counter() - start
        peaks[trigger] = peak_rss_kb()
        progress(f"naive/ours: {trigger} on {cases:,} cases, {seconds[trigger]:.1f} s")

    start = time.perf_counter()
    fired = engine.run_due(NOW)
    seconds["sweep"] = time.perf_counter() - start
    peaks["sweep"] = peak_rss_kb()
    engine.close()

    with closing(sqlite3.connect(db)) as con:
        (events,) = con.execute("SELECT count(*) FROM events").fetchone()
        states = dict(con.execute("SELECT state, count(*) FROM cases GROUP BY state").fetchall())
        deadlines = dict(
            con.execute("SELECT status, count(*) FROM deadlines GROUP BY status").fetchall()
        )
    expected = {
        "fired": 0,
        "events": 4 * cases,
        "states": {"dispatched": cases},
        "deadlines": {"met": cases},
    }
    found = {"fired": len(fired), "events": events, "states": states, "deadlines": deadlines}
    if found != expected:
        raise RuntimeError(f"ours: expected {expected}, found {found}")
    return {"seconds": seconds, "peak_kb": peaks, "counts": found}


# -- naive -------------------------------------------------------------------------------------


def deadline_due(case_id: str, kind: str) -> None:
    """The job function of each deadline. The scheduler stays paused, so it never runs here:
    the sweep calls it for each due job (there are none, as every deadline is met)."""
    raise RuntimeError(f"deadline {kind} of case {case_id} is due, but every one was met")


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def local(text: str) -> datetime:
    """A local time without an offset, read in Beijing time, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(UTC)


class NaiveCase:
    """One case: its facts, its place in the event log and its own machine."""

    state: str  # set by the machine
    trigger: Callable[..., bool]  # added by the machine

    def __init__(self, case_id: str, wf: Any, rows: list[dict[str, Any]]) -> None:
        from transitions import Machine

        self.id = case_id
        self.facts: dict[str, Any] = {}
        self.outcome: str | None = None
        self.seq = 0
        self.head = GENESIS
        self.machine = Machine(
            model=self,
            states=list(wf.state_names),
            transitions=rows,
            initial=wf.initial,
            auto_transitions=False,
            send_event=True,
        )


def machine_rows(wf: Any) -> list[dict[str, Any]]:
    """The definition's rows as ``transitions`` rows, guards as conditions, effects as after."""

    def routes(key: str, value: str) -> Callable[[Any], bool]:
        return lambda ev: bool(ev.kwargs["data"].get(key) == value)

    def guarded(guard: Any) -> Callable[[Any], bool]:
        return lambda ev: guard.check(ev.model.facts, ev.kwargs["data"]) is None

    def apply(row: Any) -> Callable[[Any], None]:
        def after(ev: Any) -> None:
            if row.effect is not None:
                ev.model.facts.update(row.effect(ev.model.facts, ev.kwargs["data"]))
            if row.outcome is not None:
                ev.model.outcome = row.outcome

        return after

    rows = []
    for row in wf.transitions:
        conditions = [routes(*row.when)] if row.when is not None else []
        conditions += [guarded(g) for g in row.guards]
        rows.append(
            {
                "trigger": row.trigger,
                "source": list(row.sources),
                "dest": row.dest,
                "conditions": conditions,
                "after": apply(row),
            }
        )
    return rows


EVENTS_DDL = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (case_id, seq)
)
"""
INSERT_EVENT = (
    'INSERT INTO events (case_id, seq, workflow, "trigger", from_state, to_state, actor, role, '
    "occurred_at, recorded_at, data, prev_hash, hash) "
    f"VALUES ({', '.join('?' * 13)})"
)


def event_row(
    case: NaiveCase,
    trigger: str,
    from_state: str | None,
    actor: Mapping[str, str],
    occurred_at: datetime,
    data: Mapping[str, Any],
) -> tuple[Any, ...]:
    """The next event of ``case`` as a row, hash-chained; moves the case's seq and head on."""
    event = {
        "case_id": case.id,
        "seq": case.seq + 1,
        "workflow": WORKFLOW,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": case.state,
        "actor": actor["name"],
        "role": actor["role"],
        "occurred_at": occurred_at.isoformat(),
        "recorded_at": datetime.now(UTC).isoformat(),
        "data": data,
    }
    digest = hashlib.sha256((case.head + canonical(event)).encode()).hexdigest()
    row = (*list(event.values())[:-1], canonical(data), case.head, digest)
    case.seq += 1
    case.head = digest
    return row


def naive_side(work: Path, cases: int) -> dict[str, Any]:
    """The workload the naive way; the seconds of each phase, peak RSS and counts."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    from shouhu.workflows import latest

    seconds: dict[str, float] = {}
    peaks: dict[str, int] = {"start": peak_rss_kb()}
    split = {"machines": 0.0, "add_job": 0.0, "remove_job": 0.0}

    start = time.perf_counter()
    wf = latest(WORKFLOW)
    rows = machine_rows(wf)
    roles: dict[tuple[str, str], set[str]] = {}
    for row in wf.transitions:
        for source in row.sources:
            roles.setdefault((row.trigger, source), set()).update(row.roles)
    con = raw_connect(work / "naive-events.db")
    con.execute(EVENTS_DDL)
    store = SQLAlchemyJobStore(url=f"sqlite:///{work / 'naive-jobs.db'}")
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone=UTC)
    scheduler.start(paused=True)
    seconds["open"] = time.perf_counter() - start

    book: dict[str, NaiveCase] = {}  # every case, with its machine, for the whole run
    start = time.perf_counter()
    for b in range(0, cases, BATCH):
        batch: list[tuple[Any, ...]] = []
        due: list[tuple[str, datetime]] = []
        for i in range(b, min(b + BATCH, cases)):
            request = report_request(i)
            case_id = f"case-{i:07d}"
            built = time.perf_counter()
            case = NaiveCase(case_id, wf, rows)
            split["machines"] += time.perf_counter() - built
            book[case_id] = case
            occurred = local(str(request.occurred_at))
            data: dict[str, Any] = {
                "child": request.child,
                "location": request.location,
                "reporter": request.reporter,
                "discovered_at": local(str(request.discovered_at)).isoformat(),
                "report": request.data,
            }
            reporter = {"name": request.reporter["name"], "role": "reporter"}  # type: ignore[index]
            batch.append(event_row(case, "report", None, reporter, occurred, data))
            due.append((case_id, occurred + DEADLINE_PERIOD))
        con.execute("BEGIN IMMEDIATE")
        con.executemany(INSERT_EVENT, batch)
        con.execute("COMMIT")
        added = time.perf_counter()
        for case_id, at in due:
            scheduler.add_job(
                "benchmarks.naive:deadline_due",
                DateTrigger(run_date=at),
                args=[case_id, DEADLINE_KIND],
                id=f"{DEADLINE_KIND}:{case_id}",
            )
        split["add_job"] += time.perf_counter() - added
        if b and b % 20_000 == 0:
            progress(f"naive/naive: {b:,} reports")
    seconds["reports"] = time.perf_counter() - start
    peaks["reports"] = peak_rss_kb()

    for trigger, when, step_data in STEPS:
        occurred = local(when)
        given = step_data or {}
        start = time.perf_counter()
        for case in book.values():
            before = case.state
            if POLICE["role"] not in roles.get((trigger, before), ()):
                raise RuntimeError(f"naive: {trigger} is not for police in state {before}")
            if not case.trigger(trigger, data=given):
                raise RuntimeError(f"naive: {trigger} refused on {case.id}")
            event = event_row(case, trigger, before, POLICE, occurred, given)
            con.execute("BEGIN IMMEDIATE")
            con.execute(INSERT_EVENT, event)
            con.execute("COMMIT")
            if trigger in DEADLINE_MET_BY:
                removed = time.perf_counter()
                scheduler.remove_job(f"{DEADLINE_KIND}:{case.id}")
                split["remove_job"] += time.perf_counter() - removed
        seconds[trigger] = time.perf_counter() - start
        peaks[trigger] = peak_rss_kb()
        progress(f"naive/naive: {trigger} on {cases:,} cases, {seconds[trigger]:.1f} s")

    start = time.perf_counter()
    due_jobs = store.get_due_jobs(NOW)
    for job in due_jobs:
        job.func(*job.args)  # would record deadline_missed on the case
        scheduler.remove_job(job.id)
    seconds["sweep"] = time.perf_counter() - start
    peaks["sweep"] = peak_rss_kb()

    wrong = [
        c.id
        for c in book.values()
        if c.state != "dispatched" or c.facts != {"stop_harm": True, "injury_severity": "minor"}
    ]
    (events,) = con.execute("SELECT count(*) FROM events").fetchone()
    left = len(store.get_all_jobs())
    scheduler.shutdown(wait=False)
    con.close()
    found = {
        "due_jobs": len(due_jobs),
        "events": events,
        "machines": len(book),
        "wrong_cases": len(wrong),
        "jobs_left": left,
    }
    expected = {
        "due_jobs": 0,
        "events": 4 * cases,
        "machines": cases,
        "wrong_cases": 0,
        "jobs_left": 0,
    }
    if found != expected:
        raise RuntimeError(f"naive: expected {expected}, found {found}; e.g. {wrong[:3]}")
    return {"seconds": seconds, "peak_kb": peaks, "counts": found, "naive_split_seconds": split}


# -- the figures -------------------------------------------------------------------------------


def run_side(side: str, work: Path, cases: int) -> dict[str, Any]:
    """One side of the workload in a fresh process; what its child printed."""
    work.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.naive", "--side", side]
    out = subprocess.run(
        [*command, "--cases", str(cases), "--dir", str(work)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the {side} process failed (exit code {out.returncode}); see above")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    for path in work.iterdir():  # a round's files are not needed once measured
        path.unlink()
    return result


def figures(tmp: Path, quick: bool) -> list[Figure]:
    cases = QUICK_CASES if quick else FULL_CASES
    repeats = QUICK_REPEATS if quick else 1
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "naive": []}
    for n in range(repeats):
        for side in ("ours", "naive"):
            progress(f"naive vs ours: {side}, {cases:,} cases, round {n + 1}/{repeats}")
            runs[side].append(run_side(side, tmp / f"naive-{side}-{n}", cases))
    peak = {s: statistics.median(r["peak_rss_kb"] / 1024 for r in runs[s]) for s in runs}
    total = {s: statistics.median(sum(r["seconds"].values()) for r in runs[s]) for s in runs}
    detail: dict[str, Any] = {
        "cases": cases,
        "events": 4 * cases,
        "deadlines": cases,
        "rounds": repeats,
        "peak_rss_mb": {s: [r["peak_rss_kb"] / 1024 for r in runs[s]] for s in runs},
        "total_seconds": {s: [sum(r["seconds"].values()) for r in runs[s]] for s in runs},
        "runs": runs,
    }
    memory_ratio = peak["naive"] / peak["ours"]
    speed_ratio = total["naive"] / total["ours"]
    return [
        Figure(
            "naive_peak_rss_ratio",
            f"peak RSS, ours vs naive, {cases:,} cases (ratio naive/ours)",
            "MB",
            peak["ours"],
            peak["naive"],
            memory_ratio,
            f"≥ {GOAL_MEMORY:g}×",
            memory_ratio >= GOAL_MEMORY,
            detail,
        ),
        Figure(
            "naive_time_ratio",
            f"time, ours vs naive, {cases:,} cases, {4 * cases:,} events (ratio naive/ours)",
            "s",
            total["ours"],
            total["naive"],
            speed_ratio,
            f"> {GOAL_SPEED:g}× (faster)",
            speed_ratio > GOAL_SPEED,
            detail,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.naive",
        description="One side of the naive-vs-ours workload, in this process (prints JSON).",
    )
    parser.add_argument("--side", choices=("ours", "naive"), required=True)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where the side's files go")
    args = parser.parse_args(argv)
    side = ours_side if args.side == "ours" else naive_side
    result = side(args.dir, args.cases)
    # VmHWM only grows, but its counters are synced lazily: take the highest reading.
    result["peak_rss_kb"] = max(peak_rss_kb(), *result["peak_kb"].values())
    print(json.dumps({"side": args.side, "cases": args.cases, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
