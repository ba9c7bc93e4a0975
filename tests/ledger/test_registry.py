"""``shouhu registry report`` and ``registry screening``: the ledger's returns.

The quarterly return is checked against a hand count of a seeded ledger of 1,200 people
(``ledgerkit``: the plan is drawn first, the engine driven through it, the count read from the
plan alone), from the library and from the CLI, in JSON and CSV.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shouhu import Engine, FakeClock
from shouhu.cli import app
from tests.ledger.ledgerkit import (
    KIND,
    MONTHS,
    TOWNSHIP,
    VC,
    Person,
    at,
    engine_figures,
    hand_count,
    seeded,
)
from tests.operatorkit import as_operator

PEOPLE = 1200
SEED = 20260101


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Person]]:
    """A SQLite file holding the seeded ledger, its clock left at 2026-05-01, not swept since
    the last planned action."""
    db = tmp_path_factory.mktemp("ledger") / "ledger.db"
    engine, people = seeded(f"sqlite:///{db}", PEOPLE, SEED, until=at(2026, 5, 1))
    engine.close()
    return db, people


def open_at(db: Path, when: datetime) -> Engine:
    return Engine.open(f"sqlite:///{db}", clock=FakeClock(when.astimezone(UTC)))


def by_village(ret: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (t["township"], v["village"]): engine_figures(v)
        for t in ret["townships"]
        for v in t["villages"]
    }


def run(db: Path, *args: str) -> tuple[int, str, str]:
    env = {"SHOUHU_DB": f"sqlite:///{db}", "SHOUHU_ZONE": None, "SHOUHU_LOG_LEVEL": None}
    r = CliRunner().invoke(app, list(args), env=env, prog_name="shouhu")
    return r.exit_code, r.stdout, r.stderr


def refused_on_one_line(db: Path, argv: list[str], message: str) -> None:
    """On a database holding one watch: exit 2, one line naming ``message``, nothing written."""
    assert run(db, *register_one(db))[0] == 0
    before = digest(db)
    code, out, err = run(db, *argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("shouhu: error: ")
    assert message in err
    assert digest(db) == before


def digest(db: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(db.parent.glob(db.name + "*")):
        if p.is_dir():  # the operators' credentials (tests/operatorkit.py)
            continue
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def register_one(db: Path) -> tuple[str, ...]:
    """Register one child, as the village's operator."""
    return (
        *("register", "child", "--name", "王小明", "--birthdate", "2015-04-01"),
        *("--parents-away", "both", "--at", "2026-01-02T09:00", "--location", "青山村, 白水镇"),
        *as_operator(db, "村儿童主任", "village_committee"),
    )


# --- the quarterly return --------------------------------------------------------------------


def test_the_seeded_ledger_is_large_and_has_every_kind_of_event(
    ledger: tuple[Path, list[Person]],
) -> None:
    """The hand count means something only if the plan exercises every figure."""
    _, people = ledger
    assert len(people) >= 1000
    assert {p.kind for p in people} == set(KIND)
    counted = hand_count(people)
    assert len(counted) == 5
    total = {k: sum(c["exits"][k] for c in counted.values()) for k in KIND.values()}
    assert all(n > 0 for n in total.values())
    for who in ("children", "elderly"):
        for m in MONTHS:
            assert sum(c["visits"][who][m]["done"] for c in counted.values()) > 0
            assert sum(c["visits"][who][m]["missed"] for c in counted.values()) > 0
    assert sum(c["reports_raised"] for c in counted.values()) > 0
    assert sum(c["updates"]["missed"] for c in counted.values()) > 0
    aged_out_in_quarter = [
        p for p in people if p.ages_out and at(2026, 1, 1) <= p.ages_out < at(2026, 4, 1)
    ]
    assert any(p.ages_out.day == 1 for p in aged_out_in_quarter if p.ages_out)  # on a month's edge
    assert any(p.registered >= at(2026, 4, 1) for p in people)  # the next quarter's, not counted


def test_the_quarterly_return_matches_a_hand_count_of_a_seeded_ledger_of_1200_people(
    ledger: tuple[Path, list[Person]],
) -> None:
    """Every figure of every village: people by kind at the quarter's end, entries, exits,
    visits due / done / missed per month, ledger updates, reports raised."""
    db, people = ledger
    with open_at(db, at(2026, 5, 1)) as engine:
        ret = engine.registry_report("2026Q1").to_dict()
    assert ret["complete"] is True
    assert ret["as_of"] == "2026-04-01T00:00:00+08:00"
    assert ret["broken"] == []
    assert by_village(ret) == hand_count(people)


def test_township_and_county_totals_are_the_sums_of_their_villages(
    ledger: tuple[Path, list[Person]],
) -> None:
    db, people = ledger
    with open_at(db, at(2026, 5, 1)) as engine:
        ret = engine.registry_report("2026Q1").to_dict()
    counted = hand_count(people)
    for t in ret["townships"]:
        mine = [c for (township, _), c in counted.items() if township == t["township"]]
        for kind in KIND.values():
            assert t["on_ledger"][kind] == sum(c["on_ledger"][kind] for c in mine)
            assert t["exits"][kind] == sum(c["exits"][kind] for c in mine)
        assert t["visits"]["children"]["2026-02"]["missed"] == sum(
            c["visits"]["children"]["2026-02"]["missed"] for c in mine
        )
    assert ret["total"]["reports_raised"] == sum(c["reports_raised"] for c in counted.values())
    assert ret["total"]["on_ledger"]["children"] == sum(
        c["on_ledger"]["children"] for c in counted.values()
    )


def test_the_return_is_the_same_whether_or_not_the_scheduler_has_swept(
    ledger: tuple[Path, list[Person]], tmp_path: Path
) -> None:
    """Months that ended with no visit count as missed before a sweep records them, and a
    child who turned 16 counts as off the ledger before the sweep closes the watch."""
    db, _ = ledger
    copy = tmp_path / "copy.db"
    for part in db.parent.glob(db.name + "*"):  # the seeding engine is closed: a plain copy
        (tmp_path / part.name.replace(db.name, copy.name)).write_bytes(part.read_bytes())
    with open_at(db, at(2026, 5, 1)) as engine:
        before = engine.registry_report("2026Q1").to_dict()
    with open_at(copy, at(2026, 5, 1)) as engine:
        fired = engine.run_due()
        assert fired  # there was something left to record
        after = engine.registry_report("2026Q1").to_dict()
    assert after == before


def test_the_cli_return_in_json_and_csv_is_the_hand_count(
    ledger: tuple[Path, list[Person]],
) -> None:
    db, people = ledger
    counted = hand_count(people)
    code, out, err = run(db, "registry", "report", "--quarter", "2026Q1", "--json")
    assert (code, err) == (0, "")
    assert by_village(json.loads(out)) == counted
    code, out, err = run(db, "registry", "report", "--quarter", "2026Q1", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    villages = [r for r in rows if r["village"]]
    assert len(villages) == len(counted)
    for r in villages:
        c = counted[(r["township"], r["village"])]
        assert int(r["on_ledger_children"]) == c["on_ledger"]["children"]
        assert int(r["entries_women"]) == c["entries"]["women"]
        assert int(r["exits_elderly"]) == c["exits"]["elderly"]
        for m in MONTHS:
            for x in ("due", "done", "missed"):
                assert int(r[f"visits_children_{m}_{x}"]) == c["visits"]["children"][m][x]
                assert int(r[f"visits_elderly_{m}_{x}"]) == c["visits"]["elderly"][m][x]
        assert int(r["ledger_update_events"]) == c["update_events"]
        assert int(r["quarterly_update_missed"]) == c["updates"]["missed"]
        assert int(r["reports_raised"]) == c["reports_raised"]
    total = next(r for r in rows if r["township"] == "(all)")
    assert int(total["on_ledger_children"]) == sum(
        c["on_ledger"]["children"] for c in counted.values()
    )


def test_the_cli_return_as_a_table_names_every_village_and_the_quarter(
    ledger: tuple[Path, list[Person]],
) -> None:
    db, people = ledger
    code, out, _ = run(db, "registry", "report", "--quarter", "2026Q1", "--township", "桂花镇")
    assert code == 0
    assert "Ledger return 2026Q1 (2026-01-01 … 2026-03-31)" in out
    assert "东岭村" in out
    assert "西岭村" in out
    assert "青山村" not in out  # another township's village
    assert not any(f"留守child{p.index}" in out for p in people)  # no names in a return


# --- a small ledger, counted by eye ----------------------------------------------------------


def small(now: str) -> tuple[Engine, FakeClock, dict[str, str]]:
    clock = FakeClock(datetime.fromisoformat(now + "+08:00"))
    engine = Engine.in_memory(clock=clock)
    ids: dict[str, str] = {}

    def when(text: str) -> None:
        clock.set(datetime.fromisoformat(text + "+08:00"))

    when("2025-12-10T09:00")
    ids["a"] = engine.register(
        "child",
        person={"name": "甲", "birthdate": "2015-05-01"},
        location="青山村, 白水镇",
        actor=VC,
        data={"parents_away": "both"},
    ).id
    ids["old"] = engine.register(
        "elderly",
        person={"name": "乙", "birthdate": "1950-05-01"},
        location="青山村, 白水镇",
        actor=VC,
    ).id
    when("2026-01-20T10:00")
    engine.fire(ids["a"], "record_visit", actor=VC, data={"notes": "ok"})
    when("2026-02-03T10:00")
    engine.fire(ids["a"], "update_ledger", actor=TOWNSHIP, data={"notes": "ok"})
    engine.fire(ids["a"], "raise_report", actor=VC, data={"type": "solo_living"})
    return engine, clock, ids


def test_a_running_quarter_counts_the_current_month_as_open() -> None:
    """Mid-February: January's visit done, February's duty open; the elder's January missed;
    the township's update in the quarter counted, its quarterly duty still open."""
    engine, clock, _ = small("2025-12-10T09:00")
    clock.set(datetime.fromisoformat("2026-02-15T12:00+08:00"))
    ret = engine.registry_report("2026Q1").to_dict()
    assert ret["complete"] is False
    assert ret["as_of"] == "2026-02-15T12:00:00+08:00"
    v = ret["townships"][0]["villages"][0]
    assert v["visits"]["children"]["2026-01"] == {"due": 1, "done": 1, "missed": 0, "open": 0}
    assert v["visits"]["children"]["2026-02"] == {"due": 1, "done": 0, "missed": 0, "open": 1}
    assert v["visits"]["children"]["2026-03"] == {"due": 0, "done": 0, "missed": 0, "open": 0}
    assert v["visits"]["elderly"]["2026-01"] == {"due": 1, "done": 0, "missed": 1, "open": 0}
    assert v["visits"]["elderly"]["2026-02"] == {"due": 1, "done": 0, "missed": 0, "open": 1}
    assert v["ledger_updates"] == {"events": 1, "due": 2, "done": 1, "missed": 0, "open": 1}
    assert v["reports_raised"] == 1
    assert v["reports_by_type"] == {"solo_living": 1}
    assert v["on_ledger"] == {"children": 1, "women": 0, "elderly": 1}
    assert v["entries"] == {"children": 0, "women": 0, "elderly": 0}


def test_now_puts_the_return_back_in_time() -> None:
    """``--now 2026-01-31T23:59:59``: January's elder duty still open, a second later missed."""
    engine, clock, _ = small("2025-12-10T09:00")
    clock.set(datetime.fromisoformat("2026-03-01T00:00+08:00"))
    ret = engine.registry_report("2026Q1", now="2026-01-31T23:59:59").to_dict()
    v = ret["townships"][0]["villages"][0]
    assert v["visits"]["elderly"]["2026-01"] == {"due": 1, "done": 0, "missed": 0, "open": 1}
    ret = engine.registry_report("2026Q1", now="2026-02-01T00:00:00").to_dict()
    v = ret["townships"][0]["villages"][0]
    assert v["visits"]["elderly"]["2026-01"] == {"due": 1, "done": 0, "missed": 1, "open": 0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026Q5"], "expected YEARQN, e.g. 2026Q1"),
        (["--quarter", "Q1"], "expected YEARQN"),
        (["--quarter", "2027Q1"], "2027Q1 has not begun"),
        (["--quarter", "2026Q1", "--format", "xml"], "--format: expected table, json or csv"),
        (["--quarter", "2026Q1", "--now", "2026-02-30"], "now: '2026-02-30' is not a valid"),
        (["--quarter", "2026Q1", "--now", "2099-01-01"], "is later than the clock"),
    ],
)
def test_a_bad_quarter_or_time_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    refused_on_one_line(tmp_path / "r.db", ["registry", "report", *args], message)


# --- screening -------------------------------------------------------------------------------


def screening_ledger(policy: Path | None = None) -> tuple[Engine, dict[str, str]]:
    """Four children: visited 2026-05-31 and 2026-06-01, never, and one with a report open."""
    clock = FakeClock(datetime.fromisoformat("2026-05-02T09:00+08:00"))
    engine = Engine.in_memory(clock=clock, policy=policy)
    ids: dict[str, str] = {}
    for key, village in (
        ("may31", "青山村"),
        ("jun1", "青山村"),
        ("never", "河口村"),
        ("rep", "河口村"),
    ):
        ids[key] = engine.register(
            "child",
            person={"name": f"孩子{key}", "birthdate": "2016-01-01"},
            location=f"{village}, 白水镇",
            actor=VC,
            data={"parents_away": "both"},
        ).id
    for key, when in (("may31", "2026-05-31T10:00"), ("jun1", "2026-06-01T10:00")):
        clock.set(datetime.fromisoformat(when + "+08:00"))
        engine.fire(ids[key], "record_visit", actor=VC, data={"notes": "ok"})
    clock.set(datetime.fromisoformat("2026-06-05T10:00+08:00"))
    engine.fire(ids["rep"], "record_visit", actor=VC, data={"notes": "ok"})
    engine.fire(ids["rep"], "raise_report", actor=VC, data={"type": "suspected_abuse"})
    clock.set(datetime.fromisoformat("2026-06-20T10:00+08:00"))
    return engine, ids


def test_screening_lists_the_never_visited_the_visited_too_long_ago_and_the_open_reports() -> None:
    """Holiday from 2026-07-01, bound one month (Civil Code counting): a visit on 05-31 runs
    out at 07-01T00:00, so that child is due; a visit on 06-01 holds until 07-02."""
    engine, ids = screening_ledger()
    plan = engine.screening("2026-07-01")
    got = {e.case_id: e.reasons for e in plan.entries}
    assert got == {
        ids["may31"]: ("visit_older_than_bound",),
        ids["never"]: ("never_visited",),
        ids["rep"]: ("open_report",),
    }
    rep = next(e for e in plan.entries if e.case_id == ids["rep"])
    assert len(rep.open_reports) == 1
    assert engine.case(rep.open_reports[0]).type == "suspected_abuse"
    assert plan.on_ledger == 4
    assert [e.village for e in plan.entries] == ["河口村", "河口村", "青山村"]


def test_screening_a_day_earlier_spares_the_child_visited_on_may_31() -> None:
    engine, ids = screening_ledger()
    got = {e.case_id for e in engine.screening("2026-06-30").entries}
    assert ids["may31"] not in got
    assert ids["never"] in got


def test_a_closed_report_no_longer_puts_a_child_on_the_screening() -> None:
    engine, ids = screening_ledger()
    (entry,) = [e for e in engine.screening("2026-07-01").entries if e.case_id == ids["rep"]]
    police = {"name": "派出所", "role": "police"}
    engine.fire(
        entry.open_reports[0],
        "dismiss",
        actor=police,
        data={"reason_kind": "unfounded", "reason": "查无实据"},
    )
    assert ids["rep"] not in {e.case_id for e in engine.screening("2026-07-01").entries}


def test_a_city_pack_sets_the_screening_bound(tmp_path: Path) -> None:
    """With ``screening_visit = P2M`` the child visited on 05-31 is no longer due."""
    from shouhu.engine.policy import default_pack

    text = default_pack().text.replace(
        '[deadlines.screening_visit]\nkind = "check"\nperiod = "P1M"',
        '[deadlines.screening_visit]\nkind = "check"\nperiod = "P2M"',
    )
    assert "P2M" in text
    pack = tmp_path / "city.toml"
    pack.write_text(text.replace('name = "cn-national-default"', 'name = "city"'), "utf-8")
    engine, ids = screening_ledger(pack)
    plan = engine.screening("2026-07-01")
    assert str(plan.bound) == "P2M"
    assert ids["may31"] not in {e.case_id for e in plan.entries}


def test_the_screening_cli_prints_a_plan_without_names_unless_identity_is_read(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    args = ["--location", "青山村, 白水镇", *as_operator(db, "村儿童主任", "village_committee")]
    code, out, _ = run(
        db,
        "register",
        "child",
        "--name",
        "王小明",
        "--birthdate",
        "2015-04-01",
        "--parents-away",
        "both",
        "--at",
        "2026-05-02T09:00",
        "--json",
        *args,
    )
    assert code == 0
    case_id = json.loads(out)["id"]
    code, out, err = run(db, "registry", "screening", "--before", "2099-07-01", "--json")
    assert (code, err) == (0, "")
    plan = json.loads(out)
    assert [c["case_id"] for c in plan["children"]] == [case_id]
    assert plan["children"][0]["reasons"] == ["never_visited"]
    assert "王小明" not in out
    code, out, _ = run(db, "registry", "screening", "--before", "2099-07-01")
    assert code == 0
    assert case_id in out
    assert "王小明" not in out
    reader = [*as_operator(db, "镇民政办", "township"), "--reason", "暑假前排查"]
    code, out, err = run(
        db,
        "registry",
        "screening",
        "--before",
        "2099-07-01",
        "--format",
        "csv",
        "--include-identity",
        *reader,
    )
    assert (code, err) == (0, "")
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["name"] == "王小明"
    assert row["case_id"] == case_id
    code, out, _ = run(db, "audit", "access", case_id, "--json")
    assert code == 0
    assert "registry screening" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--before", "2026-02-30"], "before"),
        (["--before", "2020-01-01"], "is in the past"),
        (["--before", "2099-07-01", "--include-identity"], "--include-identity needs --as"),
        (["--before", "2099-07-01", "--format", "pdf"], "--format: expected"),
    ],
)
def test_a_bad_screening_request_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    refused_on_one_line(tmp_path / "s.db", ["registry", "screening", *args], message)


def test_an_unknown_township_is_named_with_the_ones_there_are(
    ledger: tuple[Path, list[Person]],
) -> None:
    """A typo in --township is bad input listing the townships, not an empty return."""
    db, _ = ledger
    for command in (
        ["registry", "report", "--quarter", "2026Q1", "--township", "白水"],
        ["registry", "screening", "--before", "2099-07-01", "--township", "白水"],
    ):
        code, out, err = run(db, *command)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
        assert "no township '白水'" in err
        assert "(townships: 桂花镇, 白水镇)" in err
