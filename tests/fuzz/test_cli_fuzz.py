"""The operator CLI under generated bad input, in process (typer's CliRunner) on one SQLite file.

Each generated command line is a good one (report, register, case fire/show/list/next,
deadlines, audit replay, workflow show) with parts broken: values replaced by generated text
(unicode, NUL, lone surrogates as undecodable argv bytes become, very long strings, SQL and
JSON metacharacters, odd dates and offsets), options dropped, repeated or unknown. Property:
exit 0 with nothing on stderr, or exit 2, 3, 4, 5 or 6 with exactly one stderr line starting
``shouhu: error:``, no traceback, nothing on stdout, and the database file and its write-ahead
log byte for byte as they were. Budget: ``fuzzkit.BUDGETS["cli"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fuzzkit as fk
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from shouhu.cli import app
from tests.clikit import report_argv
from tests.operatorkit import as_operator

REPORT = report_argv()
REGISTER = [
    "register",
    "child",
    "--name",
    "李小红",
    "--birthdate",
    "2015-06-01",
    "--location",
    "石桥村, 青山镇",
    "--parents-away",
    "both",
    "--at",
    "2026-03-02T09:00",
]


def fire(case_id: str, police: list[str]) -> list[str]:
    return [
        "case",
        "fire",
        case_id,
        "dispatch",
        *police,
        "--at",
        "2026-03-02T09:00",
        "--data",
        "placement=relief_agency",
    ]


def commands(case_id: str, police: list[str], village: list[str]) -> list[list[str]]:
    """Good command lines: acts and reads as an operator (``--as``, after the subcommand),
    reports without (anyone may report)."""
    return [
        REPORT,
        [*REPORT[:2], "--json", *REPORT[2:]],
        [*REPORT[:1], "missing_child", *REPORT[2:], "--data", "last_seen_place=村口"],
        [*REGISTER, *village],
        fire(case_id, police),
        ["case", "show", case_id, "--json", *police],
        ["case", "show", case_id, "--at", "2026-03-02T09:00", *police],
        ["case", "list", "--type", "solo_living", "--state", "reported", "--limit", "3", *police],
        ["case", "list", "--after", case_id, "--json", *police],
        ["case", "next", case_id, "--json", *police],
        [
            "deadlines",
            "--case",
            case_id,
            "--status",
            "pending",
            "--due-before",
            "2026-04-01",
            *police,
        ],
        ["audit", "replay", case_id, "--at", "2026-03-02T09:00", "--json", *police],
        ["audit", "report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json"],
        ["workflow", "show", "solo_living", "--format", "json"],
        ["outbox", "list", "--status", "pending", "--case", case_id],
    ]


#: What undecodable bytes in argv become on POSIX (surrogate escapes), and other argv oddities.
ARGV_ODD = ("\udcff", "王\udcfe小明", "\udcc3\udca9", "a\x00b", "\u202e", "-\u2212", "ｓｏｌｏ")

argv_text = st.one_of(
    st.sampled_from(ARGV_ODD),
    fk.nasty,
    fk.text_junk,
    fk.day_text,
    fk.instant_text,
    fk.trigger_name,
    fk.role_name,
    fk.report_type,
    st.sampled_from(("--json", "--help-me", "-q", "--", "-", "--at", "--data", "x=y", "=y")),
)


@st.composite
def command_line(draw: st.DrawFn, case_id: str, police: list[str], village: list[str]) -> list[str]:
    argv = list(draw(st.sampled_from(commands(case_id, police, village))))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(("value", "value", "value", "drop", "repeat", "insert")))
        i = draw(st.integers(0, len(argv) - 1)) if argv else 0
        if how == "value" and argv and argv[i].startswith("--") and i + 1 < len(argv):
            i += 1  # mostly an option's value, not the option itself
        if how == "value" and argv:
            argv[i] = draw(argv_text)
        elif how == "drop" and argv:
            del argv[i]
        elif how == "repeat" and argv:
            argv[i:i] = argv[i : i + 2]
        else:
            argv.insert(i, draw(argv_text))
    if draw(st.integers(0, 9)) == 0:
        argv = [draw(st.sampled_from(("--zone", "--log-level"))), draw(argv_text), *argv]
    return argv


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def invoke(db: Path, argv: list[str]) -> Result:
    env = {
        "SHOUHU_DB": "sqlite:///" + str(db),
        "SHOUHU_ZONE": None,
        "SHOUHU_LOG_LEVEL": None,
        "SHOUHU_LOG_FORMAT": None,
        "SHOUHU_POLICY": None,
        "COLUMNS": "80",
    }
    return CliRunner().invoke(app, argv, env=env, prog_name="shouhu")


def test_any_command_line_succeeds_quietly_or_fails_on_one_line_writing_nothing(db: Path) -> None:
    """exit 0 and a quiet stderr, or exit 2-6 with one ``shouhu: error:`` line and no write
    (6: a credential dropped or broken by the generator)."""
    filed = invoke(db, [*REPORT, "-q"])
    assert filed.exit_code == 0, filed.stderr
    case_id = filed.stdout.strip()
    police = list(as_operator(db, "李警官", "police"))
    village = list(as_operator(db, "石桥村委会", "village_committee"))
    ran = fk.Counter("cli")

    @fk.campaign_settings("cli")
    @given(command_line(case_id, police, village))
    def run(argv: list[str]) -> None:
        ran()
        before = fk.snapshot(db)
        result = invoke(db, argv)
        crash: Any = result.exception
        assert crash is None or isinstance(crash, SystemExit), repr(crash)
        ran.saw(None if result.exit_code == 0 else result.exit_code)
        if result.exit_code == 0:
            assert result.stderr == "", result.stderr
            return
        assert result.exit_code in {2, 3, 4, 5, 6}, (result.exit_code, result.stderr)
        assert result.stderr.startswith("shouhu: error: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.endswith("\n"), result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == "", result.stdout
        assert fk.snapshot(db) == before, f"{result.stderr.strip()} — but the file changed"

    run()
    ran.check()
