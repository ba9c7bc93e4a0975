"""``shouhu register``: exit codes, one-line errors, nothing written on error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app
from tests.operatorkit import resolve

#: Stands for ``--as PATH`` of the operator ``NAME`` in ``ROLE`` (``@NAME:ROLE``): the
#: parametrized arguments are made before the test's database is.
VILLAGE = "@村儿童主任:village_committee"
BASE = ["--location", "青山村, 白水镇", VILLAGE]


def run(db: Path, *args: str) -> tuple[int, str, str]:
    env = {"SHOUHU_DB": f"sqlite:///{db}", "SHOUHU_ZONE": None, "SHOUHU_LOG_LEVEL": None}
    r = CliRunner().invoke(app, resolve(db, args), env=env, prog_name="shouhu")
    return r.exit_code, r.stdout, r.stderr


def child(*extra: str) -> list[str]:
    return ["register", "child", "--name", "张三", *BASE, "--parents-away", "both", *extra]


def test_register_child_then_case_show_next_fire_list_and_audit(tmp_path: Path) -> None:
    """A registered child is a case like any other: show, next, fire, list, verify."""
    db = tmp_path / "l.db"
    code, out, _ = run(
        db,
        *child(
            "--birthdate",
            "2015-04-30",
            "--at",
            "2026-01-05T09:00",
            "--guardian",
            "张奶奶",
            "--agreement-signed",
            "--json",
        ),
    )
    assert code == 0
    case = json.loads(out)
    assert case["type"] == "child_watch"
    assert "张三" not in out
    assert run(db, "case", "next", case["id"], "--json", VILLAGE)[0] == 0
    args = [
        "case",
        "fire",
        case["id"],
        "record_visit",
        VILLAGE,
        "--at",
        "2026-02-03T10:00",
        "--data",
        "notes=ok",
    ]
    assert run(db, *args)[0] == 0
    code, out, _ = run(db, "case", "list", "--type", "child_watch", "--json", VILLAGE)
    assert [r["id"] for r in json.loads(out)] == [case["id"]]
    assert run(db, "audit", "verify")[0] == 0
    assert run(db, "workflow", "show", "child_watch", "--format", "json")[0] == 0


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (child("--birthdate", "2010-03-15", "--at", "2026-03-16T00:00:00"), 2, "under_16"),
        (
            [
                "register",
                "woman",
                "--name",
                "李四",
                "--birthdate",
                "1990-01-01",
                *BASE,
                "--husband-away-since",
                "2025-09-01",
                "--at",
                "2026-01-05T09:00",
            ],
            2,
            "half_year",
        ),
        (child("--birthdate", "2015-04-30", "--id-number", "110105201504300014"), 2, "check"),
        (child("--birthdate", "2015-04-30", "--at", "2026-01-05T09:00"), 4, "already"),
        (
            [
                "register",
                "child",
                "--name",
                "张三",
                "--birthdate",
                "2015-04-30",
                "--location",
                "青山村, 白水镇",
                "@x:police",
                "--parents-away",
                "both",
            ],
            3,
            "role",
        ),
    ],
)
def test_each_refusal_is_one_line_with_its_exit_code_and_writes_nothing(
    tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    """Bad input 2, refused 3, duplicate 4; the database file is unchanged."""
    db = tmp_path / "l.db"
    first = child("--birthdate", "2015-04-30", "--at", "2026-01-05T08:00")
    assert run(db, *first)[0] == 0
    args = resolve(db, args)  # the operators made before the bytes are taken
    before = db.read_bytes()
    got, out, err = run(db, *args)
    assert (got, out) == (code, "")
    assert err.startswith("shouhu: error: ")
    assert err.count("\n") == 1
    assert words in err
    assert db.read_bytes() == before


def test_registering_at_the_last_second_of_the_16th_birthday_is_accepted(tmp_path: Path) -> None:
    """2026-03-15T23:59:59: still 15."""
    db = tmp_path / "l.db"
    assert run(db, *child("--birthdate", "2010-03-15", "--at", "2026-03-15T23:59:59"))[0] == 0
