"""A large file in one run: every row imported, in batches, with memory bounded.

The test imports ``SHOUHU_INTAKE_ROWS`` rows (default 20,000, so that ``make test`` stays
quick); ``SHOUHU_INTAKE_ROWS=100000`` is the full-size run described in docs/intake.md.
Peak memory is the process's resident set (``VmHWM``), reset just before the import.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest
from intakekit import TYPES, Intake, row

from shouhu.adapters.importer import COLUMNS

ROWS = int(os.environ.get("SHOUHU_INTAKE_ROWS", "20000"))
BATCH = 5000
#: The process's peak resident set during the import must stay under this.
PEAK_RSS_MB = 300
#: …and above what it was before the import by less than this (the batch, the id set).
GROWTH_MB = 150


def status_kb(key: str) -> int | None:
    """A ``kB`` figure of /proc/self/status (VmRSS, VmHWM); None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_kb() -> int:
    hwm = status_kb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def write_rows(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(n):
            r = row(f"HL-{i:07d}", type=TYPES[i % len(TYPES)])
            writer.writerow([r[c] for c in COLUMNS])


@pytest.mark.slow
def test_a_large_file_is_imported_in_one_run_with_memory_bounded(tmp_path: Path) -> None:
    """All rows become cases with their deadlines, in batches of 5,000; peak RSS < 300 MB."""
    intake = Intake(tmp_path / "cases.db")
    file = tmp_path / "large.csv"
    write_rows(file, ROWS)
    resettable = reset_peak()
    before = status_kb("VmRSS") or peak_kb()
    start = time.perf_counter()
    result = intake("import", "reports", file, "--batch-size", str(BATCH), "--json")
    seconds = time.perf_counter() - start
    peak = peak_kb()
    assert result.exit_code == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    assert (out["read"], out["imported"], out["refused"]) == (ROWS, ROWS, [])
    assert "case_ids" not in out
    assert intake.count("cases") == ROWS
    assert intake.count("events") == ROWS
    assert intake.count("deadlines") == ROWS  # each report starts its dispatch deadline
    assert intake.count("intake") == ROWS
    figures = (
        f"{ROWS:,} rows in {seconds:.1f} s ({ROWS / seconds:,.0f} rows/s); "
        f"RSS before {before / 1024:.0f} MB, peak {peak / 1024:.0f} MB"
    )
    print(figures)
    assert peak < PEAK_RSS_MB * 1024, figures
    if resettable:
        assert peak - before < GROWTH_MB * 1024, figures
