"""Borrowing the CLI test modules (``tests/cli``) to run their tests again on PostgreSQL.

A module here imports ``test_cli`` or ``test_cli_deadlines``, takes the test functions that use
the ``cli`` fixture (and the fixtures they need), and defines its own ``cli`` fixture: the same
``Cli`` helper with ``SHOUHU_DB`` pointing at the session's emptied PostgreSQL database. The
functions are the very same objects, so a change to a CLI test runs on both databases.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

CLI_TESTS = Path(__file__).resolve().parents[1] / "cli"


def cli_module(name: str) -> ModuleType:
    """``tests/cli/NAME.py``, imported once under the name pytest gives it."""
    if str(CLI_TESTS) not in sys.path:
        sys.path.insert(0, str(CLI_TESTS))
    return importlib.import_module(name)


def borrowed(
    module: ModuleType, *, fixtures: tuple[str, ...], sqlite_only: Mapping[str, str]
) -> dict[str, Any]:
    """The module's tests that take ``cli`` (directly or through one of ``fixtures``), minus
    ``sqlite_only`` (name → why), and those fixtures; to be put into a test module's globals."""
    uses = {"cli", *fixtures}
    unknown = set(sqlite_only) - set(vars(module))
    if unknown:
        raise AssertionError(f"{module.__name__} has no tests {sorted(unknown)}")
    out: dict[str, Any] = {name: getattr(module, name) for name in fixtures}
    for name, obj in vars(module).items():
        if not name.startswith("test_") or not inspect.isfunction(obj) or name in sqlite_only:
            continue
        if uses & set(inspect.signature(obj).parameters):
            out[name] = obj
    return out


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the database at ``url`` (SQLAlchemy's), in a stable order."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
