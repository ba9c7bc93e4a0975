"""``tests/cli/test_cli_deadlines.py`` again, on PostgreSQL: every test that takes ``cli``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pgcli import borrowed, cli_module

base = cli_module("test_cli_deadlines")

SQLITE_ONLY = {
    "test_case_show_json_history_carries_each_events_effects": (
        "opens the SQLite file by its path; the contract suite checks effects on PostgreSQL"
    ),
}
globals().update(borrowed(base, fixtures=("city_file",), sqlite_only=SQLITE_ONLY))


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
