"""001 §四(二)2: each quarter the township submits its children's information to county civil
affairs, copied to the county education and public security bureaus (报送, 抄报) — a standing
duty per township under the 2026.2 pack; a quarter not in by its due time is recorded as missed
and county civil affairs is told."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from shouhu import Engine, FakeClock
from shouhu.cli import app
from shouhu.engine import returns
from shouhu.engine.acting import Acting
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.errors import InvalidInput, TransitionRefused
from tests.operatorkit import as_operator

PACK_TEXT = shipped_packs()["cn-national-default@2026.2"]
PACK = parse_pack(PACK_TEXT)
ZONE = "Asia/Shanghai"
TOWNSHIP = {"name": "青山镇 儿童督导员 陈静", "role": "township"}
#: 2026-10-05 08:00 in Beijing: the third quarter has just ended.
START = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    url = "sqlite:///" + str(tmp_path / "returns.db")
    with Engine.open(url, clock=clock, zone=ZONE, policy=PACK) as eng:
        yield eng


def test_a_quarterly_submission_goes_to_county_civil_affairs_copied_to_education_and_police(
    engine: Engine,
) -> None:
    case = engine.submit_return("青山镇", "2026Q3", actor=TOWNSHIP)
    sent = engine.notices(case_id=case.id)
    assert [(n.kind, n.recipient) for n in sent] == [
        ("quarterly_return", "county civil affairs (县级民政部门)"),
        ("quarterly_return_copy", "county education bureau (县级教育行政部门), copy (抄报)"),
        (
            "quarterly_return_copy_police",
            "county public security bureau (县级公安机关), copy (抄报)",
        ),
    ]
    assert all("001 §四(二)2" in n.payload["citation"] for n in sent)
    assert sent[0].payload["location"]["township"] == "青山镇"
    # the next quarter's return is due 15 days after it ends (a local choice of the pack)
    (due,) = [d for d in case.deadlines if d["status"] == "pending"]
    assert (due["kind"], due["due_at"], due["basis"]) == (
        "quarterly_submission",
        "2027-01-16T00:00:00+08:00",
        "local",
    )
    assert case.facts == {"last_quarter": "2026Q3", "returns_submitted": 1}
    assert engine.verify().ok


def test_a_missed_quarterly_submission_tells_county_civil_affairs(
    engine: Engine, clock: FakeClock
) -> None:
    """Recorded once however often the scheduler sweeps; then the late return meets it late."""
    case_id = engine.submit_return("青山镇", "2026Q3", actor=TOWNSHIP).id
    clock.set(datetime(2027, 1, 15, 15, 59, tzinfo=UTC))  # 23:59 on the last day: in time
    assert engine.run_due() == []
    clock.set(datetime(2027, 1, 20, 0, 0, tzinfo=UTC))
    (fired,) = engine.run_due()
    assert (fired.kind, fired.trigger) == ("quarterly_submission", "deadline_missed")
    assert engine.run_due() == []  # exactly once
    missed = [n for n in engine.notices(case_id=case_id) if n.kind == "deadline_missed"]
    assert [(n.recipient, n.payload["missed"]) for n in missed] == [
        (
            "county civil affairs (县级民政部门)",
            {"kind": "quarterly_submission", "due_at": "2027-01-16T00:00:00+08:00"},
        )
    ]
    late = engine.submit_return("青山镇", "2026Q4", actor=TOWNSHIP)
    rows = sorted((d["status"], d["due_at"], d["late_seconds"]) for d in late.deadlines)
    assert rows == [
        ("missed", "2027-01-16T00:00:00+08:00", 4 * 86400 + 8 * 3600),
        ("pending", "2027-04-16T00:00:00+08:00", None),
    ]
    assert engine.verify().ok


def test_quarters_are_submitted_in_order_each_once(engine: Engine, clock: FakeClock) -> None:
    case_id = engine.submit_return("青山镇", "2026Q2", actor=TOWNSHIP).id
    with pytest.raises(TransitionRefused) as twice:
        engine.submit_return("青山镇", "2026Q2", actor=TOWNSHIP)
    assert twice.value.data["guard"] == "quarters_in_order"
    assert "submitted already" in twice.value.message
    clock.set(datetime(2027, 1, 5, tzinfo=UTC))
    with pytest.raises(TransitionRefused) as skipped:
        engine.submit_return("青山镇", "2026Q4", actor=TOWNSHIP)
    assert "2026Q3 is not in yet" in skipped.value.message
    with pytest.raises(InvalidInput, match="has not begun"):
        engine.submit_return("青山镇", "2027Q2", actor=TOWNSHIP)
    engine.submit_return("青山镇", "2026Q3", actor=TOWNSHIP)
    # another township has a case, and a duty, of its own
    other = engine.submit_return("桂花镇", "2026Q4", actor=TOWNSHIP)
    assert other.id != case_id
    assert engine.case(case_id).facts["returns_submitted"] == 2
    assert [c.id for c in engine.cases(type="township_return")] == sorted([case_id, other.id])


def test_only_the_township_submits_its_return(engine: Engine) -> None:
    with pytest.raises(TransitionRefused) as refused:
        engine.submit_return(
            "青山镇", "2026Q3", actor={"name": "县民政局", "role": "civil_affairs"}
        )
    assert refused.value.data["rule"] == "role"
    assert list(engine.cases()) == []


def test_the_engine_fills_the_day_the_next_duty_counts_from(engine: Engine) -> None:
    case_id = engine.submit_return("青山镇", "2026Q2", actor=TOWNSHIP).id
    with pytest.raises(InvalidInput, match="set by the engine"):
        engine.fire(case_id, "submit_return", actor=TOWNSHIP, data={"quarter": "2026Q3"})


def test_two_first_submissions_racing_open_one_case(engine: Engine, clock: FakeClock) -> None:
    """The second opening loses on the intake key and is given the first's case."""
    loc = returns.Location("", "青山镇")
    first = returns._open(engine, "青山镇", loc, Acting("甲", "township"), clock.now())
    again = returns._open(engine, "青山镇", loc, Acting("乙", "township"), clock.now())
    assert again == first
    assert [c.id for c in engine.cases(type="township_return")] == [first]
    assert engine.verify().ok


def _cli(tmp_path: Path, *args: str) -> Result:
    pack = tmp_path / "national-2026.2.toml"
    pack.write_text(PACK_TEXT, encoding="utf-8")
    env = {k: None for k in os.environ if k.startswith("SHOUHU_")}
    env["SHOUHU_DB"] = "sqlite:///" + str(tmp_path / "cli.db")
    return CliRunner().invoke(app, ["--policy", str(pack), *args], env=env, prog_name="shouhu")


def test_registry_submit_records_the_return_and_refuses_bad_input_on_one_line(
    tmp_path: Path,
) -> None:
    who = as_operator(tmp_path / "cli.db", "青山镇 陈静", "township")
    done = _cli(
        tmp_path, "registry", "submit", "--township", "青山镇", "--quarter", "2026Q3",
        *who, "--at", "2026-10-10T09:00", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    case = json.loads(done.stdout)
    assert case["type"] == "township_return"
    assert case["facts"]["last_quarter"] == "2026Q3"
    listed = json.loads(_cli(tmp_path, "outbox", "list", "--json").stdout)
    assert sorted(n["kind"] for n in listed) == [
        "quarterly_return",
        "quarterly_return_copy",
        "quarterly_return_copy_police",
    ]
    bad = _cli(tmp_path, "registry", "submit", "--township", "青山镇", "--quarter", "Q3", *who)
    assert bad.exit_code == 2
    assert bad.stderr.count("\n") == 1
    assert "2026Q3" in bad.stderr
    again = _cli(
        tmp_path, "registry", "submit", "--township", "青山镇", "--quarter", "2026Q3", *who
    )
    assert again.exit_code == 3
    assert "quarters_in_order" in again.stderr
    assert "001 §四(二)2" in again.stderr
    assert "Traceback" not in again.stderr
    verified = _cli(tmp_path, "audit", "verify", "--json")
    assert json.loads(verified.stdout)["ok"] is True


def test_on_postgresql_too_a_township_has_one_case_and_a_missed_quarter_is_told(
    pg_url: str, clock: FakeClock
) -> None:
    with Engine.open(pg_url, clock=clock, zone=ZONE, policy=PACK) as engine:
        case_id = engine.submit_return("青山镇", "2026Q3", actor=TOWNSHIP).id
        loc = returns.Location("", "青山镇")
        second = Acting("乙", "township")
        assert returns._open(engine, "青山镇", loc, second, clock.now()) == case_id
        clock.set(datetime(2027, 1, 20, tzinfo=UTC))
        assert len(engine.run_due()) == 1
        assert engine.run_due() == []
        kinds = [n.kind for n in engine.notices(case_id=case_id)]
        assert kinds.count("deadline_missed") == 1
        assert engine.verify().ok


def test_a_townships_submissions_are_not_counted_as_reports(engine: Engine) -> None:
    engine.submit_return("青山镇", "2026Q3", actor=TOWNSHIP)
    report = engine.compliance_report("2026-10-01", "2026-10-31").to_dict()
    assert report["cases"] == 0
    assert report["late_reports_by_reporter_kind"] == {}
