"""docs/intake.md says what the importer does: its example files import, with the output shown;
its tables are the importer's columns and the command's options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from intakekit import Intake, fail_on

from shouhu import Engine
from shouhu.adapters.importer import COLUMNS, OPTIONAL_COLUMNS
from shouhu.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def page() -> str:
    return (DOCS / "intake.md").read_text(encoding="utf-8")


def fences(lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(page()) if m.group(1) == lang]


def sessions(block: str) -> list[tuple[list[str], list[str]]]:
    """A ``text`` block of ``$ shouhu …`` commands, each with the output lines after it."""
    out: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((shlex.split(line[2:]), []))
        else:
            out[-1][1].append(line)
    return out


def section(heading: str) -> str:
    text = page()
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def fences_in(heading: str, lang: str) -> list[str]:
    """The ``lang`` blocks under ``heading`` (up to the next ``##`` heading)."""
    return [m.group(2) for m in FENCE.finditer(section(heading)) if m.group(1) == lang]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows[2:]]


@pytest.fixture
def intake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Intake:
    """The page's sessions run on a database that exists (the one every command uses): the
    command that creates one says so on stderr, which the page does not show."""
    monkeypatch.chdir(tmp_path)
    Engine.open(f"sqlite:///{tmp_path / 'cases.db'}").close()
    return Intake(tmp_path / "cases.db")


def run(intake: Intake, argv: list[str]) -> tuple[int, list[str]]:
    """A documented command: its exit code and what a terminal shows (stderr, then stdout)."""
    assert argv[0] == "shouhu", argv
    result = intake(*argv[1:])
    return result.exit_code, (result.stderr + result.stdout).splitlines()


def test_the_example_files_import_with_the_output_shown(intake: Intake, tmp_path: Path) -> None:
    """The CSV and JSON Lines examples import cleanly (exit 0), printing what the page says."""
    (tmp_path / "hotline.csv").write_text(fences("csv")[0], encoding="utf-8")
    (tmp_path / "hotline.jsonl").write_text(fences("jsonl")[0], encoding="utf-8")
    shown = sessions(fences("text")[0])
    assert [argv[-1] for argv, _ in shown] == ["hotline.csv", "hotline.jsonl"]
    for argv, expected in shown:
        code, lines = run(intake, argv)
        assert (code, lines) == (0, expected)
    assert intake.count("cases") == 6


def test_the_bad_rows_example_gives_the_refusals_shown(intake: Intake, tmp_path: Path) -> None:
    """The page's file of bad rows gives exactly the lines shown, and exit 2."""
    (tmp_path / "batch.csv").write_text(fences("csv")[1], encoding="utf-8")
    ((argv, expected),) = sessions(fences("text")[1])
    code, lines = run(intake, argv)
    assert lines == expected
    assert code == 2
    assert intake.count("cases") == 1


def test_the_broken_quote_example_gives_the_refusal_shown(intake: Intake, tmp_path: Path) -> None:
    """The page's file with a quote never closed gives exactly the lines shown, exit 2, and
    the row after the broken one is imported."""
    ((rows,), (block,)) = (
        fences_in("### A quote never closed", "csv"),
        fences_in("### A quote never closed", "text"),
    )
    (tmp_path / "quotes.csv").write_text(rows, encoding="utf-8")
    ((argv, expected),) = sessions(block)
    code, lines = run(intake, argv)
    assert lines == expected
    assert code == 2
    assert intake.count("cases") == 2


def test_the_column_table_is_the_importers_columns() -> None:
    """The columns table lists the required and optional columns the importer takes."""
    rows = table_rows(section("## The file"))
    names = [re.sub(r"`", "", r[0]) for r in rows]
    assert names == [*COLUMNS, *OPTIONAL_COLUMNS]
    assert [r[1] for r in rows] == ["yes"] * len(COLUMNS) + ["no"] * len(OPTIONAL_COLUMNS)


def test_the_options_table_is_the_commands_options() -> None:
    """Each option in the table is an option of ``import reports``, and none is left out."""
    command = typer.main.get_command(app).commands["import"].commands["reports"]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in p.opts if o.startswith("--")} - {"--help"}
    documented = {r[0].strip("`").split()[0] for r in table_rows(section("## Options"))}
    assert documented == options


def test_the_exit_codes_are_the_ones_the_command_uses(intake: Intake, tmp_path: Path) -> None:
    """The table lists 0, 2, 4 and 5, and the command gives each: all imported, a row refused,
    an ``--all-or-nothing`` import the store refuses while filing, a database that cannot be
    used."""
    codes = [int(r[0]) for r in table_rows(section("## Exit codes"))]
    assert codes == [0, 2, 4, 5]
    (tmp_path / "hotline.csv").write_text(fences("csv")[0], encoding="utf-8")
    (tmp_path / "batch.csv").write_text(fences("csv")[1], encoding="utf-8")
    (tmp_path / "hotline.jsonl").write_text(fences("jsonl")[0], encoding="utf-8")
    assert intake("import", "reports", "hotline.csv").exit_code == 0
    assert intake("import", "reports", "batch.csv").exit_code == 2
    fail_on(intake.db, "12345-0006", "refused")
    result = intake("import", "reports", "hotline.jsonl", "--all-or-nothing")
    assert result.exit_code == 4
    assert result.stderr.startswith("shouhu: error: ")
    unusable = Intake(tmp_path / "no-such-dir" / "cases.db")
    result = unusable("import", "reports", "hotline.csv")
    assert result.exit_code == 5
    assert result.stderr.startswith("shouhu: error: ")


def test_the_json_example_has_the_keys_the_command_prints(intake: Intake, tmp_path: Path) -> None:
    """The ``--json`` example shows the keys ``--json`` prints."""
    (block,) = fences_in("## Output", "text")
    shown = re.findall(r'^  "(\w+)":', block, re.MULTILINE)
    (tmp_path / "batch.csv").write_text(fences("csv")[1], encoding="utf-8")
    _, out = intake.imports(tmp_path / "batch.csv")
    assert shown == list(out)
    assert set(out["refused"][0]) == {"line", "external_id", "reason"}


def test_the_index_links_this_page() -> None:
    """docs/index.md links docs/intake.md."""
    assert "](intake.md)" in (DOCS / "index.md").read_text(encoding="utf-8")
