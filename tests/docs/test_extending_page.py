"""docs/extending.md runs as written: an embedder's seventh type (控辍保学), in a package of its
own, is filed, fired, swept, replayed and verified through the library and the command line,
and shouhu's own tree is not touched to do it.

The page's ``file=`` blocks are written into an empty directory (with an empty
``county_edu/__init__.py``), its Python block runs there as a program in a fresh interpreter,
then its shell walk-through runs as one script (``bash -euo pipefail``, the virtualenv's
``shouhu`` first on ``PATH``); each prints what the page's ``text`` block after it shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pagekit import DOCS, normalised, run_script

import shouhu
from shouhu import workflows

PAGE = DOCS / "extending.md"
#: A fenced block with its info string: ``file=PATH`` marks a file of the embedder's.
INFO_FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str, str]]:
    """(language, info after it, body) of every fenced block, in page order."""
    return [m.groups() for m in INFO_FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def files() -> dict[str, str]:
    return {
        info.split("file=", 1)[1].strip(): body for _, info, body in blocks() if "file=" in info
    }


def of(lang: str) -> list[str]:
    return [body for kind, info, body in blocks() if kind == lang and "file=" not in info]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedder's directory: the page's files and an empty package marker."""
    root = tmp_path_factory.mktemp("county")
    (root / "county_edu").mkdir()
    (root / "county_edu" / "__init__.py").write_text("", encoding="utf-8")
    for name, body in files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def test_the_page_holds_two_files_one_program_one_walk_through_and_their_outputs() -> None:
    assert sorted(files()) == ["county_edu/dropout.py", "dropout-pack.toml"]
    assert len(of("python")) == 1
    assert len(of("bash")) == 1
    assert len(of("text")) == 2


def test_the_seventh_type_lives_outside_shouhu_and_the_default_set_does_not_know_it(
    project: Path,
) -> None:
    assert "school_dropout" not in workflows.DEFAULT
    assert not (Path(shouhu.__file__).parent / "workflows" / "dropout.py").exists()
    assert "from shouhu" in files()["county_edu/dropout.py"]


@pytest.fixture(scope="module")
def program(project: Path) -> subprocess.CompletedProcess[str]:
    (project / "program.py").write_text(of("python")[0], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    env["PYTHONPATH"] = str(project)
    return subprocess.run(
        [sys.executable, "program.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_library_program_files_fires_sweeps_replays_and_verifies_a_case_of_the_new_type(
    program: subprocess.CompletedProcess[str],
) -> None:
    assert program.returncode == 0, program.stderr
    assert normalised(program.stdout) == normalised(of("text")[0])


def test_the_walk_through_runs_the_new_type_from_the_command_line(
    project: Path, program: subprocess.CompletedProcess[str]
) -> None:
    assert program.returncode == 0, program.stderr  # the walk-through adds to its database
    run = run_script(project, "walk.sh", of("bash"), {})
    assert run.returncode == 0, run.output
    assert normalised(run.output) == normalised(of("text")[1])
