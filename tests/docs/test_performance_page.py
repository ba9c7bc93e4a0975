"""docs/performance.md: its table is the last full ``make bench`` run (kept beside it as
docs/performance.json, the bench's own ``--json`` output), every group of the bench is in that
run, every goal missed is explained, and its commands are real."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from benchmarks.bench import GROUPS
from benchmarks.common import Figure, markdown

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "performance.md"
RUN = ROOT / "docs" / "performance.json"
#: The figures each group of the bench makes (scale: six commands on each of two stores).
GROUP_KEYS = {
    "durable": ["durable_transitions_per_s"],
    "group": ["group_commit_transitions_per_s"],
    "batched": ["batched_reports_per_s"],
    "pg": ["pg_durable_transitions_per_s", "pg_batched_reports_per_s"],
    "memory": ["peak_rss_mb", "rss_flatness"],
    "sweep": ["sweep_cost_ratio"],
    "audit": ["replay_verify_events_per_s"],
    "signing": ["signed_fire_transitions_per_s", "signed_verify_events_per_s"],
    "naive": ["naive_peak_rss_ratio", "naive_time_ratio"],
    "soak": ["soak_lateness_p99", "soak_rss_growth"],
    "cli": ["cli_help_s", "cli_case_show_s", "cli_case_show_same_exit_s"],
    "lists": ["list_all_json_per_s", "list_all_table_per_s"],
    "service": ["api_fire_p99_s", "api_fires_per_s", "desk_page_p99_s", "service_soak_rss"],
    "scale": [
        key
        for store in ("sqlite", "pg")
        for key in [
            *(
                f"scale_{store}_{step}_rss"
                for step in ("import", "transitions", "list_page", "list_all", "verify", "report")
            ),
            f"scale_{store}_report_seconds",
        ]
    ],
    "scaleout": ["scaleout_pg_fired_per_s"],
    "pgfire": ["pg_fire_many_transitions_per_s"],
    "pggroup": ["pg_group_transitions_per_s"],
}


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def run() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(RUN.read_text(encoding="utf-8"))
    return loaded


def figures() -> list[Figure]:
    return [Figure(**f) for f in run()["figures"]]


def test_the_page_holds_the_last_full_runs_table_as_the_bench_printed_it() -> None:
    """The results table is the bench's own rendering of docs/performance.json, row for row."""
    assert markdown(figures()) in text()


def test_the_run_on_the_page_is_a_full_run_of_every_group_with_nothing_skipped() -> None:
    """Full sizes, every group the bench has, no figure skipped (PostgreSQL was there)."""
    report = run()
    assert report["mode"] == "full"
    assert set(GROUP_KEYS) == set(GROUPS)
    keys = [f.key for f in figures()]
    assert keys == [k for g in GROUPS for k in GROUP_KEYS[g]]
    assert [f.key for f in figures() if f.skipped] == []


def test_the_page_names_the_machine_and_the_date_of_the_run() -> None:
    """The figures are read with the machine they were measured on."""
    report = run()
    page = text()
    machine = report["machine"]
    for fact in (machine["python"], machine["sqlite"], str(machine["cpu_count"])):
        assert fact in page
    assert report["date"][:10] in page


def test_every_goal_missed_is_explained_under_its_heading() -> None:
    """A MISS names its figure in the section on goals missed, with why and what would close it."""
    section = text().split("## Goals missed", 1)
    assert len(section) == 2, "no '## Goals missed' section"
    missed = section[1].split("\n## ", 1)[0]
    for f in figures():
        if not f.passed:
            assert f"`{f.key}`" in missed, f"{f.key} missed and not explained"


def test_every_shell_command_on_the_page_is_a_make_target_or_a_bench_invocation() -> None:
    """`make X` names a target; the bench is given only the options and groups it has."""
    blocks = re.findall(r"```bash\n(.*?)```", text(), re.DOTALL)
    assert blocks
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for line in (x for block in blocks for x in block.splitlines() if x.strip()):
        words = shlex.split(line.split("#", 1)[0])
        if words[0] == "make":
            assert f"\n{words[1]}:" in makefile, line
            continue
        assert words[:3] == [".venv/bin/python", "-m", "benchmarks.bench"], line
        for i, word in enumerate(words[3:], start=3):
            if word == "--only":
                assert set(words[i + 1].split(",")) <= set(GROUPS), line
            elif word.startswith("--"):
                assert word in {"--quick", "--json", "--only"}, line


def test_the_index_the_readme_and_the_bench_readme_link_the_page() -> None:
    """Whoever looks for the figures finds them."""
    assert "](performance.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "](docs/performance.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "](../docs/performance.md)" in bench
