"""docs/deadlines.md says what the code does: its tables are the default pack and the Civil Code
arithmetic, its example pack loads, and its shell examples run.

The ``bash`` blocks run in order as one script under ``bash -euo pipefail`` with the virtualenv's
``shouhu`` first on ``PATH``, an empty working directory and a fresh SQLite database; the
example pack (the ``toml`` block) is saved there as ``xianning.toml`` first, as the page says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from pagekit import (
    DOCS,
    FENCE,
    GAP,
    LINK,
    ScriptRun,
    Step,
    normalised,
    quoted,
    run_page,
    step_mismatches,
    table_rows,
)

from shouhu.engine.periods import add_period
from shouhu.engine.policy import default_pack, describe, parse_pack
from shouhu.errors import InvalidInput

PAGE = DOCS / "deadlines.md"


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text()) if m.group(1) == lang]


def section(heading: str) -> str:
    """The text under ``## heading`` up to the next ``## ``."""
    body = text()
    start = body.index(f"\n## {heading}\n") + len(heading) + 5
    end = body.find("\n## ", start)
    return body[start:] if end < 0 else body[start:end]


# --- the page ---------------------------------------------------------------------------------


def test_the_page_holds_only_blocks_the_tests_run_or_check() -> None:
    """bash (run), text (compared with a real run) and toml (loaded): nothing else."""
    kinds = {m.group(1) for m in FENCE.finditer(text())}
    assert kinds == {"bash", "text", "toml"}


def test_the_index_links_the_page_and_its_links_lead_somewhere() -> None:
    """docs/index.md links deadlines.md; every relative link of the page names a file."""
    assert "deadlines.md" in LINK.findall((DOCS / "index.md").read_text(encoding="utf-8"))
    for target in LINK.findall(text()):
        if "://" not in target:
            assert (DOCS / target.partition("#")[0]).is_file(), target


def test_the_default_pack_table_is_the_default_pack() -> None:
    """Every row of the table is a rule of default_pack(), in order, with every column."""
    rows = table_rows(section("The default pack"))
    documented = [
        {
            "kind": quoted(r[0])[0],
            "type": r[1],
            "starts_on": quoted(r[2]),
            "met_by": quoted(r[3]),
            "cancelled_by": quoted(r[4]),
            "period": quoted(r[5])[0],
            "basis": r[6],
            "citation": r[7],
        }
        for r in rows
    ]
    assert documented == describe(default_pack())
    assert default_pack().id in text()


def test_the_worked_examples_are_what_add_period_computes() -> None:
    """Each (counted from, period, runs out) row is add_period's answer, to the second."""
    rows = table_rows(section("How periods are counted"))
    assert len(rows) >= 6
    for row in rows:
        start_text, period, expected = (quoted(c)[0] for c in row[:3])
        start: date | datetime = (
            date.fromisoformat(start_text)
            if len(start_text) == 10
            else datetime.fromisoformat(start_text)
        )
        got = add_period(start, period, "Asia/Shanghai")
        assert got == datetime.fromisoformat(expected), row
        assert got.isoformat() == expected, row
    examples = {(quoted(r[0])[0], quoted(r[2])[0]) for r in rows}
    assert {
        ("2025-08-31", "2026-03-01T00:00:00+08:00"),
        ("2025-06-15", "2025-12-16T00:00:00+08:00"),
        ("2026-01-15", "2026-07-16T00:00:00+08:00"),
        ("2010-03-15", "2026-03-16T00:00:00+08:00"),
    } <= examples


def test_the_page_says_plainly_where_the_holiday_extension_is_applied_and_where_not() -> None:
    """Art. 203's extension past public holidays: applied under the default 2026.2, not under
    2026.1."""
    part = section("How periods are counted")
    assert "**Applied since `cn-national-default@2026.2`:**" in part
    assert "**not applied**" in part
    assert "public holiday" in part
    for article in ("Arts. 200–204", "Art. 1259", "Art. 201", "Art. 202", "Art. 203"):
        assert article in part


def test_the_example_city_pack_loads_and_keeps_the_law() -> None:
    """The toml block is a complete pack: the default's deadlines, law rows unchanged."""
    (block,) = fences("toml")
    pack = parse_pack(block, "xianning.toml")
    national = default_pack()
    assert pack.id == "hubei-xianning@2026.1"  # the city's own version
    assert [r.name for r in pack.rules] == [r.name for r in national.rules]
    for rule in national.rules:
        if rule.basis == "law":
            assert pack.rule(rule.name) == rule
    assert str(pack.rule("dispatch").period) == "PT30M"
    assert str(pack.rule("township_notice").period) == "PT12H"


def test_the_refused_pack_line_is_what_loading_it_says() -> None:
    """PT1.5H under [deadlines.dispatch] of the example pack: the error line the page shows."""
    (block,) = fences("toml")
    broken = block.replace('period = "PT30M"', 'period = "PT1.5H"', 1)
    with pytest.raises(InvalidInput) as bad:
        parse_pack(broken, "xianning.toml")
    shown = [line for b in fences("text") for line in normalised(b)]
    assert f"shouhu: error: {bad.value}" in shown


def test_the_example_city_pack_extends_the_default_and_gives_only_its_changes() -> None:
    """The toml block is short: it extends the shipped pack by its id, and every deadline it
    does not name is the default's."""
    (block,) = fences("toml")
    pack = parse_pack(block, "xianning.toml")
    national = default_pack()
    assert pack.extends == national.id
    assert len(block.splitlines()) <= 20
    changed = {"dispatch", "township_notice", "screening_visit"}
    for rule in national.rules:
        if rule.name not in changed:
            assert pack.rule(rule.name) == rule
    assert str(pack.rule("screening_visit").period) == "P15D"
    assert parse_pack(pack.to_toml(), "effective.toml") == pack


def test_the_refused_extends_line_is_what_loading_it_says() -> None:
    """extends naming the default without its version: the error line the page shows."""
    (block,) = fences("toml")
    broken = block.replace(f'extends = "{default_pack().id}"', 'extends = "cn-national-default"')
    assert broken != block
    with pytest.raises(InvalidInput) as bad:
        parse_pack(broken, "xianning.toml")
    shown = [line for b in fences("text") for line in normalised(b)]
    assert f"shouhu: error: {bad.value}" in shown


# --- the shell examples -----------------------------------------------------------------------


@dataclass(frozen=True)
class PageRun:
    run: ScriptRun
    steps: list[Step]
    outputs: list[str]


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> PageRun:
    """The page's bash blocks, run once as one script (the example pack saved beside it),
    with what each block printed."""
    cwd = tmp_path_factory.mktemp("deadlines-page")
    return PageRun(*run_page("deadlines.md", cwd))


@pytest.fixture(scope="module")
def page_run(walk: PageRun) -> ScriptRun:
    return walk.run


@pytest.mark.slow
def test_the_shell_examples_run_to_the_end(page_run: ScriptRun) -> None:
    """Every bash block, in order, under bash -euo pipefail: exit 0."""
    assert page_run.returncode == 0, page_run.output[-3000:]


@pytest.mark.slow
def test_the_output_shown_is_what_a_real_run_prints(page_run: ScriptRun) -> None:
    """Each line of the sweeps and the refusal shown on the page is printed by the script."""
    printed = normalised(page_run.output)
    shown = [line for block in fences("text") for line in normalised(block)]
    pack_errors = [line for line in shown if "shouhu: error: policy" in line]
    for line in shown:
        if line in pack_errors or GAP.match(line):
            continue
        assert line in printed, f"a real run does not print {line!r}"


@pytest.mark.slow
def test_each_output_block_is_what_the_block_before_it_prints(walk: PageRun) -> None:
    """A ``text`` block right after a ``bash`` block is, whole and line for line, what that
    block prints (``…`` lines stand for lines left out). To rewrite them:
    ``python -m tests.docs.pagekit --update docs/deadlines.md``."""
    assert any(step.shown is not None for step in walk.steps)
    problems = step_mismatches(walk.steps, walk.outputs)
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_the_walk_through_records_what_the_page_says(page_run: ScriptRun) -> None:
    """Dispatch 40 min late stays missed; the city's dispatch is due 09:30 and caught up."""
    out = page_run.output
    assert '"met_at": "2026-03-02T10:40:00+08:00"' in out
    assert '"late_seconds": 2400' in out
    assert '"due_at": "2026-03-03T09:30:00+08:00"' in out
    assert '"policy_version": "hubei-xianning@2026.1"' in out
    assert '"id": "hubei-xianning@2026.1"' in out
    national = (page_run.cwd / "national.toml").read_text(encoding="utf-8")
    assert national == default_pack().text
    from shouhu import Engine

    with Engine.open(f"sqlite:///{page_run.cwd / 'shouhu.db'}") as engine:
        rows = list(engine.deadlines())
        assert [r for r in rows if r["status"] == "pending"] == []
        city = [r for r in rows if r["due_at"] == "2026-03-03T09:30:00+08:00"]
        assert [(r["kind"], r["status"]) for r in city] == [("dispatch", "missed")]
        states = sorted(c.state for c in engine.cases())
    assert states == ["dispatched", "petitioned", "reported"]


def test_the_rest_day_examples_are_what_a_duty_under_the_2026_2_pack_computes() -> None:
    """Each (started, period, …, runs out) row of the Art. 203 table, to the second."""
    from dataclasses import replace

    from shouhu.engine.periods import parse_period
    from shouhu.engine.policy import parse_pack, shipped_packs

    pack = parse_pack(shipped_packs()["cn-national-default@2026.2"])
    rows = table_rows(section("Rest days: Art. 203 (`cn-national-default@2026.2`)"))
    assert len(rows) >= 4
    for row in rows:
        start, period, expected = quoted(row[0])[0], quoted(row[1])[0], quoted(row[4])[0]
        rule = replace(pack.rule("assessment"), period=parse_period(period))
        end, _ = rule.due_under(date.fromisoformat(start), "Asia/Shanghai", pack.calendar)
        assert end.isoformat() == expected, row
