"""Soak: the scheduler daemon for 10 minutes under 4 concurrent writers.

What runs
---------
* A SQLite file in the scratch directory, its schema created by opening the engine once, and a
  city policy pack beside it: the shipped default pack, renamed ``soak-bench``, with only the
  ``dispatch`` period shortened (``PT20S``; ``PT5S`` in the quick run) so that the deadlines
  filed during the soak fall due during it. Every other rule, the law's own periods included,
  is kept as shipped, and this is checked when the pack is written.
* The real daemon, ``shouhu --db sqlite:///FILE --policy PACK scheduler run --interval 2``, as
  a subprocess. It runs on the wall clock and logs JSON to a file. The interval is the CLI's
  default, given explicitly because the drain margin below depends on it. Channels are left at
  the default, so after every sweep the daemon also delivers the outbox's notices to its
  ``log`` channel, as an installation with no channel configured does.
* 4 writer processes (``python -m benchmarks.soak --writer …``), each with its own
  ``Engine.open`` on the same file, the same pack (through ``load_pack``, as the CLI loads it)
  and the system clock. Each files ``report_request(i)`` reports at 8 per second, dated now;
  the writers start 1/32 s apart, so reports arrive evenly rather than in bursts of four.
  Every other report is dispatched ``period / 2`` after it was filed, so those deadlines are
  met; the rest are missed and the daemon must fire them. A ``StoreUnavailable`` (SQLite busy
  after the store's 5 s busy timeout) is counted and retried. After the soak a writer stops
  filing, dispatches the reports still waiting for it, and exits. Any other error fails the
  run.
* The benchmark reads the daemon's ``VmRSS`` from ``/proc/PID/status`` every 5 s (every
  second in the quick run). Once the writers are done it waits until the last deadline's due
  time plus the interval plus a margin, stops the daemon with ``SIGTERM`` and checks that it
  exits with 0.

What is measured
----------------
* **Firing lateness**, for every deadline the daemon fired: the ``recorded_at`` of its
  ``deadline_missed`` event minus the row's ``due_at``, both read from the file after the run.
  p50, p99 and max are reported, with the number fired. Goal: p99 < 1 s.
  ``recorded_at`` is the instant the sweep read the clock, *before* it waited for the write
  lock and committed, so it does not include that wait. The detail therefore also gives
  an upper bound on when each firing was durable: the timestamp of the daemon's
  ``deadline_fired`` log line (written after the sweep committed) minus ``due_at``
  (``logged_lateness_s``), and how many firings were more than 100 ms late. Anything the
  daemon printed that is not a JSON log line is counted there too (``daemon_other_output``):
  APScheduler's "skipped: maximum number of running instances reached" is a lost wake-up.
* **RSS growth** of the daemon: the RSS at the end (the last sample, just before ``SIGTERM``)
  against the RSS after a warm-up (the first sample once 20 % of the soak, and at least two
  dispatch periods, have passed, so that the daemon has been firing for a while). Goal: end /
  warm-up < 1.10.

The run must be sound, or no figure comes out of it (``RuntimeError``). Every writer exits 0
with no error other than busy retries. Every report has one ``dispatch`` deadline row, and no
row is still pending once its due time has passed. Each ``missed`` row has exactly one
``deadline_missed`` event: the event at the row's ``closed_seq``, and no other such event on
the case. No event is recorded before its due time. The daemon logged each firing once, and
it exits 0 on ``SIGTERM``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.common import POLICE, ROOT, Figure, progress, report_request

T = TypeVar("T")

GOAL_LATENESS_S = 1.0
GOAL_RSS_GROWTH = 1.10
#: The daemon's sweep interval: the CLI's default, given explicitly (the drain waits on it).
INTERVAL_S = 2.0
#: After the last due time and one interval, how long the daemon gets before it is stopped.
DRAIN_MARGIN_S = 3.0
#: Consecutive busy errors one write may meet before the writer gives up on the store.
MAX_BUSY_RETRIES = 20


@dataclass(frozen=True)
class Plan:
    """How long and how hard the soak runs (the full run, or the quick one CI runs)."""

    soak_s: float  # how long the writers file reports
    period_s: int  # the pack's dispatch period
    writers: int
    rate: float  # reports per second, per writer
    sample_every_s: float  # how often the daemon's RSS is read

    @property
    def warmup_s(self) -> float:
        """The RSS baseline is the first sample after this many seconds of soak."""
        return max(0.2 * self.soak_s, 2.0 * self.period_s)


FULL = Plan(soak_s=600.0, period_s=20, writers=4, rate=8.0, sample_every_s=5.0)
QUICK = Plan(soak_s=12.0, period_s=5, writers=4, rate=8.0, sample_every_s=1.0)


# -- the pack ----------------------------------------------------------------------------------


def write_pack(path: Path, period_s: int) -> None:
    """The shipped default pack, renamed, with ``dispatch`` due ``period_s`` after the report;
    checked to load and to keep every other rule as shipped."""
    from shouhu.adapters.policyfile import load_pack
    from shouhu.engine.policy import default_pack

    default = default_pack()
    text = default.text
    section = text.index("[deadlines.dispatch]")
    old = 'period = "PT1H"'
    at = text.index(old, section)
    if text.find("[deadlines.", section + 1) < at:
        raise RuntimeError("the default pack's dispatch period is no longer PT1H")
    text = text[:at] + f'period = "PT{period_s}S"' + text[at + len(old) :]
    text = text.replace(f'name = "{default.name}"', 'name = "soak-bench"', 1)
    path.write_text(text, encoding="utf-8")
    pack = load_pack(path)
    shipped = {r.name: r for r in default.rules}
    ours = {r.name: r for r in pack.rules}
    if pack.name != "soak-bench" or ours.keys() != shipped.keys():
        raise RuntimeError(f"the soak pack {path} does not have the default's rules")
    for name, rule in ours.items():
        if name == "dispatch":
            if str(rule.period) != f"PT{period_s}S":
                raise RuntimeError(f"the soak pack's dispatch period is {rule.period}")
            rule = replace(rule, period=shipped[name].period)
        if rule != shipped[name]:
            raise RuntimeError(f"the soak pack changed {name!r}, not only dispatch's period")


# -- a writer (its own process) ----------------------------------------------------------------


def _retry(counts: Counter[str], call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, retried while the store is busy (each retry counted)."""
    from shouhu.errors import StoreUnavailable

    for attempt in range(MAX_BUSY_RETRIES + 1):
        try:
            return call(*args, **kwargs)
        except StoreUnavailable:
            counts["busy_retries"] += 1
            if attempt == MAX_BUSY_RETRIES:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def writer(args: argparse.Namespace) -> None:
    """File reports at ``rate`` per second and dispatch every other one before it is due,
    from the instant in the ``go`` file for ``seconds``; write what was done as JSON."""
    from shouhu import Engine
    from shouhu.adapters.policyfile import load_pack

    engine = Engine.open(f"sqlite:///{args.db}", policy=load_pack(args.pack))
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    first_error = ""
    Path(args.ready).touch()
    go = Path(args.go)
    while not go.exists():
        time.sleep(0.02)
    start = float(go.read_text())
    stop = start + args.seconds
    step = 1.0 / args.rate
    waiting: deque[tuple[float, str]] = deque()  # (when to dispatch, case id)
    next_at = start + args.phase  # writers staggered: reports arrive evenly
    k = 0
    try:
        while True:
            now = time.time()
            if now >= stop and not waiting:
                break
            if waiting and waiting[0][0] <= now:
                _, case_id = waiting.popleft()
                try:
                    _retry(counts, engine.fire, case_id, "dispatch", actor=POLICE)
                    counts["dispatched"] += 1
                except Exception as exc:
                    errors[type(exc).__name__] += 1
                    first_error = first_error or f"dispatch: {type(exc).__name__}: {exc}"
                continue
            if now < stop and now >= next_at:
                i = args.index * 1_000_000 + k
                r = report_request(i)  # dated now: no discovered_at or occurred_at
                try:
                    case = _retry(
                        counts,
                        engine.report,
                        r.type,
                        child=r.child,
                        location=r.location,
                        reporter=r.reporter,
                        data=r.data,
                        new_case=True,  # report_request's children recur: no duplicate lookup
                    )
                    counts["reports"] += 1
                    if k % 2 == 0:
                        waiting.append((time.time() + args.dispatch_after, case.id))
                except Exception as exc:
                    errors[type(exc).__name__] += 1
                    first_error = first_error or f"report: {type(exc).__name__}: {exc}"
                k += 1
                next_at += step
                if next_at < time.time() - 1.0:  # more than a second behind: do not burst
                    counts["fell_behind"] += 1
                    next_at = time.time()
                continue
            wakes = [next_at, stop] if now < stop else []
            if waiting:
                wakes.append(waiting[0][0])
            time.sleep(max(0.0, min(wakes, default=stop) - time.time()))
    finally:
        engine.close()
        summary = {**counts, "errors": dict(errors), "first_error": first_error}
        Path(args.out).write_text(json.dumps(summary))


# -- the daemon and its memory -----------------------------------------------------------------


def rss_kb(pid: int) -> int | None:
    """``VmRSS`` of process ``pid`` in KiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def daemon_command(db: Path, pack: Path) -> list[str]:
    """The installed ``shouhu`` script beside this Python (else ``python -m shouhu``)."""
    script = Path(sys.executable).parent / "shouhu"
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "shouhu"]
    return [
        *cli,
        "--db",
        f"sqlite:///{db}",
        "--policy",
        str(pack),
        "scheduler",
        "run",
        "--interval",
        f"{INTERVAL_S:g}",
    ]


def child_env() -> dict[str, str]:
    """This environment without any ``SHOUHU_*`` setting, logging JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    env["SHOUHU_LOG_FORMAT"] = "json"
    return env


def log_lines(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The daemon's JSON log lines, and its other output lines (e.g. APScheduler's warnings)."""
    lines, other = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            other.append(line)
    return lines, other


def wait_for(test: Callable[[], bool], seconds: float, why: Callable[[], str | None]) -> None:
    """Until ``test()``; ``RuntimeError`` after ``seconds``, or once ``why()`` names a failure."""
    deadline = time.monotonic() + seconds
    while not test():
        failure = why()
        if failure is None and time.monotonic() > deadline:
            failure = f"not ready within {seconds:g} s"
        if failure is not None:
            raise RuntimeError(f"soak: {failure}")
        time.sleep(0.05)


def stopped(procs: Sequence[subprocess.Popen[bytes]], logs: Sequence[Path]) -> str | None:
    """Which of ``procs`` has stopped, with the end of its log; None if all run."""
    for p, log in zip(procs, logs, strict=True):
        if p.poll() is not None:
            return f"{p.args[0]} … exited with {p.returncode}:\n{tail(log)}"
    return None


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- reading the result ------------------------------------------------------------------------


def utc(text: str) -> datetime:
    """An instant as SQLite keeps it (naive UTC text) or as the log writes it (with offset)."""
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of ``values`` (sorted)."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def spread(values: Sequence[float]) -> dict[str, float]:
    xs = sorted(values)
    if not xs:
        return {}
    return {
        "count": len(xs),
        "min": xs[0],
        "p50": quantile(xs, 0.5),
        "p90": quantile(xs, 0.9),
        "p99": quantile(xs, 0.99),
        "max": xs[-1],
        "mean": sum(xs) / len(xs),
    }


def check_run(db: Path, reports: int, ended: datetime) -> tuple[list[float], dict[str, Any]]:
    """Every deadline that fell due fired exactly once: the lateness of each firing (s) and the
    deadlines' counts; ``RuntimeError`` if the run is not sound."""
    with closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT d.case_id, d.kind, d.status, d.due_at, d.met_at, e.trigger, e.recorded_at "
            "FROM deadlines d LEFT JOIN events e ON e.case_id = d.case_id AND e.seq = d.closed_seq"
        ).fetchall()
        missed_events = dict(
            con.execute(
                "SELECT case_id, count(*) FROM events WHERE trigger = 'deadline_missed' "
                "GROUP BY case_id"
            ).fetchall()
        )
        (cases,) = con.execute("SELECT count(*) FROM cases").fetchone()
    problems: list[str] = []
    statuses = Counter(status for _, _, status, *_ in rows)
    kinds = Counter(kind for _, kind, *_ in rows)
    if cases != reports or kinds != Counter({"dispatch": reports}):
        problems.append(f"{reports} reports filed, but {cases} cases and deadlines {dict(kinds)}")
    late: list[float] = []
    missed_cases: Counter[str] = Counter()
    dispatched_late = 0
    for case_id, _, status, due_at, met_at, trigger, recorded_at in rows:
        due = utc(due_at)
        if status == "pending" and due <= ended:
            problems.append(f"{case_id}: pending, due {due_at}, not fired")
        elif status == "missed":
            missed_cases[case_id] += 1
            if trigger != "deadline_missed":
                problems.append(f"{case_id}: missed, but its closing event is {trigger!r}")
                continue
            seconds = (utc(recorded_at) - due).total_seconds()
            if seconds < 0:
                problems.append(f"{case_id}: fired {-seconds:.3f} s before it was due")
            late.append(seconds)
            dispatched_late += met_at is not None
    if missed_events != dict(missed_cases):
        extra = {c: n for c, n in missed_events.items() if n != missed_cases.get(c)}
        problems.append(f"deadline_missed events do not match the missed rows: {extra}")
    if problems:
        shown = "\n  ".join(problems[:10])
        raise RuntimeError(f"soak: {len(problems)} problem(s) in the run:\n  {shown}")
    counts = {
        "reports": reports,
        "deadlines": dict(statuses),
        "fired": len(late),
        "missed_then_dispatched": dispatched_late,
    }
    return late, counts


def logged_lateness(lines: Sequence[dict[str, Any]], fired: int) -> list[float]:
    """For each ``deadline_fired`` log line, its timestamp minus the due time (s): an upper
    bound on when the firing was committed. Each deadline must be logged once."""
    logged = [line for line in lines if line.get("event") == "deadline_fired"]
    if len(logged) != fired or len({line["case_id"] for line in logged}) != fired:
        raise RuntimeError(f"soak: {fired} deadlines fired, but {len(logged)} firings logged")
    return [(utc(line["timestamp"]) - utc(line["due_at"])).total_seconds() for line in logged]


# -- the figures -------------------------------------------------------------------------------


def figures(tmp: Path, quick: bool) -> list[Figure]:
    from shouhu import Engine

    plan = QUICK if quick else FULL
    tmp = tmp.resolve()  # the daemon runs in tmp: every path given to it is absolute
    errs = [tmp / f"soak-writer-{n}.err" for n in range(plan.writers)]

    db, pack = tmp / "soak.db", tmp / "soak-pack.toml"
    write_pack(pack, plan.period_s)
    Engine.open(f"sqlite:///{db}", policy=pack).close()  # the schema, before anyone starts
    log = tmp / "soak-daemon.log"
    go = tmp / "soak-go"
    env = child_env()
    minutes = f"{plan.soak_s / 60:g} min" if plan.soak_s >= 60 else f"{plan.soak_s:g} s"
    progress(
        f"soak: the daemon for {minutes} under {plan.writers} writers at {plan.rate:g} "
        f"reports/s each, dispatch due after {plan.period_s} s"
    )
    began = time.monotonic()
    daemon: subprocess.Popen[bytes] | None = None
    writers: list[subprocess.Popen[bytes]] = []
    samples: list[tuple[float, int]] = []  # (seconds since the writers started, RSS KiB)
    try:
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                daemon_command(db, pack), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp
            )
        wait_for(
            lambda: "daemon_started" in log.read_text(errors="replace"),
            60,
            lambda: stopped([daemon], [log]),
        )
        for n in range(plan.writers):
            with errs[n].open("wb") as err:
                writers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "benchmarks.soak",
                            "--writer",
                            f"--db={db}",
                            f"--pack={pack}",
                            f"--index={n}",
                            f"--rate={plan.rate}",
                            f"--phase={n / (plan.writers * plan.rate)}",
                            f"--seconds={plan.soak_s}",
                            f"--dispatch-after={plan.period_s / 2}",
                            f"--go={go}",
                            f"--ready={tmp / f'soak-writer-{n}.ready'}",
                            f"--out={tmp / f'soak-writer-{n}.json'}",
                        ],
                        stderr=err,
                        env=env,
                        cwd=ROOT,
                    )
                )
        wait_for(
            lambda: all((tmp / f"soak-writer-{n}.ready").exists() for n in range(plan.writers)),
            60,
            lambda: stopped([daemon, *writers], [log, *errs]),
        )
        start = time.time() + 0.2
        (tmp / "soak-go.tmp").write_text(repr(start))
        (tmp / "soak-go.tmp").replace(go)  # atomic: a writer never reads half of it
        samples += soak(plan, daemon, writers, start)
        for n, w in enumerate(writers):
            if w.wait(timeout=plan.period_s + 60) != 0:
                err = tail(errs[n])
                raise RuntimeError(f"soak: writer {n} exited with {w.returncode}:\n{err}")
        done = [
            json.loads((tmp / f"soak-writer-{n}.json").read_text()) for n in range(plan.writers)
        ]
        errors = [d["first_error"] for d in done if d["errors"]]
        if errors:
            raise RuntimeError(f"soak: the writers failed: {errors}")
        with closing(sqlite3.connect(db)) as con:
            (last_due,) = con.execute("SELECT max(due_at) FROM deadlines").fetchone()
        until = utc(last_due).timestamp() + INTERVAL_S + DRAIN_MARGIN_S
        progress(f"soak: writers done; draining until the last deadline ({last_due} UTC) fired")
        samples += sample_until(daemon, until, plan.sample_every_s, start)
        ended = datetime.now(UTC)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
        if code != 0:
            raise RuntimeError(f"soak: the daemon exited with {code} on SIGTERM:\n{tail(log)}")
    finally:
        for p in [*writers, *([daemon] if daemon is not None else [])]:
            if p.poll() is None:
                p.kill()
                p.wait()
    seconds = time.monotonic() - began
    reports = sum(d.get("reports", 0) for d in done)
    late, counts = check_run(db, reports, ended)
    lines, other = log_lines(log)
    logged = logged_lateness(lines, len(late))
    if not late:
        raise RuntimeError("soak: the daemon fired no deadline")
    warm = next(((t, kb) for t, kb in samples if t >= plan.warmup_s), None)
    if warm is None or len(samples) < 2:
        raise RuntimeError(f"soak: too few RSS samples ({len(samples)})")
    end = samples[-1]
    fired = spread(late)
    detail: dict[str, Any] = {
        "plan": asdict(plan) | {"warmup_s": plan.warmup_s},
        "pack": {"name": "soak-bench", "dispatch_period": f"PT{plan.period_s}S"},
        "daemon_interval_s": INTERVAL_S,
        "seconds": {
            "total": seconds,
            "soak": plan.soak_s,
            "start_to_sigterm": ended.timestamp() - start,
        },
        "writers": {
            "reports": reports,
            "dispatched": sum(d.get("dispatched", 0) for d in done),
            "busy_retries": sum(d.get("busy_retries", 0) for d in done),
            "fell_behind": sum(d.get("fell_behind", 0) for d in done),
            "per_writer": done,
        },
        "deadlines": counts,
        "lateness_s": fired,
        "fired_over_100ms_late": sum(x > 0.1 for x in late),
        "logged_lateness_s": spread(logged),
        "daemon_warnings": dict(
            Counter(line["event"] for line in lines if line.get("level") in {"warning", "error"})
        ),
        "notices_logged": sum(1 for line in lines if line.get("event") == "notice_delivered"),
        # e.g. APScheduler: 'Execution of job … skipped: maximum number of running instances'
        "daemon_other_output": {
            "lines": len(other),
            "wakeups_skipped": sum("maximum number of running instances" in x for x in other),
            "first": other[:3],
        },
        "rss": {
            "warmup_at_s": warm[0],
            "warmup_mb": warm[1] / 1024,
            "end_at_s": end[0],
            "end_mb": end[1] / 1024,
            "min_mb": min(kb for _, kb in samples) / 1024,
            "max_mb": max(kb for _, kb in samples) / 1024,
            "samples": [[round(t, 1), round(kb / 1024, 2)] for t, kb in samples],
        },
    }
    p50, p99 = fired["p50"], fired["p99"]
    warm_mb, end_mb = warm[1] / 1024, end[1] / 1024
    growth = end_mb / warm_mb
    return [
        Figure(
            "soak_lateness_p99",
            f"soak {minutes}, {plan.writers} writers: firing lateness p99 "
            f"(beside p50), {len(late):,} fired",
            "s",
            p99,
            p50,
            None,
            f"p99 < {GOAL_LATENESS_S:g} s",
            p99 < GOAL_LATENESS_S,
            detail,
        ),
        Figure(
            "soak_rss_growth",
            f"soak {minutes}: daemon RSS at the end (beside after warm-up)",
            "MB",
            end_mb,
            warm_mb,
            growth,
            f"< {GOAL_RSS_GROWTH:.2f}×",
            growth < GOAL_RSS_GROWTH,
            detail,
        ),
    ]


def soak(
    plan: Plan,
    daemon: subprocess.Popen[bytes],
    writers: Sequence[subprocess.Popen[bytes]],
    start: float,
) -> list[tuple[float, int]]:
    """Sample the daemon's RSS while the writers file reports; fail if anyone dies."""
    samples: list[tuple[float, int]] = []
    next_report = start + 60.0
    while time.time() < start + plan.soak_s:
        samples += sample_until(daemon, time.time() + plan.sample_every_s, 0.0, start)
        for n, w in enumerate(writers):
            # A writer ends by itself (0) once the shared wall clock passes start + soak_s;
            # this loop's sleep may wake just after that: only an earlier or failed end is early.
            if w.poll() is not None and (w.returncode != 0 or time.time() < start + plan.soak_s):
                raise RuntimeError(f"soak: writer {n} stopped early ({w.returncode})")
        if time.time() >= next_report:
            progress(
                f"soak: {time.time() - start:.0f} s, daemon RSS {samples[-1][1] / 1024:.1f} MB"
            )
            next_report += 60.0
    return samples


def sample_until(
    daemon: subprocess.Popen[bytes], until: float, every: float, start: float
) -> list[tuple[float, int]]:
    """Wait until ``until`` (epoch s), reading the daemon's RSS every ``every`` s (once, at the
    end, if ``every`` is 0); fail if the daemon stops."""
    samples = []
    while True:
        now = time.time()
        wake = until if every <= 0 else min(until, now + every)
        time.sleep(max(0.0, wake - now))
        if daemon.poll() is not None:
            raise RuntimeError(f"soak: the daemon stopped ({daemon.returncode})")
        kb = rss_kb(daemon.pid)
        if kb is not None:
            samples.append((time.time() - start, kb))
        if time.time() >= until:
            return samples


# -- the writer's command line -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writer", action="store_true", help="run as one of the soak's writers")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="reports per second")
    parser.add_argument("--phase", type=float, default=0.0, help="first report after (s)")
    parser.add_argument("--seconds", type=float, required=True, help="how long to file reports")
    parser.add_argument("--dispatch-after", type=float, required=True, help="seconds")
    parser.add_argument("--go", type=Path, required=True, help="holds the start (epoch s)")
    parser.add_argument("--ready", type=Path, required=True, help="touched once open")
    parser.add_argument("--out", type=Path, required=True, help="the counts, as JSON")
    args = parser.parse_args(argv)
    if not args.writer:
        parser.error("run the soak with: python -m benchmarks.bench --only soak")
    writer(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
