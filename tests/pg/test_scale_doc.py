"""docs/scale.md ("Running at scale"): its shell examples run, in order, as one script under
``bash -euo pipefail`` against the session's throw-away PostgreSQL database, and print the
output the page shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scale.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CASE_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{16}(?![0-9A-Z])")
#: An operator's id (a ULID: 26 Crockford base-32 characters), different on every run.
OPERATOR_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{26}(?![0-9A-Z])")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
#: The database the page's first example names; the test runs on its own instead.
PAGE_DB = "export SHOUHU_DB=postgresql+psycopg://postgres@127.0.0.1:5432/shouhu\n"
PAGE_SCRATCH = "scratch=shouhu_restore_check_$$"
CLIENT_TOOLS = ("psql", "pg_dump", "pg_restore", "createdb", "dropdb")


def fences(lang: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [body for kind, body in FENCE.findall(text) if kind == lang]


def normalised(text: str) -> list[str]:
    """Lines without trailing blanks; case ids as ``<CASE>``, operator ids as ``<OPERATOR>``,
    instants as ``<TIME>``."""
    return [
        INSTANT.sub("<TIME>", OPERATOR_ID.sub("<OPERATOR>", CASE_ID.sub("<CASE>", x.rstrip())))
        for x in text.splitlines()
    ]


def test_the_page_holds_only_shell_examples_and_their_output() -> None:
    kinds = {kind for kind, _ in FENCE.findall(PAGE.read_text(encoding="utf-8"))}
    assert kinds == {"bash", "text"}
    assert PAGE_DB in fences("bash")[0]


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory, pg_database: Any) -> str:
    """The page's bash blocks as one script, on an emptied database; its output."""
    missing = [tool for tool in CLIENT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the PostgreSQL client tools are not installed ({', '.join(missing)})")
    pg_database.empty()
    cwd = tmp_path_factory.mktemp("scale-doc")
    scratch = f"{pg_database.name}_restore"
    script = "\n".join(fences("bash"))
    assert PAGE_DB in script
    assert PAGE_SCRATCH in script
    script = script.replace(PAGE_DB, f"export SHOUHU_DB={pg_database.url}\n")
    script = script.replace(PAGE_SCRATCH, f"scratch={scratch}")
    (cwd / "scale.sh").write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_DATA_HOME=str(cwd / "xdg"),
        COLUMNS="200",
    )
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "scale.sh"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        with pg_database.connect(autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    assert done.returncode == 0, done.stdout[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_shell_examples_run_and_print_what_the_page_shows(page_run: str) -> None:
    printed = normalised(page_run)
    shown = [line for block in fences("text") for line in normalised(block) if line]
    assert shown
    missing = [line for line in shown if line not in printed]
    assert not missing, (missing, page_run[-3000:])
