"""Group ``lists``: ``shouhu case list --all`` streaming every case, beside a raw ``SELECT`` and
a formatted print of the same rows (issue 18).

A file of ``cases`` reports (100,000 in the full run, 2,000 quick), filed by
``shouhu import reports`` with no operators (so no credential is needed to read them). Each
side is a whole process writing to a file on the same disk, timed three times, medians:

- **ours**: ``shouhu --db URL case list --all --json`` and ``shouhu --db URL case list --all``
  (the table for people), run by :mod:`benchmarks.peak` so the detail also has the
  command's peak memory (flat: the rows stream).
- **raw**: a Python process with ``sqlite3`` alone that reads the same columns of every case
  in id order and writes the same text: for JSON, the same indented array (each row a dict
  given to ``json.dumps``, as a careful hand-written tool would); for the table, one line per
  case with the same columns, each cell padded to its width. Both convert the stored UTC time
  to the local time shown, as ours must.

Goal: ours ≥ 0.25 × raw's rows per second, for each of the two outputs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import Figure, progress

GOAL = 0.25
ROUNDS = 3

#: The raw side: ``python -c RAW DB OUT FORMAT``.
RAW = r"""
import json, sqlite3, sys
from datetime import datetime, timezone, timedelta
path, out, form = sys.argv[1:4]
zone = timezone(timedelta(hours=8))
con = sqlite3.connect(path)
cur = con.execute(
    "SELECT id, type, state, version, township, village, reported_at, outcome FROM cases"
    " ORDER BY id"
)
with open(out, "w", encoding="utf-8") as f:
    if form == "json":
        first = True
        while rows := cur.fetchmany(1000):
            for id_, type_, state, version, township, village, at, outcome in rows:
                shown = datetime.fromisoformat(at + "+00:00").astimezone(zone)
                row = {
                    "id": id_, "type": type_, "state": state, "version": version,
                    "township": township, "village": village,
                    "reported_at": shown.isoformat(timespec="seconds"), "outcome": outcome,
                }
                text = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
                f.write(("[\n  " if first else ",\n  ") + text)
                first = False
        f.write("[]\n" if first else "\n]\n")
    else:
        f.write("id                type  state  ver  township  village  reported\n")
        while rows := cur.fetchmany(1000):
            for id_, type_, state, version, township, village, at, outcome in rows:
                shown = datetime.fromisoformat(at + "+00:00").astimezone(zone)
                f.write(
                    f"{id_:<16}  {type_:<20}  {state:<28}  {version:>3}  {township:<6}  "
                    f"{village:<6}  {shown:%Y-%m-%d %H:%M}\n"
                )
"""


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def figures(tmp: Path, quick: bool) -> list[Figure]:
    from benchmarks.scale import write_file

    cases = 2_000 if quick else 100_000
    reports, path = tmp / "lists.csv", tmp / "lists.db"
    url = f"sqlite:///{path}"
    progress(f"lists: importing {cases:,} reports")
    write_file(reports, cases)
    subprocess.run(
        [sys.executable, "-m", "shouhu", "--db", url, "import", "reports", str(reports)],
        check=True,
        capture_output=True,
    )
    out: list[Figure] = []
    for form, label in (("json", "JSON"), ("table", "table")):
        progress(f"lists: case list --all ({label}) beside raw, {ROUNDS} rounds")
        ours_s, raw_s, peaks = [], [], []
        for n in range(ROUNDS):
            peak = tmp / "lists-peak.json"
            shown = tmp / f"lists-{form}-{n}.out"
            args = ["case", "list", "--all", *(["--json"] if form == "json" else [])]
            start = time.perf_counter()
            with shown.open("w", encoding="utf-8") as f:
                subprocess.run(
                    [sys.executable, "-m", "benchmarks.peak", str(peak), "--", "--db", url, *args],
                    check=True,
                    stdout=f,
                )
            ours_s.append(time.perf_counter() - start)
            peaks.append(json.loads(peak.read_text())["peak_kb"] / 1024)
            if form == "json" and len(json.loads(shown.read_text(encoding="utf-8"))) != cases:
                raise RuntimeError("case list --all --json did not list every case")
            shown.unlink()
            raw_out = tmp / f"lists-raw-{form}.out"
            raw_s.append(_timed([sys.executable, "-c", RAW, str(path), str(raw_out), form]))
            raw_out.unlink()
        ours, raw = cases / statistics.median(ours_s), cases / statistics.median(raw_s)
        out.append(
            Figure(
                f"list_all_{form}_per_s",
                f"case list --all, {label}, rows/s ({cases:,} cases, whole process)",
                "/s",
                ours,
                raw,
                ours / raw,
                f"≥ {GOAL}×",
                ours / raw >= GOAL,
                {"ours_s": ours_s, "raw_s": raw_s, "peak_mb": peaks},
            )
        )
    return out
