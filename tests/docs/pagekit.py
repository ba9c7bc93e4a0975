"""What the page tests share: reading a page's fenced blocks and tables, and running its shell
walk-through as one script the way a reader would (``bash -euo pipefail``, the virtualenv's
``shouhu`` first on ``PATH``, an empty directory, no ``SHOUHU_*`` settings from outside)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
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
)
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
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    clean.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}",
        XDG_DATA_HOME=str(cwd / "xdg"),
        COLUMNS="200",
        **env,
    )
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
