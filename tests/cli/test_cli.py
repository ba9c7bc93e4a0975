"""The operator CLI, through typer's CliRunner on a temporary SQLite database.

Times are given with --at, in the past and in increasing order: without --at the CLI uses the
real wall clock.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shouhu import workflows
from shouhu.cli import app
from shouhu.engine.validation import id_check_digit
from tests.clikit import CliShell, report_argv
from tests.operatorkit import as_operator

CHILD = "王小明"
BIRTHDATE = "2016-02-01"
ID_NUMBER = "11010520160201123" + id_check_digit("11010520160201123")
CASE_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{16}$")
CITATION = "001 §四(三)"
#: Reading a child's identity is recorded: who reads (the operator of --as: ``Cli.who``) and why.
READER = ("--include-identity", "--reason", "核实身份")


@dataclass
class Cli(CliShell):
    """Runs ``shouhu`` commands on one database file; hands out increasing --at times."""

    db: Path
    runner: CliRunner = field(default_factory=CliRunner)
    clock: datetime = datetime(2026, 3, 2, 9, 0)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": "sqlite:///" + str(self.db),
            "SHOUHU_ZONE": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "COLUMNS": "80",
        }

    def who(self, role: str = "police") -> tuple[str, str]:
        """``--as`` the operator 李警官 in ``role`` (every act, and every read once the
        database has operators, is an operator's)."""
        # by the URL in use (tests/pg overrides it), the files kept beside the database file
        url = self.env["SHOUHU_DB"]
        assert url is not None
        return as_operator(url, "李警官", role, folder=self.db.parent)

    def at(self) -> str:
        self.clock += timedelta(minutes=5)
        return self.clock.isoformat(timespec="minutes")

    def report_args(self, type_: str = "solo_living", *extra: str) -> list[str]:
        argv = report_argv(child=CHILD, birthdate=BIRTHDATE)
        argv[1] = type_
        return [*argv, *extra]

    def report(self, type_: str = "solo_living", *extra: str) -> str:
        """A new case about the test's one child (``--new-case``: tests file it again and
        again; the duplicate refusal has tests of its own)."""
        return self.ok(*self.report_args(type_, "-q", "--new-case", *extra)).stdout.strip()

    def fire(self, case_id: str, trigger: str, role: str = "police", *data: str) -> Result:
        args = [
            "case",
            "fire",
            case_id,
            trigger,
            *self.who(role),
            "--at",
            self.at(),
        ]
        for item in data:
            args += ["--data", item]
        return self(*args)

    def show(self, case_id: str, *extra: str) -> dict[str, Any]:
        return json.loads(self.ok("case", "show", case_id, "--json", *self.who(), *extra).stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cases.db")


@pytest.fixture
def dispatched(cli: Cli) -> str:
    """A solo_living case that the police have dispatched to (version 2)."""
    case_id = cli.report()
    assert cli.fire(case_id, "dispatch").exit_code == 0
    return case_id


def table_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of both tables, read fresh (this also sees anything left in the WAL)."""
    con = sqlite3.connect(db)
    try:
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("cases", "events")
        }
    finally:
        con.close()


def db_state(
    cli: Cli, case_id: str
) -> tuple[bytes, dict[str, list[tuple[Any, ...]]], dict[str, Any]]:
    """The file's bytes, the tables' rows and the case as shown: what an error must not change.

    The case is shown without identity: reading it is recorded in the access log, a write.
    The child's identity is in the ``cases`` rows compared here all the same.
    """
    raw = cli.db.read_bytes()
    return raw, table_rows(cli.db), cli.show(case_id)


def assert_one_error_line(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("shouhu: error: ")
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    return result.stderr


# --- the happy path ------------------------------------------------------------------------------


def test_report_fire_show_list_and_next_work_together(cli: Cli) -> None:
    """A report is filed, moved on, shown, listed and offers its next triggers."""
    filed = cli.ok(*cli.report_args())
    (case_id,) = re.findall(r"[0-9A-Z]{16}", filed.stdout)
    assert "reported" in filed.stdout
    moved = cli.fire(case_id, "dispatch")
    assert moved.exit_code == 0
    assert "dispatched" in moved.stdout
    assert "version 2" in moved.stdout
    shown = cli.ok("case", "show", *cli.who(), case_id).stdout
    assert case_id in shown
    assert "dispatched" in shown
    listed = json.loads(cli.ok("case", "list", *cli.who(), "--json").stdout)
    assert [r["id"] for r in listed] == [case_id]
    nxt = json.loads(cli.ok("case", "next", *cli.who(), case_id, "--json").stdout)
    assert "complete_emergency" in [o["trigger"] for o in nxt]


def test_case_list_shows_every_case_id_in_full_on_an_80_column_terminal(cli: Cli) -> None:
    """Operators copy ids from the table: an id is never cut short or split across lines."""
    ids = [cli.report("solo_living"), cli.report("guardian_nonperformance")]
    listed = cli.ok("case", "list", *cli.who()).stdout
    for case_id in ids:
        assert case_id in listed
    assert "Cases (2)" in listed


def test_case_next_names_every_trigger_in_full_on_an_80_column_terminal(
    cli: Cli, dispatched: str
) -> None:
    """The text table of next steps shows whole trigger names, the words an operator types."""
    shown = cli.ok("case", "next", *cli.who(), dispatched).stdout
    for option in json.loads(cli.ok("case", "next", *cli.who(), dispatched, "--json").stdout):
        assert option["trigger"] in shown


def test_workflow_show_names_every_trigger_in_full_on_an_80_column_terminal(cli: Cli) -> None:
    """The text form of a workflow shows whole trigger names."""
    shown = cli.ok("workflow", "show", "suspected_abuse").stdout
    for trigger in workflows.latest("suspected_abuse").triggers:
        assert trigger in shown


def test_report_quiet_prints_only_the_new_case_id(cli: Cli) -> None:
    """-q prints the id and a newline, nothing else, on stdout; stderr stays empty (on a
    database that exists: creating one is said on stderr)."""
    cli.ok("db", "upgrade")
    result = cli.ok(*cli.report_args("solo_living", "-q"))
    assert CASE_ID.match(result.stdout.rstrip("\n"))
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_report_json_shows_the_new_case(cli: Cli) -> None:
    """report --json prints the case view: reported, version 1, identity withheld."""
    out = json.loads(cli.ok(*cli.report_args("missing_child", "--json")).stdout)
    assert (out["type"], out["state"], out["version"]) == ("missing_child", "reported", 1)
    assert out["child"]["identity"] == "withheld"
    assert CHILD not in json.dumps(out, ensure_ascii=False)


def test_case_show_json_has_the_documented_shape(cli: Cli, dispatched: str) -> None:
    """id, type, state, version, child, deadlines and a history of fully described events."""
    out = cli.show(dispatched)
    assert out["id"] == dispatched
    assert (out["type"], out["state"], out["version"]) == ("solo_living", "dispatched", 2)
    assert out["child"] == {"identity": "withheld", "left_behind": True, "age_at_discovery": 10}
    assert isinstance(out["deadlines"], list)
    assert [e["seq"] for e in out["history"]] == [1, 2]
    for item in out["history"]:
        for key in (
            "seq",
            "trigger",
            "from",
            "to",
            "actor",
            "role",
            "occurred_at",
            "recorded_at",
            "data",
            "hash",
        ):
            assert key in item
        assert re.fullmatch(r"[0-9a-f]{64}", item["hash"])
    report, dispatch = out["history"]
    assert (report["trigger"], report["from"], report["to"], report["role"]) == (
        "report",
        None,
        "reported",
        "reporter",
    )
    assert (dispatch["trigger"], dispatch["from"], dispatch["to"]) == (
        "dispatch",
        "reported",
        "dispatched",
    )
    assert dispatch["occurred_at"] == "2026-03-02T09:05:00+08:00"
    assert dispatch["prev_hash"] == report["hash"]


def test_case_show_withholds_identity_unless_asked(cli: Cli) -> None:
    """Name, birthdate and id number appear only with --include-identity, in JSON and text."""
    case_id = cli.report("solo_living", "--child-id-number", ID_NUMBER)
    for args in (("--json",), ()):
        text = cli.ok("case", "show", *cli.who(), case_id, *args).stdout
        for secret in (CHILD, BIRTHDATE, ID_NUMBER):
            assert secret not in text
    out = cli.show(case_id, *READER)
    assert (out["child"]["name"], out["child"]["birthdate"], out["child"]["id_number"]) == (
        CHILD,
        BIRTHDATE,
        ID_NUMBER,
    )
    assert CHILD in cli.ok("case", "show", *cli.who(), case_id, *READER).stdout


def test_case_list_json_lists_cases_in_filing_order_with_filters(cli: Cli) -> None:
    """case list --json gives {id, type, state, version, …}; --type, --state, --limit, --after."""
    first = cli.report("solo_living")
    second = cli.report("missing_child")
    third = cli.report("solo_living")
    assert cli.fire(third, "dispatch").exit_code == 0
    rows = json.loads(cli.ok("case", "list", *cli.who(), "--json").stdout)
    assert [r["id"] for r in rows] == sorted([first, second, third])
    for r in rows:
        assert {"id", "type", "state", "version"} <= set(r)
        assert CHILD not in json.dumps(r, ensure_ascii=False)
    by_id = {r["id"]: r for r in rows}
    assert (by_id[third]["state"], by_id[third]["version"]) == ("dispatched", 2)

    def ids(*args: str) -> list[str]:
        return [
            r["id"] for r in json.loads(cli.ok("case", "list", *cli.who(), "--json", *args).stdout)
        ]

    assert ids("--type", "missing_child") == [second]
    assert ids("--state", "dispatched") == [third]
    assert ids("--type", "solo_living", "--state", "reported") == [first]
    ordered = sorted([first, second, third])
    assert ids("--limit", "2") == ordered[:2]
    assert ids("--limit", "2", "--after", ordered[1]) == ordered[2:]


def test_case_next_json_lists_triggers_roles_destinations_and_data(
    cli: Cli, dispatched: str
) -> None:
    """case next --json gives {trigger, roles, to, data} for each trigger possible now."""
    options = json.loads(cli.ok("case", "next", *cli.who(), dispatched, "--json").stdout)
    by = {o["trigger"]: o for o in options}
    for o in options:
        assert {"trigger", "roles", "to", "data"} <= set(o)
    assert by["complete_emergency"]["roles"] == ["police"]
    assert by["complete_emergency"]["to"] == ["emergency_handled"]
    assert by["complete_emergency"]["guards"][0]["holds"] is False
    (placement,) = by["place_in_temporary_care"]["data"]
    assert placement["name"] == "placement"
    assert placement["required"] is True
    assert "nonperformance_six_months" not in by


def test_a_whole_branch_can_be_driven_from_the_command_line(cli: Cli, branches: Any) -> None:
    """solo_living to closed, with --data pairs (services as a comma list)."""
    case_id = cli.report("solo_living")
    for trigger, role, data in branches["solo_living"]:
        result = cli.fire(case_id, trigger, role, *(f"{k}={v}" for k, v in data.items()))
        assert result.exit_code == 0, result.stderr
    out = cli.show(case_id)
    assert (out["state"], out["outcome"]) == ("closed", "resolved")
    assert out["facts"]["services"] == ["guardianship_guidance", "psychological_counselling"]
    assert out["version"] == len(branches["solo_living"]) + 1


def test_case_fire_json_prints_the_case_after_the_trigger(cli: Cli, dispatched: str) -> None:
    """case fire --json prints the new view."""
    args = [
        "case",
        "fire",
        dispatched,
        "order_parents_return",
        *cli.who(),
        "--at",
        cli.at(),
        "--json",
        "--expect-version",
        "2",
    ]
    out = json.loads(cli.ok(*args).stdout)
    assert (out["state"], out["version"]) == ("dispatched", 3)
    assert out["facts"]["order_parents_return"] is True


def test_the_zone_option_shows_times_in_that_zone(cli: Cli, dispatched: str) -> None:
    """--zone UTC shows the same instants with a +00:00 offset."""
    out = json.loads(
        cli.ok("--zone", "UTC", "case", "show", dispatched, "--json", *cli.who()).stdout
    )
    assert out["reported_at"] == "2026-03-02T00:30:00+00:00"


def test_workflow_list_json_lists_the_six_types(cli: Cli) -> None:
    """workflow list --json: one {type, …} per report type."""
    rows = json.loads(cli.ok("workflow", "list", "--json").stdout)
    assert [r["type"] for r in rows] == list(workflows.all_types())
    for r in rows:
        assert r["zh"]
        assert r["version"] >= 1


@pytest.mark.parametrize("type_", workflows.types())
def test_workflow_show_mermaid_is_a_state_diagram(cli: Cli, type_: str) -> None:
    """--format mermaid starts with stateDiagram-v2 and draws every spine state."""
    out = cli.ok("workflow", "show", type_, "--format", "mermaid").stdout
    assert out.startswith("stateDiagram-v2")
    for state in workflows.latest(type_).state_names:
        assert f" as {state}" in out
    assert "[*] --> reported" in out


def test_workflow_show_json_and_text_describe_the_transitions(cli: Cli) -> None:
    """--format json lists transitions with citations; the text form prints their table."""
    out = json.loads(cli.ok("workflow", "show", "suspected_abuse", "--format", "json").stdout)
    assert out["type"] == "suspected_abuse"
    triggers = {t["trigger"] for t in out["transitions"]}
    assert {"stop_violence", "place_in_shelter", "petition_revocation"} <= triggers
    # the seed's clause, or the Civil Code article that completes it (Arts. 36, 38, 203)
    assert all(t["citation"].startswith((CITATION, "Civil Code Art. ")) for t in out["transitions"])
    assert "Transitions" in cli.ok("workflow", "show", "suspected_abuse").stdout


def test_a_successful_command_is_silent_on_stderr_by_default(cli: Cli) -> None:
    """Without --log-level, nothing reaches stderr when all goes well (once the database
    exists: the command that creates it says so)."""
    cli.ok("db", "upgrade")
    result = cli.ok(*cli.report_args())
    assert result.stderr == ""


# --- errors ---------------------------------------------------------------------------------------


Who = Callable[..., tuple[str, str]]


def _fire(who: Who, case_id: str, trigger: str, role: str = "police", *extra: str) -> list[str]:
    return [
        "case",
        "fire",
        case_id,
        trigger,
        *who(role),
        "--at",
        "2026-03-02T10:00",
        *extra,
    ]


def _report(**replace: str) -> list[str]:
    base = {
        "--child-name": CHILD,
        "--child-birthdate": BIRTHDATE,
        "--location": "石桥村, 青山镇",
        "--reporter-kind": "school",
        "--reporter": "青山镇中心小学",
        "--at": "2026-03-02T08:30",
    }
    base.update(replace)
    out = []
    for k, v in base.items():
        if v != "<omit>":
            out += [k, v]
    return out


ERRORS: list[tuple[str, Any, int, Sequence[str]]] = [
    ("unknown type", lambda c, who: ["report", "lost_pet", *_report()], 2, ["unknown report type"]),
    ("unknown trigger", lambda c, who: _fire(who, c, "teleport"), 2, ["unknown trigger"]),
    (
        "unknown case on fire",
        lambda c, who: _fire(who, "NOSUCHCASE000000", "dispatch"),
        2,
        ["no case"],
    ),
    (
        "unknown case on show",
        lambda c, who: ["case", "show", "NOSUCHCASE000000", *who()],
        2,
        ["no case"],
    ),
    (
        "bad birthdate",
        lambda c, who: ["report", "solo_living", *_report(**{"--child-birthdate": "2026-02-30"})],
        2,
        ["2026-02-30"],
    ),
    (
        "bad --at date",
        lambda c, who: [*_fire(who, c, "order_parents_return")[:-1], "2026-02-30T10:00"],
        2,
        ["2026-02-30"],
    ),
    (
        "bad --data",
        lambda c, who: _fire(who, c, "place_in_temporary_care", "police", "--data", "placement"),
        2,
        ["KEY=VALUE"],
    ),
    (
        "--data twice",
        lambda c, who: _fire(
            who,
            c,
            "place_in_temporary_care",
            "police",
            "--data",
            "placement=relief_agency",
            "--data",
            "placement=relief_agency",
        ),
        2,
        ["twice"],
    ),
    (
        "bad choice",
        lambda c, who: _fire(
            who, c, "place_in_temporary_care", "police", "--data", "placement=moon"
        ),
        2,
        ["placement"],
    ),
    (
        "missing option",
        lambda c, who: ["report", "solo_living", *_report(**{"--child-name": "<omit>"})],
        2,
        ["--child-name"],
    ),
    (
        "no credential",
        lambda c, who: ["case", "fire", c, "order_parents_return", "--at", "2026-03-02T10:00"],
        6,
        ["no credential", "--as PATH"],
    ),
    (
        "--role is gone",
        lambda c, who: [*_fire(who, c, "order_parents_return"), "--role", "police"],
        2,
        ["--role", "--as PATH"],
    ),
    (
        "--actor is gone",
        lambda c, who: [*_fire(who, c, "order_parents_return"), "--actor", "李警官"],
        2,
        ["--actor", "--as PATH"],
    ),
    (
        "unknown reporter kind",
        lambda c, who: ["report", "solo_living", *_report(**{"--reporter-kind": "alien"})],
        2,
        ["reporter kind"],
    ),
    # "unknown role": a role is the operator's now; the registry refuses an unknown one at
    # `operator add` (tests/cli/test_operators_cli.py::test_operator_add_refuses_an_unknown_role)
    (
        "future --at",
        lambda c, who: [*_fire(who, c, "order_parents_return")[:-1], "2199-01-01T00:00"],
        2,
        ["in the future"],
    ),
    (
        "--at before the last event",
        lambda c, who: [*_fire(who, c, "order_parents_return")[:-1], "2026-03-02T08:00"],
        2,
        ["precedes"],
    ),
    (
        "adult child",
        lambda c, who: ["report", "solo_living", *_report(**{"--child-birthdate": "2000-01-01"})],
        2,
        ["18 or older"],
    ),
    (
        "bad location",
        lambda c, who: ["report", "solo_living", *_report(**{"--location": "石桥村"})],
        2,
        ["location"],
    ),
    ("wrong state", lambda c, who: _fire(who, c, "notify_township"), 3, ["rule state", CITATION]),
    (
        "wrong role",
        lambda c, who: _fire(who, c, "order_parents_return", "township"),
        3,
        ["rule role", CITATION],
    ),
    ("auditor", lambda c, who: _fire(who, c, "order_parents_return", "auditor"), 3, ["rule role"]),
    (
        "system role",
        lambda c, who: _fire(who, c, "order_parents_return", "system"),
        3,
        ["rule role"],
    ),
    (
        "guard",
        lambda c, who: _fire(who, c, "complete_emergency"),
        3,
        ["rule guard", "child_in_care", CITATION],
    ),
    (
        "stale version",
        lambda c, who: _fire(who, c, "order_parents_return", "police", "--expect-version", "1"),
        4,
        ["version 2", "not 1"],
    ),
    (
        "bad log level",
        lambda c, who: ["--log-level", "loud", "case", "show", c, *who()],
        2,
        ["log-level"],
    ),
    (
        "bad workflow format",
        lambda c, who: ["workflow", "show", "solo_living", "--format", "svg"],
        2,
        ["--format"],
    ),
    ("bad limit", lambda c, who: ["case", "list", "--limit", "0", *who()], 2, ["--limit"]),
    (
        "unknown type filter",
        lambda c, who: ["case", "list", "--type", "lost_pet", *who()],
        2,
        ["lost_pet"],
    ),
    ("case id with a newline", lambda c, who: ["case", "show", "AB\nCD", *who()], 2, ["no case"]),
    (
        "bad id number",
        lambda c, who: [
            "report",
            "solo_living",
            *_report(),
            "--child-id-number",
            ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"),
        ],
        2,
        ["check digit"],
    ),
    (
        "unknown zone",
        lambda c, who: ["--zone", "Mars/Base", "case", "show", c, *who()],
        2,
        ["Mars/Base"],
    ),
]


@pytest.mark.parametrize(
    ("make_args", "code", "says"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_each_error_is_one_line_with_its_exit_code_and_writes_nothing(
    cli: Cli, dispatched: str, make_args: Any, code: int, says: Sequence[str]
) -> None:
    """Exit 2 bad input, 3 refused (naming rule and clause), 4 conflict, 6 no credential; one
    line; no write."""
    args = make_args(dispatched, cli.who)  # the operators it names are made before the check
    before = db_state(cli, dispatched)
    message = assert_one_error_line(cli(*args), code)
    for words in says:
        assert words in message
    assert db_state(cli, dispatched) == before


def test_a_database_that_cannot_be_created_exits_5(cli: Cli, tmp_path: Path) -> None:
    """A report into a database in a missing directory is unavailable: exit 5, one line,
    nothing created."""
    missing = tmp_path / "no" / "such" / "cases.db"
    result = cli.runner.invoke(
        app,
        ["--db", f"sqlite:///{missing}", *cli.report_args()],
        env=cli.env,
        prog_name="shouhu",
    )
    assert "no such directory" in assert_one_error_line(result, 5)
    assert not (tmp_path / "no").exists()


def test_a_malformed_database_url_is_bad_input(cli: Cli) -> None:
    """An unusable --db URL exits 2 with one line."""
    result = cli.runner.invoke(
        app, ["--db", "notaurl://", "case", "list"], env=cli.env, prog_name="shouhu"
    )
    assert "database URL" in assert_one_error_line(result, 2)


def test_the_no_write_check_sees_a_successful_write(cli: Cli, dispatched: str) -> None:
    """The check used above does notice a write: a successful fire changes the file and rows."""
    raw, rows, shown = db_state(cli, dispatched)
    assert cli.fire(dispatched, "order_parents_return").exit_code == 0
    raw2, rows2, shown2 = db_state(cli, dispatched)
    assert raw2 != raw
    assert len(rows2["events"]) == len(rows["events"]) + 1
    assert shown2["version"] == shown["version"] + 1


# --- logs -----------------------------------------------------------------------------------------


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_logs_carry_the_case_id_and_no_personal_data(cli: Cli) -> None:
    """--log-level info --json-logs: JSON lines on stderr with case_id; no name or birthdate."""
    filed = cli.ok(
        "--log-level",
        "info",
        "--json-logs",
        *cli.report_args("solo_living", "-q", "--child-id-number", ID_NUMBER),
    )
    case_id = filed.stdout.strip()
    assert CASE_ID.match(case_id)
    fired = cli.ok(
        "--log-level",
        "info",
        "--json-logs",
        "case",
        "fire",
        case_id,
        "dispatch",
        *cli.who(),
        "--at",
        cli.at(),
    )
    guardian = cli.ok(
        "--log-level",
        "info",
        "--json-logs",
        "case",
        "fire",
        case_id,
        "designate_entrusted_guardian",
        *cli.who(),
        "--at",
        cli.at(),
        "--data",
        "guardian_name=王大爷",
    )
    for result, event in (
        (filed, "case_reported"),
        (fired, "case_fired"),
        (guardian, "case_fired"),
    ):
        lines = _json_lines(result.stderr)
        assert lines, "no log lines"
        assert any(line.get("event") == event and line.get("case_id") == case_id for line in lines)
        for secret in (CHILD, BIRTHDATE, ID_NUMBER, "20160201", "王大爷"):
            assert secret not in result.stderr


def test_the_command_runs_as_python_dash_m_shouhu() -> None:
    """`python -m shouhu --help` prints the usage and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "shouhu", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    assert "report" in done.stdout
    assert "Traceback" not in done.stderr
