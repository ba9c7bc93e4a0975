"""`shouhu outbox deliver` and `shouhu outbox list`, through CliRunner on a SQLite file.

Cases are filed through the library on the FakeClock; the CLI then runs on the wall clock, so
every notice written is already due.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from outboxkit import Answer, Endpoint, drive_to_township
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from shouhu import Engine
from shouhu.cli import app


@pytest.fixture
def cli(sqlite_url: str) -> Any:
    runner = CliRunner()

    def run(*args: str, **env: str | None) -> Result:
        base: dict[str, str | None] = {
            "SHOUHU_DB": sqlite_url,
            "SHOUHU_ZONE": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "SHOUHU_CHANNELS": None,
            "SHOUHU_WEBHOOK_URL": None,
            "SHOUHU_WEBHOOK_TIMEOUT": None,
            "SHOUHU_OUTBOX_JSONL": None,
            "COLUMNS": "80",
        }
        return runner.invoke(app, list(args), env={**base, **env}, prog_name="shouhu")

    return run


def listed(cli: Any, *args: str) -> list[dict[str, Any]]:
    result = cli("outbox", "list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_outbox_deliver_posts_to_the_webhook_and_outbox_list_shows_it_delivered(
    sqlite_engine: Engine, make_driver: Any, endpoint: Endpoint, cli: Any
) -> None:
    """SHOUHU_WEBHOOK_URL set: delivered through webhook and log, one line each and a count."""
    case_id = drive_to_township(sqlite_engine, make_driver)
    result = cli("outbox", "deliver", SHOUHU_WEBHOOK_URL=endpoint.url)
    assert result.exit_code == 0, result.stderr
    (seen,) = endpoint.seen()
    assert seen.json()["case_id"] == case_id
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"#1  {case_id}:")
    assert "delivered" in lines[0]
    assert "via webhook,log" in lines[0]
    assert lines[-1] == "delivered 1 of 1 notice due; 0 pending (retried later), 0 failed"
    (logged,) = [line for line in result.stderr.splitlines() if "] notice " in line]
    assert f"key={seen.key}" in logged  # the log channel's line (info, shown by default)

    (row,) = listed(cli)
    assert (row["status"], row["attempts"], row["channel"]) == ("delivered", 1, "webhook,log")
    assert row["case_id"] == case_id
    assert row["key"] == seen.key
    assert row["payload"]["notice"] == "report_accepted"

    again = cli("outbox", "deliver", SHOUHU_WEBHOOK_URL=endpoint.url)
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1].startswith("delivered 0 of 0 notices due")
    assert len(endpoint.seen()) == 1


def test_outbox_deliver_exits_0_when_a_notice_stays_pending(
    sqlite_engine: Engine, make_driver: Any, endpoint: Endpoint, cli: Any
) -> None:
    """A 503: printed as pending with the answer, exit 0; listed with attempts 1 and the error."""
    drive_to_township(sqlite_engine, make_driver)
    endpoint.answer(Answer(503, "maintenance"))
    result = cli("outbox", "deliver", SHOUHU_WEBHOOK_URL=endpoint.url)
    assert result.exit_code == 0, result.stderr
    assert "pending, next attempt " in result.stdout
    assert "HTTP 503: maintenance" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("1 pending (retried later), 0 failed")

    (row,) = listed(cli, "--status", "pending")
    assert (row["attempts"], row["last_error"]) == (1, "HTTP 503: maintenance")
    assert row["next_attempt_at"] is not None
    assert listed(cli, "--status", "delivered") == []


def test_a_400_is_failed_with_its_answer_in_outbox_list_json(
    sqlite_engine: Engine, make_driver: Any, endpoint: Endpoint, cli: Any
) -> None:
    """The 4xx body is kept and shown; a later deliver does not send it again."""
    drive_to_township(sqlite_engine, make_driver)
    endpoint.answer(Answer(400, '{"error": "recipient unknown"}'))
    first = cli("outbox", "deliver", "--json", SHOUHU_WEBHOOK_URL=endpoint.url)
    assert first.exit_code == 0, first.stderr
    (done,) = json.loads(first.stdout)
    assert done["status"] == "failed"

    (row,) = listed(cli, "--status", "failed")
    assert row["last_error"] == 'HTTP 400: {"error": "recipient unknown"}'
    assert cli("outbox", "deliver", SHOUHU_WEBHOOK_URL=endpoint.url).exit_code == 0
    assert len(endpoint.seen()) == 1


def test_outbox_list_filters_by_case_and_status(
    sqlite_engine: Engine, make_driver: Any, cli: Any
) -> None:
    """--case and --status narrow the list; an unknown status or case is exit 2."""
    a = drive_to_township(sqlite_engine, make_driver)
    b = drive_to_township(sqlite_engine, make_driver)
    assert [r["case_id"] for r in listed(cli)] == [a, b]
    assert [r["case_id"] for r in listed(cli, "--case", b)] == [b]
    assert [r["case_id"] for r in listed(cli, "--status", "pending")] == [a, b]
    bad = cli("outbox", "list", "--status", "lost")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("shouhu: error: unknown notice status 'lost'")
    assert len(bad.stderr.splitlines()) == 1
    assert cli("outbox", "list", "--case", "0000000000000000").exit_code == 2


def test_outbox_list_is_a_table_readable_at_80_columns_with_whole_ids(
    sqlite_engine: Engine, make_driver: Any, endpoint: Endpoint, cli: Any
) -> None:
    """No line wider than 80 cells; every notice id and key appears whole."""
    for _ in range(2):
        drive_to_township(sqlite_engine, make_driver)
    endpoint.answer(Answer(503, "upstream queue is full, please retry in a little while " * 3))
    assert cli("outbox", "deliver", SHOUHU_WEBHOOK_URL=endpoint.url).exit_code == 0
    result = cli("outbox", "list")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert all(cell_len(line) <= 80 for line in out.splitlines()), out
    assert all(line.rstrip().endswith(("┓", "┃", "┩", "│", "┘")) for line in out.splitlines()[1:])
    for row in listed(cli):
        assert row["key"] in out
        assert row["case_id"] in out
    assert "HTTP 503: upstream" in out
    assert "青山镇 township" in out
    assert "pending" in out
    assert "delivered" in out


def test_outbox_deliver_appends_to_the_jsonl_file(
    sqlite_engine: Engine, make_driver: Any, cli: Any, tmp_path: Path
) -> None:
    """SHOUHU_OUTBOX_JSONL: one line per notice delivered."""
    drive_to_township(sqlite_engine, make_driver)
    path = tmp_path / "notices.jsonl"
    result = cli("outbox", "deliver", SHOUHU_OUTBOX_JSONL=str(path))
    assert result.exit_code == 0, result.stderr
    (line,) = path.read_text(encoding="utf-8").splitlines()
    (row,) = listed(cli)
    assert json.loads(line)["key"] == row["key"]
    assert row["channel"] == "jsonl,log"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHOUHU_CHANNELS": "carrier_pigeon"}, "unknown channel 'carrier_pigeon'"),
        ({"SHOUHU_CHANNELS": "webhook"}, "needs SHOUHU_WEBHOOK_URL"),
        ({"SHOUHU_WEBHOOK_URL": "gopher://x/y"}, "webhook URL"),
        ({"SHOUHU_CHANNELS": "none"}, "no notice channels configured"),
    ],
)
def test_a_misconfigured_deliver_exits_2_with_one_line_and_sends_nothing(
    sqlite_engine: Engine, make_driver: Any, cli: Any, env: dict[str, str], message: str
) -> None:
    """Bad channel settings: exit 2, one line on stderr, the outbox untouched."""
    drive_to_township(sqlite_engine, make_driver)
    result = cli("outbox", "deliver", **env)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("shouhu: error: ")
    assert message in line
    (row,) = listed(cli)
    assert (row["status"], row["attempts"]) == ("pending", 0)


def test_outbox_without_a_command_shows_its_help(cli: Any) -> None:
    """`shouhu outbox` lists deliver and list."""
    result = cli("outbox")
    assert "deliver" in result.stdout
    assert "list" in result.stdout
