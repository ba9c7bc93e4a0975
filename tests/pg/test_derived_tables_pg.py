"""``audit verify`` recomputes every derived table on PostgreSQL too: the same tamperings as
on SQLite (``tests/audit/test_derived_tables.py``), made with psycopg, are each named."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shouhu import Engine, FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from auditkit import AUDIT_NOW, ZONE, seed_every_table


@pytest.fixture
def seeded(pg_url: str) -> str:
    """The audit tests' seed (every derived table has rows), written on PostgreSQL."""
    clock = FakeClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    with Engine.open(pg_url, clock=clock, zone=ZONE) as engine:
        clock.set(AUDIT_NOW)
        seed_every_table(engine)
        assert engine.verify().ok
    return pg_url


def _lines(url: str) -> list[str]:
    with Engine.open(url, zone=ZONE) as engine:
        result = engine.verify()
    assert not result.ok
    return [d.line() for d in result.derived] + list(result.journal_broken)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            "UPDATE deadlines SET status = 'met' WHERE id = "
            "(SELECT MIN(id) FROM deadlines WHERE status = 'pending')",
            "deadlines.status",
        ),
        (
            "UPDATE deadlines SET due_at = '2099-01-01T00:00:00Z' WHERE id = "
            "(SELECT MIN(id) FROM deadlines WHERE status = 'pending')",
            "deadlines.due_at",
        ),
        (
            "UPDATE cases SET village = '假村' WHERE id = (SELECT MIN(id) FROM cases)",
            "cases.village",
        ),
        (
            "UPDATE outbox SET status = 'delivered' WHERE id = "
            "(SELECT MIN(id) FROM outbox WHERE status = 'pending')",
            "outbox.status",
        ),
        ("UPDATE intake SET external_id = 'A-99' WHERE external_id = 'A-17'", "intake"),
        (
            "UPDATE access_log SET reason = '伪造' WHERE id = (SELECT MIN(id) FROM access_log)",
            "access_log.reason",
        ),
        (
            "DELETE FROM deadlines WHERE id = (SELECT MAX(id) FROM deadlines)",
            "in the log, not stored",
        ),
        ("UPDATE journal SET body = '{}' WHERE seq = 1", "journal entry 1"),
    ],
)
def test_verify_names_a_tampered_derived_table_on_postgresql(
    seeded: str, pg_database: Any, sql: str, named: str
) -> None:
    """A cell edited or a row deleted in a derived table of a PostgreSQL database fails
    verify, naming the table (and column)."""
    with pg_database.connect() as con:
        con.execute(sql)
    lines = _lines(seeded)
    assert any(named in line for line in lines), lines


def test_the_journal_chains_identity_reads_and_deliveries_on_postgresql(seeded: str) -> None:
    """The journal on PostgreSQL holds the seed's deliveries and identity reads in one chain
    whose entries each link to the one before."""
    with Engine.open(seeded, zone=ZONE) as engine:
        entries = list(engine.store.journal())
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert {e.kind for e in entries} == {"notice", "access"}
    assert all(e.computed_hash() == e.hash for e in entries)
    assert json.dumps([e.body for e in entries], ensure_ascii=False).count("核实监护人") == 1
