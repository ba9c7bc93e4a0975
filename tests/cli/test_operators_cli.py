"""Operators through the CLI (issue 15): ``shouhu init``, ``shouhu operator …`` and ``--as``.

Every act is an operator's: the credential file ``--as PATH`` names (or ``SHOUHU_CREDENTIAL``).
``--actor``/``--role`` are gone (exit 2, pointing to ``--as``); no credential, or one the
registry refuses, is exit 6 and writes nothing. On a database with operators, reads show only
the cases in the reader's scope.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shouhu.cli import app
from tests.clikit import CliShell

COUNTY = "安平县"
QINGSHAN = f"青山镇, {COUNTY}"


@dataclass
class Cli(CliShell):
    """``shouhu`` on one SQLite file; credential files are written beside it."""

    db: Path
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": f"sqlite:///{self.db}",
            "SHOUHU_CREDENTIAL": None,
            "SHOUHU_ZONE": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "COLUMNS": "200",
        }

    def file(self, name: str) -> Path:
        return self.db.parent / name

    def init(self) -> Path:
        """The first admin (scope everywhere) and their credential file."""
        self.ok("init", "--admin", "管理员", "--credential-out", str(self.file("admin.json")))
        return self.file("admin.json")

    def add(self, name: str, role: str, scope: str, out: str) -> dict[str, Any]:
        """An operator added by the admin: the registry's row, with the credential's path."""
        admin = str(self.file("admin.json"))
        made = self.ok(
            "--as",
            admin,
            "operator",
            "add",
            name,
            "--role",
            role,
            "--scope",
            scope,
            "--body",
            "青山镇派出所",
            "--credential-out",
            str(self.file(out)),
            "--json",
        )
        row: dict[str, Any] = json.loads(made.stdout)
        return row

    def report(self, child: str, location: str) -> str:
        """An anonymous report (no credential needed): the new case's id."""
        return self.ok(
            "report",
            "solo_living",
            "--child-name",
            child,
            "--child-birthdate",
            "2016-02-01",
            "--location",
            location,
            "--reporter-kind",
            "school",
            "--reporter",
            "中心小学",
            "-q",
        ).stdout.strip()

    def operator_id(self, name: str) -> str:
        """The id the registry gave operator ``name`` (as the admin lists them)."""
        admin = str(self.file("admin.json"))
        rows = json.loads(self.ok("--as", admin, "operator", "list", "--json").stdout)
        (found,) = [r["id"] for r in rows if r["name"] == name]
        return str(found)

    def listed(self, credential: Path) -> list[str]:
        rows = json.loads(self.ok("case", "list", "--json", "--as", str(credential)).stdout)
        return [r["id"] for r in rows]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cases.db")


@pytest.fixture
def police(cli: Cli) -> Path:
    """An admin, and a police officer of 青山镇 (李警官, credential police.json)."""
    cli.init()
    cli.add("李警官", "police", QINGSHAN, "police.json")
    return cli.file("police.json")


def one_error_line(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("shouhu: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- init ----------------------------------------------------------------------------------------


def test_init_makes_the_first_admin_and_writes_their_credential_readable_by_the_owner_only(
    cli: Cli,
) -> None:
    """``init --admin NAME``: an admin of scope everywhere; the credential file is 0600."""
    done = cli.ok("init", "--admin", "管理员", "--credential-out", str(cli.file("admin.json")))
    assert "管理员 (admin, scope *)" in done.stdout
    assert str(cli.file("admin.json")) in done.stdout
    assert mode(cli.file("admin.json")) == 0o600
    (admin,) = json.loads(
        cli.ok("operator", "list", "--json", "--as", str(cli.file("admin.json"))).stdout
    )
    assert (admin["name"], admin["role"], admin["scope"], admin["active"]) == (
        "管理员",
        "admin",
        "*",
        True,
    )


def test_init_is_refused_with_exit_3_once_the_database_has_operators(cli: Cli) -> None:
    """A second ``init`` is refused (rule registry) and writes no credential."""
    cli.init()
    again = cli("init", "--admin", "另一个", "--credential-out", str(cli.file("again.json")))
    assert "rule registry" in one_error_line(again, 3)
    assert not cli.file("again.json").exists()


# --- operator add / list / show / set-scope / disable / rotate-key -------------------------------


def test_operator_add_writes_a_credential_and_list_and_show_describe_the_operator(
    cli: Cli, police: Path
) -> None:
    """The new operator is listed with role, scope and body; ``show`` gives their key."""
    assert mode(police) == 0o600
    admin = str(cli.file("admin.json"))
    rows = json.loads(cli.ok("--as", admin, "operator", "list", "--json").stdout)
    by_name = {r["name"]: r for r in rows}
    officer = by_name["李警官"]
    assert (officer["role"], officer["scope"], officer["body"]) == (
        "police",
        QINGSHAN,
        "青山镇派出所",
    )
    assert "李警官" in cli.ok("--as", admin, "operator", "list").stdout
    shown = json.loads(cli.ok("--as", admin, "operator", "show", officer["id"], "--json").stdout)
    assert shown["id"] == officer["id"]
    assert [k["valid_to"] for k in shown["keys"]] == [None]
    text = cli.ok("--as", admin, "operator", "show", officer["id"]).stdout
    assert f"scope: {QINGSHAN}" in text
    assert "valid" in text


def test_operator_add_refuses_an_unknown_role(cli: Cli) -> None:
    """A role the law does not know (``mayor``): exit 2, naming it; no credential written."""
    cli.init()
    refused = cli(
        "--as",
        str(cli.file("admin.json")),
        "operator",
        "add",
        "王镇长",
        "--role",
        "mayor",
        "--scope",
        QINGSHAN,
        "--credential-out",
        str(cli.file("mayor.json")),
    )
    assert "unknown role 'mayor'" in one_error_line(refused, 2)
    assert not cli.file("mayor.json").exists()


def test_operator_add_needs_an_admin(cli: Cli, police: Path) -> None:
    """A police officer cannot add operators: exit 3 (rule role), no credential written."""
    refused = cli(
        "--as",
        str(police),
        "operator",
        "add",
        "张警官",
        "--role",
        "police",
        "--scope",
        QINGSHAN,
        "--credential-out",
        str(cli.file("other.json")),
    )
    assert "only an admin manages operators" in one_error_line(refused, 3)
    assert not cli.file("other.json").exists()


def test_set_scope_moves_what_an_operator_sees(cli: Cli, police: Path) -> None:
    """After ``set-scope`` to 白石乡 the officer sees its case, and no longer 青山镇's."""
    qingshan = cli.report("王小明", "石桥村, 青山镇")
    baishi = cli.report("李小红", "河村, 白石乡")
    assert cli.listed(police) == [qingshan]
    done = cli.ok(
        "--as",
        str(cli.file("admin.json")),
        "operator",
        "set-scope",
        cli.operator_id("李警官"),
        "--scope",
        f"白石乡, {COUNTY}",
    )
    assert f"now acts in 白石乡, {COUNTY}" in done.stdout
    assert cli.listed(police) == [baishi]


def test_a_disabled_operator_can_do_nothing(cli: Cli, police: Path) -> None:
    """``operator disable``: the officer's credential is then refused (exit 6)."""
    cli.report("王小明", "石桥村, 青山镇")
    officer_id = cli.operator_id("李警官")
    done = cli.ok("--as", str(cli.file("admin.json")), "operator", "disable", officer_id)
    assert "is disabled" in done.stdout
    refused = cli("case", "list", "--as", str(police))
    assert "disabled" in one_error_line(refused, 6)


def test_rotate_key_writes_a_new_credential_and_the_old_one_is_refused(
    cli: Cli, police: Path
) -> None:
    """After ``rotate-key`` the old credential is exit 6; the new one works."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    officer_id = cli.operator_id("李警官")
    new = cli.file("police-2.json")
    cli.ok(
        "--as",
        str(cli.file("admin.json")),
        "operator",
        "rotate-key",
        officer_id,
        "--credential-out",
        str(new),
    )
    assert mode(new) == 0o600
    old = cli("case", "list", "--as", str(police))
    assert "no longer accepts" in one_error_line(old, 6)
    assert cli.listed(new) == [case_id]


# --- who acts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gone",
    [("--actor", "李警官"), ("--role", "police"), ("--actor", "李警官", "--role", "police")],
    ids=["actor", "role", "both"],
)
def test_actor_and_role_are_gone_exit_2_pointing_to_as(
    cli: Cli, police: Path, gone: tuple[str, ...]
) -> None:
    """``--actor``/``--role`` on an act: exit 2, one line naming them and ``--as``; no write."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    before = cli.db.read_bytes()
    message = one_error_line(cli("case", "fire", case_id, "dispatch", *gone), 2)
    assert gone[0] in message
    assert "--as PATH" in message
    assert cli.db.read_bytes() == before


def test_an_act_without_a_credential_is_exit_6_and_writes_nothing(cli: Cli, police: Path) -> None:
    """No ``--as`` and no SHOUHU_CREDENTIAL: exit 6, the line says how; the file's bytes are
    unchanged."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    before = cli.db.read_bytes()
    message = one_error_line(cli("case", "fire", case_id, "dispatch"), 6)
    assert message.startswith("shouhu: error: no credential: act as an operator with --as PATH")
    assert cli.db.read_bytes() == before


def test_a_read_without_a_credential_on_a_database_with_operators_is_exit_6(
    cli: Cli, police: Path
) -> None:
    """``case list`` needs ``--as`` once the database has operators."""
    cli.report("王小明", "石桥村, 青山镇")
    assert "needs a credential" in one_error_line(cli("case", "list"), 6)


def test_a_group_readable_credential_is_refused_with_exit_6(cli: Cli, police: Path) -> None:
    """A credential file readable by others (0640) is refused, as ssh refuses such a key, and
    nothing is written."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    police.chmod(0o640)
    before = cli.db.read_bytes()
    message = one_error_line(cli("case", "fire", case_id, "dispatch", "--as", str(police)), 6)
    assert "readable by others" in message
    assert cli.db.read_bytes() == before


def test_a_credential_of_another_database_is_refused_with_exit_6(
    cli: Cli, police: Path, tmp_path: Path
) -> None:
    """An admin of another database has no standing here: exit 6, nothing written."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = Cli(other_dir / "other.db")
    stranger = other.init()
    before = cli.db.read_bytes()
    message = one_error_line(cli("case", "fire", case_id, "dispatch", "--as", str(stranger)), 6)
    assert "another database" in message
    assert cli.db.read_bytes() == before


def test_the_credential_may_be_given_in_shouhu_credential(cli: Cli, police: Path) -> None:
    """SHOUHU_CREDENTIAL=PATH does what ``--as PATH`` does."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    env = {**cli.env, "SHOUHU_CREDENTIAL": str(police)}
    done = cli.runner.invoke(app, ["case", "list", "--json"], env=env, prog_name="shouhu")
    assert done.exit_code == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == [case_id]


def test_as_is_accepted_before_and_after_the_subcommand(cli: Cli, police: Path) -> None:
    """``shouhu --as P case fire …`` and ``shouhu case fire … --as P`` both act as P, and the
    event records the operator's name and role."""
    case_id = cli.report("王小明", "石桥村, 青山镇")
    cli.ok("--as", str(police), "case", "fire", case_id, "dispatch")
    cli.ok("case", "fire", case_id, "order_parents_return", "--as", str(police))
    shown = json.loads(cli.ok("case", "show", case_id, "--json", "--as", str(police)).stdout)
    assert shown["version"] == 3
    assert [(e["actor"], e["role"]) for e in shown["history"][1:]] == [
        ("李警官", "police"),
        ("李警官", "police"),
    ]


# --- scoped reads ---------------------------------------------------------------------------------


def test_case_list_shows_only_the_cases_in_the_operators_scope(cli: Cli, police: Path) -> None:
    """An officer of 青山镇 does not see a case of 白石乡; the admin (scope *) sees both."""
    qingshan = cli.report("王小明", "石桥村, 青山镇")
    baishi = cli.report("李小红", "河村, 白石乡")
    assert cli.listed(police) == [qingshan]
    assert sorted(cli.listed(cli.file("admin.json"))) == sorted([qingshan, baishi])
    assert baishi not in cli.ok("case", "list", "--as", str(police)).stdout


def test_case_show_of_a_case_outside_the_scope_is_refused_by_rule_scope(
    cli: Cli, police: Path
) -> None:
    """``case show`` of a 白石乡 case by an officer of 青山镇: exit 3, rule scope, naming
    the case's place and the officer's scope."""
    baishi = cli.report("李小红", "河村, 白石乡")
    message = one_error_line(cli("case", "show", baishi, "--as", str(police)), 3)
    assert "rule scope" in message
    assert "白石乡" in message
    assert re.search(r"outside 李警官's scope \(青山镇, 安平县\)", message)
    assert "李小红" not in message


def test_reports_imported_with_a_credential_are_signed_and_without_one_are_anonymous(
    cli: Cli, police: Path
) -> None:
    """Anyone may report (001 §四(三)1): a file imported without ``--as`` gives anonymous
    reports; imported ``--as`` an operator, each report names and is signed by them."""
    from benchmarks import scale

    rows = cli.file("reports.csv")
    scale.write_file(rows, 2)
    cli.ok("import", "reports", str(rows), "--source", "hotline-a")
    cli.ok("import", "reports", str(rows), "--source", "hotline-b", "--as", str(police))
    shown = json.loads(cli.ok("audit", "verify", "--json").stdout)
    assert shown["ok"], shown
    assert (shown["signed"], shown["anonymous_reports"]) == (2, 2)
    officer = cli.operator_id("李警官")
    admin = cli.file("admin.json")  # everywhere: the reports are in three townships
    opening = [
        json.loads(cli.ok("case", "show", cid, "--json", "--as", str(admin)).stdout)["history"][0]
        for cid in cli.listed(admin)
    ]
    assert sorted(e["operator_id"] or "-" for e in opening) == sorted(["-", "-", officer, officer])


def protected(out: Path) -> list[str]:
    """The rest of a protected `operator add`: scope, file, --protect."""
    return ["--scope", QINGSHAN, "--credential-out", str(out), "--protect"]


def test_operator_add_protect_asks_a_passphrase_the_credential_then_needs(cli: Cli) -> None:
    """``--protect``: the key is written encrypted; acting with it needs SHOUHU_PASSPHRASE
    (exit 6 without, and nothing is written)."""
    admin = cli.init()
    out = cli.file("township.json")
    made = cli.runner.invoke(
        app,
        [*("--as", str(admin), "operator", "add", "陈静", "--role", "township"), *protected(out)],
        env=cli.env,
        input="镇里 2026\n镇里 2026\n",
        prog_name="shouhu",
    )
    assert made.exit_code == 0, made.stderr
    assert "ENCRYPTED PRIVATE KEY" in out.read_text(encoding="utf-8")
    refused = cli("case", "list", "--as", str(out))
    assert refused.exit_code == 6
    assert "passphrase" in refused.stderr
    env = {**cli.env, "SHOUHU_PASSPHRASE": "镇里 2026"}
    listed = cli.runner.invoke(app, ["case", "list", "--as", str(out)], env=env)
    assert listed.exit_code == 0, listed.stderr


@pytest.mark.parametrize(
    "args",
    [("--admin", "  "), ("--admin", "管理员", "--scope", "甲村, 乙镇, 丙县, 丁市")],
    ids=["blank name", "four-part scope"],
)
def test_init_with_bad_input_is_exit_2_and_makes_no_database(
    cli: Cli, args: tuple[str, ...]
) -> None:
    result = cli("init", *args, "--credential-out", str(cli.file("admin.json")))
    assert result.exit_code == 2
    assert result.stderr.startswith("shouhu: error: ")
    assert result.stderr.count("\n") == 1
    assert not cli.db.exists()
    assert not cli.file("admin.json").exists()
