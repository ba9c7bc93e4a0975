"""Every example in the user documentation runs, and the pages say what the code does.

``python`` blocks of a page run in order in one fresh namespace, in an empty working directory.
The ``bash`` blocks of the operator guide run as one script under ``bash -euo pipefail`` with
the virtualenv's ``shouhu`` first on ``PATH``. Tables that restate the definitions (roles,
guards, states, exit codes, the hashed fields) are checked against the code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pagekit import ScriptRun, Step, output_blocks_unattached, run_page, step_mismatches

from shouhu import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    ShouhuError,
    StoreUnavailable,
    TransitionRefused,
    workflows,
)
from shouhu.engine.hashing import HASHED_FIELDS
from shouhu.workflows.spine import STATES
from shouhu.workflows.vocab import ROLES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = ("index", "concepts", "operator-guide", "library-guide")
#: Which kinds of fenced block each page may hold: each kind is run or checked below.
ALLOWED_FENCES = {
    "index": {"bash"},
    "concepts": {"python", "text"},
    "operator-guide": {"bash", "text"},
    "library-guide": {"python"},
}
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CASE_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{16}(?![0-9A-Z])")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def page_text(page: str) -> str:
    return (DOCS / f"{page}.md").read_text(encoding="utf-8")


def fences(page: str, lang: str | None = None) -> list[str]:
    """The bodies of a page's fenced blocks, in order; only ``lang`` ones if given."""
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(page_text(page))]
    return [body for kind, body in found if lang is None or kind == lang]


def section(page: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    text = page_text(page)
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    rest = text[start + len(heading) + 2 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``text`` (header and rule lines dropped)."""
    rows = []
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("|") or re.fullmatch(r"\|[-| :]+\|", line):
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|[-| :]+\|", lines[i + 1]):
            continue  # a header row
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def names(cell: str) -> list[str]:
    """The ``identifier`` names quoted in a table cell."""
    return re.findall(r"`([a-z_]+)`", cell)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def normalised(text: str) -> list[str]:
    """Lines without trailing blanks, with case ids replaced by ``<CASE>``."""
    return [CASE_ID.sub("<CASE>", line.rstrip()) for line in text.splitlines()]


def run_python_blocks(page: str) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.replace('-', '_')}"}
    for n, body in enumerate(fences(page, "python"), start=1):
        exec(compile(body, f"docs/{page}.md, python block {n}", "exec"), namespace)


@pytest.fixture
def docs_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no shouhu settings from the environment."""
    for key in list(os.environ):
        if key.startswith("SHOUHU_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- every page -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_fenced_block_is_of_a_kind_the_tests_run(page: str) -> None:
    """A page holds only blocks that this module runs or checks, each with a language."""
    kinds = {m.group(1) for m in FENCE.finditer(page_text(page))}
    assert kinds, f"{page}.md has no examples"
    assert kinds <= ALLOWED_FENCES[page], (
        f"{page}.md: unexpected blocks {kinds - ALLOWED_FENCES[page]}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_links_between_pages_lead_to_files_and_headings_that_exist(page: str) -> None:
    """Every relative link names an existing file and, for these pages, an existing heading."""
    for target in LINK.findall(page_text(page)):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        file = (DOCS / path) if path else DOCS / f"{page}.md"
        assert file.is_file(), f"{page}.md links to missing {target}"
        if anchor and file.stem in PAGES and file.parent == DOCS:
            headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, f"{page}.md: no heading #{anchor}"


# --- index.md ---------------------------------------------------------------------------------


def test_index_links_every_page_and_every_workflow_page() -> None:
    """The index links the three guides and one page per report type."""
    links = set(LINK.findall(page_text("index")))
    for page in ("concepts", "operator-guide", "library-guide"):
        assert f"{page}.md" in links
    for type_ in workflows.types():
        assert f"workflows/{type_}.md" in links


def test_index_exit_codes_are_the_ones_the_errors_carry() -> None:
    """The exit-code table gives each library exception the code the CLI exits with."""
    classes = {
        c.__name__: c
        for c in (
            InvalidInput,
            NotFound,
            TransitionRefused,
            Conflict,
            StoreUnavailable,
            NotAuthenticated,
        )
    }
    codes = set()
    for row in table_rows(section("index", "## Exit codes")):
        code = int(row[0])
        codes.add(code)
        for name in re.findall(r"`([A-Za-z]+)`", row[-1]):
            if name in classes:
                assert classes[name].exit_code == code, f"{name} is not exit {code}"
    assert codes == {0, 2, 3, 4, 5, 6}
    assert all(issubclass(c, ShouhuError) for c in classes.values())


def test_index_commands_are_make_targets() -> None:
    """``make demo`` and ``make test`` are targets of the Makefile."""
    (block,) = fences("index", "bash")
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    for command in commands:
        dry = subprocess.run(
            [*command.split(), "-n"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert dry.returncode == 0, dry.stderr


def test_make_demo_recipe_files_reports_of_all_six_types(tmp_path: Path) -> None:
    """What ``make demo`` runs files cases of every type into the database it is given."""
    db = tmp_path / "demo.db"
    dry = subprocess.run(
        ["make", "-n", "demo", f"DEMO_DB={db}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (recipe,) = [line for line in dry.stdout.splitlines() if "shouhu.demo" in line]
    demo = subprocess.run(
        ["bash", "-c", recipe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert demo.returncode == 0, demo.stderr
    auditor = tmp_path / "demo-credentials" / "auditor.json"  # reads need an operator's
    command = ["--db", f"sqlite:///{db}", "--as", str(auditor), "case", "list", "--json"]
    listed = subprocess.run(
        [sys.executable, "-m", "shouhu", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(workflows.types()) <= set(re.findall(r'"type": "(\w+)"', listed.stdout))


# --- concepts.md ------------------------------------------------------------------------------


def test_concepts_examples_run_and_the_hash_chain_recomputes(docs_sandbox: Path) -> None:
    """The concepts page's Python blocks run: the chain recomputes with hashlib and json."""
    run_python_blocks("concepts")
    assert (docs_sandbox / "concepts.db").is_file()


def test_concepts_lists_exactly_the_hashed_fields() -> None:
    """The field list of the canonical form is the engine's, in its order."""
    listed = next(b for b in fences("concepts", "text") if b.startswith("case_id"))
    assert tuple(re.findall(r"[a-z_]+", listed)) == HASHED_FIELDS


def test_concepts_refusal_lines_are_what_the_engine_says() -> None:
    """The three refusals shown in concepts are the engine's messages for state, role, guard."""
    from shouhu import Engine

    engine = Engine.in_memory()
    police = {"name": "王警官", "role": "police"}
    case = engine.report(
        "solo_living",
        child={"name": "李小明", "birthdate": "2015-06-01"},
        location="石桥村, 桂花镇",
        reporter={"kind": "school", "name": "桂花镇中心小学"},
    )
    said = []

    def refused(trigger: str, actor: dict[str, str]) -> None:
        with pytest.raises(TransitionRefused) as info:
            engine.fire(case.id, trigger, actor=actor)
        said.append(f"shouhu: error: {info.value}")

    refused("close", {"name": "张敏", "role": "township"})
    engine.fire(case.id, "dispatch", actor=police)
    refused("complete_emergency", police)
    for measure in ("order_parents_return", "parents_returned", "admonish_parents"):
        engine.fire(case.id, measure, actor=police)
    engine.fire(case.id, "complete_emergency", actor=police)
    engine.fire(case.id, "notify_township", actor=police)
    refused("start_assessment", police)
    shown = [x for block in fences("concepts", "text") for x in block.splitlines()]
    assert all(line in shown for line in said), said


def test_concepts_state_table_is_the_spine() -> None:
    """The state table lists the spine's states, in order, with their Chinese labels."""
    rows = table_rows(section("concepts", "## States, triggers and the spine"))
    documented = [(names(row[0])[0], row[1]) for row in rows if names(row[0])]
    assert documented == [(s.name, s.zh) for s in STATES]


def test_concepts_guard_table_is_the_definitions_guards() -> None:
    """The guard table names every guard of the six workflows with its citation."""
    defined = {
        g.name: g.citation
        for type_ in workflows.types()
        for t in workflows.latest(type_).transitions
        for g in t.guards
    }
    rows = table_rows(section("concepts", "## Rules and refusals: state, role, guard"))
    documented = {names(row[0])[0]: row[-1] for row in rows if names(row[0])}
    assert documented == defined


def test_concepts_role_table_is_the_vocabulary() -> None:
    """The role table lists every role with its Chinese name."""
    rows = table_rows(section("concepts", "## Roles (角色)"))
    assert {names(row[0])[0]: row[1] for row in rows} == ROLES


# --- library-guide.md -------------------------------------------------------------------------


def test_library_guide_examples_run_in_order(docs_sandbox: Path) -> None:
    """The library guide's Python blocks run as one program and write cases.db where they run."""
    run_python_blocks("library-guide")
    assert (docs_sandbox / "cases.db").is_file()
    assert not (docs_sandbox / "no").exists()


# --- operator-guide.md ------------------------------------------------------------------------


@dataclass(frozen=True)
class GuideRun:
    run: ScriptRun
    steps: list[Step]
    outputs: list[str]

    @property
    def returncode(self) -> int:
        return self.run.returncode

    @property
    def output(self) -> str:
        return self.run.output

    @property
    def cwd(self) -> Path:
        return self.run.cwd


@pytest.fixture(scope="module")
def operator_run(tmp_path_factory: pytest.TempPathFactory) -> GuideRun:
    """The operator guide's bash blocks, run once as one script in an empty directory, with
    what each block printed."""
    cwd = tmp_path_factory.mktemp("operator-guide")
    return GuideRun(*run_page("operator-guide.md", cwd))


#: Lines the operator guide shows as output that a real run must print (case ids aside).
KEY_LINES = {
    "report-id": "case: <CASE>",
    "dispatch": "<CASE>: dispatch — reported → dispatched 已出警 / Police dispatched (version 2)",
    "guard-refusal": (
        "shouhu: error: refused by rule guard child_in_care (001 §四(三)2): the child is not yet "
        "in anyone's care: record parents_returned or designate_entrusted_guardian, or — if "
        "the parents cannot be reached — place_in_temporary_care"
    ),
    "exit-3": "exit code 3",
    "duplicate-refusal": (
        "shouhu: error: refused by rule duplicate (001 §四(三)1; duplicate_window PT24H, a "
        "local rule of the policy pack): the same child has an open solo_living report, case "
        "<CASE>, made within PT24H of this one — a probable duplicate; add to that case; if "
        "this is a new situation, file it with new_case=True (CLI: --new-case)"
    ),
    "measure": (
        "<CASE>: designate_entrusted_guardian — dispatched → dispatched 已出警 / Police "
        "dispatched (version 5)"
    ),
    "version-seen": "version seen: 5",
    "complete-emergency": (
        "<CASE>: complete_emergency — dispatched → emergency_handled 应急处置完成 / Emergency "
        "handled (version 6)"
    ),
    "conflict": (
        "shouhu: error: case <CASE> is at version 6, not 5: someone else wrote first; look "
        "again and retry"
    ),
    "exit-4": "exit code 4",
    "role-refusal": (
        "shouhu: error: refused by rule role (001 §四(三)3): start_assessment is for township, "
        "not police"
    ),
    "close": "<CASE>: close — assisting → closed 已结案 / Closed (version 11)",
    "show-state": "state      closed 已结案 / Closed — outcome resolved",
    "show-identity": "child      identity withheld (--include-identity to show)",
    "show-delay": "reported   2026-03-02 09:00 (discovered 2026-03-02 08:30, delay 0h30m)",
    "json": "closed resolved withheld 11",
    "list-json": '    "state": "reported",',
}


@pytest.mark.slow
def test_operator_guide_script_runs_to_the_end(operator_run: GuideRun) -> None:
    """The whole operator guide runs as one script under ``bash -euo pipefail``."""
    assert operator_run.returncode == 0, operator_run.output[-3000:]


@pytest.mark.slow
def test_operator_guide_output_blocks_are_what_each_command_block_prints(
    operator_run: GuideRun,
) -> None:
    """Each ``text`` block right after a ``bash`` block is, whole and line for line, what that
    block prints (ids, hashes and keys normalised; ``…`` lines stand for lines left out).
    To rewrite them: ``python -m tests.docs.pagekit --update docs/operator-guide.md``."""
    shown = [step for step in operator_run.steps if step.shown is not None]
    assert len(shown) >= 15
    problems = step_mismatches(operator_run.steps, operator_run.outputs)
    assert not problems, "\n\n".join(problems)


def test_operator_guide_shows_no_output_that_is_not_compared() -> None:
    """A plain ``text`` block follows a ``bash`` block (it is that block's output); one that
    only illustrates says so (```` ```text illustration ````)."""
    assert output_blocks_unattached(page_text("operator-guide")) == []


def test_an_output_block_that_no_longer_matches_is_reported_line_for_line() -> None:
    """The comparison fails on a changed line, a missing line and an extra line, and a gap
    line ``…`` matches any lines, none included."""
    from pagekit import mismatch

    printed = "case: 01M8998TM2SHA6BF\nversion 2\nshouhu: created database $PWD/x.db\n"
    assert (
        mismatch("case: 01M95ZAM5J66GVBV\nversion 2\nshouhu: created database $PWD/x.db", printed)
        is None
    )
    assert mismatch("case: <CASE>\nversion 3\nshouhu: created database $PWD/x.db", printed)
    assert mismatch("case: <CASE>\nversion 2", printed)
    assert mismatch("case: <CASE>\nversion 2\nshouhu: created database $PWD/x.db\nmore", printed)
    assert mismatch("case: <CASE>\n… (the rest)", printed) is None
    assert mismatch("case: <CASE>\n…\nversion 2\n…", printed) is None
    assert mismatch("…\nversion 9", printed)


@pytest.mark.slow
@pytest.mark.parametrize("line", list(KEY_LINES.values()), ids=list(KEY_LINES))
def test_operator_guide_shows_output_that_a_real_run_prints(
    operator_run: GuideRun, line: str
) -> None:
    """Each key line of output shown in the guide is printed by the commands it follows."""
    shown = [x for block in fences("operator-guide", "text") for x in normalised(block)]
    assert line in shown, f"the guide does not show {line!r}"
    assert line in normalised(operator_run.output), f"a real run does not print {line!r}"


@pytest.mark.slow
def test_operator_guide_keeps_its_database_private_in_the_working_directory(
    operator_run: GuideRun,
) -> None:
    """The training database is created where the guide says, readable by its owner only."""
    db = operator_run.cwd / "training.db"
    assert db.is_file()
    assert db.stat().st_mode & 0o777 == 0o600
    assert not (operator_run.cwd / "xdg").exists()


def test_operator_guide_cheat_sheet_matches_the_workflow_definitions() -> None:
    """Who fires what, per role and type, is exactly what the six definitions allow."""
    sheet = section("operator-guide", "## Who fires what: a cheat sheet by role")
    common = {
        names(row[0])[0]: set(names(row[2]))
        for row in table_rows(section_of(sheet, "### On every report type"))
    }
    measures_text = section_of(sheet, "### Emergency measures by report type")
    header = next(line for line in measures_text.splitlines() if line.startswith("| type"))
    measure_roles = names(header)
    measures = {
        names(row[0])[0]: {
            role: set(names(cell)) for role, cell in zip(measure_roles, row[1:], strict=True)
        }
        for row in table_rows(measures_text)
    }
    assert set(measures) == set(workflows.types())
    assert "auditor" not in common
    assert "system" not in common
    for type_ in workflows.types():
        wf = workflows.latest(type_)
        kinds = {t.trigger: t.kind for t in wf.transitions}
        for role in ROLES:
            if role in {"auditor", "system"}:
                continue
            expected = {t.trigger for t in wf.transitions if t.kind != "system" and role in t.roles}
            if role == "reporter":
                expected.add("report")
            on_sheet = common.get(role, set()) | measures[type_].get(role, set())
            assert on_sheet == expected, f"{type_}, {role}: sheet {on_sheet} != {expected}"
            assert all(kinds[t] == "measure" for t in measures[type_].get(role, set()))
            assert not any(kinds.get(t) == "measure" for t in common.get(role, set()))


def section_of(text: str, heading: str) -> str:
    """The part of ``text`` under ``heading``, up to the next heading."""
    rest = text[text.index(heading) + len(heading) :]
    end = re.search(r"^#+ ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest
