"""``shouhu info`` shows the database URL without its password (through
:func:`shouhu.adapters.dburl.shown`: the CLI itself imports no SQLAlchemy)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from shouhu.adapters import dburl
from shouhu.cli import app


def info(url: str) -> dict[str, str]:
    env = {"SHOUHU_DB": None, "SHOUHU_LOG_LEVEL": None, "SHOUHU_LOG_FORMAT": None}
    done = CliRunner().invoke(app, ["--db", url, "info", "--json"], env=env, prog_name="shouhu")
    assert done.exit_code == 0, (done.stdout, done.stderr)
    facts: dict[str, str] = json.loads(done.stdout)
    return facts


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://clerk:s3cret@db.example/shouhu",
            "postgresql+psycopg://clerk:***@db.example/shouhu",
        ),
        ("sqlite:///cases.db", "sqlite:///cases.db"),
        ("not a url", "not a url"),  # nothing a parser finds to hide: shown as given
    ],
)
def test_info_shows_the_database_without_its_password(url: str, expected: str) -> None:
    assert dburl.shown(url) == expected
    assert info(url)["database"] == expected
    assert "s3cret" not in json.dumps(info(url))
