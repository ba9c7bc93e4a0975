"""Code outside the checkout that embeds shouhu is type-checked against it.

``examples/embedder.py`` is copied into an empty directory and checked there with the
virtualenv's ``mypy --strict``: mypy must find shouhu as it is installed (``make demo``'s
editable install puts the checkout on ``sys.path`` with a ``.pth`` file, which mypy follows),
not through this checkout's working directory, ``PYTHONPATH`` or ``MYPYPATH``. A second copy
with a deliberately wrong call proves that the types are really read: mypy must reject it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMBEDDER = ROOT / "examples" / "embedder.py"
NOT_FOUND = "Cannot find implementation or library stub"
#: The call the wrong copy spoils: the trigger becomes an int.
FIRE = 'engine.fire(case.id, "dispatch", actor={"name": "王警官", "role": "police"})'


def fire_line() -> int:
    """The line of the example that calls fire."""
    source = EMBEDDER.read_text(encoding="utf-8")
    assert FIRE in source
    return source[: source.index(FIRE)].count("\n") + 1


def outside_env() -> dict[str, str]:
    """The environment without what would let a tool find shouhu other than by its install."""
    drop = {"PYTHONPATH", "MYPYPATH", "PYTHONSAFEPATH"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture(scope="module")
def mypy_outside(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """mypy --strict on the embedder and on a wrong copy of it, run from an empty directory."""
    mypy = Path(sys.executable).with_name("mypy")
    assert mypy.is_file(), f"no mypy beside {sys.executable}: install the dev extras (make test)"
    where = tmp_path_factory.mktemp("embedder")
    shutil.copy(EMBEDDER, where / "embedder.py")
    source = EMBEDDER.read_text(encoding="utf-8")
    assert FIRE in source
    wrong = source.replace(
        FIRE,
        'engine.fire(case.id, 42, actor={"name": "王警官", "role": "police"})\n'
        "        reveal_type(engine.fire)",
    )
    (where / "embedder_wrong.py").write_text(wrong, encoding="utf-8")
    return subprocess.run(
        [
            str(mypy),
            "--strict",
            "--no-incremental",
            "--no-error-summary",
            "--python-executable",
            sys.executable,
            "embedder.py",
            "embedder_wrong.py",
        ],
        cwd=where,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_mypy_outside_the_checkout_finds_the_installed_package(
    mypy_outside: subprocess.CompletedProcess[str],
) -> None:
    """From an empty directory, mypy finds shouhu's own types (it is installed so it can)."""
    out = mypy_outside.stdout + mypy_outside.stderr
    assert NOT_FOUND not in out, (
        "mypy outside the checkout cannot find shouhu: it is not installed in a way type "
        "checkers follow; reinstall it with the Makefile's install line (rm .venv/.installed; "
        f"make demo), which puts the checkout on sys.path with a .pth file\n{out}"
    )
    revealed = next(line for line in out.splitlines() if "Revealed type" in line)
    assert "trigger: str" in revealed, out
    assert "-> shouhu.engine.views.CaseView" in revealed, out


@pytest.mark.slow
def test_the_typed_embedder_passes_mypy_strict_and_a_wrong_call_is_reported(
    mypy_outside: subprocess.CompletedProcess[str],
) -> None:
    """The example has no type error; the same file calling fire with an int trigger has one."""
    out = mypy_outside.stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("embedder.py:")], out
    assert any(
        e.startswith(f"embedder_wrong.py:{fire_line()}:")
        and 'Argument 2 has incompatible type "int"; expected "str"' in e
        for e in errors
    ), out
    assert mypy_outside.returncode == 1, out


def test_the_embedder_example_runs_and_verifies_its_case(tmp_path: Path) -> None:
    """``python examples/embedder.py`` files, fires, reads the history, verifies, exits 0."""
    done = subprocess.run(
        [sys.executable, str(EMBEDDER)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "next: commend_reporter, dismiss, dispatch" in done.stdout
    assert "2 dispatch: reported → dispatched" in done.stdout
    assert "verified: True (2 events)" in done.stdout
    assert list(tmp_path.iterdir()) == []  # in memory: nothing written where it runs
