"""``docs/zh/operator-guide.md``: the operator guide in Chinese runs as written, in Chinese.

Its ``bash`` blocks run in order as one script (``bash -euo pipefail``, the virtualenv's
``shouhu`` first on ``PATH``, an empty directory) with ``SHOUHU_LANG=zh_CN``, and each
``text`` block right after a ``bash`` block is compared whole with what that block prints, as
for the English guide. It walks through the same commands as the English guide, and its
cheat sheet and exit codes are the English guide's. To rewrite its output blocks from a real
run (after the catalogs change)::

    python -m tests.docs.pagekit --update docs/zh/operator-guide.md
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pagekit import (
    DOCS,
    FENCE,
    LINK,
    ScriptRun,
    Step,
    output_blocks_unattached,
    run_page,
    step_mismatches,
    table_rows,
)

PAGE = DOCS / "zh" / "operator-guide.md"
ENGLISH = DOCS / "operator-guide.md"
#: What the English guide's output says where the Chinese one must say it in Chinese.
ENGLISH_WORDS = (
    "shouhu: error:",
    "refused by rule",
    "credential written to",
    "Filed case",
    "someone else wrote first",
    "Next for",
    "Timeline of",
    "identity withheld",
)


def text(path: Path = PAGE) -> str:
    return path.read_text(encoding="utf-8")


def fences(lang: str, path: Path = PAGE) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text(path)) if m.group(1) == lang]


def before(body: str, heading: str) -> str:
    return body[: body.index(f"\n{heading}\n")]


def between(body: str, start: str, end: str) -> str:
    return body[body.index(f"\n{start}\n") : body.index(f"\n{end}\n")]


def commands(body: str) -> list[str]:
    """The ``shouhu`` commands of the bash blocks in ``body``: the command and subcommand
    words, in order."""
    blocks = [m.group(2) for m in FENCE.finditer(body) if m.group(1) == "bash"]
    return re.findall(r"\bshouhu(?: [a-z][\w-]*)+", "\n".join(blocks))


@dataclass(frozen=True)
class GuideRun:
    run: ScriptRun
    steps: list[Step]
    outputs: list[str]


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory: pytest.TempPathFactory) -> GuideRun:
    """The Chinese guide's bash blocks, run once with SHOUHU_LANG=zh_CN."""
    cwd = tmp_path_factory.mktemp("zh-operator-guide")
    return GuideRun(*run_page("zh/operator-guide.md", cwd))


# --- the page ---------------------------------------------------------------------------------


def test_the_zh_guide_holds_bash_blocks_their_output_and_one_illustration() -> None:
    """Only bash and text blocks; every plain text block is the output of the bash block
    before it; the one illustration (Chinese input forms) says so."""
    kinds = {m.group(1) for m in FENCE.finditer(text())}
    assert kinds == {"bash", "text"}
    assert output_blocks_unattached(text()) == []
    infos = [m.group(0).split("\n", 1)[0] for m in FENCE.finditer(text())]
    assert infos.count("```text illustration") == 1


def test_the_zh_guide_walks_through_the_same_commands_as_the_english_one() -> None:
    """Sections 0–6 run the English guide's shouhu commands, in the same order."""
    zh = commands(before(text(), "## 中文输入"))
    en = commands(before(text(ENGLISH), "## Who fires what: a cheat sheet by role"))
    assert len(zh) >= 25
    assert zh == en


def test_the_zh_cheat_sheet_and_exit_codes_are_the_english_guides() -> None:
    """The cheat sheet's rows (kept equal to the definitions by test_examples) and the
    exit-code column are the English guide's."""
    zh_sheet = between(text(), "## 各角色可做的操作（速查表）", "## 出错时")
    en_sheet = between(
        text(ENGLISH), "## Who fires what: a cheat sheet by role", "## When something goes wrong"
    )
    assert table_rows(zh_sheet) == table_rows(en_sheet)
    zh_codes = [
        row[0] for row in table_rows(between(text(), "## 出错时", "## 升级 shouhu 之后的数据库"))
    ]
    en_codes = [
        row[0]
        for row in table_rows(
            between(
                text(ENGLISH),
                "## When something goes wrong",
                "## The database after an upgrade of shouhu",
            )
        )
    ]
    assert zh_codes == en_codes == ["0", "2", "3", "4", "5", "6"]


def test_the_zh_guide_links_lead_to_files_that_exist_and_the_index_links_it() -> None:
    """Every relative link of the page names a file; docs/index.md and docs/zh/README.md link
    the page; the page links the English guide."""
    for target in LINK.findall(text()):
        if "://" in target or target.startswith("#"):
            continue
        path = target.partition("#")[0]
        assert (PAGE.parent / path).is_file(), f"zh/operator-guide.md links to missing {target}"
    assert "zh/operator-guide.md" in LINK.findall(text(DOCS / "index.md"))
    assert "operator-guide.md" in LINK.findall(text(DOCS / "zh" / "README.md"))
    assert "../operator-guide.md" in LINK.findall(text())


def test_the_zh_guide_anchors_name_headings_of_the_page() -> None:
    """A link to ``#…`` on the page names one of its headings (GitHub's anchors)."""
    headings = re.findall(r"^#+ (.+)$", text(), re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    for target in LINK.findall(text()):
        if target.startswith("#"):
            assert target[1:] in anchors, target


# --- the walk-through -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_zh_guide_runs_to_the_end(zh_run: GuideRun) -> None:
    """The whole Chinese guide runs as one script under ``bash -euo pipefail``."""
    assert zh_run.run.returncode == 0, zh_run.run.output[-3000:]
    assert (zh_run.run.cwd / "training.db").is_file()


@pytest.mark.slow
def test_the_zh_guide_output_blocks_are_what_each_command_block_prints(zh_run: GuideRun) -> None:
    """Each output block is, whole and line for line, what its bash block prints under
    SHOUHU_LANG=zh_CN (ids and hashes normalised)."""
    assert sum(step.shown is not None for step in zh_run.steps) >= 15
    problems = step_mismatches(zh_run.steps, zh_run.outputs)
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_the_zh_walk_through_prints_chinese_not_english(zh_run: GuideRun) -> None:
    """Under SHOUHU_LANG=zh_CN the refusals, the filing lines, the tables' titles and the
    withheld identity are Chinese: none of the English guide's wording is printed, and none
    is shown on the page (passes once the catalogs hold every message's Chinese, and the
    page's output blocks are regenerated)."""
    shown = "\n".join(fences("text"))
    for words in ENGLISH_WORDS:
        assert words not in zh_run.run.output, words
        assert words not in shown, words
