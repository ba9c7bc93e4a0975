"""Helpers of the migration tests: databases as earlier versions left them, schema snapshots.

* :func:`first_version_file` — a SQLite file at revision ``0001_cases_events`` holding one case
  written the way the first version wrote it: events without ``effects``, each hash computed
  over the fields of that time (no ``effects`` in the hash input), no deadlines.
* :func:`create_all_file` — a file made by ``create_all`` (the store's schema creation before
  there were migrations), as one of :data:`CREATE_ALL_ERAS`: no ``alembic_version``.
* :func:`always_effects_case` — a case as the builds that hashed ``effects: {}`` wrote it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shouhu import Engine, FakeClock, workflows
from shouhu.adapters import migrate
from shouhu.adapters.sqlcodec import _event_values
from shouhu.adapters.sqlstore import SqlStore
from shouhu.adapters.tables import (
    ACCESS_LOG,
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    METADATA,
    OUTBOX,
    SQLITE_APPEND_ONLY,
    postgresql_conditions,
)
from shouhu.engine.audit import replay
from shouhu.engine.columns import case_columns as _case_values
from shouhu.engine.columns import deadline_columns as _deadline_values
from shouhu.engine.hashing import GENESIS, canonical
from shouhu.engine.model import CaseRecord, Deadline, Event
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.engine.timeutil import utc_iso
from shouhu.workflows.workflowset import WorkflowSet

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICE = {"name": "李警官", "role": "police"}
CHILD = {"name": "王小明", "birthdate": "2016-02-01"}
SCHOOL = {"kind": "school", "name": "青山镇中心小学"}
#: The old versions' case: a solo-living report, then police actions (the last has no effects).
FIRST_STEPS = ("dispatch", "order_parents_return", "admonish_parents")

#: Every table a database at the head holds (from the models: intake too, once it is there).
HEAD_TABLES = frozenset(METADATA.tables)


def url_of(path: Path) -> str:
    return "sqlite:///" + str(path)


def store_at(url: str, revision: str) -> None:
    """Run the migrations on ``url`` up to ``revision`` (not further)."""
    store = SqlStore(url, create=False)
    try:
        with store.engine.connect() as conn:
            conn.execution_options(shouhu_write=True)
            with conn.begin():
                command.upgrade(migrate.config(conn), revision)
    finally:
        store.close()


def first_version_hash(e: Event) -> str:
    """An event's hash as the first version computed it: its fields then, without effects."""
    return hashlib.sha256(canonical(_hashed(e))).hexdigest()


def always_effects_hash(e: Event) -> str:
    """An event's hash as the builds between 0002 and the hash change computed it: ``effects``
    always in the hash input, ``{}`` included."""
    return hashlib.sha256(canonical({**_hashed(e), "effects": dict(e.effects)})).hexdigest()


def _hashed(e: Event) -> dict[str, Any]:
    return {
        "case_id": e.case_id,
        "seq": e.seq,
        "workflow": e.workflow,
        "workflow_version": e.workflow_version,
        "policy_version": e.policy_version,
        "trigger": e.trigger,
        "from": e.from_state,
        "to": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": utc_iso(e.occurred_at),
        "recorded_at": utc_iso(e.recorded_at),
        "data": e.data,
        "prev_hash": e.prev_hash,
    }


@dataclass(frozen=True)
class OldCase:
    """What an earlier version wrote for one case: its row and its events."""

    record: CaseRecord
    events: tuple[Event, ...]
    deadlines: tuple[Deadline, ...] = ()  # the rows its events' effects made, where it had them


def _todays_case() -> tuple[CaseRecord, list[Event], list[Deadline]]:
    """A solo-living report and three police actions, by today's engine (in memory) under the
    definitions and the pack those builds had: the first definitions (no notice at dispatch)
    and cn-national-default@2026.1."""
    first = WorkflowSet(tuple(wf for (_, v), wf in workflows.REGISTRY.items() if v == 1))
    pack = parse_pack(shipped_packs()["cn-national-default@2026.1"])
    with Engine.in_memory(clock=FakeClock(NOW), zone=ZONE, workflows=first, policy=pack) as eng:
        case = eng.report(
            "solo_living",
            child=CHILD,
            location="石桥村, 青山镇",
            reporter=SCHOOL,
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
        )
        for i, trigger in enumerate(FIRST_STEPS, start=1):
            eng.fire(case.id, trigger, actor=POLICE, occurred_at=f"2026-03-02T09:0{i}")
        record = eng.store.load(case.id)
        events = eng.store.events(case.id)
        deadlines = sorted(eng.store.deadlines(case_id=case.id), key=lambda d: d.id or 0)
    assert record is not None
    return record, events, deadlines


def _rechain(events: list[Event], hasher: Any, *, effects: bool) -> list[Event]:
    chained: list[Event] = []
    prev = GENESIS
    for e in events:
        old = replace(e, effects=e.effects if effects else {}, prev_hash=prev, hash="")
        old = replace(old, hash=hasher(old))
        chained.append(old)
        prev = old.hash
    return chained


def first_version_case() -> OldCase:
    """One case as the first version would have recorded it.

    Today's engine runs the workflow; its events lose ``effects`` (the first version had none)
    and are chained again with the first version's hash. The case row's facts are what replay
    rebuilds from those events, as the first version's projection held them.
    """
    record, events, _ = _todays_case()
    chained = _rechain(events, first_version_hash, effects=False)
    facts = replay(chained, zone=ZONE).facts
    return OldCase(replace(record, head_hash=chained[-1].hash, facts=facts), tuple(chained))


def always_effects_case() -> OldCase:
    """One case as the builds that hashed ``effects`` even when empty recorded it."""
    record, events, deadlines = _todays_case()
    assert any(not e.effects for e in events)  # the difference shows on these
    chained = _rechain(events, always_effects_hash, effects=True)
    return OldCase(replace(record, head_hash=chained[-1].hash), tuple(chained), tuple(deadlines))


def insert_case(url: str, case: OldCase) -> None:
    """Write ``case`` into the database at ``url`` with whatever columns its tables have."""
    store = SqlStore(url, create=False)
    try:
        tables = sa.MetaData()
        with store.engine.connect() as conn:
            conn.execution_options(shouhu_write=True)
            with conn.begin():
                tables.reflect(conn, only=["cases", "events"])
                cases, events = tables.tables["cases"], tables.tables["events"]
                if case.deadlines:
                    tables.reflect(conn, only=["deadlines"])
                    rows = [_naive(_deadline_values(d)) for d in case.deadlines]
                    deadlines = tables.tables["deadlines"]
                row = _naive(_case_values(case.record))
                conn.execute(cases.insert(), [{k: v for k, v in row.items() if k in cases.c}])
                conn.execute(
                    events.insert(),
                    [{k: v for k, v in _row(e).items() if k in events.c} for e in case.events],
                )
                if case.deadlines:
                    conn.execute(deadlines.insert(), rows)
    finally:
        store.close()


def first_version_file(path: Path) -> OldCase:
    """A SQLite file at ``0001_cases_events`` holding :func:`first_version_case`'s case."""
    url = url_of(path)
    store_at(url, "0001_cases_events")
    old = first_version_case()
    insert_case(url, old)
    return old


def _row(e: Event) -> dict[str, Any]:
    return _naive(_event_values(e))


def _naive(values: dict[str, Any]) -> dict[str, Any]:
    """Instants as the store keeps them on SQLite: naive UTC."""
    return {
        k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v
        for k, v in values.items()
    }


#: Files as ``create_all`` made them before migrations: the tables, and the revision they match.
#: The build just before migrations had no ``intake`` yet: it matches 0002, and 0003 then
#: creates only what is missing.
CREATE_ALL_ERAS: dict[str, tuple[tuple[sa.Table, ...], str]] = {
    "first": ((CASES, EVENTS), "0001_cases_events"),
    "deadlines": ((CASES, EVENTS, DEADLINES), "0002_deadlines"),
    "before_intake": ((CASES, EVENTS, DEADLINES, ACCESS_LOG, OUTBOX), "0002_deadlines"),
    "all": ((CASES, EVENTS, DEADLINES, ACCESS_LOG, OUTBOX, INTAKE), "0003_audit_outbox"),
}


def create_all_file(path: Path, era: str) -> str:
    """A file as the store made it before migrations (``create_all`` and the triggers) in
    ``era`` (a key of :data:`CREATE_ALL_ERAS`); returns the revision it should match."""
    tables, matches = CREATE_ALL_ERAS[era]
    _create_all(path, tables)
    if era == "first":  # the first version's events had no effects
        with sqlite3.connect(path) as con:
            con.execute("ALTER TABLE events DROP COLUMN effects")
        con.close()
    return matches


def models_file(path: Path) -> None:
    """A file with the schema of today's models, made by ``create_all``."""
    _create_all(path, tuple(METADATA.sorted_tables))


def _create_all(path: Path, tables: tuple[sa.Table, ...]) -> None:
    names = {t.name for t in tables}
    store = SqlStore(url_of(path), create=False)
    try:
        with store.engine.begin() as conn:
            METADATA.create_all(conn, tables=list(tables))
            for ddl in SQLITE_APPEND_ONLY:
                if ddl.split(" ON ")[1].split()[0] in names:
                    conn.exec_driver_sql(ddl)
    finally:
        store.close()


def drift(conn: sa.Connection) -> list[Any]:
    """What differs between the database and the models (empty: nothing)."""
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, postgresql_conditions()))


def sqlite_schema(path: Path) -> dict[str, str | None]:
    """``sqlite_master`` as name → SQL (tables, indexes, triggers), ``alembic_version`` aside."""
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT name, sql FROM sqlite_master WHERE name != 'alembic_version'")
        out = {name: _normal(sql) for name, sql in rows if not name.endswith("alembic_version_1")}
    con.close()
    return out


def _normal(sql: str | None) -> str | None:
    # A table rebuilt by batch mode is renamed into place: SQLite then quotes its name.
    return None if sql is None else sql.replace('CREATE TABLE "events"', "CREATE TABLE events")


def rows(path: Path, table: str) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        out = [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    con.close()
    return out


def triggers(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    con.close()
    return names


def recorded(path: Path) -> list[str]:
    """The rows of ``alembic_version`` (none when the table is missing)."""
    with sqlite3.connect(path) as con:
        try:
            out = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.OperationalError:
            out = []
    con.close()
    return out


def iter_revisions() -> Iterator[tuple[str, str | None]]:
    """(revision, down_revision) from the scripts, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.config())
    for script in reversed(list(scripts.walk_revisions())):
        down = script.down_revision
        assert down is None or isinstance(down, str)
        yield script.revision, down
