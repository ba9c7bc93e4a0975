"""Helpers for the batch-intake tests: rows, files in both formats, and the CLI on one database.

Reports are dated 2026-03-02 (in the past: the CLI runs on the real clock); the child 王小明
was born 2016-02-01. Every test runs ``shouhu import reports`` through typer's CliRunner with
``SHOUHU_DB`` naming a SQLite file in the test's temporary directory.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from shouhu.adapters.importer import COLUMNS
from shouhu.cli import app

CHILD = "王小明"
BIRTHDATE = "2016-02-01"
TYPES = (
    "solo_living",
    "missing_child",
    "guardian_incapacity",
    "guardian_nonperformance",
    "suspected_abuse",
    "suspected_harm",
)


def row(external_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid row: a school reports 王小明 living alone."""
    values: dict[str, Any] = {
        "external_id": external_id,
        "type": "solo_living",
        "child_name": CHILD,
        "child_birthdate": BIRTHDATE,
        "location": "石桥村, 青山镇",
        "reporter_kind": "school",
        "reporter": "青山镇中心小学",
        "discovered_at": "2026-03-02T08:10",
        "reported_at": "2026-03-02T08:30",
    }
    values.update(overrides)
    return values


def write_csv(
    path: Path, rows: Iterable[Sequence[Any] | dict[str, Any]], header: Sequence[str] = COLUMNS
) -> Path:
    """A UTF-8 CSV with ``header``; a dict row is laid out by the header, a list row as given."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(c, "") for c in header] if isinstance(r, dict) else r)
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """One JSON object a line; a ``str`` row is written as it is (for lines that are not JSON)."""
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


@dataclass
class Intake:
    """``shouhu`` commands on one database file."""

    db: Path
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def url(self) -> str:
        return "sqlite:///" + str(self.db)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": self.url,
            "SHOUHU_ZONE": None,
            "SHOUHU_POLICY": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
        }

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(app, [str(a) for a in args], env=self.env, prog_name="shouhu")

    def imports(self, file: Path, *args: str) -> tuple[Result, dict[str, Any]]:
        """``import reports FILE --json``: the result and its JSON (the exit code is unchecked)."""
        result = self("import", "reports", file, "--json", *args)
        assert result.stdout.strip(), (result.exit_code, result.stderr)
        return result, json.loads(result.stdout)

    def count(self, table: str) -> int:
        """Rows of ``table`` in the database file (0 when the file was never created)."""
        if not self.db.exists():
            return 0
        con = sqlite3.connect(self.db)
        try:
            (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        finally:
            con.close()
        return int(n)


def fail_on(db: Path, external_id: str, how: str) -> None:
    """Make the database file ``db`` fail when ``external_id`` is filed: ``broken`` (an error
    of the database: exit 5) or ``refused`` (a constraint: the store reports a conflict)."""
    body = "SELECT json('{broken');" if how == "broken" else "SELECT RAISE(ABORT, 'refused');"
    con = sqlite3.connect(db)
    try:
        con.execute(
            f"CREATE TRIGGER fail_{how} BEFORE INSERT ON intake "
            f"WHEN NEW.external_id = '{external_id}' BEGIN {body} END"
        )
        con.commit()
    finally:
        con.close()
