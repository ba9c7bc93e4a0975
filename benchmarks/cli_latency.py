"""CLI latency, whole process: what an operator waits for, beside what Python itself costs.

Goals (the project's issue): ``shouhu --help`` answers in at most 0.2 s, and ``shouhu case
show ID`` takes at most 1.3 times a bare ``python -c "import …"`` of the stack it needs.

What is timed
-------------
Whole processes, started with ``subprocess.run`` (``time.perf_counter()`` around it, output to
``/dev/null``): interpreter start, imports, the work, exit. Each command runs once untimed
(warm-up: the OS file cache, and Python's bytecode cache of shouhu's modules), then ``runs``
times (20; 5 in the quick run), interleaved with its baseline so that a busy machine slows both
sides alike, the order alternating each round. Medians are reported; every run is in
``detail``.

1. ``shouhu --help`` (the console script of this venv), beside ``python -c pass``: the goal is
   absolute (the median ≤ 0.2 s); the ratio says how much of it Python's own start is. It is
   timed in English and in Chinese (``SHOUHU_LANG=zh_CN``: the catalog is read and every help
   text translated); the slower median is the figure.
   ``shouhu case --help`` is timed too (in ``detail``): the root's options are converted (typer
   does that through pydantic) before the group prints its help.
2. ``shouhu --db sqlite:///FILE case show ID`` on a file of 100 reported cases, beside
   ``python -c "import <STACK>"``: the third-party modules the command must load to do its job,
   as ``python -X importtime`` shows it loading them — typer (the CLI); SQLAlchemy, its SQLite
   dialect and ``sqlite3`` (the store); SQLModel (the table models); pydantic (validation);
   structlog (the engine's logs); transitions (the workflow machines); rich's console and
   tables (the output). The baseline imports them and does nothing; ours also imports
   shouhu's own modules, builds the commands, opens the database (a schema check), reads the
   case and renders it. SQLAlchemy's PostgreSQL dialect is not in the stack though the command
   loads it (SQLAlchemy checks the tables' ``postgresql_where`` against it, even on SQLite):
   it counts as ours. Goal: ratio ≤ 1.3.
3. The same command beside the same imports ending the way shouhu's CLI ends: it freezes the
   garbage collector at exit (``atexit.register(gc.freeze)``), which spares the interpreter's
   last collections over every module's objects — SQLAlchemy's and SQLModel's make a bare
   import's exit slow. Figure 2 counts that saving to shouhu; this one does not, so its ratio
   is the price of shouhu's own work alone. Same goal, the stricter reading.

Both sides run with the benchmark's environment minus ``PYTHONDONTWRITEBYTECODE`` and any
``SHOUHU_*`` setting: an installed shouhu has its bytecode cached (``pip`` compiles it), as the
baseline's packages have theirs, and the operator's own settings would change what is measured.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, open_engine, progress, report_request

#: What ``shouhu case show`` must import to do its job (see the module docstring).
STACK = (
    "typer",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "sqlite3",
    "sqlmodel",
    "pydantic",
    "structlog",
    "transitions",
    "rich.console",
    "rich.table",
)
GOAL_HELP_S = 0.2
GOAL_SHOW = 1.3
CASES = 100
RUNS_FULL = 20
RUNS_QUICK = 5


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("SHOUHU_")
    }


def _once(cmd: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return seconds


#: A command, or a command with settings of its own added to the benchmark's environment.
Command = Sequence[str] | tuple[Sequence[str], dict[str, str]]


def timed(commands: dict[str, Command], runs: int) -> dict[str, list[float]]:
    """Each command once untimed, then ``runs`` rounds of all of them, order alternating."""
    base = _env()
    argv: dict[str, Sequence[str]] = {}
    envs: dict[str, dict[str, str]] = {}
    for name, command in commands.items():
        if isinstance(command, tuple):
            argv[name], envs[name] = command[0], {**base, **command[1]}
        else:
            argv[name], envs[name] = command, base
    names = list(commands)
    for name in names:
        _once(argv[name], envs[name])
    out: dict[str, list[float]] = {name: [] for name in names}
    for n in range(runs):
        for name in names if n % 2 == 0 else reversed(names):
            out[name].append(_once(argv[name], envs[name]))
    return out


def _stats(seconds: Sequence[float]) -> dict[str, Any]:
    return {
        "min_s": min(seconds),
        "median_s": statistics.median(seconds),
        "max_s": max(seconds),
        "runs_s": list(seconds),
    }


def figures(tmp: Path, quick: bool) -> list[Figure]:
    runs = RUNS_QUICK if quick else RUNS_FULL
    python = sys.executable
    shouhu = str(Path(python).parent / "shouhu")
    path = tmp / "cli-latency.db"
    engine = open_engine(path)
    ids = engine.report_many((report_request(i) for i in range(CASES)), new_case=True)
    engine.close()
    case_id = ids[len(ids) // 2]
    stack = f"import {', '.join(STACK)}"
    same_exit = f"{stack}; import atexit, gc; atexit.register(gc.freeze)"

    progress(f"CLI latency: shouhu --help beside python -c pass, {runs} runs each")
    help_runs = timed(
        {
            "help": [shouhu, "--help"],
            "help_zh": ([shouhu, "--help"], {"SHOUHU_LANG": "zh_CN"}),
            "group_help": [shouhu, "case", "--help"],
            "python": [python, "-c", "pass"],
        },
        runs,
    )
    progress(f"CLI latency: shouhu case show beside importing its stack, {runs} runs each")
    show_runs = timed(
        {
            "show": [shouhu, "--db", f"sqlite:///{path}", "case", "show", case_id],
            "stack": [python, "-c", stack],
            "stack_same_exit": [python, "-c", same_exit],
        },
        runs,
    )

    # the slower language counts: the Chinese catalog is read, the English one is not
    help_s = max(statistics.median(help_runs["help"]), statistics.median(help_runs["help_zh"]))
    bare_s = statistics.median(help_runs["python"])
    show_s = statistics.median(show_runs["show"])
    stack_s = statistics.median(show_runs["stack"])
    same_exit_s = statistics.median(show_runs["stack_same_exit"])
    show_detail = {
        "runs": runs,
        "baseline": f'python -c "{stack}"',
        "baseline_same_exit": f'python -c "{same_exit}"',
        "shouhu case show": _stats(show_runs["show"]),
        "stack import": _stats(show_runs["stack"]),
        "stack import, same exit": _stats(show_runs["stack_same_exit"]),
    }
    return [
        Figure(
            "cli_help_s",
            "`shouhu --help`, whole process, slower of en and zh (beside `python -c pass`)",
            "s",
            help_s,
            bare_s,
            help_s / bare_s,
            f"≤ {GOAL_HELP_S:g} s",
            help_s <= GOAL_HELP_S,
            {
                "runs": runs,
                "shouhu --help": _stats(help_runs["help"]),
                "SHOUHU_LANG=zh_CN shouhu --help": _stats(help_runs["help_zh"]),
                "shouhu case --help": _stats(help_runs["group_help"]),
                "python -c pass": _stats(help_runs["python"]),
            },
        ),
        Figure(
            "cli_case_show_s",
            f"`shouhu case show`, whole process ({CASES} cases on file; beside its imports)",
            "s",
            show_s,
            stack_s,
            show_s / stack_s,
            f"≤ {GOAL_SHOW:g}×",
            show_s / stack_s <= GOAL_SHOW,
            show_detail,
        ),
        Figure(
            "cli_case_show_same_exit_s",
            "`shouhu case show`, beside its imports ending as shouhu ends (own work only)",
            "s",
            show_s,
            same_exit_s,
            show_s / same_exit_s,
            f"≤ {GOAL_SHOW:g}×",
            show_s / same_exit_s <= GOAL_SHOW,
            show_detail,
        ),
    ]
