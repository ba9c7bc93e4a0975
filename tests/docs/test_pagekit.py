"""The docs tests' own kit: which blocks are a command's output, how a walk-through's output is
split per block, and how the updater keeps what a page leaves out."""

from __future__ import annotations

from pathlib import Path

from pagekit import elided, output_blocks_unattached, run_steps, steps

PAGE = """\
Intro.

```bash
echo one
```

```text
one
```

Prose between.

```bash
echo two >&2
```

Then some words.

```text
two
```

```bash
true
```
```text illustration
not run
```
"""


def test_a_text_block_right_after_a_bash_block_is_its_output_and_only_that() -> None:
    """Output is a plain text block with nothing but blank lines before it since a bash
    block; after prose it is not; an illustration never is."""
    found = steps(PAGE)
    assert [s.script for s in found] == ["echo one\n", "echo two >&2\n", "true\n"]
    assert [s.shown for s in found] == ["one\n", None, None]
    assert output_blocks_unattached(PAGE) == ["two\n"]


def test_each_blocks_output_is_split_from_one_run_in_order(tmp_path: Path) -> None:
    """One script, state kept between blocks; stderr in place; a silent block prints ''."""
    page = "```bash\nX=7\n```\n\n```bash\necho $X; echo err >&2\n```\n\n```bash\ntrue\n```\n"
    run, parts = run_steps(tmp_path, "kit.sh", steps(page), {})
    assert run.returncode == 0, run.output
    assert [p.strip() for p in parts[:3]] == ["", "7\nerr", ""]


def test_the_updater_keeps_a_single_gap_with_as_many_lines_around_it() -> None:
    """Lines before and after one ``…`` line stay as many as the page showed; several gaps,
    or too short an output, give the whole output."""
    printed = [f"line {n}" for n in range(10)]
    assert elided("line 0\n… (more)\nline 9\n", printed) == ["line 0", "… (more)", "line 9"]
    assert elided("a\nb\n…\n", printed) == ["line 0", "line 1", "…"]
    assert elided("a\n…\nb\n…\n", printed) == printed
    assert elided("a\nb\n…\nc\n", printed[:2]) == printed[:2]
