"""The access log: every read of a child's identity is recorded — who, in which role, when, why.

``case show --include-identity`` and ``audit export --include-identity`` need ``--as`` (an
operator's credential: who and in which role) and ``--reason``; without them nothing is shown
and nothing is written. An operator of the scheduler's ``system`` role reads no identity.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auditkit import AUDIT_NOW, CHILD, Cli, Dba, file_report

from shouhu import Engine, TransitionRefused
from tests.operatorkit import as_operator
from tests.operatorkit import resolve as resolve_operators

ID_NUMBER_FREE = CHILD["name"]


def who(db: Path) -> tuple[str, ...]:
    """The county procuratorate's auditor, and why they read."""
    return (*as_operator(db, "县检察院 刘检察官", "auditor"), "--reason", "专项监督 2026-03 第12号")


def resolve(db: Path, args: tuple[str, ...]) -> tuple[str, ...]:
    """``args`` with each ``@NAME:ROLE`` made ``--as PATH`` (:func:`operatorkit.resolve`)."""
    return tuple(resolve_operators(db, args))


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
    shown = cli.ok("case", "show", case_id, "--include-identity", *who(cli.db))
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
    data = cli.json("case", "show", case_id, "--include-identity", *who(cli.db))
    assert data["child"]["name"] == CHILD["name"]
    assert len(access_rows(dba)) == 2


def test_the_library_lists_the_reads(cli: Cli, db: Path, case_id: str) -> None:
    """``Engine.accesses`` gives the log, oldest first; per case or for all."""
    cli.ok(
        "case",
        "show",
        case_id,
        "--include-identity",
        *as_operator(db, "李警官", "police"),
        "--reason",
        "核实身份",
    )
    cli.ok("case", "show", case_id, "--include-identity", *who(db))
    with Engine.open("sqlite:///" + str(db)) as engine:
        reads = engine.accesses(case_id)
        assert [(a.actor, a.role) for a in reads] == [
            ("李警官", "police"),
            ("县检察院 刘检察官", "auditor"),
        ]
        assert reads[0].at <= reads[1].at
        assert reads[0].at.tzinfo is not None
        assert engine.accesses() == reads


NEEDS = "--include-identity needs"
GONE = "--actor is gone: the operator and role are the credential's; act as an operator with --as"
BOTH_GONE = GONE.replace("--actor is", "--actor and --role are")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), f"{NEEDS} --as, --reason"),
        (("--actor", "李警官", "--reason", "核实身份"), GONE),
        (("@李警官:police",), f"{NEEDS} --reason"),
        (("--reason", "核实身份"), f"{NEEDS} --as"),
        (("--actor", "李警官", "--role", "police", "--reason", "核实身份"), BOTH_GONE),
        (("@李警官:police", "--reason", ""), f"{NEEDS} --reason"),
    ],
    ids=["nothing", "actor, no credential", "no reason", "no credential", "actor and role",
         "empty reason"],
)  # fmt: skip
def test_identity_without_who_role_and_why_is_refused_and_writes_nothing(
    cli: Cli, dba: Dba, case_id: str, args: tuple[str, ...], says: str
) -> None:
    """Exit 2, one error line naming what is missing (who is ``--as``: ``--actor`` and
    ``--role`` are gone), no name shown, no row written."""
    args = resolve(dba.db, args)  # the operator made before the bytes are taken
    raw = dba.db.read_bytes()
    for extra in ((), ("--json",)):
        result = cli("case", "show", case_id, "--include-identity", *args, *extra)
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert result.stdout == ""
        assert result.stderr.startswith(f"shouhu: error: {says}"), result.stderr
        assert result.stderr.count("\n") == 1
        assert CHILD["name"] not in result.stderr
    assert access_rows(dba) == []
    assert dba.db.read_bytes() == raw


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("@李警官:police", "--reason", "   "), 2),
        (("@shouhu scheduler:system", "--reason", "例行"), 3),
    ],
    ids=["blank reason", "system role"],
)  # an unknown role ("detective"): test_an_unknown_role_is_refused_at_operator_add, below
def test_bad_readers_are_refused_and_write_nothing(
    cli: Cli, dba: Dba, case_id: str, args: tuple[str, ...], code: int
) -> None:
    """A blank reason is exit 2; an operator of the system role reads no identity (exit 3);
    nothing is shown or written."""
    result = cli("case", "show", case_id, "--include-identity", *resolve(dba.db, args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert CHILD["name"] not in result.stderr
    assert access_rows(dba) == []


def test_an_unknown_role_is_refused_at_operator_add(
    cli: Cli, dba: Dba, case_id: str, tmp_path: Path
) -> None:
    """No one reads as a "detective": the operator registry refuses the role (exit 2, one
    line naming it), writes no credential and adds no operator; no identity is read."""
    admin = tmp_path / "admin.json"
    cli.ok("init", "--admin", "县民政局 管理员", "--credential-out", str(admin))
    raw = dba.db.read_bytes()
    out = tmp_path / "detective.json"
    result = cli(
        "--as", str(admin), "operator", "add", "李警官", "--role", "detective",
        "--scope", "*", "--credential-out", str(out),
    )  # fmt: skip
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("shouhu: error: ")
    assert result.stderr.count("\n") == 1
    assert "detective" in result.stderr
    assert not out.exists()
    assert dba.db.read_bytes() == raw
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
            *who(cli.db),
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
    """Without --reason: exit 2; as an operator of the system role: exit 3; no file and no row
    either way."""
    out = tmp_path / "case.html"
    missing = cli(
        "audit",
        "export",
        case_id,
        "--output",
        str(out),
        "--include-identity",
        *as_operator(cli.db, "李警官", "police"),
    )
    assert missing.exit_code == 2, missing.stderr
    system = cli(
        "audit",
        "export",
        case_id,
        "--output",
        str(out),
        "--include-identity",
        *as_operator(cli.db, "scheduler", "system"),
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
    cli.ok("case", "show", case_id, "--include-identity", *who(cli.db))
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
