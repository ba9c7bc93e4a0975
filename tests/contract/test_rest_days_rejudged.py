"""Civil Code Art. 203, issue 14: a deadline whose last day falls in a year the pack has no
calendar for is computed without extension and flagged — in ``deadlines``, the auditor's report
and the logs; a pack that adds the year re-judges the pending ones by a recorded event.

《民法典》第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。

The shipped ``cn-national-default@2026.2`` has the rest days of 2025 and 2026 only. The 2027
calendar below is a TEST FIXTURE, not the law: the State Council's 2027 notice is not shipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from shouhu import Engine, FakeClock
from shouhu.cli.root import app
from shouhu.engine.policy import PolicyPack, parse_pack, shipped_packs

ZONE = "Asia/Shanghai"
NATIONAL = "cn-national-default@2026.2"
#: TEST FIXTURE, not law: a city pack on the national one with a made-up 2027 calendar (the
#: Spring Festival rest 2027-02-06…02-12, Sunday 02-14 worked in exchange).
CITY_2027 = """\
[pack]
name = "test-city-2027"
version = "1"
extends = "cn-national-default@2026.2"
description = "TEST FIXTURE: the national pack and a made-up 2027 calendar"

[calendar.2027]
rest = ["2027-01-01", "2027-02-06/2027-02-12"]
work = ["2027-02-14"]
citation = "TEST FIXTURE — not the State Council's 2027 notice"
"""
TOWNSHIP = {"name": "青山镇政府", "role": "township"}
#: A solo_living case's steps up to the start of its assessment (as tests/conftest.py's branch).
TO_ASSESSMENT: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dispatch", "police", {}),
    ("order_parents_return", "police", {}),
    ("admonish_parents", "police", {}),
    ("designate_entrusted_guardian", "police", {"guardian_name": "王大爷"}),
    ("complete_emergency", "police", {}),
    ("notify_township", "police", {}),
)


def national() -> PolicyPack:
    return parse_pack(shipped_packs()[NATIONAL], "national-2026.2.toml")


def city() -> PolicyPack:
    return parse_pack(CITY_2027, "city-2027.toml")


def cst(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def assessing(engine: Engine, started: str) -> str:
    """A solo_living case whose assessment (15 days, 001 §四(三)3) started at ``started``
    (local time); the earlier steps a few minutes apart, the day before."""
    at = cst(started) - timedelta(days=1)
    case = engine.report(
        "solo_living",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        discovered_at=at - timedelta(minutes=20),
        occurred_at=at,
        new_case=True,
    )
    for trigger, role, data in TO_ASSESSMENT:
        at += timedelta(minutes=5)
        engine.fire(
            case.id, trigger, actor={"name": "经办人", "role": role}, occurred_at=at, data=data
        )
    engine.fire(case.id, "start_assessment", actor=TOWNSHIP, occurred_at=cst(started))
    return case.id


def assessment(engine: Engine, case_id: str) -> dict[str, Any]:
    (row,) = [d for d in engine.deadlines(case_id=case_id) if d["kind"] == "assessment"]
    return row


def events(engine: Engine, case_id: str, trigger: str) -> list[Any]:
    return [e for e in engine.history(case_id) if e.trigger == trigger]


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """``open(pack, clock)``: an engine under ``pack`` on one store (each call: the same)."""
    opened: list[Engine] = []
    memory: list[Engine] = []

    def open_(pack: PolicyPack, clock: FakeClock) -> Engine:
        if request.param == "sqlite":
            engine = Engine.open(f"sqlite:///{tmp_path / 'cases.db'}", clock=clock, policy=pack)
        elif memory:
            engine = Engine(memory[0].store, clock, zone=ZONE, policy=pack)
        else:
            engine = Engine.in_memory(clock=clock, policy=pack)
            memory.append(engine)
        opened.append(engine)
        return engine

    yield open_
    for e in opened:
        e.close()


# --- flagged -------------------------------------------------------------------------------------


def test_a_duty_whose_last_day_is_in_2027_is_flagged_under_the_national_pack() -> None:
    """Started 2026-12-25: the 15th day is 2027-01-09, a year the national pack has no rest
    days for — due as Arts 201–202 count it, and the deadlines view says why."""
    engine = Engine.in_memory(clock=FakeClock(cst("2026-12-26T09:00")), policy=national())
    row = assessment(engine, assessing(engine, "2026-12-25T09:00"))
    assert row["due_at"] == "2027-01-10T00:00:00+08:00"
    assert row["rest_days_unknown_year"] == 2027


def test_a_flagged_deadline_is_logged_as_a_warning_with_case_kind_and_year_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    engine = Engine.in_memory(clock=FakeClock(cst("2026-12-26T09:00")), policy=national())
    case_id = assessing(engine, "2026-12-25T09:00")
    lines = [r.getMessage() for r in caplog.records if "deadline_not_extended" in r.getMessage()]
    (line,) = [x for x in lines if "'kind': 'assessment'" in x]
    assert f"'case_id': '{case_id}'" in line
    assert "'year': 2027" in line
    for secret in ("王小明", "2016-02-01"):
        assert secret not in caplog.text


def test_a_flagged_deadline_is_counted_in_the_auditors_report() -> None:
    engine = Engine.in_memory(clock=FakeClock(cst("2026-12-26T09:00")), policy=national())
    assessing(engine, "2026-12-25T09:00")
    report = engine.compliance_report("2026-12-01", "2026-12-31").to_dict()
    assert report["deadlines"]["assessment"]["not_extended_no_calendar"] == 1
    assert report["deadlines"]["dispatch"]["not_extended_no_calendar"] == 0


# --- re-judged -----------------------------------------------------------------------------------


def test_a_pack_that_adds_2027_moves_a_flagged_duty_past_the_spring_festival_by_a_recorded_event(
    stores: Any,
) -> None:
    """Started 2027-01-23: the 15th day, Sun 02-07, is in the (fixture's) Spring Festival rest;
    the rest days end on Sat 02-13 and Sun 02-14 is worked, so the last day is 02-14 and the
    duty runs out at 02-15 00:00. The sweep on 02-09 — past the old due time — re-judges it
    first, by one system event citing Art. 203, and reports nothing missed."""
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-23T09:00")
    assert assessment(old, case_id)["due_at"] == "2027-02-08T00:00:00+08:00"
    clock.set(cst("2027-02-09T09:00"))
    new = stores(city(), clock)
    assert new.run_due() == []
    row = assessment(new, case_id)
    assert row["due_at"] == "2027-02-15T00:00:00+08:00"
    assert row["status"] == "pending"
    assert "rest_days_unknown_year" not in row
    (event,) = events(new, case_id, "rest_days_rejudged")
    assert event.role == "system"
    assert event.policy_version == "test-city-2027@1"
    (moved,) = [e for e in event.effects["deadlines"] if e["kind"] == "assessment"]
    assert moved["action"] == "rejudged"
    assert moved["due_at"] == "2027-02-08T00:00:00+08:00"
    assert moved["to"] == "2027-02-15T00:00:00+08:00"
    assert moved["unknown_year_was"] == 2027
    assert moved["citation"] == "Civil Code Art. 203 (《民法典》第二百零三条)"
    assert moved["rest_days"]["extended_to"] == "2027-02-14"
    assert events(new, case_id, "deadline_missed") == []
    clock.set(cst("2027-02-15T00:00"))
    (fired,) = new.run_due()
    assert (fired.case_id, fired.kind, fired.trigger) == (case_id, "assessment", "deadline_missed")
    assert assessment(new, case_id)["due_at"] == "2027-02-15T00:00:00+08:00"


def test_a_flagged_duty_on_a_working_day_is_confirmed_and_no_longer_flagged(stores: Any) -> None:
    """Started 2027-01-04: the 15th day, Tue 01-19, is a working day: the due time stands, and
    the event says it was judged."""
    clock = FakeClock(cst("2027-01-04T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-04T09:00")
    new = stores(city(), clock)
    (done,) = [r for r in new.rejudge() if r.kind == "assessment"]
    assert not done.moved
    row = assessment(new, case_id)
    assert row["due_at"] == "2027-01-20T00:00:00+08:00"
    assert "rest_days_unknown_year" not in row
    (event,) = events(new, case_id, "rest_days_rejudged")
    (confirmed,) = [e for e in event.effects["deadlines"] if e["kind"] == "assessment"]
    assert confirmed["to"] == confirmed["due_at"] == "2027-01-20T00:00:00+08:00"
    report = new.compliance_report("2027-01-01", "2027-12-31").to_dict()
    assert report["deadlines"]["assessment"]["not_extended_no_calendar"] == 0


def test_a_rejudged_history_replays_and_verifies(stores: Any) -> None:
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-23T09:00")
    clock.set(cst("2027-02-09T09:00"))
    new = stores(city(), clock)
    new.run_due()
    replay = new.replay(case_id)
    assert replay.ok
    (d,) = [d for d in replay.deadlines if d.kind == "assessment"]
    assert d.due_at == cst("2027-02-15T00:00")
    assert d.unknown_year is None
    assert new.verify().ok


def test_each_case_is_rejudged_once_however_often_the_sweep_runs(stores: Any) -> None:
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    cases = [assessing(old, "2027-01-23T09:00") for _ in range(3)]
    clock.set(cst("2027-02-09T09:00"))
    for _ in range(2):  # two engines, as two sweeps would be: each judges what is left
        engine = stores(city(), clock)
        engine.run_due()
        engine.run_due()
        assert engine.rejudge() == []
    for case_id in cases:
        assert len(events(engine, case_id, "rest_days_rejudged")) == 1
    assert engine.verify().ok


def test_a_duty_already_recorded_missed_stays_as_recorded(stores: Any) -> None:
    """Swept under the national pack after 02-08 00:00: missed, and so it stays."""
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-23T09:00")
    clock.set(cst("2027-02-08T09:00"))
    assert [f.kind for f in old.run_due()] == ["assessment"]
    new = stores(city(), clock)
    new.run_due()
    assert [r.kind for r in new.rejudge(dry_run=True)] == []
    row = assessment(new, case_id)
    assert (row["status"], row["due_at"]) == ("missed", "2027-02-08T00:00:00+08:00")
    assert [e.trigger for e in new.history(case_id)].count("rest_days_rejudged") == 0


def test_an_assessment_completed_after_the_old_due_time_is_on_time_under_the_new_pack(
    stores: Any,
) -> None:
    """No sweep ran: completing the assessment on 02-10 re-judges the case first, in the same
    write, and the duty is met on time (due 02-15)."""
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-23T09:00")
    clock.set(cst("2027-02-10T10:00"))
    new = stores(city(), clock)
    new.fire(
        case_id,
        "complete_assessment",
        actor=TOWNSHIP,
        occurred_at=cst("2027-02-10T09:00"),
        data={
            "safety": "medium",
            "guardianship": "high",
            "health": "low",
            "participants": "civil_affairs,police",
        },
    )
    row = assessment(new, case_id)
    assert (row["status"], row["late_seconds"]) == ("met", 0)
    triggers = [e.trigger for e in new.history(case_id)]
    assert triggers[-2:] == ["rest_days_rejudged", "complete_assessment"]
    assert new.verify().ok


def test_a_dry_run_says_what_would_move_and_records_nothing(stores: Any) -> None:
    clock = FakeClock(cst("2027-01-23T10:00"))
    old = stores(national(), clock)
    case_id = assessing(old, "2027-01-23T09:00")
    new = stores(city(), clock)
    (would,) = [r for r in new.rejudge(dry_run=True) if r.kind == "assessment"]
    assert (would.seq, would.moved) == (None, True)
    assert events(new, case_id, "rest_days_rejudged") == []
    assert assessment(new, case_id)["due_at"] == "2027-02-08T00:00:00+08:00"


# --- the CLI ---------------------------------------------------------------------------------


def test_deadlines_rejudge_prints_what_moved_and_the_report_and_deadlines_show_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    clock = FakeClock(cst("2027-01-23T10:00"))
    with Engine.open(db, clock=clock, policy=national()) as engine:
        case_id = assessing(engine, "2027-01-23T09:00")
    (tmp_path / "city.toml").write_text(CITY_2027, encoding="utf-8")
    runner = CliRunner()
    monkeypatch.setenv("SHOUHU_DB", db)

    def run(*args: str, policy: str | None = None) -> Any:
        extra = ["--policy", policy] if policy else []
        done = runner.invoke(app, [*extra, *args])
        assert done.exit_code == 0, (done.stdout, done.stderr)
        return done.stdout

    national_file = tmp_path / "national.toml"
    national_file.write_text(shipped_packs()[NATIONAL], encoding="utf-8")
    shown = json.loads(run("deadlines", "--case", case_id, "--json", policy=str(national_file)))
    (row,) = [d for d in shown if d["kind"] == "assessment"]
    assert row["rest_days_unknown_year"] == 2027
    table = run("deadlines", "--case", case_id, policy=str(national_file))
    assert "extended: no" in table  # folded in a narrow column
    assert "rest-day" in table
    report = run("audit", "report", "--from", "2027-01-01", "--to", "2027-01-31",
                 policy=str(national_file))  # fmt: skip
    assert "Due times not extended past rest days (Civil" in report
    assert "│ assessment        │                      1 │" in report
    city_file = str(tmp_path / "city.toml")
    dry = json.loads(run("deadlines", "rejudge", "--dry-run", "--json", policy=city_file))
    assert {(r["kind"], r["seq"]) for r in dry} >= {("assessment", None)}
    text = run("deadlines", "rejudge", policy=city_file)
    assert f"{case_id}  assessment  due 2027-02-08T00:00:00+08:00  moved to " in text
    assert "2027-02-15T00:00:00+08:00" in text
    assert "re-judged under Civil Code Art. 203 (policy test-city-2027@1)" in text
    assert json.loads(run("deadlines", "rejudge", "--json", policy=city_file)) == []
    page = run("audit", "export", case_id, "--output", "-", policy=city_file)
    assert (
        "re-judged assessment under Civil Code Art. 203: due 2027-02-08T00:00:00+08:00, "
        "moved to 2027-02-15T00:00:00+08:00"
    ) in page
    verified = runner.invoke(app, ["--policy", city_file, "audit", "verify"])
    assert verified.exit_code == 0, verified.stdout


def test_a_duty_started_under_a_pack_without_rest_days_is_not_rejudged(stores: Any) -> None:
    """Under ``cn-national-default@2026.1`` (no calendar) nothing was flagged: a pack with rest
    days judges the duties it starts, and leaves the recorded ones as they were."""
    clock = FakeClock(cst("2026-09-21T10:00"))
    old = stores(parse_pack(shipped_packs()["cn-national-default@2026.1"], "default.toml"), clock)
    case_id = assessing(old, "2026-09-20T09:00")  # 15th day: 10-05, in the National Day rest
    new = stores(national(), clock)
    assert new.rejudge() == []
    assert assessment(new, case_id)["due_at"] == "2026-10-06T00:00:00+08:00"
    assert events(new, case_id, "rest_days_rejudged") == []


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_the_flag_is_on_the_deadline_row_counted_from_the_tables_until_a_pack_judges_it(
    sql_url: str,
) -> None:
    """``deadlines.not_extended`` (issue 18): the report counted from the tables counts the
    flagged duty as the replay does, and the re-judging event clears the row's flag."""
    clock = FakeClock(cst("2027-01-04T10:00"))

    def counted(engine: Engine) -> tuple[int, int]:
        both = [
            engine.compliance_report("2027-01-01", "2027-01-31", replay=r).to_dict()
            for r in (False, True)
        ]
        return tuple(d["deadlines"]["assessment"]["not_extended_no_calendar"] for d in both)  # type: ignore[return-value]

    with Engine.open(sql_url, clock=clock, policy=national()) as old:
        case_id = assessing(old, "2027-01-04T09:00")
        assert counted(old) == (1, 1)
        (row,) = [d for d in old.store.deadlines(case_id=case_id) if d.kind == "assessment"]
        assert row.not_extended
    with Engine.open(sql_url, clock=clock, policy=city()) as new:
        new.rejudge()
        assert counted(new) == (0, 0)
        (row,) = [d for d in new.store.deadlines(case_id=case_id) if d.kind == "assessment"]
        assert not row.not_extended
        assert new.verify().ok


def test_a_database_from_before_the_flag_column_gets_each_rows_flag_from_its_events(
    tmp_path: Path,
) -> None:
    """Migration 0009 adds ``deadlines.not_extended`` and sets it from the events: the duty
    still flagged (its last day in 2028, a year no pack here has), not the one the city's
    pack has judged since — as the engine wrote them; then verify holds."""
    from alembic import command

    from shouhu.adapters import migrate
    from shouhu.adapters.sqlstore import SqlStore

    url = f"sqlite:///{tmp_path / 'cases.db'}"
    clock = FakeClock(cst("2027-01-04T10:00"))
    with Engine.open(url, clock=clock, policy=national()) as old:
        judged = assessing(old, "2027-01-04T09:00")
        clock.set(cst("2027-12-26T10:00"))
        flagged = assessing(old, "2027-12-25T09:00")
    with Engine.open(url, clock=clock, policy=city()) as new:
        new.rejudge()
        before = flags(new, flagged, judged)
    assert before[flagged]["assessment"]
    assert not before[judged]["assessment"]
    store = SqlStore(url, create=False)
    with store.engine.connect() as conn:
        conn.execution_options(shouhu_write=True)
        with conn.begin():
            command.downgrade(migrate.config(conn), "0008_case_counts")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("deadlines")}
    store.close()
    assert "not_extended" not in columns
    assert migrate.upgrade(url).after == migrate.HEAD
    with Engine.open(url, clock=clock, policy=city()) as after:
        assert flags(after, flagged, judged) == before
        assert after.verify().ok


def flags(engine: Engine, *case_ids: str) -> dict[str, dict[str, bool]]:
    """Each case's deadline rows' ``not_extended``, by kind (the last row of a kind)."""
    return {
        c: {d.kind: d.not_extended for d in engine.store.deadlines(case_id=c)} for c in case_ids
    }
