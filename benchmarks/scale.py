"""The scale run: a province's worth of cases, on SQLite and on PostgreSQL.

For each store, two databases are built the way an operator and an embedding system would
build them, then the commands an operator and an auditor run are timed on both, each as a whole
``shouhu`` process whose peak memory is measured (``benchmarks.peak``: ``VmHWM``):

1. **import** — ``shouhu import reports FILE.csv``: N reports from a hotline file (the six
   types in turn, reported over 18 months up to 2026-11), checked and filed 1,000 per
   transaction; one case and one report event each, plus the deadlines each report starts;
2. **transitions** — four more steps on every case (dispatch, then the type's first emergency
   measures), filed by the library's :meth:`Engine.fire_many`, 1,000 per transaction
   (250 cases), in a fresh process: N cases, 5 N events in all;
3. **case list, first page** — ``case list --type missing_child --state … --limit 50``;
4. **case list, everything** — the same filter with ``--all``: every matching case (a
   sixth of all), streamed as tables of 1,000 rows;
5. **audit verify** — every hash, seq and head, every event replayed: 5 N events;
6. **audit report** — the compliance report over the cases reported in 2026.

The full run builds N = 1,000,000 cases (5,000,000 events) and N = 10,000 on each store; the
quick run 10,000 and 1,000. The figure for each command is its peak RSS at the large N beside
the small N, in the same run: the goal is that memory does not grow with the number of cases
(ratio ≤ 1.25) and stays under 300 MB. Times are in each figure's ``detail`` and label.

The PostgreSQL half runs on throw-away databases on the server of ``SHOUHU_BENCH_PG`` /
``SHOUHU_TEST_PG`` / 127.0.0.1:5432 (see :class:`benchmarks.common.PgServer`) and is skipped,
saying so, when none answers. The full run took 75 minutes on a 2-CPU machine (2026-12-04),
most of it building the two large databases (the PostgreSQL transitions above all), and needs
about 12 GB of disk for them and the file of reports.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    PG_UNREACHABLE,
    ROOT,
    SURNAMES,
    TOWNSHIPS,
    VILLAGES,
    Figure,
    PgServer,
    peak_rss_kb,
    progress,
)
from shouhu import workflows
from shouhu.adapters.importer import COLUMNS

GOAL_RSS_MB = 300.0
GOAL_FLAT = 1.25
PER_BATCH = 1_000  # transitions per fire_many call (250 cases)
PAGE = 50


@dataclass(frozen=True)
class ScaleSizes:
    large: int
    small: int


FULL = ScaleSizes(1_000_000, 10_000)
QUICK = ScaleSizes(10_000, 1_000)

#: Local time (Asia/Shanghai, the default zone) of the first report, and the span they cover.
FIRST_REPORT = datetime(2025, 6, 1, 8, 0)
SPAN = timedelta(days=540)
#: The audit report's window: the cases reported in 2026.
REPORT_FROM, REPORT_TO = "2026-01-01", "2026-12-31"
POLICE = {"name": "李警官", "role": "police"}

TYPES = tuple(workflows.types())  # the six report types
#: Per type, four steps after the report (police, ten minutes apart): dispatch, then the
#: emergency measures its branch begins with.
STEPS: dict[str, tuple[tuple[str, dict[str, str] | None], ...]] = {
    "solo_living": (
        ("dispatch", None),
        ("order_parents_return", None),
        ("admonish_parents", None),
        ("designate_entrusted_guardian", {"guardian_name": "王大爷"}),
    ),
    "missing_child": (
        ("dispatch", None),
        ("start_search", None),
        ("child_located", None),
        ("complete_emergency", None),
    ),
    "guardian_incapacity": (
        ("dispatch", None),
        ("order_parents_return", None),
        ("place_in_temporary_care", {"placement": "village_committee"}),
        ("complete_emergency", None),
    ),
    "guardian_nonperformance": (
        ("dispatch", None),
        ("order_parents_return", None),
        ("place_in_temporary_care", {"placement": "close_relative"}),
        ("education_given", None),
    ),
    "suspected_abuse": (
        ("dispatch", None),
        (
            "stop_violence",
            {"seriously_hurt": False, "safety_threatened": True, "unattended_in_danger": False},
        ),
        ("collect_evidence", None),
        ("arrange_medical_care", None),
    ),
    "suspected_harm": (
        ("dispatch", None),
        ("stop_harm", None),
        ("collect_evidence", None),
        ("arrange_medical_care", None),
    ),
}
#: The filter of the two ``case list`` figures: a sixth of all cases match it.
LIST_TYPE = "missing_child"
GIVEN = ("小明", "小红", "小刚", "晓燕", "子涵", "浩然", "欣怡", "宇轩")


# -- the data ------------------------------------------------------------------------------------


def reported_at(i: int, n: int) -> datetime:
    return FIRST_REPORT + SPAN * i / n


def report_data(type_: str, when: datetime) -> str:
    if type_ == "missing_child":
        return json.dumps({"last_seen_place": "村口小卖部"}, ensure_ascii=False)
    if type_ == "guardian_nonperformance":
        return json.dumps({"nonperformance_since": (when.date() - timedelta(days=30)).isoformat()})
    if type_ in ("suspected_abuse", "suspected_harm"):
        return json.dumps({"description": "孩子手臂有多处淤青"}, ensure_ascii=False)
    return ""


def write_file(path: Path, n: int) -> None:
    """The hotline's file of ``n`` reports (the columns of ``docs/intake.md``)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([*COLUMNS, "data"])
        for i in range(n):
            type_ = TYPES[i % len(TYPES)]
            when = reported_at(i, n)
            out.writerow(
                [
                    f"H{i:08d}",
                    type_,
                    SURNAMES[i % 10] + GIVEN[i // 10 % 8],
                    date(2010 + i % 9, 1 + i % 12, 1 + i % 28).isoformat(),
                    f"{VILLAGES[i % 4]}, {TOWNSHIPS[i % 3]}",
                    "school",
                    f"{TOWNSHIPS[i % 3]}中心小学",
                    (when - timedelta(minutes=20)).isoformat(timespec="seconds"),
                    when.isoformat(timespec="seconds"),
                    report_data(type_, when),
                ]
            )


def fire_all(url: str) -> dict[str, Any]:
    """In this process: four steps on every case, ``PER_BATCH`` per transaction."""
    from shouhu import Engine
    from shouhu.engine.core import FireRequest

    engine = Engine.open(url)
    fired = 0
    after: str | None = None
    states: dict[str, str] = {}
    start = time.perf_counter()
    while True:
        page = list(engine.cases(limit=PER_BATCH // 4, after=after))
        if not page:
            break
        batch = []
        for case in page:
            for k, (trigger, data) in enumerate(STEPS[case.type]):
                when = case.reported_at + timedelta(minutes=10 * (k + 1))
                batch.append(FireRequest(case.id, trigger, POLICE, when, data))
        for summary in engine.fire_many(batch):
            states[summary.type] = summary.state
        fired += len(batch)
        after = page[-1].id
    seconds = time.perf_counter() - start
    engine.close()
    return {"transitions": fired, "seconds": seconds, "peak_kb": peak_rss_kb(), "states": states}


# -- measuring ------------------------------------------------------------------------------------


def run_measured(tmp: Path, url: str, *args: str) -> dict[str, Any]:
    """``shouhu --db URL ARGS…`` as a whole process: seconds, peak RSS, and what it printed
    (unless it is the long human listing, sent to /dev/null)."""
    out = tmp / "peak.json"
    keep = "--json" in args
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.peak", str(out), "--", "--db", url, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE if keep else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SHOUHU_LOG_LEVEL": "warning"},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"shouhu {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    peak = json.loads(out.read_text())["peak_kb"]
    return {"seconds": seconds, "peak_mb": peak / 1024, "stdout": done.stdout if keep else None}


def build_and_measure(tmp: Path, url: str, n: int, label: str) -> dict[str, Any]:
    """Import ``n`` reports, move each four steps, then time the operator's and auditor's
    commands; returns each step's seconds and peak RSS."""
    csv_path = tmp / f"reports-{n}.csv"
    if not csv_path.exists():
        progress(f"scale: writing a file of {n:,} reports")
        write_file(csv_path, n)
    got: dict[str, Any] = {"cases": n}

    progress(f"scale {label}: importing {n:,} reports")
    m = run_measured(tmp, url, "import", "reports", str(csv_path), "--json")
    result = json.loads(m.pop("stdout"))
    if result.get("imported") != n:
        raise RuntimeError(f"import filed {result.get('imported')} of {n}: {result}")
    got["import"] = m

    progress(f"scale {label}: {4 * n:,} transitions, {PER_BATCH:,} per transaction")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--fire", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the transitions failed:\n{done.stderr}")
    fire = json.loads(done.stdout)
    if fire["transitions"] != 4 * n:
        raise RuntimeError(f"fired {fire['transitions']} transitions, expected {4 * n}")
    got["transitions"] = {"seconds": fire["seconds"], "peak_mb": fire["peak_kb"] / 1024}
    state = fire["states"][LIST_TYPE]

    progress(f"scale {label}: case list, first page")
    m = run_measured(
        tmp, url, "case", "list", "--type", LIST_TYPE, "--state", state, "--limit", str(PAGE),
        "--json",
    )  # fmt: skip
    if len(json.loads(m.pop("stdout"))) != min(PAGE, n // len(TYPES)):
        raise RuntimeError("the first page is not full")
    got["list_page"] = m

    progress(f"scale {label}: case list, every {LIST_TYPE} case")
    got["list_all"] = run_measured(
        tmp, url, "case", "list", "--type", LIST_TYPE, "--state", state, "--all"
    )
    got["list_all"].pop("stdout")

    progress(f"scale {label}: audit verify")
    m = run_measured(tmp, url, "audit", "verify", "--json")
    verified = json.loads(m.pop("stdout"))
    if not verified.get("ok") or verified.get("events") != 5 * n:
        raise RuntimeError(f"verify: {json.dumps(verified)[:300]}")
    got["verify"] = m

    progress(f"scale {label}: audit report over 2026")
    m = run_measured(
        tmp, url, "audit", "report", "--from", REPORT_FROM, "--to", REPORT_TO, "--json"
    )
    report = json.loads(m.pop("stdout"))
    expected = sum(1 for i in range(n) if reported_at(i, n).year == 2026)
    if report.get("cases") != expected:
        raise RuntimeError(f"the report counts {report.get('cases')} cases, expected {expected}")
    got["report"] = m
    got["report_cases"] = expected
    return got


#: (key, what the row says) of each measured command, in the order of the table.
COMMANDS = (
    ("import", "import reports"),
    ("transitions", "fire_many, 4 steps a case"),
    ("list_page", f"case list --limit {PAGE}"),
    ("list_all", "case list, every match"),
    ("verify", "audit verify"),
    ("report", "audit report, a year"),
)


def store_figures(
    name: str, key: str, small: dict[str, Any], large: dict[str, Any]
) -> list[Figure]:
    figures = []
    n = large["cases"]
    for step, what in COMMANDS:
        big, little = large[step]["peak_mb"], small[step]["peak_mb"]
        ratio = big / little
        seconds = large[step]["seconds"]
        figures.append(
            Figure(
                f"scale_{key}_{step}_rss",
                f"{name} {n:,} cases: {what} ({seconds:,.1f} s) peak RSS vs {small['cases']:,}",
                "MB",
                big,
                little,
                ratio,
                f"< {GOAL_RSS_MB:g} MB, ≤ {GOAL_FLAT:g}×",
                big < GOAL_RSS_MB and ratio <= GOAL_FLAT,
                {"large": large[step], "small": small[step]},
            )
        )
    figures[0].detail["rows_per_s"] = n / large["import"]["seconds"]
    figures[1].detail["transitions_per_s"] = 4 * n / large["transitions"]["seconds"]
    figures[4].detail["events_per_s"] = 5 * n / large["verify"]["seconds"]
    figures[5].detail["report_cases"] = large["report_cases"]
    figures.append(report_figure(name, key, small, large))
    return figures


#: Issue 18: ``audit report`` over a year of 1,000,000 cases, seconds at most, per store.
REPORT_GOAL_S = {"sqlite": 5.0, "pg": 10.0}


def report_figure(name: str, key: str, small: dict[str, Any], large: dict[str, Any]) -> Figure:
    """The auditor's report over 2026 as a whole process (start-up included), the large
    database beside the small one to show the growth; the goal is the large one's time."""
    big, little = large["report"]["seconds"], small["report"]["seconds"]
    goal = REPORT_GOAL_S[key]
    return Figure(
        f"scale_{key}_report_seconds",
        f"{name}: audit report over a year, {large['cases']:,} cases "
        f"({large['report_cases']:,} in it) vs {small['cases']:,}",
        "s",
        big,
        little,
        big / little,
        f"≤ {goal:g} s",
        big <= goal,
        {"large": large["report"], "small": small["report"], "cases": large["report_cases"]},
    )


def skipped(name: str, key: str, n: int, why: str) -> list[Figure]:
    return [
        Figure(
            f"scale_{key}_{step}_rss",
            f"{name} {n:,} cases: {what} peak RSS",
            "MB",
            0.0,
            None,
            None,
            f"< {GOAL_RSS_MB:g} MB, ≤ {GOAL_FLAT:g}×",
            False,
            skipped=why,
        )
        for step, what in COMMANDS
    ] + [
        Figure(
            f"scale_{key}_report_seconds",
            f"{name}: audit report over a year, {n:,} cases",
            "s",
            0.0,
            None,
            None,
            f"≤ {REPORT_GOAL_S[key]:g} s",
            False,
            skipped=why,
        )
    ]


def sqlite_figures(tmp: Path, sizes: ScaleSizes) -> list[Figure]:
    measured = {}
    for n in (sizes.small, sizes.large):
        path = tmp / f"scale-{n}.db"
        measured[n] = build_and_measure(tmp, f"sqlite:///{path}", n, f"SQLite {n:,}")
        measured[n]["bytes"] = sum(
            Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    figures = store_figures("SQLite", "sqlite", measured[sizes.small], measured[sizes.large])
    figures[0].detail["database_bytes"] = measured[sizes.large]["bytes"]
    return figures


def pg_figures(tmp: Path, sizes: ScaleSizes) -> list[Figure]:
    pg = PgServer.find()
    if pg is None:
        return skipped("PostgreSQL", "pg", sizes.large, PG_UNREACHABLE)
    measured = {}
    try:
        for n in (sizes.small, sizes.large):
            db = pg.create(f"scale_{n}")
            measured[n] = build_and_measure(tmp, pg.sqlalchemy_url(db), n, f"PostgreSQL {n:,}")
            measured[n]["bytes"] = pg.size(db)
            pg.drop(db)
    finally:
        pg.drop_all()
    figures = store_figures("PostgreSQL", "pg", measured[sizes.small], measured[sizes.large])
    figures[0].detail["database_bytes"] = measured[sizes.large]["bytes"]
    figures[0].detail["server_version"] = pg.version()
    return figures


def figures(tmp: Path, quick: bool) -> list[Figure]:
    sizes = QUICK if quick else FULL
    return sqlite_figures(tmp, sizes) + pg_figures(tmp, sizes)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--fire":
        print(json.dumps(fire_all(argv[1])))
        return 0
    print("usage: python -m benchmarks.scale --fire URL (run by benchmarks.bench)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
