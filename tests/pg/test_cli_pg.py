"""``tests/cli/test_cli.py`` again, on PostgreSQL: every test that takes ``cli``.

Left out (they are about SQLite files): a database in a missing directory (a PostgreSQL
equivalent is below). The "writes nothing" checks compare every row of every table instead
of the file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pgcli import all_rows, borrowed, cli_module
from typer.testing import CliRunner

from shouhu.cli import app

base = cli_module("test_cli")

SQLITE_ONLY = {
    "test_a_database_that_cannot_be_created_exits_5": "a SQLite file in a missing directory",
}
globals().update(borrowed(base, fixtures=("dispatched",), sqlite_only=SQLITE_ONLY))


@dataclass
class PgCli(base.Cli):
    """The same helper, on PostgreSQL."""

    url: str = ""

    @property
    def env(self) -> dict[str, str | None]:
        return {**super().env, "SHOUHU_DB": self.url}


@pytest.fixture
def cli(tmp_path: Path, pg_url: str) -> PgCli:
    return PgCli(tmp_path / "unused.db", url=pg_url)


def pg_db_state(cli: PgCli, case_id: str) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    """Every row of every table (for a file's bytes), both tables' rows, the case as shown."""
    rows = all_rows(cli.url)
    return repr(rows).encode(), {t: rows[t] for t in ("cases", "events")}, cli.show(case_id)


@pytest.fixture(autouse=True)
def _rows_not_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The borrowed tests' "nothing changed" check reads the database's rows, not a file."""
    monkeypatch.setattr(base, "db_state", pg_db_state)


def test_a_database_server_that_does_not_answer_exits_5_without_the_password() -> None:
    """PostgreSQL down (nothing listens on the port): exit 5, one line, no password shown."""
    url = "postgresql+psycopg://shouhu:s3cret-pw@127.0.0.1:1/shouhu"
    result = CliRunner().invoke(app, ["--db", url, "case", "list"], prog_name="shouhu")
    message = base.assert_one_error_line(result, 5)
    assert "127.0.0.1" in message
    assert "s3cret-pw" not in message


def test_a_database_that_does_not_exist_exits_5(pg_url: str) -> None:
    """A server that answers but has no such database: exit 5, one line naming it."""
    url = pg_url.rsplit("/", 1)[0] + "/shouhu_no_such_database"
    result = CliRunner().invoke(app, ["--db", url, "case", "list"], prog_name="shouhu")
    message = base.assert_one_error_line(result, 5)
    assert "shouhu_no_such_database" in message
