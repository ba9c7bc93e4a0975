"""docs/ledger.md says what the code does: its table is the watch definitions, its refusal
table is the engine's exit codes, its examples run and its output is a real run's.

The ``bash`` block runs as one script under ``bash -euo pipefail`` with the virtualenv's
``shouhu`` first on ``PATH``, in an empty working directory (the page names its own SQLite file
with ``--db``); the ``python`` block runs in a fresh namespace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pagekit import (
    DOCS,
    FENCE,
    LINK,
    ScriptRun,
    normalised,
    quoted,
    run_script,
    table_rows,
)

from shouhu import Conflict, InvalidInput, TransitionRefused, workflows
from shouhu.workflows.diagram import mermaid
from shouhu.workflows.watch import REGISTRARS

PAGE = DOCS / "ledger.md"
#: The walk-through child's identity: never printed without --include-identity.
IDENTITY = ("王小明", "2015-04-30", "430726201504300027")


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text()) if m.group(1) == lang]


def section(heading: str) -> str:
    """The text under ``heading`` (``## …`` or ``### …``) up to the next heading of its level."""
    body = text()
    level = heading.split(" ", 1)[0]
    start = body.index(f"\n{heading}\n") + len(heading) + 2
    end = re.search(rf"^#{{1,{len(level)}}} ", body[start:], re.MULTILINE)
    return body[start:] if end is None else body[start : start + end.start()]


# --- the page ---------------------------------------------------------------------------------


def test_the_ledger_page_holds_only_blocks_the_tests_run_or_check() -> None:
    """bash (run), text (compared with a real run), python (run) and the three diagrams
    (compared with the definitions): nothing else."""
    kinds = [m.group(1) for m in FENCE.finditer(text())]
    assert set(kinds) == {"bash", "text", "python", "mermaid"}
    assert kinds.count("bash") == 1
    assert kinds.count("python") == 1


def test_the_three_diagrams_are_the_watch_definitions() -> None:
    """Each watch's mermaid diagram, in order, is what its definition generates now."""
    assert fences("mermaid") == [mermaid(workflows.latest(t)) for t in workflows.watch_types()]
    for block in fences("mermaid"):
        assert "[*] --> on_ledger: register" in block


def test_the_index_and_the_deadlines_page_link_the_ledger_page() -> None:
    """docs/index.md and docs/deadlines.md link ledger.md; the page's own links lead to files."""
    for page in ("index.md", "deadlines.md"):
        assert "ledger.md" in LINK.findall((DOCS / page).read_text(encoding="utf-8")), page
    for target in LINK.findall(text()):
        if "://" not in target:
            assert (DOCS / target.partition("#")[0]).is_file(), target


def test_the_ledger_trigger_table_is_the_watch_definitions() -> None:
    """One row per trigger of each watch (register first): roles, destination and citation."""
    documented = [
        (quoted(r[0])[0], quoted(r[1])[0], tuple(quoted(r[2])), r[3], r[4])
        for r in table_rows(section("### Triggers and roles"))
    ]
    expected = []
    for type_ in workflows.watch_types():
        wf = workflows.latest(type_)
        expected.append((type_, wf.opening, REGISTRARS, f"`{wf.initial}`", wf.citation))
        expected.extend(
            (type_, t.trigger, t.roles, f"`{t.dest}`" if t.dest else "(stays)", t.citation)
            for t in wf.transitions
        )
    assert documented == expected
    assert set(workflows.watch_types()) == {"child_watch", "woman_watch", "elderly_watch"}


def test_the_ledger_page_cites_what_the_definitions_cite() -> None:
    """The page names each watch's citation, as the workflow definitions do."""
    intro = section("## A watch: one case per person")
    for type_ in workflows.watch_types():
        assert workflows.latest(type_).citation in intro
    for citation in ("001 §四(二)2", "000 §三五", "002 §(六)"):
        assert citation in text()


def test_the_ledger_refusal_table_gives_the_exceptions_exit_codes() -> None:
    """Each refusal row's exit code is its exception's; codes 2, 3 and 4 are all there."""
    classes = {"InvalidInput": InvalidInput, "TransitionRefused": TransitionRefused}
    classes["Conflict"] = Conflict
    codes = set()
    for row in table_rows(section("## Refusals")):
        (name,) = [n for n in quoted(row[3]) if n in classes]
        assert classes[name].exit_code == int(row[2]), row
        codes.add(int(row[2]))
    assert codes == {2, 3, 4}


def test_the_ledger_page_gives_the_worked_examples() -> None:
    """The 16th birthday and the half year, with the dates the engine uses."""
    body = text()
    assert "2010-03-15" in body
    assert "2026-03-16T00:00+08:00" in body
    for date_ in ("2025-06-30", "2025-09-01", "2026-01-05"):
        assert date_ in section("## Refusals")
    for kind in ("monthly_visit", "quarterly_update", "regular_visit", "turns_16"):
        assert f"`{kind}`" in section("## Standing duties")
    returned = section("## The quarterly return")
    for figure in ("on ledger", "entries", "exits", "visits", "ledger updates", "reports raised"):
        assert f"| {figure} |" in returned
    assert "001 §四(二)2" in returned
    screening = section("## Holiday screening")
    for reason in ("never_visited", "visit_older_than_bound", "open_report"):
        assert f"`{reason}`" in screening
    assert "001 §四(三)5" in screening


def test_the_ledger_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The python block runs in a fresh namespace, in an empty working directory."""
    for key in list(os.environ):
        if key.startswith("SHOUHU_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (block,) = fences("python")
    namespace: dict[str, object] = {"__name__": "docs_ledger"}
    exec(compile(block, "docs/ledger.md, python block", "exec"), namespace)
    assert "Engine.in_memory(clock=" in block
    assert "FakeClock(" in block
    assert "engine.register(" in block


# --- the shell walk-through -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger_run(tmp_path_factory: pytest.TempPathFactory) -> ScriptRun:
    """The page's bash block, run once as one script in an empty directory."""
    cwd = tmp_path_factory.mktemp("ledger-page")
    return run_script(cwd, "ledger.sh", fences("bash"), {})


@pytest.mark.slow
def test_the_ledger_walk_through_runs_to_the_end(ledger_run: ScriptRun) -> None:
    """The bash block under bash -euo pipefail: exit 0, on its own SQLite file."""
    assert ledger_run.returncode == 0, ledger_run.output[-3000:]
    assert (ledger_run.cwd / "ledger.db").is_file()
    assert not (ledger_run.cwd / "xdg").exists()


@pytest.mark.slow
def test_the_ledger_output_shown_is_what_a_real_run_prints(ledger_run: ScriptRun) -> None:
    """Every line of the text blocks is printed by the script, in the same order."""
    printed = normalised(ledger_run.output)
    shown = [line for block in fences("text") for line in normalised(block)]
    assert shown
    for line in shown:
        assert line in printed, f"a real run does not print {line!r}"
    assert shown == printed


@pytest.mark.slow
def test_the_ledger_walk_through_records_what_the_page_says(ledger_run: ScriptRun) -> None:
    """February met, March missed by the sweep, April due; the refusals wrote nothing."""
    from shouhu import Engine

    out = ledger_run.output
    for code in (2, 3, 4):
        assert f"exit {code}" in out
    with Engine.open(f"sqlite:///{ledger_run.cwd / 'ledger.db'}") as engine:
        cases = list(engine.cases())
        assert sorted(c.type for c in cases) == ["child_watch", "woman_watch"]
        (child,) = [c for c in cases if c.type == "child_watch"]
        visits = [
            (d["due_at"], d["status"])
            for d in engine.deadlines(case_id=child.id)
            if d["kind"] == "monthly_visit"
        ]
    assert visits == [
        ("2026-03-01T00:00:00+08:00", "met"),
        ("2026-04-01T00:00:00+08:00", "missed"),
        ("2026-05-01T00:00:00+08:00", "pending"),
    ]
    assert f"already on the ledger as case {child.id}" in out


@pytest.mark.slow
def test_the_ledger_walk_through_shows_no_identity(ledger_run: ScriptRun) -> None:
    """Without --include-identity, no name, birthdate or id number of the child is printed,
    and the page shows none in its output blocks."""
    shown = "\n".join(fences("text"))
    for value in IDENTITY:
        assert value not in ledger_run.output, value
        assert value not in shown, value
    assert "--include-identity" not in fences("bash")[0]
