"""``shouhu db upgrade`` and ``shouhu db current`` through typer's CliRunner."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from migkit import create_all_file, first_version_file, recorded, store_at, url_of
from typer.testing import CliRunner, Result

from shouhu.adapters import migrate
from shouhu.cli import app

HEAD = migrate.HEAD


def shouhu(db: Path | str, *args: str) -> Result:
    url = db if isinstance(db, str) else url_of(db)
    env = {"SHOUHU_DB": url, "SHOUHU_LOG_LEVEL": None, "SHOUHU_LOG_FORMAT": None}
    return CliRunner().invoke(app, list(args), env=env, prog_name="shouhu")


def ok(db: Path | str, *args: str) -> str:
    result = shouhu(db, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def test_db_upgrade_creates_the_schema_of_a_new_database(tmp_path: Path) -> None:
    """A new file: from empty to the head, then `db current` says it is at the head."""
    db = tmp_path / "new.db"
    assert f"upgraded empty → {HEAD} (head)" in ok(db, "db", "upgrade")
    assert ok(db, "db", "current") == f"{HEAD} (head)\n"
    assert json.loads(ok(db, "db", "current", "--json")) == {
        "database": url_of(db),
        "revision": HEAD,
        "head": HEAD,
        "at_head": True,
        "unversioned_matches": None,
    }


def test_db_upgrade_again_changes_nothing(tmp_path: Path) -> None:
    """At the head, `db upgrade` says so and exits 0."""
    db = tmp_path / "cases.db"
    ok(db, "db", "upgrade")
    assert f"already at {HEAD} (head); nothing to do" in ok(db, "db", "upgrade")
    done = json.loads(ok(db, "db", "upgrade", "--json"))
    assert (done["from"], done["to"], done["changed"]) == (HEAD, HEAD, False)


def test_db_current_on_an_empty_file_says_none(tmp_path: Path) -> None:
    """An empty file: revision none; `db current` reads only."""
    db = tmp_path / "empty.db"
    db.touch()
    assert ok(db, "db", "current").startswith("none (empty database; head is ")
    status = json.loads(ok(db, "db", "current", "--json"))
    assert (status["revision"], status["at_head"]) == (None, False)
    assert recorded(db) == []


def test_db_current_and_upgrade_on_a_first_version_file(tmp_path: Path) -> None:
    """A file at 0001: `db current` says it is behind; `db upgrade` takes it to the head."""
    db = tmp_path / "v1.db"
    old = first_version_file(db)
    assert ok(db, "db", "current") == (
        f"0001_cases_events (not head: {HEAD}; run `shouhu db upgrade`)\n"
    )
    assert f"upgraded 0001_cases_events → {HEAD} (head)" in ok(db, "db", "upgrade")
    assert ok(db, "db", "current") == f"{HEAD} (head)\n"
    verified = f"verified 1 cases, {len(old.events)} events: ok\n"
    assert ok(db, "audit", "verify").endswith(verified)


def test_db_current_and_upgrade_on_a_file_made_by_create_all(tmp_path: Path) -> None:
    """No alembic_version: `db current` names the revision it matches; `db upgrade` stamps."""
    db = tmp_path / "legacy.db"
    create_all_file(db, "deadlines")
    line = ok(db, "db", "current")
    assert line.startswith("none (unversioned: tables of 0002_deadlines, made before migrations")
    assert recorded(db) == []
    status = json.loads(ok(db, "db", "current", "--json"))
    assert (status["revision"], status["unversioned_matches"]) == (None, "0002_deadlines")
    out = ok(db, "db", "upgrade", "--json")
    done = json.loads(out)
    assert (done["from"], done["stamped"], done["to"]) == (None, "0002_deadlines", HEAD)
    assert recorded(db) == [HEAD]


def test_db_upgrade_text_names_the_stamp(tmp_path: Path) -> None:
    """The text says an unversioned database was stamped."""
    db = tmp_path / "legacy.db"
    create_all_file(db, "all")
    # the last revision that made tables; 0004 adds only indexes
    assert f"upgraded unversioned (tables of 0003_audit_outbox, stamped) → {HEAD} (head)" in ok(
        db, "db", "upgrade"
    )


def test_db_current_on_a_missing_file_is_exit_5_and_creates_nothing(tmp_path: Path) -> None:
    """A file that does not exist: one error line, exit 5, and no file appears."""
    db = tmp_path / "missing.db"
    result = shouhu(db, "db", "current")
    assert result.exit_code == 5
    assert result.stderr.startswith(f"shouhu: error: no database at {db}: ")
    assert "does not exist" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not db.exists()


@pytest.mark.parametrize("command", ["current", "upgrade"])
def test_a_bad_database_url_is_exit_2(command: str) -> None:
    """A URL that is not one: one error line, exit 2."""
    result = shouhu("not a url", "db", command)
    assert result.exit_code == 2
    assert result.stderr.startswith("shouhu: error: database URL ")
    assert len(result.stderr.splitlines()) == 1


def test_db_upgrade_into_a_missing_directory_is_exit_5(tmp_path: Path) -> None:
    """--db naming a directory that does not exist: exit 5, one line."""
    result = shouhu(tmp_path / "nowhere" / "cases.db", "db", "upgrade")
    assert result.exit_code == 5
    assert "no such directory" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_db_upgrade_refuses_a_database_from_a_newer_shouhu(tmp_path: Path) -> None:
    """A revision this build does not know: `db current` shows it; `db upgrade` exits 5."""
    db = tmp_path / "newer.db"
    store_at(url_of(db), "head")
    with sqlite3.connect(db) as con:
        con.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    con.close()
    assert ok(db, "db", "current").startswith("0099_from_the_future (not head: ")
    result = shouhu(db, "db", "upgrade")
    assert result.exit_code == 5
    assert "0099_from_the_future" in result.stderr
    assert len(result.stderr.splitlines()) == 1
