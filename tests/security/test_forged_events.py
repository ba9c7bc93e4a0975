"""Forged events on a governed database: a DBA who edits the SQLite file with sqlite3 (the
append-only triggers dropped) and recomputes every hash — so the chain, the ``prev_hash``
links and ``cases.head_hash`` all hold — is still caught by the events' signatures (see
:mod:`shouhu.engine.signatures`): one test per kind of forgery, each on a fresh copy of one
database, each naming what ``verify`` says (the case, the seq, the reason).

What signatures alone cannot show — an event removed from the end of a case, the chain set
back consistently — is shown here with the anchor (``verify(anchor=...)``).
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shouhu import Engine, FakeClock
from shouhu.engine.audit import Verification
from shouhu.engine.model import Event
from shouhu.engine.signing import Credential, event_statement, sign

ZONE = "Asia/Shanghai"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
HERE = "石桥村, 青山镇, 山城县"
CHILD = {"name": "王小明", "birthdate": "2016-02-01"}
SCHOOL = {"kind": "school", "name": "青山镇中心小学"}


@dataclass(frozen=True)
class World:
    """The template database and what the attacker knows of it (ids, the operators' keys)."""

    path: Path
    case_a: str  # reported anonymously, moved by the police and the township
    case_b: str  # filed by the police, dispatched by an officer disabled since
    creds: dict[str, Credential]
    disabled_at: datetime


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("forged") / "cases.db"
    clock = FakeClock(START)
    with Engine.open("sqlite:///" + str(path), clock=clock, zone=ZONE) as engine:
        _, admin = engine.init_admin("县管理员", body="山城县民政局")
        clock.advance(minutes=1)
        _, police = engine.add_operator(admin, "李警官", role="police", scope="青山镇, 山城县")
        _, township = engine.add_operator(
            admin, "青山镇政府", role="township", scope="青山镇, 山城县"
        )
        officer, officer_cred = engine.add_operator(
            admin, "王警官", role="police", scope="青山镇, 山城县"
        )
        clock.advance(minutes=1)
        a = engine.report(
            "solo_living",
            child=CHILD,
            location=HERE,
            reporter=SCHOOL,
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
        ).id
        clock.advance(minutes=5)
        engine.fire(a, "dispatch", actor=police, occurred_at="2026-03-02T09:05")
        clock.advance(minutes=5)
        engine.fire(a, "admonish_parents", actor=police, occurred_at="2026-03-02T09:10")
        clock.advance(minutes=5)
        engine.fire(a, "education_given", actor=township, occurred_at="2026-03-02T09:15")
        clock.advance(minutes=5)
        b = engine.report(
            "solo_living",
            child={"name": "李小红", "birthdate": "2015-06-01"},
            location="东坡村, 青山镇, 山城县",
            reporter=SCHOOL,
            discovered_at="2026-03-02T09:00",
            occurred_at="2026-03-02T09:10",
            credential=police,
        ).id
        clock.advance(minutes=5)
        engine.fire(b, "dispatch", actor=officer_cred, occurred_at="2026-03-02T09:25")
        clock.advance(hours=1)
        disabled_at = engine.disable_operator(admin, officer.id).disabled_at
        assert disabled_at is not None
        clock.advance(hours=1)
        v = engine.verify()
        assert v.ok, v.to_dict()
        assert (v.signed, v.anonymous, v.unsigned_before) == (5, 1, 0)
    creds = {"admin": admin, "police": police, "township": township, "officer": officer_cred}
    return World(path, a, b, creds, disabled_at)


# -- the attacker ------------------------------------------------------------------------------


class Dba:
    """sqlite3 on a copy of the file, the triggers dropped: reads and rewrites a case's events
    and recomputes its chain as the engine would have."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = sqlite3.connect(path)
        self.con.row_factory = sqlite3.Row
        with self.con:
            for (name,) in list(
                self.con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ):
                self.con.execute(f'DROP TRIGGER "{name}"')

    def rows(self, case_id: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.con.execute(
                "SELECT * FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
            )
        ]

    def rechain(self, case_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write ``rows`` as the case's whole chain: each hash recomputed over its content
        and its predecessor's hash, the case row's version and head set to the last (the
        signatures left as the rows give them)."""
        prev = "0" * 64
        with self.con:
            self.con.execute("DELETE FROM events WHERE case_id = ?", (case_id,))
            for seq, row in enumerate(rows, start=1):
                row.update(seq=seq, prev_hash=prev)
                row["hash"] = prev = _event(row).computed_hash()
                row.pop("id", None)
                cols = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                self.con.execute(
                    f"INSERT INTO events ({cols}) VALUES ({marks})", tuple(row.values())
                )
            self.con.execute(
                "UPDATE cases SET version = ?, head_hash = ? WHERE id = ?",
                (len(rows), prev, case_id),
            )
        return rows

    def set(self, case_id: str, seq: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.con:
            done = self.con.execute(
                f"UPDATE events SET {sets} WHERE case_id = ? AND seq = ?",
                (*values.values(), case_id, seq),
            )
            assert done.rowcount == 1

    def close(self) -> None:
        self.con.close()


def _event(row: dict[str, Any]) -> Event:
    return Event(
        row["case_id"],
        row["seq"],
        row["workflow"],
        row["workflow_version"],
        row["policy_version"],
        row["trigger"],
        row["from_state"],
        row["to_state"],
        row["actor"],
        row["role"],
        _instant(row["occurred_at"]),
        _instant(row["recorded_at"]),
        json.loads(row["data"]),
        row["prev_hash"],
        row["hash"],
        json.loads(row["effects"]),
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _text(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _resign(row: dict[str, Any], key: Ed25519PrivateKey, operator_id: str) -> None:
    row["operator_id"] = operator_id
    row["signature"] = sign(key, event_statement(row["hash"], operator_id))


@pytest.fixture
def dba(world: World, tmp_path: Path) -> Iterator[Dba]:
    """The attacker on a fresh copy of the template."""
    path = tmp_path / "cases.db"
    shutil.copy(world.path, path)
    attacker = Dba(path)
    yield attacker
    attacker.close()


def _verify(dba: Dba, **kwargs: Any) -> Verification:
    """``verify`` on the file the attacker left, by an engine opened after (a day later)."""
    dba.close()
    clock = FakeClock(START + timedelta(days=1))
    with Engine.open("sqlite:///" + str(dba.path), clock=clock, zone=ZONE) as engine:
        return engine.verify(**kwargs)


def _broken(dba: Dba, case_id: str, seq: int, *words: str) -> str:
    """``verify`` fails on exactly this case at this seq, for a signature; the reason."""
    v = _verify(dba)
    assert not v.ok
    assert [(b.case_id, b.seq) for b in v.broken] == [(case_id, seq)], v.to_dict()
    reason = v.broken[0].reason
    for word in ("signature", *words):
        assert word in reason, reason
    assert v.registry_broken == []
    return reason


# -- the forgeries -------------------------------------------------------------------------------


def test_altered_event_content_with_the_chain_recomputed_is_caught_by_its_signature(
    world: World, dba: Dba
) -> None:
    """The police's admonishing (seq 3) given other data, every hash after it, the links and
    the case's head recomputed: the chain holds, the signature over the old hash does not."""
    rows = dba.rows(world.case_a)
    assert rows[2]["trigger"] == "admonish_parents"
    rows[2]["data"] = json.dumps({"note": "已训诫（伪造）"}, ensure_ascii=False)
    dba.rechain(world.case_a, rows)
    reason = _broken(dba, world.case_a, 3, "does not verify")
    assert "李警官" in reason


@pytest.mark.parametrize("signer", ["nobody", "made_up_operator", "made_up_key"])
def test_an_inserted_last_event_with_the_chain_recomputed_is_caught_by_its_signature(
    world: World, dba: Dba, signer: str
) -> None:
    """A new last event (the case closed, as if the township had done it), linked to the old
    head, the case row's version and head moved to it: unsigned, or signed by an operator the
    registry does not hold, or by a key that is not the named operator's."""
    rows = dba.rows(world.case_a)
    last = rows[-1]
    fake = dict(last, trigger="close", from_state=last["to_state"], to_state="closed")
    fake["data"] = json.dumps({"summary": "结案"}, ensure_ascii=False)
    fake["recorded_at"] = fake["occurred_at"] = _text(START + timedelta(hours=3))
    fake["operator_id"] = fake["signature"] = None
    rows = dba.rechain(world.case_a, [*rows, fake])
    if signer != "nobody":
        who = "01FORGED0000000000000000XX" if signer == "made_up_operator" else None
        township = world.creds["township"].operator_id
        _resign(rows[-1], Ed25519PrivateKey.generate(), who or township)
        dba.set(world.case_a, 5, operator_id=rows[-1]["operator_id"],
                signature=rows[-1]["signature"])  # fmt: skip
    expect = {
        "nobody": "unsigned, but recorded after operators existed",
        "made_up_operator": "not in the operator registry",
        "made_up_key": "does not verify",
    }[signer]
    _broken(dba, world.case_a, 5, expect)


def test_a_signature_made_with_another_operators_key_is_caught(world: World, dba: Dba) -> None:
    """The township's key (taken from its credential) signs the police's dispatch, the
    operator id left the police's: the police's key does not verify it."""
    row = dba.rows(world.case_a)[1]
    police = world.creds["police"].operator_id
    assert (row["trigger"], row["operator_id"]) == ("dispatch", police)
    _resign(row, world.creds["township"].key, police)
    dba.set(world.case_a, 2, signature=row["signature"])
    _broken(dba, world.case_a, 2, "does not verify")


def test_an_event_reattributed_to_an_operator_of_another_role_is_caught_by_role(
    world: World, dba: Dba
) -> None:
    """Someone holding the township's key claims the police's dispatch as theirs: the
    signature is the township's own and verifies, but the event's role is police."""
    row = dba.rows(world.case_a)[1]
    township = world.creds["township"]
    _resign(row, township.key, township.operator_id)
    dba.set(world.case_a, 2, operator_id=row["operator_id"], signature=row["signature"])
    reason = _broken(dba, world.case_a, 2, "role")
    assert "recorded as role police" in reason
    assert "holds role township" in reason


def test_an_act_dated_after_its_operator_was_disabled_is_caught(world: World, dba: Dba) -> None:
    """The disabled officer's dispatch moved past the disabling, the chain recomputed and
    re-signed with the officer's own key: no key of theirs was valid then."""
    rows = dba.rows(world.case_b)
    officer = world.creds["officer"]
    assert rows[-1]["operator_id"] == officer.operator_id
    rows[-1]["recorded_at"] = _text(world.disabled_at + timedelta(minutes=30))
    rows = dba.rechain(world.case_b, rows)
    _resign(rows[-1], officer.key, officer.operator_id)
    dba.set(world.case_b, len(rows), signature=rows[-1]["signature"])
    reason = _broken(dba, world.case_b, len(rows), "disabled")
    assert "王警官" in reason


def test_an_unsigned_event_recorded_after_operators_existed_is_caught(
    world: World, dba: Dba
) -> None:
    """The township's step with its operator and signature NULLed (neither is hashed, so
    the chain is untouched): only a report may be unsigned, and only as a case's first."""
    dba.set(world.case_a, 4, operator_id=None, signature=None)
    _broken(dba, world.case_a, 4, "unsigned")


def test_a_signature_without_its_operator_is_caught(world: World, dba: Dba) -> None:
    dba.set(world.case_a, 3, operator_id=None)
    _broken(dba, world.case_a, 3, "without its operator")


def test_a_removed_last_event_is_not_caught_by_signatures_alone_but_by_the_anchor(
    world: World, tmp_path: Path
) -> None:
    """The township's step removed, the case row's version and head set back: every
    remaining event is still signed by its operator, so the chain and the signatures hold
    (no case is broken). The transparency log's leaf for it, taken in by the anchor, no longer
    matches, and the anchor taken before says the log changed; the full
    verify also sees that the derived case row no longer follows from the events."""
    path = tmp_path / "cases.db"
    shutil.copy(world.path, path)
    clock = FakeClock(START + timedelta(days=1))
    with Engine.open("sqlite:///" + str(path), clock=clock, zone=ZONE) as engine:
        anchor = engine.anchor(credential=world.creds["admin"])
    dba = Dba(path)
    rows = dba.rows(world.case_a)
    assert rows[-1]["trigger"] == "education_given"
    dba.rechain(world.case_a, rows[:-1])
    dba.close()
    clock.advance(hours=1)
    with Engine.open("sqlite:///" + str(path), clock=clock, zone=ZONE) as engine:
        alone = engine.verify(replay=False)
        assert alone.broken == []  # the chain and every signature hold
        assert (alone.signed, alone.anonymous) == (4, 1)
        # the transparency log, which took the event in at the anchor, names it
        assert any(world.case_a in line for line in alone.tree_broken), alone.tree_broken
        anchored = engine.verify(anchor=anchor, replay=False)
        assert anchored.anchor_holds is False
        assert not anchored.ok
        full = engine.verify()
        assert full.broken == []
        assert not full.ok  # the case row (state, facts) is no longer what the events give


# -- the databases before operators, and the registry itself -----------------------------------


def test_an_old_style_database_verifies_and_counts_every_event_unsigned_before_operators(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    with Engine.open("sqlite:///" + str(tmp_path / "old.db"), clock=clock, zone=ZONE) as engine:
        case = engine.report(
            "solo_living",
            child=CHILD,
            location=HERE,
            reporter=SCHOOL,
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
        ).id
        clock.advance(minutes=5)
        engine.fire(case, "dispatch", actor={"name": "李警官", "role": "police"})
        clock.advance(minutes=5)
        engine.fire(case, "admonish_parents", actor={"name": "李警官", "role": "police"})
        v = engine.verify()
        assert v.ok, v.to_dict()
        assert v.events == 3
        assert (v.unsigned_before, v.signed, v.anonymous) == (3, 0, 0)
        assert (v.registry_entries, v.registry_broken) == (0, [])


def test_old_unsigned_events_keep_verifying_after_the_first_admin(tmp_path: Path) -> None:
    """Events recorded before ``init_admin`` stay "unsigned, before operators existed";
    those after are signed (or anonymous reports)."""
    clock = FakeClock(START)
    with Engine.open("sqlite:///" + str(tmp_path / "old.db"), clock=clock, zone=ZONE) as engine:
        case = engine.report(
            "solo_living",
            child=CHILD,
            location=HERE,
            reporter=SCHOOL,
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
        ).id
        clock.advance(minutes=5)
        engine.fire(case, "dispatch", actor={"name": "李警官", "role": "police"})
        clock.advance(minutes=5)
        _, admin = engine.init_admin("县管理员")
        clock.advance(minutes=1)
        _, police = engine.add_operator(admin, "李警官", role="police", scope="青山镇, 山城县")
        clock.advance(minutes=1)
        engine.fire(case, "admonish_parents", actor=police)
        v = engine.verify()
        assert v.ok, v.to_dict()
        assert (v.unsigned_before, v.signed, v.anonymous) == (2, 1, 0)


@pytest.mark.parametrize("edit", ["role_to_admin", "scope_widened", "key_swapped"])
def test_an_altered_operator_registry_entry_is_caught(world: World, dba: Dba, edit: str) -> None:
    """The police officer's entry made an admin, given the whole country, or given the
    attacker's key: the registry's own hash chain names the entry."""
    police = world.creds["police"].operator_id
    (seq, body), *_ = dba.con.execute(
        "SELECT seq, body FROM operator_log WHERE operator_id = ? AND kind = 'operator_added'",
        (police,),
    )
    changed = json.loads(body)
    if edit == "role_to_admin":
        changed["role"] = "admin"
    elif edit == "scope_widened":
        changed["scope"] = "*"
    else:
        raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        changed["public_key"] = base64.b64encode(raw).decode()
    with dba.con:
        dba.con.execute(
            "UPDATE operator_log SET body = ? WHERE seq = ?",
            (json.dumps(changed, ensure_ascii=False), seq),
        )
    v = _verify(dba)
    assert not v.ok
    assert v.registry_broken, v.to_dict()
    assert any(f"entry {seq}:" in r and "content altered" in r for r in v.registry_broken)
