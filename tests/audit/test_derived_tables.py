"""Every table derived from the log is recomputed by ``audit verify``: an edit of any column,
a deleted row and a forged row are each named (exit 1).

The tests walk the schema (``shouhu.adapters.tables.METADATA``): a column added to a derived
table later gets its tamper test without anyone remembering to write one, and fails until
verify recomputes it. The attacker works on a copy of the file with sqlite3, as a DBA could,
with the append-only triggers dropped.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from auditkit import AUDIT_NOW, ZONE, Cli, Dba, seed_every_table

from shouhu import Engine, FakeClock
from shouhu.adapters.tables import METADATA, UTCDateTime
from shouhu.engine import derive

#: The tables the engine fills from the log (and the journal), each recomputed by verify.
DERIVED = ("cases", "deadlines", "outbox", "intake", "access_log")
#: Chained like the events: an edit breaks the chain itself (the journal, the operator
#: registry), or checked leaf by leaf against the events (the transparency log).
CHAINED = ("journal", "tlog", "operator_log")
#: Neither derived from the log nor part of it: ``shouhu serve``'s wrapped signing keys (what a
#: password opens, replaced when the operator sets a new one) and its record of login attempts
#: (the rate limit's memory; docs/security.md) — nothing verify could recompute them from.
OTHER: tuple[str, ...] = ("web_logins", "login_attempts")
#: Each table's key column.
KEY = {"journal": "seq", "tlog": "leaf_index", "operator_log": "seq"}
#: Surrogate keys the database hands out: no fact of the record (docs/audit.md). An intake
#: row is the only one of its case, so its key orders nothing either.
NOT_FACTS = {("intake", "id")}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with rows in every derived table, verified clean; each test edits a copy."""
    path = tmp_path_factory.mktemp("derived") / "cases.db"
    clock = FakeClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    with Engine.open("sqlite:///" + str(path), clock=clock, zone=ZONE) as engine:
        clock.set(AUDIT_NOW)
        seed_every_table(engine)
        assert engine.verify().ok
    for table in (*DERIVED, *CHAINED):
        assert Dba(path).rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] >= 2, table
    return path


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Path:
    """A copy of the template whose append-only triggers the attacker has dropped."""
    path = tmp_path / "cases.db"
    shutil.copy(template, path)
    con = sqlite3.connect(path)
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f'DROP TRIGGER "{name}"')
    con.close()
    return path


def _columns(tables: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(t, c.name) for t in tables for c in METADATA.tables[t].columns]


def _verify_fails(path: Path) -> str:
    """``audit verify`` on the file: exit 1; its stdout and stderr together."""
    result = Cli(path)("audit", "verify")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "verified" in result.stdout
    assert "FAILED" in result.stdout
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def _edit(path: Path, table: str, column: str) -> None:
    """Change one cell of ``table.column`` as an attacker would: a value of the column's type
    that differs from the stored one (a NULL gets a value)."""
    col = METADATA.tables[table].columns[column]
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    key = KEY.get(table, "id")
    with con:
        if column == key and table not in (*KEY, "cases"):  # a surrogate key
            _swap_keys(con, table)
            return
        rows = list(con.execute(f"SELECT {key} AS k, {column} AS v FROM {table} ORDER BY {key}"))
        row = next((r for r in rows if r["v"] is not None), rows[0])
        old = row["v"]
        kind = col.type
        if column == key and table in KEY:
            new: Any = old + 1000
        elif isinstance(kind, sa.JSON):
            value = json.loads(old) if old is not None else {}
            if isinstance(value, dict):
                value = {**value, "forged": "伪造"}
            new = json.dumps(value, ensure_ascii=False)
        elif isinstance(kind, sa.Boolean):
            new = 0 if old else 1
        elif isinstance(kind, sa.Integer):
            new = (old or 0) + (1000 if table == "tlog" else 1)  # tlog: (case_id, seq) unique
        elif isinstance(kind, sa.DateTime | UTCDateTime):
            new = "2026-03-05 01:02:03.000000" if old is None else _later(old)
        elif isinstance(kind, sa.Date):
            new = "2001-01-01" if old != "2001-01-01" else "2001-01-02"
        else:
            new = "伪造" if old is None else f"{old}x"
        changed = con.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (new, row["k"]))
        assert changed.rowcount == 1
    con.close()


def _later(text: str) -> str:
    when = datetime.fromisoformat(text)
    return when.replace(year=when.year + 1).isoformat(" ", "microseconds")


def _swap_keys(con: sqlite3.Connection, table: str) -> None:
    """Swap the ids of two rows (of one case where rows belong to cases): the same rows, in
    another order."""
    if "case_id" in METADATA.tables[table].columns and table != "access_log":
        pair = con.execute(
            f"SELECT MIN(id), MAX(id) FROM {table} GROUP BY case_id HAVING COUNT(*) >= 2 LIMIT 1"
        ).fetchone()
    else:
        pair = con.execute(f"SELECT MIN(id), MAX(id) FROM {table}").fetchone()
    a, b = pair
    assert a is not None
    assert a != b
    con.execute(f"UPDATE {table} SET id = -1 WHERE id = ?", (a,))
    con.execute(f"UPDATE {table} SET id = ? WHERE id = ?", (a, b))
    con.execute(f"UPDATE {table} SET id = ? WHERE id = -1", (b,))


def _names(out: str, table: str, column: str) -> bool:
    """Whether verify's output names the table and column (a swapped key: any cell of the
    table; a chained table: its broken chain)."""
    if table == "journal":
        return "journal entry" in out
    if table == "tlog":
        return "transparency log" in out
    if table == "operator_log":
        return "operator registry" in out
    if column == "id" and table != "cases":
        return f" {table}." in out
    return f"{table}.{column}" in out


def test_every_derived_table_and_column_is_covered_by_verify() -> None:
    """The schema's derived tables are the ones verify recomputes, column for column: a column
    added to a table and not to ``shouhu.engine.derive`` fails here."""
    for table, columns in derive.DERIVED_TABLES.items():
        assert tuple(c.name for c in METADATA.tables[table].columns) == columns, table
    assert set(METADATA.tables) == {"events", *DERIVED, *CHAINED, *OTHER}


@pytest.mark.parametrize(
    ("table", "column"),
    [tc for tc in _columns((*DERIVED, *CHAINED)) if tc not in NOT_FACTS],
    ids=lambda v: str(v),
)
def test_an_edited_cell_of_a_derived_table_is_named_by_verify(
    copy: Path, table: str, column: str
) -> None:
    """Editing any column of any derived (or chained) table makes ``audit verify`` exit 1,
    naming the table and column."""
    _edit(copy, table, column)
    out = _verify_fails(copy)
    assert _names(out, table, column), out


@pytest.mark.parametrize("table", [*DERIVED, *CHAINED])
def test_a_deleted_row_of_a_derived_table_is_named_by_verify(copy: Path, table: str) -> None:
    """Deleting a row of any derived table makes ``audit verify`` exit 1, naming the table."""
    key = KEY.get(table, "id")
    with sqlite3.connect(copy) as con:
        con.execute(f"DELETE FROM {table} WHERE {key} = (SELECT MIN({key}) FROM {table})")
    out = _verify_fails(copy)
    assert _table_named(out, table), out


@pytest.mark.parametrize("table", [*DERIVED, *CHAINED])
def test_a_forged_row_of_a_derived_table_is_named_by_verify(copy: Path, table: str) -> None:
    """Inserting a forged row (a copy of a real one under a new key, one column changed so no
    unique index refuses it) makes ``audit verify`` exit 1, naming the table."""
    columns = [c.name for c in METADATA.tables[table].columns]
    key = KEY.get(table, "id")
    unique = {"cases": "id", "outbox": "key", "intake": "external_id", "tlog": "case_id"}.get(table)
    con = sqlite3.connect(copy)
    with con:
        first = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key} LIMIT 1"
        values = next(iter(con.execute(first)))
        row = dict(zip(columns, values, strict=True))
        row[key] = con.execute(f"SELECT MAX({key}) + 1 FROM {table}").fetchone()[0]
        if unique is not None and unique != key:
            row[unique] = f"{row[unique]}F"
        if table == "cases":
            row["id"] = "FORGED0000000000"
        marks = ", ".join("?" * len(columns))
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [row[c] for c in columns],
        )
    con.close()
    out = _verify_fails(copy)
    assert _table_named(out, table), out


def _table_named(out: str, table: str) -> bool:
    names = {"journal": "journal entry", "tlog": "transparency log"}
    return names.get(table, table).replace("operator_log", "operator registry") in out


def test_a_renumbered_intake_row_is_not_a_finding(copy: Path) -> None:
    """An intake row's id is a key the database handed out, the only row of its case: verify
    does not report a new number (docs/audit.md lists the keys that are no fact)."""
    with sqlite3.connect(copy) as con:
        con.execute("UPDATE intake SET id = id + 1000")
    result = Cli(copy)("audit", "verify")
    assert result.exit_code == 0, (result.stdout, result.stderr)


def test_a_silenced_deadline_is_caught_and_named(copy: Path) -> None:
    """The three silencings of the issue — a pending deadline set to ``met``, its row deleted,
    its due time moved to 2099 — are each a finding naming the deadline's case and column."""
    dba = Dba(copy)
    pending = dba.rows("SELECT id, case_id FROM deadlines WHERE status = 'pending' ORDER BY id")
    assert len(pending) >= 3
    (a, ca), (b, cb), (c, cc) = [(r["id"], r["case_id"]) for r in pending[:3]]
    dba.execute("UPDATE deadlines SET status = 'met' WHERE id = ?", a)
    dba.execute("DELETE FROM deadlines WHERE id = ?", b)
    dba.execute("UPDATE deadlines SET due_at = '2099-01-01 00:00:00.000000' WHERE id = ?", c)
    out = _verify_fails(copy)
    assert f"{ca} deadlines.status" in out, out
    assert f"{cb} deadlines (" in out, out
    assert "in the log, not stored" in out, out
    assert f"{cc} deadlines.due_at" in out, out


def test_a_forged_name_on_the_case_row_is_named_without_showing_it(copy: Path) -> None:
    """A forged child's name and birthdate on a case row fail verify, naming the columns; the
    output never shows the name, forged or real (personal data)."""
    dba = Dba(copy)
    case_id = dba.rows("SELECT id FROM cases ORDER BY id LIMIT 1")[0]["id"]
    real = dba.rows("SELECT child_name FROM cases WHERE id = ?", case_id)[0]["child_name"]
    dba.execute(
        "UPDATE cases SET child_name = '假名', child_birthdate = '2001-01-01' WHERE id = ?", case_id
    )
    out = _verify_fails(copy)
    assert f"{case_id} cases.child_name" in out
    assert f"{case_id} cases.child_birthdate" in out
    assert "假名" not in out
    assert real not in out
    assert "2001-01-01" not in out
    data = json.loads(Cli(copy)("audit", "verify", "--json").stdout)
    columns = {d["column"] for d in data["derived"] if d["case_id"] == case_id}
    assert {"child_name", "child_birthdate"} <= columns
    assert "假名" not in json.dumps(data, ensure_ascii=False)


def test_a_forged_delivery_is_named_by_verify(copy: Path) -> None:
    """A pending notice marked delivered (the township never told, the record says it was)
    is named: the outbox's delivery columns follow from the journal."""
    dba = Dba(copy)
    key = dba.rows("SELECT key FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1")[0]["key"]
    dba.execute(
        "UPDATE outbox SET status = 'delivered', attempts = 1, channel = 'log', "
        "delivered_at = '2026-03-20 00:00:00.000000' WHERE key = ?",
        key,
    )
    out = _verify_fails(copy)
    for column in ("status", "attempts", "channel", "delivered_at"):
        assert f"outbox.{column} ({key})" in out, out


def test_a_consistent_journal_forgery_is_caught_by_an_earlier_anchor(
    template: Path, copy: Path
) -> None:
    """A forger who appends a well-chained journal entry (and the access row it derives) passes
    a plain verify; an anchor taken before catches it when the forged entry claims a time the
    anchor covers."""
    anchor = Cli(template)("audit", "anchor", "--digest").stdout.strip()
    con = sqlite3.connect(copy)
    with con:
        seq, prev = con.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        case_id = con.execute("SELECT id FROM cases ORDER BY id LIMIT 1").fetchone()[0]
        at = datetime(2026, 3, 19, tzinfo=UTC)
        from shouhu.engine.model import Access

        access = Access(case_id, "伪造者", "police", "伪造", "case show", at)
        e = derive.chain_entry((seq, prev), "access", case_id, derive.access_body(access), at)
        con.execute(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                e.seq,
                e.kind,
                e.case_id,
                json.dumps(e.body, ensure_ascii=False),
                "2026-03-19 00:00:00.000000",
                e.prev_hash,
                e.hash,
            ),
        )
        con.execute(
            "INSERT INTO access_log (case_id, actor, role, reason, what, at) "
            "VALUES (?, '伪造者', 'police', '伪造', 'case show', '2026-03-19 00:00:00.000000')",
            (case_id,),
        )
    con.close()
    plain = Cli(copy)("audit", "verify")
    assert plain.exit_code == 0, (plain.stdout, plain.stderr)
    anchored = Cli(copy)("audit", "verify", "--anchor", anchor)
    assert anchored.exit_code == 1, (anchored.stdout, anchored.stderr)
    assert "DOES NOT HOLD" in anchored.stdout
