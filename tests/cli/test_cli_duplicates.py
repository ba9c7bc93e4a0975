"""``shouhu report`` typed twice: exit 3 naming the open case; ``--new-case`` files it.

Also: ``shouhu import reports --source idempotency-key`` is refused (the library's keys).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from typer.testing import CliRunner, Result

from shouhu.cli import app

CHILD, BIRTHDATE = "王小明", "2016-02-01"
REPORT = [
    "report",
    "solo_living",
    "--child-name",
    CHILD,
    "--child-birthdate",
    BIRTHDATE,
    "--location",
    "石桥村, 青山镇",
    "--reporter-kind",
    "school",
    "--reporter",
    "青山镇中心小学",
    "--discovered-at",
    "2026-03-02T08:10",
]


def shouhu(db: Path, *args: str) -> Result:
    env = {
        "SHOUHU_DB": f"sqlite:///{db}",
        "SHOUHU_ZONE": None,
        "SHOUHU_POLICY": None,
        "SHOUHU_LOG_LEVEL": None,
        "SHOUHU_LOG_FORMAT": None,
    }
    return CliRunner().invoke(app, list(args), env=env, prog_name="shouhu")


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(n)


def test_the_same_report_typed_twice_exits_3_naming_the_open_case_and_files_nothing(
    tmp_path: Path,
) -> None:
    """The second `shouhu report`: exit 3, one stderr line citing 001 §四(三)1 and the pack's
    local rule, naming the first case's id, never the child; one case, one deadline."""
    db = tmp_path / "cases.db"
    first = shouhu(db, *REPORT, "--at", "2026-03-02T08:30", "-q")
    assert first.exit_code == 0, first.stderr
    case_id = first.stdout.strip()
    again = shouhu(db, *REPORT, "--at", "2026-03-02T08:45", "-q")
    assert again.exit_code == 3
    assert again.stdout == ""
    assert again.stderr.count("\n") == 1
    assert again.stderr.startswith(
        "shouhu: error: refused by rule duplicate (001 §四(三)1; duplicate_window PT24H, "
        "a local rule of the policy pack): the same child has an open solo_living report, "
        f"case {case_id},"
    )
    assert "--new-case" in again.stderr
    assert CHILD not in again.stderr
    assert BIRTHDATE not in again.stderr
    assert "Traceback" not in again.output
    assert (rows(db, "cases"), rows(db, "events"), rows(db, "deadlines")) == (1, 1, 1)


def test_new_case_files_the_same_report_as_a_case_of_its_own(tmp_path: Path) -> None:
    """`--new-case`: exit 0 and a second case with its own dispatch deadline."""
    db = tmp_path / "cases.db"
    first = shouhu(db, *REPORT, "--at", "2026-03-02T08:30", "-q")
    second = shouhu(db, *REPORT, "--at", "2026-03-02T08:45", "--new-case", "-q")
    assert second.exit_code == 0, second.stderr
    assert re.fullmatch(r"[0-9A-Z]{16}\n", second.stdout)
    assert second.stdout != first.stdout
    assert (rows(db, "cases"), rows(db, "deadlines")) == (2, 2)


def test_importing_under_the_reserved_source_exits_2_and_opens_nothing(tmp_path: Path) -> None:
    """`import reports --source idempotency-key`: exit 2, one error line, no database made."""
    db = tmp_path / "cases.db"
    file = tmp_path / "reports.csv"
    file.write_text(
        "external_id,type,child_name,child_birthdate,location,reporter_kind,reporter,"
        "discovered_at,reported_at\n"
        f'K-1,solo_living,{CHILD},{BIRTHDATE},"石桥村, 青山镇",school,青山镇中心小学,,'
        "2026-03-02T08:30\n",
        encoding="utf-8",
    )
    result = shouhu(db, "import", "reports", str(file), "--source", "idempotency-key")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "shouhu: error: --source: 'idempotency-key' is reserved for the idempotency keys of "
        "Engine.report(key=...)\n"
    )
    assert not db.exists()
