"""The access log: every read of a child's identity is recorded — who, in which role, when, why.

``case show --include-identity`` and ``audit export --include-identity`` need ``--actor``,
``--role`` and ``--reason``; without them nothing is shown and nothing is written. The
scheduler's ``system`` role reads no identity.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auditkit import AUDIT_NOW, CHILD, Cli, Dba, file_report

from shouhu import Engine, TransitionRefused

WHO = ("--actor", "县检察院 刘检察官", "--role", "auditor", "--reason", "专项监督 2026-03 第12号")
ID_NUMBER_FREE = CHILD["name"]


@pytest.fixture
def case_id(lib: Engine) -> str:
    case = file_report(lib)
    lib.close()
    return case


def access_rows(dba: Dba) -> list[dict[str, object]]:
    return [
        dict(r)
        for r in dba.rows(
            "SELECT case_id, actor, role, reason, what, at FROM access_log ORDER BY id"
        )
    ]


def test_case_show_with_identity_shows_the_name_and_records_the_read(
    cli: Cli, dba: Dba, case_id: str
) -> None:
    """The name is shown, and one access_log row says who, in which role, why and when."""
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    shown = cli.ok("case", "show", case_id, "--include-identity", *WHO)
    after = datetime.now(UTC).replace(tzinfo=None)
    assert CHILD["name"] in shown.stdout
    (row,) = access_rows(dba)
    assert {k: row[k] for k in ("case_id", "actor", "role", "reason", "what")} == {
        "case_id": case_id,
        "actor": "县检察院 刘检察官",
        "role": "auditor",
        "reason": "专项监督 2026-03 第12号",
        "what": "case show",
    }
    at = datetime.fromisoformat(str(row["at"]))
    assert before <= at <= after, (before, at, after)
    data = cli.json("case", "show", case_id, "--include-identity", *WHO)
    assert data["child"]["name"] == CHILD["name"]
    assert len(access_rows(dba)) == 2


def test_the_library_lists_the_reads(cli: Cli, db: Path, case_id: str) -> None:
    """``Engine.accesses`` gives the log, oldest first; per case or for all."""
    cli.ok(
        "case",
        "show",
        case_id,
        "--include-identity",
        "--actor",
        "李警官",
        "--role",
        "police",
        "--reason",
        "核实身份",
    )
    cli.ok("case", "show", case_id, "--include-identity", *WHO)
    with Engine.open("sqlite:///" + str(db)) as engine:
        reads = engine.accesses(case_id)
        assert [(a.actor, a.role) for a in reads] == [
            ("李警官", "police"),
            ("县检察院 刘检察官", "auditor"),
        ]
        assert reads[0].at <= reads[1].at
        assert reads[0].at.tzinfo is not None
        assert engine.accesses() == reads


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--actor", "李警官"),
        ("--actor", "李警官", "--role", "police"),
        ("--role", "police", "--reason", "核实身份"),
        ("--actor", "李警官", "--reason", "核实身份"),
        ("--actor", "李警官", "--role", "police", "--reason", ""),
    ],
    ids=["nothing", "actor only", "no reason", "no actor", "no role", "empty reason"],
)
def test_identity_without_who_role_and_why_is_refused_and_writes_nothing(
    cli: Cli, dba: Dba, case_id: str, args: tuple[str, ...]
) -> None:
    """Exit 2, one error line naming what is missing, no name shown, no row written."""
    raw = dba.db.read_bytes()
    for extra in ((), ("--json",)):
        result = cli("case", "show", case_id, "--include-identity", *args, *extra)
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert result.stdout == ""
        assert result.stderr.startswith("shouhu: error: --include-identity needs")
        assert CHILD["name"] not in result.stderr
    assert access_rows(dba) == []
    assert dba.db.read_bytes() == raw


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--actor", "李警官", "--role", "detective", "--reason", "核实"), 2),
        (("--actor", "李警官", "--role", "police", "--reason", "   "), 2),
        (("--actor", "shouhu scheduler", "--role", "system", "--reason", "例行"), 3),
    ],
    ids=["unknown role", "blank reason", "system role"],
)
def test_bad_readers_are_refused_and_write_nothing(
    cli: Cli, dba: Dba, case_id: str, args: tuple[str, ...], code: int
) -> None:
    """An unknown role or a blank reason is exit 2; the system role reads no identity
    (exit 3); nothing is shown or written."""
    result = cli("case", "show", case_id, "--include-identity", *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert CHILD["name"] not in result.stderr
    assert access_rows(dba) == []


def test_audit_export_with_identity_records_the_read(
    cli: Cli, dba: Dba, case_id: str, tmp_path: Path
) -> None:
    """``audit export --include-identity`` records one row per export, naming the format."""
    for fmt in ("html", "json"):
        out = tmp_path / f"case.{fmt}"
        cli.ok(
            "audit",
            "export",
            case_id,
            "--format",
            fmt,
            "--output",
            str(out),
            "--include-identity",
            *WHO,
        )
        assert CHILD["name"] in out.read_text(encoding="utf-8")
    assert [(r["what"], r["role"]) for r in access_rows(dba)] == [
        ("audit export html", "auditor"),
        ("audit export json", "auditor"),
    ]


def test_audit_export_without_identity_records_nothing(
    cli: Cli, dba: Dba, case_id: str, tmp_path: Path
) -> None:
    """An export that withholds identity reads none: no row, and no name in the file."""
    out = tmp_path / "case.html"
    cli.ok("audit", "export", case_id, "--format", "html", "--output", str(out))
    assert CHILD["name"] not in out.read_text(encoding="utf-8")
    assert access_rows(dba) == []


def test_audit_export_identity_needs_who_and_why_and_the_system_role_cannot(
    cli: Cli, dba: Dba, case_id: str, tmp_path: Path
) -> None:
    """Without --reason: exit 2; as system: exit 3; no file and no row either way."""
    out = tmp_path / "case.html"
    missing = cli(
        "audit",
        "export",
        case_id,
        "--output",
        str(out),
        "--include-identity",
        "--actor",
        "李警官",
        "--role",
        "police",
    )
    assert missing.exit_code == 2, missing.stderr
    system = cli(
        "audit",
        "export",
        case_id,
        "--output",
        str(out),
        "--include-identity",
        "--actor",
        "scheduler",
        "--role",
        "system",
        "--reason",
        "例行",
    )
    assert system.exit_code == 3, system.stderr
    assert not out.exists()
    assert access_rows(dba) == []


def test_library_read_identity_records_and_refuses_the_system_role(lib: Engine) -> None:
    """``read_identity`` returns the child and records the read at the engine's clock; the
    system role is refused and nothing is recorded."""
    case_id = file_report(lib)
    child = lib.read_identity(
        case_id, actor={"name": "李警官", "role": "police"}, reason="核实身份"
    )
    assert child.name == CHILD["name"]
    with pytest.raises(TransitionRefused):
        lib.read_identity(case_id, actor={"name": "scheduler", "role": "system"}, reason="x")
    (read,) = lib.accesses(case_id)
    assert (read.actor, read.role, read.reason, read.what, read.at) == (
        "李警官",
        "police",
        "核实身份",
        "identity",
        AUDIT_NOW,
    )


def test_the_access_log_is_append_only_in_sqlite(cli: Cli, dba: Dba, case_id: str) -> None:
    """Rows of the access log cannot be edited or deleted (triggers), short of dropping them."""
    cli.ok("case", "show", case_id, "--include-identity", *WHO)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        dba.execute("DELETE FROM access_log")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        dba.execute("UPDATE access_log SET reason = 'x'")
    assert len(access_rows(dba)) == 1


def test_show_without_identity_records_nothing_and_withholds(
    cli: Cli, dba: Dba, case_id: str
) -> None:
    """A plain ``case show`` (text or JSON) withholds the name and records no read."""
    assert CHILD["name"] not in cli.ok("case", "show", case_id).stdout
    data = cli.json("case", "show", case_id)
    assert CHILD["name"] not in json.dumps(data, ensure_ascii=False)
    assert access_rows(dba) == []
