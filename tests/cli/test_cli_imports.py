"""What the CLI imports before it knows what to do: nothing heavy.

Each check runs a fresh interpreter (``sys.modules`` of the test process already holds
everything) and looks at which modules a step loaded. No timing here: the figures are in
``make bench`` (``benchmarks/cli_latency.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shouhu.api import Engine

#: Loaded only by commands that use them: the store, the engine, logging, the workflow
#: machines, the policy pack.
ENGINE_MODULES = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "apscheduler",
    "httpx",
    "structlog",
    "transitions",
    "shouhu.api",
    "shouhu.engine.core",
    "shouhu.engine.policy",
    "shouhu.workflows",
    "shouhu.adapters.sqlstore",
    "shouhu.adapters.tables",
)
#: typer converts every parameter it is given through pydantic, so a command or group that
#: runs (the root's callback runs before ``shouhu case --help``) loads pydantic whatever we do.
VALIDATION_MODULES = ("pydantic",)


def loaded_after(step: str) -> set[str]:
    """The names in ``sys.modules`` after a fresh interpreter ran ``step`` (Python code)."""
    code = textwrap.dedent(
        """
        import contextlib, io, json, sys
        {step}
        sys.__stdout__.write(json.dumps(sorted(sys.modules)))
        """
    ).format(step=textwrap.dedent(step).strip())
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def cli_run(*args: str) -> str:
    """Python code running ``shouhu ARGS`` in-process, its output swallowed, exit caught."""
    return f"""
        from shouhu.cli import main
        sys.argv = ["shouhu", *{list(args)!r}]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main()
        """


def heavy(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in loaded if n in names or n.split(".")[0] in names)


def test_importing_the_package_loads_no_engine_or_validation_modules() -> None:
    """`import shouhu` is cheap: the public names are imported on first use."""
    assert heavy(loaded_after("import shouhu"), ENGINE_MODULES + VALIDATION_MODULES) == []


def test_importing_the_cli_loads_no_database_engine_or_validation_modules() -> None:
    """`import shouhu.cli` loads typer and shouhu's errors, nothing of the store or engine."""
    loaded = loaded_after("import shouhu.cli")
    assert heavy(loaded, ENGINE_MODULES + VALIDATION_MODULES) == []
    assert "rich" not in loaded


def test_help_imports_no_database_or_engine_modules() -> None:
    """`shouhu --help` (and bare `shouhu`) loads none of the store, engine or validation."""
    for args in (("--help",), ()):
        loaded = loaded_after(cli_run(*args))
        assert "shouhu.cli" in loaded
        assert heavy(loaded, ENGINE_MODULES + VALIDATION_MODULES) == [], args


@pytest.mark.parametrize("group", ["case", "workflow", "audit", "db", "import", "scheduler"])
def test_group_help_imports_no_database_or_engine_modules(group: str) -> None:
    """`shouhu GROUP --help` (and a group without a command) loads no store or engine."""
    for args in ((group, "--help"), (group,)):
        loaded = loaded_after(cli_run(*args))
        assert heavy(loaded, ENGINE_MODULES) == [], args


def test_a_command_still_imports_what_it_needs() -> None:
    """The check above is not vacuous: `shouhu workflow list` does load the workflows."""
    loaded = loaded_after(cli_run("workflow", "list"))
    assert "shouhu.workflows" in loaded


def test_a_command_on_a_sqlite_file_loads_no_postgresql_dialect(tmp_path: Path) -> None:
    """SQLite users never pay for SQLAlchemy's PostgreSQL dialect (about 25 ms a command): the
    ledger's partial indexes name PostgreSQL's condition only when a PostgreSQL store opens."""
    db = tmp_path / "cases.db"
    Engine.open(f"sqlite:///{db}").close()
    loaded = loaded_after(cli_run("--db", f"sqlite:///{db}", "case", "list"))
    assert "shouhu.adapters.sqlstore" in loaded
    assert [n for n in loaded if n.startswith("sqlalchemy.dialects.postgresql")] == []
