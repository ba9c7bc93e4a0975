"""The transparency log (issue 15): signed tree heads, consistency and inclusion proofs.

Cases are filed through the library on a FakeClock; the attacker edits the SQLite file with
sqlite3 (the append-only triggers dropped) and recomputes the case chains so each still
holds on its own: only the tree catches it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from auditkit import AUDIT_NOW, ZONE, Cli, file_report, fire

from shouhu import Engine, FakeClock
from shouhu.engine import transparency
from shouhu.engine.transparency import TreeHead, check_proof, format_tree_head, parse_tree_head
from shouhu.errors import InvalidInput, NotAuthenticated


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


def _open(db: Path) -> Engine:
    clock = FakeClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    engine = Engine.open("sqlite:///" + str(db), clock=clock, zone=ZONE)
    clock.set(AUDIT_NOW)
    return engine


def _seed(engine: Engine) -> list[str]:
    a = file_report(engine, at="2026-03-02T08:30:00")
    fire(engine, a, "2026-03-02T09:45:00", "dispatch")
    b = file_report(engine, "missing_child", at="2026-03-03T10:00:00")
    c = file_report(engine, at="2026-03-04T08:30:00")
    fire(engine, c, "2026-03-04T09:45:00", "dispatch")
    return [a, b, c]


@pytest.fixture
def seeded(db: Path) -> Iterator[tuple[Engine, list[str], str]]:
    engine = _open(db)
    cases = _seed(engine)
    sth = engine.anchor()
    yield engine, cases, sth
    engine.close()


def _dba(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db)
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f'DROP TRIGGER "{name}"')
    return con


def _rechain(con: sqlite3.Connection, db: Path, case_id: str) -> None:
    """Recompute every hash of the case's chain and its head from the (edited) rows, as a
    careful forger would."""
    con.commit()
    with _open(db) as engine:
        events = engine.store.events(case_id)
    prev = "0" * 64
    for event in events:
        new = replace(event, prev_hash=prev).computed_hash()
        con.execute(
            "UPDATE events SET prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?",
            (prev, new, case_id, event.seq),
        )
        prev = new
    con.execute("UPDATE cases SET head_hash = ? WHERE id = ?", (prev, case_id))


def _verify(db: Path, sth: str) -> Any:
    with _open(db) as engine:
        return engine.verify(anchor=sth)


# -- tree heads -----------------------------------------------------------------------------


def test_an_anchors_tree_head_verifies_and_an_old_one_still_holds(
    seeded: tuple[Engine, list[str], str],
) -> None:
    engine, cases, sth = seeded
    head = parse_tree_head(sth)
    assert head.size == 5
    assert head.signer is None
    result = engine.verify(anchor=sth)
    assert result.ok, result.to_dict()
    assert result.anchor_holds is True
    fire(engine, cases[1], "2026-03-03T11:00:00", "dispatch")
    later = engine.anchor()
    assert parse_tree_head(later).size == 6
    for anchor in (sth, later):
        again = engine.verify(anchor=anchor)
        assert again.ok, again.to_dict()
        assert again.anchor_holds is True


def test_the_tree_head_text_round_trips() -> None:
    head = TreeHead(7, "ab" * 32, datetime(2026, 3, 20, 1, 2, 3, 4, tzinfo=UTC), "OP1", "c2lnAA==")
    assert parse_tree_head(format_tree_head(head)) == head
    unsigned = TreeHead(0, "cd" * 32, datetime(2026, 3, 20, tzinfo=UTC))
    assert parse_tree_head(unsigned.text()) == unsigned
    text = unsigned.text()
    assert text.startswith("shouhu-sth-v1 size=0 root=")
    assert text.endswith("at=2026-03-20T00:00:00.000000Z signer=- sig=-")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "shouhu-sth-v1",
        "shouhu-sth-v1 size=x root=" + "a" * 64 + " at=2026-03-20T00:00:00Z signer=- sig=-",
        "shouhu-sth-v1 size=1 root=" + "A" * 64 + " at=2026-03-20T00:00:00Z signer=- sig=-",
        "shouhu-sth-v1 size=1 root=" + "a" * 64 + " at=yesterday signer=- sig=-",
        "shouhu-sth-v1 size=1 root=" + "a" * 64 + " at=2026-03-20T00:00:00Z signer=X sig=-",
        "shouhu-sth-v1 root=" + "a" * 64 + " size=1 at=2026-03-20T00:00:00Z signer=- sig=-",
    ],
)
def test_a_bad_tree_head_is_bad_input(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_tree_head(bad)
    assert info.value.field == "anchor"


def test_an_old_digest_anchor_is_still_verifiable(seeded: tuple[Engine, list[str], str]) -> None:
    from shouhu.engine.auditing import digest_anchor

    engine, _, _ = seeded
    old = digest_anchor(engine)
    assert old.startswith("shouhu-anchor-v1:")
    result = engine.verify(anchor=old)
    assert result.ok
    assert result.anchor_holds is True


# -- what the tree catches ------------------------------------------------------------------


def test_an_altered_event_with_its_chain_recomputed_is_named(
    seeded: tuple[Engine, list[str], str], db: Path
) -> None:
    _, cases, sth = seeded
    con = _dba(db)
    with con:
        con.execute("UPDATE events SET actor = '伪造' WHERE case_id = ? AND seq = 2", (cases[0],))
        _rechain(con, db, cases[0])
    con.close()
    result = _verify(db, sth)
    assert not result.broken, result.broken  # the chain holds on its own
    assert result.anchor_holds is False
    assert any(f"{cases[0]} seq 2" in line for line in result.tree_broken), result.tree_broken
    # without the anchor, the tree's stored leaf still names it
    with _open(db) as engine:
        plain = engine.verify()
    assert not plain.ok
    assert any(f"{cases[0]} seq 2" in line for line in plain.tree_broken)


def test_a_whole_deleted_case_is_named(seeded: tuple[Engine, list[str], str], db: Path) -> None:
    _, cases, sth = seeded
    gone = cases[1]
    con = _dba(db)
    with con:
        for table in ("events", "deadlines", "outbox", "intake"):
            con.execute(f"DELETE FROM {table} WHERE case_id = ?", (gone,))
        con.execute("DELETE FROM cases WHERE id = ?", (gone,))
    con.close()
    result = _verify(db, sth)
    assert not result.broken
    assert result.anchor_holds is False
    assert any(f"{gone} seq 1" in line and "gone" in line for line in result.tree_broken)


def test_a_whole_deleted_case_with_its_leaves_fails_the_tree_head(
    seeded: tuple[Engine, list[str], str], db: Path
) -> None:
    """The forger deletes the case's leaves too, and renumbers the rest: the root differs."""
    _, cases, sth = seeded
    gone = cases[1]
    con = _dba(db)
    with con:
        for table in ("events", "deadlines", "outbox", "intake", "tlog"):
            con.execute(f"DELETE FROM {table} WHERE case_id = ?", (gone,))
        con.execute("DELETE FROM cases WHERE id = ?", (gone,))
        rows = list(con.execute("SELECT leaf_index FROM tlog ORDER BY leaf_index"))
        for new, (old,) in enumerate(rows):
            con.execute("UPDATE tlog SET leaf_index = ? WHERE leaf_index = ?", (new, old))
    con.close()
    result = _verify(db, sth)
    assert result.anchor_holds is False
    assert not result.ok
    assert any("root" in line or "fewer" in line for line in result.tree_broken)


def test_two_leaves_swapped_fail_the_tree_head(
    seeded: tuple[Engine, list[str], str], db: Path
) -> None:
    _, _, sth = seeded
    con = _dba(db)
    with con:
        con.execute("UPDATE tlog SET leaf_index = -1 WHERE leaf_index = 0")
        con.execute("UPDATE tlog SET leaf_index = 0 WHERE leaf_index = 1")
        con.execute("UPDATE tlog SET leaf_index = 1 WHERE leaf_index = -1")
    con.close()
    result = _verify(db, sth)
    assert result.anchor_holds is False
    assert any("root" in line for line in result.tree_broken), result.tree_broken


def test_a_removed_event_is_named(seeded: tuple[Engine, list[str], str], db: Path) -> None:
    _, cases, sth = seeded
    con = _dba(db)
    with con:
        con.execute("DELETE FROM events WHERE case_id = ? AND seq = 2", (cases[2],))
        con.execute("DELETE FROM deadlines WHERE case_id = ?", (cases[2],))
        con.execute("DELETE FROM outbox WHERE case_id = ?", (cases[2],))
    con.close()
    result = _verify(db, sth)
    assert result.anchor_holds is False
    assert any(f"{cases[2]} seq 2" in line for line in result.tree_broken), result.tree_broken


def test_the_cli_prints_the_tree_heads_breaks(
    seeded: tuple[Engine, list[str], str], db: Path
) -> None:
    _, cases, sth = seeded
    assert "holds" in Cli(db).ok("audit", "verify", "--anchor", sth).stdout
    con = _dba(db)
    with con:
        con.execute("UPDATE events SET actor = 'x' WHERE case_id = ? AND seq = 1", (cases[0],))
        _rechain(con, db, cases[0])
    con.close()
    result = Cli(db)("audit", "verify", "--anchor", sth)
    assert result.exit_code == 1
    assert f"BROKEN transparency log leaf 0: {cases[0]} seq 1" in result.stdout
    assert "DOES NOT HOLD" in result.stdout
    assert f"{cases[0]} seq 1" in result.stderr
    bad = Cli(db)("audit", "verify", "--anchor", "shouhu-sth-v1 size=1")
    assert bad.exit_code == 2


# -- proofs ---------------------------------------------------------------------------------


@pytest.fixture
def proof(seeded: tuple[Engine, list[str], str]) -> dict[str, Any]:
    engine, cases, sth = seeded
    document = engine.prove(cases[0], sth)
    return json.loads(json.dumps(document, ensure_ascii=False))


def test_prove_and_check_proof_round_trip(proof: dict[str, Any]) -> None:
    assert len(proof["events"]) == 2
    assert check_proof(proof) == []


def test_a_changed_event_in_the_proof_fails(proof: dict[str, Any]) -> None:
    proof["events"][0]["data"]["forged"] = "伪造"
    assert any("does not match its hash" in p for p in check_proof(proof))


def test_a_changed_proof_step_fails(proof: dict[str, Any]) -> None:
    step = proof["events"][1]["inclusion_proof"][0]
    proof["events"][1]["inclusion_proof"][0] = ("0" if step[0] != "0" else "1") + step[1:]
    assert any("inclusion proof" in p for p in check_proof(proof))


def test_a_changed_root_fails(proof: dict[str, Any]) -> None:
    head = parse_tree_head(proof["tree_head"])
    proof["tree_head"] = replace(head, root="ee" * 32).text()
    problems = check_proof(proof)
    assert sum("inclusion proof" in p for p in problems) == 2


def test_a_proof_that_is_not_one_is_bad_input() -> None:
    for bad in (None, [], {"format": "x"}, {"format": transparency.PROOF_FORMAT}):
        with pytest.raises(InvalidInput):
            check_proof(bad)


def test_check_proof_runs_without_a_database(
    seeded: tuple[Engine, list[str], str], db: Path, tmp_path: Path
) -> None:
    _, cases, sth = seeded
    out = tmp_path / "proof.json"
    wrote = Cli(db).ok("audit", "prove", cases[0], "--anchor", sth, "--output", str(out))
    assert "personal data" in wrote.stdout
    assert out.stat().st_mode & 0o777 == 0o600
    again = Cli(db)("audit", "prove", cases[0], "--anchor", sth, "--output", str(out))
    assert again.exit_code == 2  # never over an existing file without --force
    Cli(db).ok("audit", "prove", cases[0], "--anchor", sth, "--output", str(out), "--force")
    nowhere = tmp_path / "nowhere" / "none.db"
    cli = Cli(nowhere)
    held = cli("audit", "check-proof", str(out))
    assert held.exit_code == 0, (held.stdout, held.stderr)
    assert "holds" in held.stdout
    assert json.loads(cli("audit", "check-proof", str(out), "--json").stdout)["holds"] is True
    document = json.loads(out.read_text(encoding="utf-8"))
    document["events"][1]["actor"] = "伪造"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    failed = cli("audit", "check-proof", str(forged))
    assert failed.exit_code == 1
    assert "DOES NOT HOLD" in failed.stdout
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    assert cli("audit", "check-proof", str(junk)).exit_code == 2
    assert cli("audit", "check-proof", str(tmp_path / "missing.json")).exit_code == 2
    assert not nowhere.parent.exists()
    assert not os.path.lexists(nowhere)


# -- a governed database --------------------------------------------------------------------


@pytest.fixture
def governed(db: Path) -> Iterator[tuple[Engine, Any, list[str]]]:
    engine = _open(db)
    cases = _seed(engine)
    engine.clock.set(AUDIT_NOW + timedelta(hours=1))  # type: ignore[attr-defined]
    _, admin = engine.init_admin("管理员")
    _, auditor = engine.add_operator(admin, "审计员", role="auditor", scope="山城县")
    file_report(engine, at="2026-03-05T08:30:00")  # an anonymous report
    yield engine, auditor, cases
    engine.close()


def test_a_governed_anchor_is_signed_and_verified(governed: tuple[Engine, Any, list[str]]) -> None:
    engine, auditor, cases = governed
    with pytest.raises(NotAuthenticated):
        engine.anchor()
    sth = engine.anchor(credential=auditor)
    head = parse_tree_head(sth)
    assert head.signer == auditor.operator_id
    assert head.signature
    result = engine.verify(anchor=sth)
    assert result.ok, result.to_dict()
    document = json.loads(json.dumps(engine.prove(cases[0], sth)))
    assert document["signer"]["name"] == "审计员"
    assert document["signer"]["role"] == "auditor"
    assert check_proof(document) == []
    forged_sig = "A" + head.signature[1:] if head.signature[0] != "A" else "B" + head.signature[1:]
    document["tree_head"] = replace(head, signature=forged_sig).text()
    assert any("tree head's signature" in p for p in check_proof(document))


def test_a_tree_head_with_an_altered_signature_does_not_hold(
    governed: tuple[Engine, Any, list[str]],
) -> None:
    engine, auditor, _ = governed
    head = parse_tree_head(engine.anchor(credential=auditor))
    assert head.signature is not None
    sig = head.signature
    forged = replace(head, signature=("A" if sig[0] != "A" else "B") + sig[1:])
    result = engine.verify(anchor=forged.text())
    assert result.anchor_holds is False
    assert any("signature" in line for line in result.tree_broken)
    unsigned = replace(head, signer=None, signature=None)
    assert engine.verify(anchor=unsigned.text()).anchor_holds is False


def test_a_tree_head_naming_an_unknown_signer_does_not_hold(
    governed: tuple[Engine, Any, list[str]],
) -> None:
    engine, auditor, _ = governed
    head = parse_tree_head(engine.anchor(credential=auditor))
    other = replace(head, signer="NOSUCHOPERATOR")
    assert engine.verify(anchor=other.text()).anchor_holds is False
