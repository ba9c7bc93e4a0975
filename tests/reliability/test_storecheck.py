"""The kill test's checks catch what they are there to catch: they are not vacuous.

A store is written by the workload, then damaged the way a torn write would damage it (a case
row ahead of its events, a deadline row no event started, an acknowledgement the store does not
hold); each check must then fail, naming the damage.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import storecheck
from test_kills import WORKLOAD, child_env


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store the workload wrote in 150 operations, and its side files."""
    tmp = tmp_path_factory.mktemp("written")
    subprocess.run(
        [
            sys.executable,
            str(WORKLOAD),
            *("--db", f"sqlite:///{tmp / 'cases.db'}", "--ack", str(tmp / "acks.txt")),
            *("--outbox", str(tmp / "outbox.jsonl"), "--imports", str(tmp / "imports")),
            *("--seed", "3", "--steps", "150"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env=child_env(),
        timeout=120,
    )
    return tmp


def copy_of(written: Path, tmp_path: Path) -> tuple[str, sqlite3.Connection]:
    db = tmp_path / "copy.db"
    src = sqlite3.connect(written / "cases.db")
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    return f"sqlite:///{db}", dst


def test_the_checks_pass_on_what_the_workload_wrote(written: Path) -> None:
    url = f"sqlite:///{written / 'cases.db'}"
    snap = storecheck.snapshot(url)
    storecheck.check_whole(snap)
    acks = storecheck.check_acks(
        snap, written / "acks.txt", written / "outbox.jsonl", written / "imports"
    )
    assert acks > 150
    assert len(snap.cases) > 20


def test_a_case_row_ahead_of_its_events_is_found(written: Path, tmp_path: Path) -> None:
    url, con = copy_of(written, tmp_path)
    con.execute("UPDATE cases SET version = version + 1 WHERE rowid = 1")
    con.commit()
    con.close()
    with pytest.raises(AssertionError, match="version"):
        storecheck.check_whole(storecheck.snapshot(url))


def test_a_deadline_row_without_its_event_is_found(written: Path, tmp_path: Path) -> None:
    url, con = copy_of(written, tmp_path)
    con.execute(
        "INSERT INTO deadlines (case_id, kind, status, due_at, started_at, started_seq, "
        "policy_version) SELECT case_id, 'assessment', 'pending', '2030-01-01 00:00:00.000000', "
        "started_at, started_seq, policy_version FROM deadlines LIMIT 1"
    )
    con.commit()
    con.close()
    with pytest.raises(AssertionError, match="deadline rows without their event"):
        storecheck.check_whole(storecheck.snapshot(url))


def test_a_deadline_closed_in_its_row_but_not_by_an_event_is_found(
    written: Path, tmp_path: Path
) -> None:
    url, con = copy_of(written, tmp_path)
    con.execute(
        "UPDATE deadlines SET status = 'missed' WHERE status = 'pending' AND rowid IN "
        "(SELECT rowid FROM deadlines WHERE status = 'pending' LIMIT 1)"
    )
    con.commit()
    con.close()
    with pytest.raises(AssertionError, match="differ from their events"):
        storecheck.check_whole(storecheck.snapshot(url))


def test_an_acknowledged_write_the_store_lacks_is_found(written: Path, tmp_path: Path) -> None:
    acks = tmp_path / "acks.txt"
    lines = (written / "acks.txt").read_text().splitlines()
    case_id, version = next(w[1:] for w in map(str.split, lines) if w[0] == "case")
    acks.write_text("\n".join([*lines, f"case {case_id} {int(version) + 99}"]) + "\n")
    snap = storecheck.snapshot(f"sqlite:///{written / 'cases.db'}")
    with pytest.raises(AssertionError, match="acknowledged at"):
        storecheck.check_acks(snap, acks, written / "outbox.jsonl", written / "imports")
