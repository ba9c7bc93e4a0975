"""The schema the migrations build is the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from migkit import (
    CREATE_ALL_ERAS,
    HEAD_TABLES,
    create_all_file,
    drift,
    iter_revisions,
    models_file,
    recorded,
    sqlite_schema,
    url_of,
)

from shouhu.adapters import migrate
from shouhu.adapters.sqlstore import SqlStore
from shouhu.adapters.tables import SQLITE_APPEND_ONLY


def test_the_head_constant_is_the_newest_script() -> None:
    """``migrate.HEAD`` (what a store open compares with) is the scripts' head."""
    assert migrate.head() == migrate.HEAD


def test_the_revisions_form_one_line_from_the_first_version() -> None:
    """The revisions are one chain, oldest first, named as the schema grew."""
    chain = list(iter_revisions())
    assert chain[:3] == [
        ("0001_cases_events", None),
        ("0002_deadlines", "0001_cases_events"),
        ("0003_audit_outbox", "0002_deadlines"),
    ]
    for (rev, _), (_, down) in itertools.pairwise(chain):
        assert down == rev
    assert chain[-1][0] == migrate.HEAD


def test_the_migrations_ship_inside_the_package() -> None:
    """env.py and every revision sit in the installed package (shouhu/migrations)."""
    package = Path(migrate.__file__).resolve().parent.parent
    assert package / "migrations" == migrate.MIGRATIONS
    assert (migrate.MIGRATIONS / "env.py").is_file()
    names = {p.stem for p in (migrate.MIGRATIONS / "versions").glob("*.py")}
    assert {rev for rev, _ in iter_revisions()} <= names


def test_the_schema_from_migrations_is_the_models_on_sqlite(tmp_path: Path) -> None:
    """A new SQLite file migrated to the head has no drift from the models."""
    url = url_of(tmp_path / "new.db")
    done = migrate.upgrade(url)
    assert (done.before, done.after, done.stamped) == (None, migrate.HEAD, None)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert drift(conn) == []
        assert set(sa.inspect(conn).get_table_names()) == HEAD_TABLES | {"alembic_version"}
    engine.dispose()


def table_info(path: Path, table: str) -> list[tuple[object, ...]]:
    """The table's columns in order, its indexes (by name: SQLite numbers them in the order
    they were made) and its foreign keys."""
    with sqlite3.connect(path) as con:
        info = list(con.execute(f"PRAGMA table_info({table})"))
        info += sorted(row[1:] for row in con.execute(f"PRAGMA index_list({table})"))
        info += list(con.execute(f"PRAGMA foreign_key_list({table})"))
    con.close()
    return info


def test_the_sqlite_schema_is_what_create_all_made_down_to_the_triggers(tmp_path: Path) -> None:
    """Tables, indexes and append-only triggers: the same SQL as create_all made before."""
    migrate.upgrade(url_of(tmp_path / "migrated.db"))
    models_file(tmp_path / "created.db")
    migrated = sqlite_schema(tmp_path / "migrated.db")
    created = sqlite_schema(tmp_path / "created.db")
    # 0006 adds the events' signer and signature with ALTER TABLE ADD COLUMN (the log is not
    # copied), which SQLite writes at the end of the stored SQL: the same columns, in the same
    # order, with the same types and constraints; so does 0009 the deadlines' not_extended
    added = {"events", "deadlines"}
    for table in added:
        assert table_info(tmp_path / "migrated.db", table) == table_info(
            tmp_path / "created.db", table
        )
    assert {k: v for k, v in migrated.items() if k not in added} == {
        k: v for k, v in created.items() if k not in added
    }
    names = {ddl.split()[5] for ddl in SQLITE_APPEND_ONLY}
    assert names <= set(migrated)


def test_the_schema_from_migrations_is_the_models_on_postgresql(empty_pg_url: str) -> None:
    """A new PostgreSQL database migrated to the head has no drift from the models."""
    done = migrate.upgrade(empty_pg_url)
    assert (done.before, done.after) == (None, migrate.HEAD)
    engine = sa.create_engine(empty_pg_url)
    try:
        with engine.connect() as conn:
            assert drift(conn) == []
            names = set(sa.inspect(conn).get_table_names())
            assert names == HEAD_TABLES | {"alembic_version"}
            default = conn.exec_driver_sql(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_name = 'events' AND column_name = 'effects'"
            ).scalar_one()
            assert default is None  # the server default only filled the rows of 0001
    finally:
        engine.dispose()
    assert migrate.current(empty_pg_url) == migrate.HEAD


def test_downgrading_to_nothing_and_back_leaves_the_models_schema(tmp_path: Path) -> None:
    """Every revision's downgrade undoes it: base, then head again, and still no drift."""
    path = tmp_path / "roundtrip.db"
    url = url_of(path)
    migrate.upgrade(url)
    store = SqlStore(url, create=False)
    try:
        with store.engine.connect() as conn:
            conn.execution_options(shouhu_write=True)
            with conn.begin():
                command.downgrade(migrate.config(conn), "base")
        with store.engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == ["alembic_version"]
    finally:
        store.close()
    assert recorded(path) == []
    assert migrate.upgrade(url).after == migrate.HEAD
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert drift(conn) == []
    engine.dispose()


def test_opening_a_store_at_the_head_does_not_load_alembic(tmp_path: Path) -> None:
    """The CLI opens the store on every command: at the head, one SELECT and no Alembic."""
    url = url_of(tmp_path / "cases.db")
    migrate.upgrade(url)
    code = (
        "import sys\n"
        "from shouhu.adapters.sqlstore import SqlStore\n"
        f"store = SqlStore({url!r})\n"
        "store.close()\n"
        "assert 'alembic' not in sys.modules, 'alembic was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_stores_opening_one_new_file_at_once_build_its_schema_once(tmp_path: Path) -> None:
    """Stores opened together on one new file all work; the schema is made once."""
    url = url_of(tmp_path / "shared.db")
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            SqlStore(url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert recorded(tmp_path / "shared.db") == [migrate.HEAD]


@pytest.mark.parametrize("era", sorted(CREATE_ALL_ERAS))
def test_an_unversioned_database_is_matched_to_the_revision_of_its_tables(
    tmp_path: Path, era: str
) -> None:
    """Tables made by create_all before migrations are recognised as the revision they are."""
    path = tmp_path / f"{era}.db"
    matches = create_all_file(path, era)
    status = migrate.status(url_of(path))
    assert (status.revision, status.matches, status.at_head) == (None, matches, False)
    assert recorded(path) == []  # status only reads
