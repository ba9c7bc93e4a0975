"""docs/reliability.md: it names the tests that exist, its commands are real, its figures are
the tests' own numbers, and the index links to it."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reliability.md"
TESTS = ROOT / "tests" / "reliability"
FAULT_TESTS = ("test_kills.py", "test_locked.py", "test_disk.py", "test_clock.py")


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_the_page_names_every_fault_test_and_only_tests_that_exist() -> None:
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text()))
    fault_tests = {
        name for file in FAULT_TESTS for name in defined(TESTS / file) if name.startswith("test_")
    }
    everything = {name for file in TESTS.glob("*.py") for name in defined(file)}
    assert fault_tests <= named, f"not on the page: {sorted(fault_tests - named)}"
    assert named <= everything, f"no such test: {sorted(named - everything)}"


def test_every_shell_command_on_the_page_is_a_make_target_or_a_test_path_that_exists() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", text(), re.DOTALL)
    assert blocks
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony is not None
    for line in (x for block in blocks for x in block.splitlines() if x.strip()):
        words = [w for w in shlex.split(line) if not re.fullmatch(r"[A-Z_]+=\S*", w)]
        if words[0] == "make":
            assert words[1] in phony.group(1).split(), line
            assert f"\n{words[1]}:" in makefile, line
        else:
            assert words[:4] == [".venv/bin/python", "-m", "pytest", words[3]], line
            assert (ROOT / words[3]).exists(), line


def test_the_page_gives_the_kill_counts_the_tests_use_and_the_index_links_to_it() -> None:
    source = (TESTS / "test_kills.py").read_text(encoding="utf-8")
    counts = re.search(r"^SOAK_KILLS, SHORT_KILLS = (\d+), (\d+)$", source, re.MULTILINE)
    assert counts is not None
    soak, short = counts.groups()
    assert f"({soak} kills per store instead of {short})" in " ".join(text().split())
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "](reliability.md)" in index


def test_the_error_lines_shown_are_what_the_store_says() -> None:
    """The busy, disk-full and I/O-error lines of the page are what the store raises for those
    SQLite errors (the database's directory shown as ``…``)."""
    import sqlite3
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    from shouhu.adapters.sqlbase import _DbErrors
    from shouhu.errors import StoreUnavailable

    store = SimpleNamespace(url=make_url("sqlite:///DIR/cases.db"))
    io_error = sqlite3.OperationalError("disk I/O error")
    io_error.sqlite_errorname = "SQLITE_IOERR_WRITE"
    said = []
    for exc in (
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database or disk is full"),
        io_error,
    ):
        try:
            with _DbErrors(store):  # type: ignore[arg-type]
                raise exc
        except StoreUnavailable as refused:
            said.append(f"shouhu: error: {refused}".replace("DIR", "…"))
    shown = [
        line
        for block in re.findall(r"```text\n(.*?)```", text(), re.DOTALL)
        for line in block.splitlines()
    ]
    assert said == shown
