"""The signing benchmark's raw baseline does the checks it is compared for: it recomputes
every hash and verifies every signature of a governed file, and fails on a forged one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from benchmarks import signing
from benchmarks.bench import transitions


def test_the_raw_loop_checks_every_event_verify_checks_and_refuses_a_forged_signature(
    tmp_path: Path,
) -> None:
    path = tmp_path / "signed.db"
    engine, actor, ids = signing._build(path, 3, governed=True)
    for case_id, trigger, when, data in transitions(ids, 2):
        engine.fire(case_id, trigger, actor=actor, occurred_at=when, data=data)
    result = engine.verify(replay=False)
    engine.close()
    assert result.ok
    assert result.signed == result.events == 12
    assert signing.raw_verify(path) == result.events

    con = sqlite3.connect(path)
    with con:
        (sig,) = con.execute("SELECT signature FROM events WHERE seq = 2 LIMIT 1").fetchone()
        con.execute("DROP TRIGGER IF EXISTS events_append_only_update")
        con.execute(
            "UPDATE events SET signature = ? WHERE id = (SELECT MAX(id) FROM events)", (sig,)
        )
    con.close()
    with pytest.raises(InvalidSignature):
        signing.raw_verify(path)
