"""What the page tests share: reading a page's fenced blocks and tables, and running its shell
walk-through as one script the way a reader would (``bash -euo pipefail``, the virtualenv's
``shouhu`` first on ``PATH``, an empty directory, no ``SHOUHU_*`` settings from outside).

Shown output is a ``text`` block directly after a ``bash`` block (nothing but blank lines
between): it is that block's output, compared whole, line for line, with what the block prints
when the page's blocks run in order (:func:`run_steps`, :func:`mismatch`), ids, times, keys,
signatures and digests normalised. A line of only ``…`` (optionally ``… words``) in an output
block stands for any number of lines left out. A block that only illustrates says so in its
info string, `````text illustration``, and is not compared. To rewrite a page's output blocks from a
real run::

    python -m tests.docs.pagekit --update docs/operator-guide.md
    python -m tests.docs.pagekit --update          # every page of PAGES

(a block that still matches is left as written, so its ids and elisions stay).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CASE_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{16}(?![0-9A-Z])")
#: An operator's id (a ULID: 26 Crockford base-32 characters), different on every run.
OPERATOR_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{26}(?![0-9A-Z])")
#: What differs on every run besides ids: keys, signatures, tree roots and their times.
VOLATILE = (
    (re.compile(r"root=[0-9a-f]{64}"), "root=<ROOT>"),
    (re.compile(r"sig=[A-Za-z0-9+/=]+"), "sig=<SIG>"),
    (re.compile(r"at=\d{4}-\d\d-\d\dT[\d:.]+Z"), "at=<TIME>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|\+00:00)"), "<TIME>"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"), "<SHA256>"),
    (re.compile(r"^(python\s+)\d+\.\d+\.\d+\S*$"), r"\1<VERSION>"),
)
#: A line of an output block standing for lines left out.
GAP = re.compile(r"^\s*…(?:\s.*)?$")
#: Printed between two steps' output by the script :func:`run_steps` writes.
MARK = "@@shouhu-docs-step@@"
LINK = re.compile(r"\]\(([^)\s]+)\)")
RULE = re.compile(r"\|[-| :]+\|")


def table_rows(part: str) -> list[list[str]]:
    """Body rows of the Markdown tables in ``part`` (header and rule lines dropped)."""
    lines = [ln.strip() for ln in part.splitlines()]
    rows = []
    for i, line in enumerate(lines):
        if not line.startswith("|") or RULE.fullmatch(line):
            continue
        if i + 1 < len(lines) and RULE.fullmatch(lines[i + 1]):
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def quoted(cell: str) -> list[str]:
    """The ``code`` names in a cell (``—`` for none)."""
    return re.findall(r"`([^`]+)`", cell)


def normalised(block: str) -> list[str]:
    """The non-blank lines of ``block``, right-stripped, case ids replaced by ``<CASE>``,
    operator ids by ``<OPERATOR>``, and a tree head's root, signature and time by
    placeholders."""
    out = []
    for line in block.splitlines():
        if not line.strip():
            continue
        line = OPERATOR_ID.sub("<OPERATOR>", CASE_ID.sub("<CASE>", line.rstrip()))
        for pattern, placeholder in VOLATILE:
            line = pattern.sub(placeholder, line)
        out.append(line)
    return out


@dataclass(frozen=True)
class ScriptRun:
    returncode: int
    output: str
    cwd: Path


def run_script(cwd: Path, name: str, blocks: list[str], env: Mapping[str, str]) -> ScriptRun:
    """``blocks`` joined into ``cwd/name`` and run there, stdout and stderr together; the
    directory's path in the output is written ``$PWD``, as a page shows it."""
    script = cwd / name
    script.write_text("\n".join(blocks), encoding="utf-8")
    # a reader of an English page, whatever this machine's locale (a page may say otherwise)
    locale_vars = ("LC_ALL", "LC_MESSAGES", "LANG")
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_") and k not in locale_vars
    }
    clean.update(
        LANG="C.UTF-8",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}",
        XDG_DATA_HOME=str(cwd / "xdg"),
        COLUMNS="200",
    )
    clean.update(env)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", str(script)],
        cwd=cwd,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout.replace(str(cwd.resolve()), "$PWD").replace(str(cwd), "$PWD")
    return ScriptRun(done.returncode, output, cwd)


# --- output blocks: each bash block's shown output, compared whole ------------------------------


@dataclass(frozen=True)
class Step:
    """A ``bash`` block of a page and the ``text`` block that shows its output (if any).

    ``shown`` is the output block's body (``None``: the page shows no output for this block);
    ``span`` is where that body sits in the page's text, for the updater."""

    number: int
    script: str
    shown: str | None = None
    span: tuple[int, int] | None = None


def steps(text: str) -> list[Step]:
    """The page's ``bash`` blocks in order, each with the ``text`` block directly after it."""
    found: list[Step] = []
    matches = list(FENCE.finditer(text))
    for i, m in enumerate(matches):
        if m.group(1) != "bash":
            continue
        after = matches[i + 1] if i + 1 < len(matches) else None
        if (
            after is not None
            and _info(after) == "text"
            and not text[m.end() : after.start()].strip()
        ):
            found.append(Step(len(found) + 1, m.group(2), after.group(2), after.span(2)))
        else:
            found.append(Step(len(found) + 1, m.group(2)))
    return found


def _info(fence: re.Match[str]) -> str:
    """A fenced block's whole info string (``text``, ``text illustration``, …)."""
    return fence.group(0).split("\n", 1)[0].removeprefix("```").strip()


def output_blocks_unattached(text: str) -> list[str]:
    """Plain ``text`` blocks that follow no ``bash`` block: output shown but never compared
    (an illustration must say so: `````text illustration``)."""
    attached = {s.span for s in steps(text) if s.span is not None}
    return [
        m.group(2) for m in FENCE.finditer(text) if _info(m) == "text" and m.span(2) not in attached
    ]


def run_steps(
    cwd: Path, name: str, page_steps: list[Step], env: Mapping[str, str]
) -> tuple[ScriptRun, list[str]]:
    """The steps run in order as one script (see :func:`run_script`), and what each printed."""
    marked = []
    for step in page_steps:
        marked += [step.script, f"printf '\\n%s\\n' '{MARK}'"]
    run = run_script(cwd, name, marked, env)
    parts = run.output.split(f"\n{MARK}\n")
    return run, parts


def mismatch(shown: str, printed: str) -> str | None:
    """Why ``printed`` is not what ``shown`` shows (normalised, line for line; a gap line of
    ``shown`` matches any lines), or ``None`` when it is."""
    want, got = normalised(shown), normalised(printed)
    if _matches(want, got):
        return None
    import difflib

    diff = difflib.unified_diff(want, got, "shown", "printed", lineterm="", n=1)
    return "\n".join(diff)


def _matches(want: list[str], got: list[str]) -> bool:
    if not want:
        return not got
    if GAP.match(want[0]):
        return any(_matches(want[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and want[0] == got[0] and _matches(want[1:], got[1:])


@dataclass(frozen=True)
class PageSpec:
    """How a page's walk-through runs: extra environment, and files written first."""

    env: Callable[[Path], dict[str, str]] = field(default=lambda cwd: {})
    setup: Callable[[Path, str], None] = field(default=lambda cwd, text: None)


def _deadlines_setup(cwd: Path, text: str) -> None:
    (toml,) = [m.group(2) for m in FENCE.finditer(text) if m.group(1) == "toml"]
    (cwd / "xianning.toml").write_text(toml, encoding="utf-8")


def _db(cwd: Path) -> str:
    return f"sqlite:///{cwd / 'shouhu.db'}"


#: The operator guides' tables are shown as wide as the page says.
_GUIDE = {"COLUMNS": "130"}

#: The pages whose output blocks are compared, and how each runs.
PAGES: dict[str, PageSpec] = {
    "operator-guide.md": PageSpec(env=lambda cwd: {**_GUIDE, "SHOUHU_DB": _db(cwd)}),
    "zh/operator-guide.md": PageSpec(
        env=lambda cwd: {**_GUIDE, "SHOUHU_DB": _db(cwd), "SHOUHU_LANG": "zh_CN"}
    ),
    "audit.md": PageSpec(),
    "deadlines.md": PageSpec(env=lambda cwd: {"SHOUHU_DB": _db(cwd)}, setup=_deadlines_setup),
}


def run_page(page: str, cwd: Path) -> tuple[ScriptRun, list[Step], list[str]]:
    """The page's bash blocks run in ``cwd`` as its spec says: the run, the steps, each
    step's output."""
    spec = PAGES[page]
    text = (DOCS / page).read_text(encoding="utf-8")
    spec.setup(cwd, text)
    page_steps = steps(text)
    run, parts = run_steps(cwd, Path(page).stem + ".sh", page_steps, spec.env(cwd))
    return run, page_steps, parts


def step_mismatches(page_steps: list[Step], parts: list[str]) -> list[str]:
    """For each step whose output the page shows and the run does not print: why not."""
    problems = []
    for step in page_steps:
        if step.shown is None:
            continue
        printed = parts[step.number - 1] if step.number <= len(parts) else ""
        why = mismatch(step.shown, printed)
        if why is not None:
            problems.append(f"bash block {step.number}:\n{why}")
    return problems


def update(page: str) -> int:
    """Rewrite the output blocks of ``docs/<page>`` that a real run no longer matches."""
    import tempfile

    path = DOCS / page
    with tempfile.TemporaryDirectory() as tmp:
        run, page_steps, parts = run_page(page, Path(tmp))
    if run.returncode != 0:
        print(f"{page}: the script stopped (exit {run.returncode}):\n{run.output[-3000:]}")
        return 1
    text = path.read_text(encoding="utf-8")
    changed = 0
    for step in reversed(page_steps):
        if step.shown is None or step.span is None:
            continue
        printed = parts[step.number - 1].strip("\n")
        if mismatch(step.shown, printed) is None:
            continue
        body = "\n".join(elided(step.shown, printed.splitlines())) + "\n"
        start, end = step.span
        text = text[:start] + body + text[end:]
        changed += 1
    path.write_text(text, encoding="utf-8")
    print(f"{page}: {changed} output block(s) rewritten")
    return 0


def elided(shown: str, printed: list[str]) -> list[str]:
    """``printed`` as a block that still leaves out what ``shown`` left out, when it left
    out one run of lines: as many lines before the gap and after it as ``shown`` had."""
    lines = [line.rstrip() for line in printed]
    old = shown.rstrip("\n").splitlines()
    gaps = [i for i, line in enumerate(old) if GAP.match(line)]
    if len(gaps) != 1:
        return lines
    head, tail = gaps[0], len(old) - gaps[0] - 1
    if head + tail >= len(lines):
        return lines
    return [*lines[:head], old[head], *lines[len(lines) - tail :]]


def main(argv: list[str]) -> int:
    """``python -m tests.docs.pagekit --update docs/PAGE.md …``"""
    if not argv or argv[0] != "--update":
        print("usage: python -m tests.docs.pagekit --update [docs/PAGE.md …] (none: every page)")
        print("pages: " + ", ".join(f"docs/{p}" for p in PAGES))
        return 2
    status = 0
    for arg in argv[1:] or [str(DOCS / page) for page in PAGES]:
        page = Path(arg).resolve().relative_to(DOCS).as_posix()
        if page not in PAGES:
            print(f"{arg}: not a page whose outputs are compared ({', '.join(PAGES)})")
            return 2
        status = max(status, update(page))
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
