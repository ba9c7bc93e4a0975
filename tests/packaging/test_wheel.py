"""The wheel an operator installs: built from this checkout, installed into a fresh virtualenv
from PyPI (with constraints.txt, so the versions are the tested ones), it runs ``shouhu`` and
files a report into a new SQLite database.

This needs PyPI (CI has it). Without a network the test fails, saying pip could not install:
it never skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a build and a pip install: about a minute with pip's cache

ROOT = Path(__file__).resolve().parents[2]
WHEEL_NAME = "shouhu-0.1.0-py3-none-any.whl"
#: What the wheel must carry besides the modules, for the package to work installed.
DATA_FILES = (
    "shouhu/py.typed",
    "shouhu/locale/zh_CN/LC_MESSAGES/shouhu.mo",
    "shouhu/locale/en/LC_MESSAGES/shouhu.mo",
    "shouhu/templates/export.html",
    "shouhu/templates/export.css",
    "shouhu/policies/default.toml",
    "shouhu/migrations/script.py.mako",
    "shouhu/migrations/versions/0001_cases_events.py",
)


def clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH (the installed package must be the one used) and no shouhu settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"} and not k.startswith("SHOUHU_")
    }
    env.update(extra)
    return env


def run(
    *command: str | Path, cwd: Path, timeout: float = 300, both: bool = False, **env: str
) -> str:
    """Run a command; fail the test with its output if it fails. Its stdout (``both``: and
    its stderr)."""
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout + done.stderr if both else done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from this checkout as ``make dist`` builds them."""
    out = tmp_path_factory.mktemp("dist")
    said = run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out, both=True)
    assert sorted(p.name for p in out.iterdir()) == [WHEEL_NAME, "shouhu-0.1.0.tar.gz"]
    # setuptools says what it deprecates (e.g. `project.license` as a TOML table): none here
    complaints = [
        line
        for line in said.splitlines()
        if "deprecat" in line.lower() or "BuildBackendWarning" in line
    ]
    assert not complaints, "\n".join(complaints)
    return out / WHEEL_NAME


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed from PyPI; its ``bin`` directory."""
    home = tmp_path_factory.mktemp("operator")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "-c",
        ROOT / "constraints.txt",
        wheel,
        cwd=home,
        timeout=600,
    )
    return bin_dir


def test_the_wheel_holds_the_catalogs_templates_policies_migrations_and_types(
    wheel: Path,
) -> None:
    """Everything shouhu reads from its own files at run time is inside the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in DATA_FILES if name not in names]
    assert not missing, missing
    assert not [n for n in names if n.split("/")[0] not in {"shouhu", "shouhu-0.1.0.dist-info"}]
    metadata = zipfile.ZipFile(wheel).read("shouhu-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata
    entry_points = zipfile.ZipFile(wheel).read("shouhu-0.1.0.dist-info/entry_points.txt")
    assert b"shouhu = shouhu.cli:main" in entry_points


def test_an_operator_installs_the_wheel_and_files_a_report_into_a_new_database(
    installed: Path, tmp_path: Path
) -> None:
    """pip install the wheel into a new virtualenv: its ``shouhu`` runs from there, not from
    this checkout, and files a report into a fresh SQLite file."""
    where = run(installed / "python", "-c", "import shouhu; print(shouhu.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(installed.parent), where
    assert "Usage: shouhu" in run(installed / "shouhu", "--help", cwd=tmp_path)
    db = tmp_path / "fresh.db"
    case_id = run(
        installed / "shouhu",
        "--db",
        f"sqlite:///{db}",
        "report",
        "solo_living",
        "--child-name",
        "李小明",
        "--child-birthdate",
        "2015-06-01",
        "--location",
        "石桥村, 桂花镇, 咸安区",
        "--reporter-kind",
        "school",
        "--reporter",
        "桂花镇中心小学",
        "-q",
        cwd=tmp_path,
    ).strip()
    assert len(case_id) == 16, case_id
    assert db.is_file()
    assert db.stat().st_mode & 0o777 == 0o600
    # the compiled Chinese catalog is read from the installed package (not a stand-in)
    loaded = run(
        installed / "python",
        "-c",
        "from shouhu.i18n import catalog; print(type(catalog('zh_CN')).__name__)",
        cwd=tmp_path,
    )
    assert loaded.strip() == "GNUTranslations"
    run(installed / "shouhu", "--help", cwd=tmp_path, SHOUHU_LANG="zh_CN")


def test_the_readme_installs_the_wheel_that_make_dist_builds() -> None:
    """The README's operator install names ``make dist``'s wheel, and ``make dist`` exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\nmake dist " in readme
    assert f"\npipx install dist/{WHEEL_NAME} " in readme
    assert f"bin/pip install -c constraints.txt dist/{WHEEL_NAME}`" in readme  # as tested above
    dry = subprocess.run(
        ["make", "-n", "dist"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert dry.returncode == 0, dry.stderr
    assert "-m build --outdir dist" in dry.stdout
