"""Deadlines through the operator CLI: ``deadlines``, ``scheduler run --once``, ``policy show``,
``case list --overdue`` and the global ``--policy``.

The CLI runs on the real wall clock, so every time here is given (``--at``, ``--now``) and is a
2026 date well before today; ``--now`` may not be later than the wall clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shouhu.engine.policy import DEFAULT_FILE, default_pack, describe
from tests.clikit import CliShell
from tests.operatorkit import as_operator, has_operators

MATURITY = "nonperformance_six_months"
DEFAULT_ID = "cn-national-default@2026.2"
CITY_ID = "cn-national-default@2026.7"

#: guardian_nonperformance from ``reported`` to ``intervening``, meeting every duty on the way.
TO_INTERVENING: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dispatch", "police", ()),
    ("order_parents_return", "police", ()),
    ("place_in_temporary_care", "police", ("placement=close_relative",)),
    ("complete_emergency", "police", ()),
    ("notify_township", "police", ()),
    ("start_assessment", "township", ()),
    (
        "complete_assessment",
        "township",
        ("safety=low", "guardianship=high", "health=low", "participants=civil_affairs,police"),
    ),
    ("start_intervention", "civil_affairs", ()),
    ("record_no_means_of_living", "township", ()),  # ground (b)'s 生活无着
    # temporary care is not a guardian restored: the guardian designated later
    ("designate_entrusted_guardian", "police", ("guardian_name=王二叔",)),
)

#: The scheduler's system operator (on a database with operators the sweep is signed as it).
SCHEDULER = "守护 调度程序"


def default_text() -> str:
    return resources.files("shouhu.policies").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


@dataclass
class Cli(CliShell):
    """Runs ``shouhu`` on one database; hands out --at times five minutes apart."""

    db: Path
    policy_env: str | None = None
    runner: CliRunner = field(default_factory=CliRunner)
    clock: datetime = datetime(2026, 3, 2, 9, 0)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": "sqlite:///" + str(self.db),
            "SHOUHU_ZONE": None,
            "SHOUHU_POLICY": self.policy_env,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "COLUMNS": "200",
        }

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def who(self, role: str = "police") -> tuple[str, str]:
        """``--as`` the operator 经办人 in ``role``: every act is an operator's, and so is every
        read once the database has operators."""
        return as_operator(self.url, "经办人", role, folder=self.db.parent)

    def scheduler(self) -> tuple[str, ...]:
        """``--as`` the scheduler's system operator, needed once the database has operators."""
        if not has_operators(self.url, folder=self.db.parent):
            return ()
        return as_operator(self.url, SCHEDULER, "system", folder=self.db.parent)

    @property
    def url(self) -> str:
        """The database URL in use (tests/pg overrides it)."""
        url = self.env["SHOUHU_DB"]
        assert url is not None
        return url

    def at(self) -> str:
        self.clock += timedelta(minutes=5)
        return self.clock.isoformat(timespec="seconds")

    def report(
        self,
        type_: str = "solo_living",
        *data: str,
        at: str | None = None,
        discovered_at: str | None = None,
        options: tuple[str, ...] = (),
    ) -> str:
        if at is not None:
            self.clock = datetime.fromisoformat(at)
        when = self.clock.isoformat(timespec="seconds")
        args = [
            *options,
            "report",
            type_,
            "--child-name",
            "王小明",
            "--child-birthdate",
            "2016-02-01",
            "--location",
            "石桥村, 青山镇",
            "--reporter-kind",
            "school",
            "--reporter",
            "青山镇中心小学",
            "--discovered-at",
            discovered_at or when,
            "--at",
            when,
            "-q",
            "--new-case",  # the same child in every case; the refusal has tests of its own
        ]
        for item in data:
            args += ["--data", item]
        return self.ok(*args).stdout.strip()

    def fire(
        self, case_id: str, trigger: str, role: str = "police", *data: str, at: str | None = None
    ) -> Result:
        if at is not None:
            self.clock = datetime.fromisoformat(at)
        args = ["case", "fire", case_id, trigger, *self.who(role)]
        args += ["--at", at or self.at()]
        for item in data:
            args += ["--data", item]
        return self(*args)

    def run(self, case_id: str, steps: tuple[tuple[str, str, tuple[str, ...]], ...]) -> None:
        for trigger, role, data in steps:
            done = self.fire(case_id, trigger, role, *data)
            assert done.exit_code == 0, (trigger, done.stderr)

    def sweep(self, now: str) -> list[dict[str, Any]]:
        fired: list[dict[str, Any]] = self.json(
            "scheduler", "run", "--once", "--now", now, *self.scheduler()
        )
        return fired

    def deadlines(self, *args: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.json("deadlines", *self.who(), *args)
        return rows

    def show(self, case_id: str) -> dict[str, Any]:
        shown: dict[str, Any] = self.json("case", "show", case_id, *self.who())
        return shown


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cases.db")


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """default.toml with dispatch = PT30M and [pack] version 2026.7."""
    text = default_text()
    head = '[deadlines.dispatch]\nkind = "duty"\nperiod = "PT1H"'
    assert head in text
    text = text.replace(head, '[deadlines.dispatch]\nkind = "duty"\nperiod = "PT30M"')
    text = text.replace('version = "2026.2"', 'version = "2026.7"')
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def petition(cli: Cli, case_id: str, at: str) -> Result:
    return cli.fire(case_id, "petition_revocation", "civil_affairs", f"ground={MATURITY}", at=at)


# --- the six-month maturity -------------------------------------------------------------------

SIX_MONTHS = [
    ("2025-08-31", "2026-02-20T09:00:00", "2026-03-01T00:00:00+08:00"),
    ("2025-06-15", "2025-12-10T09:00:00", "2025-12-16T00:00:00+08:00"),
    ("2026-01-15", "2026-07-01T09:00:00", "2026-07-16T00:00:00+08:00"),
]


@pytest.mark.parametrize(("since", "reported", "holds"), SIX_MONTHS)
def test_ground_b_is_refused_until_six_months_have_run_to_the_second(
    cli: Cli, since: str, reported: str, holds: str
) -> None:
    """Refused (exit 3) naming the rule, citation and instant; fired at it; then accepted."""
    case_id = cli.report("guardian_nonperformance", f"nonperformance_since={since}", at=reported)
    cli.run(case_id, TO_INTERVENING)
    (pending,) = cli.deadlines("--case", case_id, "--status", "pending")
    assert (pending["kind"], pending["due_at"]) == (MATURITY, holds)

    due = datetime.fromisoformat(holds)
    second_before = (due - timedelta(seconds=1)).isoformat()
    refused = petition(cli, case_id, second_before)
    assert refused.exit_code == 3
    line = one_error_line(refused)
    assert line.startswith(
        "shouhu: error: refused by rule guard ground_holds "
        "(001 §四(三)4; Civil Code Art. 36 (《民法典》第三十六条)): "
    )
    assert f"holds from {holds}" in line

    assert cli.sweep(second_before) == []
    fired = cli.sweep(holds)
    assert [(f["case_id"], f["kind"], f["due_at"], f["trigger"]) for f in fired] == [
        (case_id, MATURITY, holds, MATURITY)
    ]
    shown = cli.show(case_id)
    assert shown["facts"]["nonperformance_matured"] is True
    last = shown["history"][-1]
    assert (last["trigger"], last["role"], last["occurred_at"]) == (MATURITY, "system", holds)

    accepted = petition(cli, case_id, (due + timedelta(hours=9)).isoformat())
    assert accepted.exit_code == 0, accepted.stderr
    assert cli.show(case_id)["state"] == "petitioned"


def test_recorded_nonperformance_matures_like_the_report_date(cli: Cli) -> None:
    """record_nonperformance --data since=2026-01-15 matures at 2026-07-16T00:00+08:00."""
    case_id = cli.report("guardian_nonperformance", at="2026-07-01T09:00:00")
    cli.run(case_id, TO_INTERVENING)
    done = cli.fire(case_id, "record_nonperformance", "village_committee", "since=2026-01-15")
    assert done.exit_code == 0, done.stderr
    assert cli.show(case_id)["facts"]["nonperformance_matures_at"] == "2026-07-16T00:00:00+08:00"
    assert cli.sweep("2026-07-15T23:59:59") == []
    assert [f["kind"] for f in cli.sweep("2026-07-16T00:00:00")] == [MATURITY]


def test_resumed_duties_cancel_the_maturity_and_a_new_record_restarts_it(cli: Cli) -> None:
    """guardian_resumed_duties: cancelled, nothing fires; record_nonperformance: a new count."""
    case_id = cli.report(
        "guardian_nonperformance", "nonperformance_since=2025-08-31", at="2026-02-20T09:00:00"
    )
    cli.run(case_id, TO_INTERVENING)
    assert cli.fire(case_id, "guardian_resumed_duties", "village_committee").exit_code == 0
    assert [r["status"] for r in cli.deadlines("--case", case_id) if r["kind"] == MATURITY] == [
        "cancelled"
    ]
    assert cli.sweep("2026-03-01T00:00:00") == []
    restarted = cli.fire(
        case_id,
        "record_nonperformance",
        "village_committee",
        "since=2026-02-25",
        at="2026-03-02T09:00:00",
    )
    assert restarted.exit_code == 0, restarted.stderr
    rows = [r for r in cli.deadlines("--case", case_id) if r["kind"] == MATURITY]
    assert sorted((r["status"], r["due_at"]) for r in rows) == [
        ("cancelled", "2026-03-01T00:00:00+08:00"),
        ("pending", "2026-08-26T00:00:00+08:00"),
    ]


# --- a missed duty ----------------------------------------------------------------------------


def test_a_missed_dispatch_is_escalated_once_and_the_case_is_overdue_until_done(
    cli: Cli,
) -> None:
    """Ten sweeps: one deadline_missed; case list --overdue shows the case until dispatch."""
    case_id = cli.report(at="2026-03-02T09:00:00")
    other = cli.report(at="2026-03-02T09:50:00")
    assert cli.fire(other, "dispatch", at="2026-03-02T09:55:00").exit_code == 0
    counts = []
    for minute in range(10):
        now = f"2026-03-02T10:{minute:02d}:00"
        counts.append(len(cli.sweep(now)))
    assert counts == [1] + [0] * 9
    shown = cli.show(case_id)
    missed = [e for e in shown["history"] if e["trigger"] == "deadline_missed"]
    assert len(missed) == 1
    assert missed[0]["data"] == {
        "kind": "dispatch",
        "due_at": "2026-03-02T10:00:00+08:00",
        "notify": "county public security bureau (县级公安机关)",
    }
    assert [d["status"] for d in shown["deadlines"]] == ["missed"]
    assert [c["id"] for c in cli.json("case", "list", *cli.who(), "--overdue")] == [case_id]
    assert len(cli.json("case", "list", *cli.who())) == 2
    assert case_id in cli.ok("case", "list", *cli.who(), "--overdue").stdout

    assert cli.fire(case_id, "dispatch", at="2026-03-02T11:00:00").exit_code == 0
    (row,) = cli.show(case_id)["deadlines"]
    assert (row["status"], row["met_at"], row["late_seconds"]) == (
        "missed",
        "2026-03-02T11:00:00+08:00",
        3600,
    )
    assert cli.json("case", "list", *cli.who(), "--overdue") == []


def test_scheduler_once_prints_each_fired_deadline_and_a_count(cli: Cli) -> None:
    """Text output: CASE  KIND  due DUE  → TRIGGER (#SEQ), then 'fired N deadline(s)'."""
    case_id = cli.report(at="2026-03-02T09:00:00")
    out = cli.ok("scheduler", "run", "--once", "--now", "2026-03-02T10:00:00").stdout
    assert out.splitlines() == [
        f"{case_id}  dispatch  due 2026-03-02T10:00:00+08:00  → deadline_missed (#2)",
        "fired 1 deadline",
    ]
    again = cli.ok("scheduler", "run", "--once", "--now", "2026-03-02T10:00:00").stdout
    assert again.splitlines() == ["fired 0 deadlines"]


def test_ten_cases_left_for_months_are_caught_up_by_one_sweep(cli: Cli) -> None:
    """One --once run: ten deadline_missed, in due order."""
    times = [
        f"2026-01-{day:02d}T{hour:02d}:00:00"
        for day, hour in zip(
            (9, 3, 7, 1, 5, 10, 2, 8, 4, 6), (8, 9, 10, 11, 12, 13, 14, 15, 16, 17), strict=True
        )
    ]
    ids = {cli.report(at=t): t for t in sorted(times)}
    fired = cli.sweep("2026-05-01T00:00:00")
    assert len(fired) == 10
    assert {f["case_id"] for f in fired} == set(ids)
    assert [f["due_at"] for f in fired] == sorted(f["due_at"] for f in fired)
    assert cli.sweep("2026-05-01T00:00:00") == []


def test_the_scheduler_refuses_a_time_later_than_the_clock(cli: Cli) -> None:
    """--now in the future: exit 2, nothing fired early; --now without --once: exit 2."""
    cli.report(at="2026-03-02T09:00:00")
    ahead = cli("scheduler", "run", "--once", "--now", "2099-01-01T00:00:00")
    assert ahead.exit_code == 2
    assert "cannot be fired early" in one_error_line(ahead)
    alone = cli("scheduler", "run", "--now", "2026-03-02T10:00:00")
    assert alone.exit_code == 2
    assert "--now goes with --once" in one_error_line(alone)
    assert [r["status"] for r in cli.deadlines()] == ["pending"]


# --- city packs -------------------------------------------------------------------------------


def test_a_city_pack_given_with_policy_sets_new_due_times(cli: Cli, city_file: Path) -> None:
    """--policy city.toml: a report at 09:00 is due at 09:30; its events record the city's id."""
    opts = ("--policy", str(city_file))
    case_id = cli.report(at="2026-03-02T09:00:00", options=opts)
    (row,) = cli.json(*opts, "deadlines", "--case", case_id)
    assert (row["kind"], row["due_at"], row["policy_version"]) == (
        "dispatch",
        "2026-03-02T09:30:00+08:00",
        CITY_ID,
    )
    assert cli.json(*opts, "scheduler", "run", "--once", "--now", "2026-03-02T09:29:59") == []
    fired = cli.json(*opts, "scheduler", "run", "--once", "--now", "2026-03-02T09:30:00")
    assert [f["case_id"] for f in fired] == [case_id]
    history = cli.show(case_id)["history"]
    assert [(e["trigger"], e["policy_version"]) for e in history] == [
        ("report", CITY_ID),
        ("deadline_missed", CITY_ID),
    ]
    national = cli.report(at="2026-03-02T09:40:00")
    assert cli.deadlines("--case", national)[0]["due_at"] == "2026-03-02T10:40:00+08:00"


def test_a_city_pack_named_in_shouhu_policy_is_in_force(tmp_path: Path, city_file: Path) -> None:
    """SHOUHU_POLICY=city.toml: the same as --policy, for every command."""
    cli = Cli(tmp_path / "env.db", policy_env=str(city_file))
    case_id = cli.report(at="2026-03-02T09:00:00")
    assert cli.deadlines("--case", case_id)[0]["due_at"] == "2026-03-02T09:30:00+08:00"
    assert cli.show(case_id)["history"][0]["policy_version"] == CITY_ID
    shown = json.loads(cli.ok("policy", "show", "--format", "json").stdout)
    assert shown["id"] == CITY_ID


BAD_PACKS = [
    (
        "unknown trigger",
        lambda t: t.replace('met_by = ["dispatch", "dismiss"]', 'met_by = ["dispatched"]'),
        'met_by = ["dispatched"]',
        "deadlines.dispatch.met_by: unknown trigger 'dispatched'",
    ),
    (
        "bad period",
        lambda t: t.replace('period = "PT1H"', 'period = "PT1.5H"'),
        'period = "PT1.5H"',
        "deadlines.dispatch.period: period 'PT1.5H' has a fractional number",
    ),
    (
        "bad basis",
        lambda t: t.replace(
            'cancelled_by = []\nbasis = "local"\ncitation = "001 §四(三)3 — 建立评估档案"',
            'cancelled_by = []\nbasis = "city"\ncitation = "001 §四(三)3 — 建立评估档案"',
        ),
        'basis = "city"',
        "deadlines.assessment.basis: basis must be law or local",
    ),
]


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [b[1:] for b in BAD_PACKS],
    ids=[b[0] for b in BAD_PACKS],
)
@pytest.mark.parametrize(
    "command",
    [
        ("policy", "show"),
        ("deadlines",),
        ("scheduler", "run", "--once", "--now", "2026-03-02T10:00:00"),
        ("case", "list"),
    ],
    ids=["policy-show", "deadlines", "scheduler", "case-list"],
)
def test_a_bad_pack_is_refused_with_exit_2_and_one_line_naming_line_and_key(
    cli: Cli, tmp_path: Path, change: Any, needle: str, message: str, command: tuple[str, ...]
) -> None:
    """``shouhu: error: policy city.toml: line N: deadlines.K.key: …``; nothing runs."""
    text = change(default_text())
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln == needle)
    bad = tmp_path / "city.toml"
    bad.write_text(text, encoding="utf-8")
    for result in (cli("--policy", str(bad), *command), Cli(cli.db, str(bad))(*command)):
        assert result.exit_code == 2
        error = one_error_line(result)
        assert error.startswith(f"shouhu: error: policy city.toml: line {line}: {message}"), error


def test_a_pack_that_is_not_toml_or_not_there_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    """Broken TOML names the line; a missing file names the path."""
    broken = tmp_path / "broken.toml"
    broken.write_text('[pack]\nname = "x"\nversion = 1.2.3\n', encoding="utf-8")
    result = cli("--policy", str(broken), "policy", "show")
    assert result.exit_code == 2
    assert re.match(
        r"shouhu: error: policy broken.toml: not valid TOML: .*line 3", one_error_line(result)
    )
    missing = cli("--policy", str(tmp_path / "none.toml"), "deadlines")
    assert missing.exit_code == 2
    assert "no such file" in one_error_line(missing)


# --- report lateness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "late", "delay"),
    [("2026-03-03T08:10:00", False, 86_400), ("2026-03-03T08:10:01", True, 86_401)],
)
def test_case_show_marks_a_report_filed_more_than_24_hours_after_discovery_late(
    cli: Cli, reported: str, late: bool, delay: int
) -> None:
    """late and report_delay_seconds in the JSON: 24 h exactly is in time, one second more late."""
    case_id = cli.report(at=reported, discovered_at="2026-03-02T08:10:00")
    shown = cli.show(case_id)
    assert (shown["late"], shown["report_delay_seconds"]) == (late, delay)


# --- showing deadlines ------------------------------------------------------------------------


def test_case_show_lists_the_case_deadlines_with_local_due_times(cli: Cli) -> None:
    """case show --json: deadlines with kind, due_at (+08:00) and status, as they change."""
    case_id = cli.report(
        "guardian_nonperformance", "nonperformance_since=2025-12-31", at="2026-03-02T09:00:00"
    )
    rows = cli.show(case_id)["deadlines"]
    assert sorted((r["kind"], r["due_at"], r["status"]) for r in rows) == [
        ("dispatch", "2026-03-02T10:00:00+08:00", "pending"),
        (MATURITY, "2026-07-01T00:00:00+08:00", "pending"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", r["due_at"]) for r in rows)
    cli.fire(case_id, "dispatch", at="2026-03-02T09:20:00")
    statuses = {r["kind"]: r["status"] for r in cli.show(case_id)["deadlines"]}
    assert statuses == {"dispatch": "met", MATURITY: "pending"}
    text = cli.ok("case", "show", *cli.who(), case_id).stdout
    assert "dispatch" in text
    assert MATURITY in text


def test_deadlines_lists_across_cases_and_filters(cli: Cli) -> None:
    """deadlines --json: by due time; --case, --status and --due-before narrow it."""
    a = cli.report(at="2026-03-02T09:00:00")
    b = cli.report(at="2026-03-02T09:10:00")
    c = cli.report(at="2026-03-02T09:20:00")
    cli.fire(b, "dispatch", at="2026-03-02T09:30:00")
    every = cli.deadlines()
    assert [(r["case_id"], r["due_at"], r["status"]) for r in every] == [
        (a, "2026-03-02T10:00:00+08:00", "pending"),
        (b, "2026-03-02T10:10:00+08:00", "met"),
        (c, "2026-03-02T10:20:00+08:00", "pending"),
    ]
    assert [r["case_id"] for r in cli.deadlines("--status", "pending")] == [a, c]
    assert [r["case_id"] for r in cli.deadlines("--case", c)] == [c]
    assert [r["case_id"] for r in cli.deadlines("--due-before", "2026-03-02T10:10")] == [a, b]
    assert cli.deadlines("--due-before", "2026-03-02T09:59:59") == []
    both = cli.deadlines("--status", "pending", "--due-before", "2026-03-02T10:10:00+08:00")
    assert [r["case_id"] for r in both] == [a]
    table = cli.ok("deadlines", *cli.who()).stdout
    assert all(x in table for x in (a, b, c, "2026-03-02 10:00 +08:00"))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--status", "late"), "unknown deadline status 'late'"),
        (("--due-before", "soon"), "due_before: 'soon' is not a valid date-time; use 2026-03-02"),
        (("--case", "NOSUCHCASE000000"), "no case 'NOSUCHCASE000000'"),
    ],
)
def test_deadlines_with_a_bad_filter_is_exit_2(cli: Cli, args: tuple[str, ...], said: str) -> None:
    """An unknown status, a time that is not ISO 8601, an unknown case: one line, exit 2."""
    cli.report(at="2026-03-02T09:00:00")
    result = cli("deadlines", *cli.who(), *args)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(f"shouhu: error: {said}")


# --- policy show ------------------------------------------------------------------------------


def test_policy_show_toml_prints_the_pack_text(cli: Cli, city_file: Path) -> None:
    """--format toml: the pack's own text, byte for byte (the default, or the city's)."""
    assert cli.ok("policy", "show", "--format", "toml").stdout == default_text()
    city = cli.ok("--policy", str(city_file), "policy", "show", "--format", "toml").stdout
    assert city == city_file.read_text(encoding="utf-8")


def test_policy_show_json_prints_the_pack_rows(cli: Cli) -> None:
    """--format json: id, source and one row per deadline (kind, type, period, triggers, …)."""
    shown = json.loads(cli.ok("policy", "show", "--format", "json").stdout)
    assert shown["id"] == DEFAULT_ID
    assert shown["deadlines"] == describe(default_pack())
    six = next(r for r in shown["deadlines"] if r["kind"] == MATURITY)
    assert (six["type"], six["period"], six["basis"]) == ("maturity", "P6M", "law")


def test_policy_show_table_names_every_deadline(cli: Cli) -> None:
    """The default table: the pack id and each deadline with its period and citation."""
    out = cli.ok("policy", "show").stdout
    assert DEFAULT_ID in out
    for rule in default_pack().rules:
        assert rule.name in out
        assert rule.citation in out


def test_policy_show_refuses_an_unknown_format(cli: Cli) -> None:
    """--format yaml: exit 2."""
    result = cli("policy", "show", "--format", "yaml")
    assert result.exit_code == 2
    assert "--format" in one_error_line(result)


def test_case_show_json_history_carries_each_events_effects(cli: Cli) -> None:
    """Each history entry holds the event's ``effects`` (hashed; what it did to deadlines)."""
    from shouhu import Engine

    case_id = cli.report(at="2026-03-02T09:00:00")
    cli.sweep("2026-03-02T10:00:00")
    cli.fire(case_id, "dispatch", at="2026-03-02T10:30:00")
    history = cli.show(case_id)["history"]
    with Engine.open(f"sqlite:///{cli.db}") as engine:
        stored = [v.event.effects for v in engine.history(case_id)]
    assert [e.get("effects") for e in history] == stored
    assert [d["action"] for e in history for d in e["effects"].get("deadlines", [])] == [
        "started",
        "missed",
        "met_late",
    ]
