"""Databases written by earlier versions upgrade in place, their data intact, and then work."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from migkit import (
    CHILD,
    CREATE_ALL_ERAS,
    NOW,
    POLICE,
    SCHOOL,
    ZONE,
    always_effects_case,
    create_all_file,
    drift,
    first_version_file,
    insert_case,
    recorded,
    rows,
    sqlite_schema,
    store_at,
    triggers,
    url_of,
)

from shouhu import Engine, FakeClock
from shouhu.adapters import migrate
from shouhu.adapters.sqlstore import SqlStore
from shouhu.adapters.tables import METADATA, SQLITE_APPEND_ONLY
from shouhu.engine import core
from shouhu.errors import StoreUnavailable

APPEND_ONLY = {ddl.split()[5] for ddl in SQLITE_APPEND_ONLY}


def _open(path: Path) -> Engine:
    return Engine.open(url_of(path), clock=FakeClock(NOW), zone=ZONE)


def _new_case(engine: core.Engine) -> str:
    case = engine.report(
        "missing_child",
        child=CHILD,
        location="石桥村, 青山镇",
        reporter=SCHOOL,
        discovered_at="2026-03-09T08:00",
        occurred_at="2026-03-09T08:10",
    )
    engine.fire(case.id, "dispatch", actor=POLICE, occurred_at="2026-03-09T08:20")
    return case.id


def test_a_first_version_file_upgrades_in_place_with_its_data_intact(tmp_path: Path) -> None:
    """A file at 0001 opens at the head: rows unchanged, old events get effects {}."""
    path = tmp_path / "v1.db"
    old = first_version_file(path)
    cases_before, events_before = rows(path, "cases"), rows(path, "events")
    assert recorded(path) == ["0001_cases_events"]

    with _open(path) as engine:
        assert recorded(path) == [migrate.HEAD]
        assert rows(path, "cases") == cases_before
        events_after = rows(path, "events")
        new = ("effects", "operator_id", "signature")  # added by 0002 and 0006
        assert [{k: v for k, v in e.items() if k not in new} for e in events_after] == (
            events_before
        )
        assert {(e["operator_id"], e["signature"]) for e in events_after} == {(None, None)}
        assert [json.loads(e["effects"]) for e in events_after] == [{}] * len(old.events)
        assert engine.store.events(old.record.id) == list(old.events)
        assert engine.store.load(old.record.id) == old.record
        assert engine.replay(old.record.id).ok
        assert triggers(path) >= APPEND_ONLY

        view = engine.fire(
            old.record.id,
            "designate_entrusted_guardian",
            actor=POLICE,
            occurred_at="2026-03-02T09:30",
            data={"guardian_name": "王大爷"},
        )
        assert view.version == len(old.events) + 1
        new_id = _new_case(engine)
        assert engine.verify(new_id).ok
        assert engine.deadlines(case_id=new_id)

    with pytest.raises(sqlite3.IntegrityError, match="append-only"), sqlite3.connect(path) as con:
        con.execute("UPDATE events SET actor = 'someone else' WHERE seq = 1")
    assert sqlite_schema(path) == sqlite_schema(_head_file(tmp_path))


def test_events_the_first_version_recorded_still_verify_after_the_upgrade(
    tmp_path: Path,
) -> None:
    """Old events verify after the upgrade: hashed without effects, and their effects are {}."""
    path = tmp_path / "v1.db"
    old = first_version_file(path)
    with _open(path) as engine:
        result = engine.verify(old.record.id)
        assert result.broken == []
        assert result.ok


def test_events_hashed_with_empty_effects_still_verify_after_the_upgrade(tmp_path: Path) -> None:
    """Events of the builds that hashed ``effects: {}`` verify after the upgrade."""
    path = tmp_path / "before_intake.db"
    create_all_file(path, "before_intake")
    old = always_effects_case()
    insert_case(url_of(path), old)
    with _open(path) as engine:
        result = engine.verify(old.record.id)
        assert result.broken == []
        assert result.ok


def test_a_file_at_0002_upgrades_to_the_head(tmp_path: Path) -> None:
    """A file at an intermediate revision gets only the revisions after it."""
    path = tmp_path / "v2.db"
    store_at(url_of(path), "0002_deadlines")
    with _open(path) as engine:
        case_id = _new_case(engine)  # the store brought it to the head on open
        assert engine.verify(case_id).ok
    assert recorded(path) == [migrate.HEAD]


@pytest.mark.parametrize("era", sorted(CREATE_ALL_ERAS))
def test_a_file_made_by_create_all_is_recognised_stamped_and_upgraded(
    tmp_path: Path, era: str
) -> None:
    """No alembic_version: stamped at the revision its tables match, then brought to the head."""
    path = tmp_path / "legacy.db"
    matches = create_all_file(path, era)
    assert recorded(path) == []
    done = migrate.upgrade(url_of(path))
    assert (done.before, done.stamped, done.after) == (None, matches, migrate.HEAD)
    assert done.changed
    assert recorded(path) == [migrate.HEAD]
    engine = sa.create_engine(url_of(path))
    with engine.connect() as conn:
        assert drift(conn) == []
    engine.dispose()
    assert triggers(path) >= APPEND_ONLY
    with _open(path) as eng:
        assert eng.verify(_new_case(eng)).ok


def test_a_create_all_file_with_cases_keeps_them_and_they_still_verify(tmp_path: Path) -> None:
    """Cases written by the build just before migrations survive the stamp and verify."""
    path = tmp_path / "legacy.db"
    create_all_file(path, "before_intake")
    store = SqlStore(url_of(path), create=False)  # that build's store: no migrations
    with Engine(store, FakeClock(NOW), zone=ZONE) as engine:
        case_id = _new_case(engine)
    before = rows(path, "events")
    with _open(path) as engine:
        assert engine.verify().ok
        assert engine.case(case_id).version == 2
    assert rows(path, "events") == before
    assert recorded(path) == [migrate.HEAD]


def test_an_empty_file_gets_the_whole_schema_on_first_open(tmp_path: Path) -> None:
    """A new file is created, migrated to the head and works."""
    path = tmp_path / "new.db"
    with _open(path) as engine:
        assert engine.verify(_new_case(engine)).ok
    assert recorded(path) == [migrate.HEAD]
    assert triggers(path) >= APPEND_ONLY


def test_a_database_from_a_newer_shouhu_is_refused_unchanged(tmp_path: Path) -> None:
    """A revision this build does not know: one clear StoreUnavailable; nothing is written."""
    path = tmp_path / "newer.db"
    migrate.upgrade(url_of(path))
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    con.close()
    schema = sqlite_schema(path)
    with pytest.raises(StoreUnavailable, match=r"0099_from_the_future.*does not know"):
        _open(path)
    assert recorded(path) == ["0099_from_the_future"]
    assert sqlite_schema(path) == schema


def test_foreign_tables_named_like_shouhus_are_refused(tmp_path: Path) -> None:
    """An unversioned database with a table called outbox but no cases: refused, unchanged."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, body TEXT)")
    con.close()
    with pytest.raises(StoreUnavailable, match="not the schema of any shouhu version"):
        _open(path)
    assert recorded(path) == []


def test_a_first_version_database_upgrades_on_postgresql(empty_pg_url: str) -> None:
    """On PostgreSQL too: 0001 with events, then the head; effects {} and no default left."""
    store_at(empty_pg_url, "0001_cases_events")
    engine = sa.create_engine(empty_pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO cases VALUES ('C1', 'solo_living', 1, 'reported', 1, 'h', NULL, "
                "'王小明', '2016-02-01', NULL, true, 10, '石桥村', '青山镇', NULL, 'school', "
                "'青山镇中心小学', true, now(), now(), now(), now(), now(), NULL, false, 0, '{}')"
            )
            conn.exec_driver_sql(
                "INSERT INTO events (case_id, seq, workflow, workflow_version, policy_version, "
                "trigger, from_state, to_state, actor, role, occurred_at, recorded_at, data, "
                "prev_hash, hash) VALUES ('C1', 1, 'solo_living', 1, NULL, 'report', NULL, "
                "'reported', 'school', 'reporter', now(), now(), '{}', 'p', 'h')"
            )
        done = migrate.upgrade(empty_pg_url)
        assert (done.before, done.after) == ("0001_cases_events", migrate.HEAD)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT effects::text FROM events").scalar_one() == "{}"
            assert drift(conn) == []
    finally:
        engine.dispose()
    with Engine.open(empty_pg_url, clock=FakeClock(NOW), zone=ZONE) as eng:
        assert eng.verify(_new_case(eng)).ok


def _head_file(tmp_path: Path) -> Path:
    path = tmp_path / "head.db"
    migrate.upgrade(url_of(path))
    return path


def test_a_create_all_database_is_stamped_and_upgraded_on_postgresql(empty_pg_url: str) -> None:
    """On PostgreSQL too: the tables of the build before migrations are stamped, then upgraded."""
    tables, matches = CREATE_ALL_ERAS["before_intake"]
    engine = sa.create_engine(empty_pg_url)
    try:
        with engine.begin() as conn:
            METADATA.create_all(conn, tables=list(tables))
        status = migrate.status(empty_pg_url)
        assert (status.revision, status.matches) == (None, matches)
        done = migrate.upgrade(empty_pg_url)
        assert (done.before, done.stamped, done.after) == (None, matches, migrate.HEAD)
        with engine.connect() as conn:
            assert drift(conn) == []
    finally:
        engine.dispose()
