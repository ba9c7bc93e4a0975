"""The ledger's categories of child (003): left-behind, orphan, no one in fact raising them,
in difficulty — each with its eligibility facts checked at registration, and counted by the
quarterly return."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, workflows
from shouhu.cli import app
from shouhu.engine.policy import PolicyPack, parse_pack, shipped_packs
from shouhu.errors import InvalidInput
from shouhu.workflows.workflowset import WorkflowSet
from tests.operatorkit import as_operator

VC = {"name": "村儿童主任", "role": "village_committee"}
PLACE = "青山村, 白水镇"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def national() -> PolicyPack:
    return parse_pack(shipped_packs()["cn-national-default@2026.2"])


def engine_at(text: str = "2026-01-05T09:00") -> Engine:
    return Engine.in_memory(clock=FakeClock(local(text)), policy=national())


def child(engine: Engine, name: str = "张三", birthdate: str = "2015-04-30", **data: Any) -> str:
    return engine.register(
        "child", person={"name": name, "birthdate": birthdate}, location=PLACE, actor=VC, data=data
    ).id


def refused(engine: Engine, birthdate: str = "2015-04-30", **data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        child(engine, birthdate=birthdate, **data)
    assert list(engine.cases()) == []  # nothing written
    return caught.value


def test_each_category_is_registered_with_its_eligibility_facts() -> None:
    engine = engine_at()
    ids = {
        "left_behind": child(engine, "甲", parents_away="both"),
        "orphan": child(engine, "乙", category="orphan", father="deceased", mother="deceased"),
        "de_facto_unraised": child(
            engine, "丙", category="de_facto_unraised", father="imprisoned", mother="lost_contact"
        ),
        "in_difficulty": child(engine, "丁", category="in_difficulty", difficulty="disability"),
    }
    for category, case_id in ids.items():
        assert engine.case(case_id).facts["category"] == category
    assert engine.case(ids["de_facto_unraised"]).facts["mother"] == "lost_contact"


def test_a_child_no_one_raises_may_have_one_parent_deceased_and_the_other_in_prison() -> None:
    """003 §二: 父母双方(或一方死亡)重病、重残、服刑在押、强制隔离戒毒、失联."""
    engine = engine_at()
    case_id = child(
        engine, category="de_facto_unraised", father="deceased", mother="compulsory_rehab"
    )
    assert engine.case(case_id).facts["category"] == "de_facto_unraised"


def test_an_orphan_with_a_living_parent_is_refused_citing_003() -> None:
    e = refused(engine_at(), category="orphan", father="deceased", mother="lost_contact")
    assert e.data["rule"] == "orphan"
    assert e.data["citation"].startswith("003 §二")
    assert "both be deceased" in e.message


def test_a_child_with_a_parent_at_home_is_not_one_no_one_raises() -> None:
    e = refused(engine_at(), category="de_facto_unraised", father="imprisoned", mother="present")
    assert e.data["rule"] == "de_facto_unraised"
    assert "重病、重残、服刑在押" in e.data["citation"]


def test_both_parents_deceased_is_an_orphan_not_a_child_no_one_raises() -> None:
    e = refused(engine_at(), category="de_facto_unraised", father="deceased", mother="deceased")
    assert "category orphan" in e.message


def test_a_child_in_difficulty_needs_the_difficulty() -> None:
    assert refused(engine_at(), category="in_difficulty").data["rule"] == "in_difficulty"


def test_a_left_behind_child_needs_the_parents_away() -> None:
    e = refused(engine_at())
    assert e.data["rule"] == "parents_away"
    assert e.data["field"] == "parents_away"


def test_an_orphan_is_on_the_ledger_until_18_and_a_left_behind_child_until_16() -> None:
    """Born 2009-03-15: 16 on 2025-03-16, 18 from 2027-03-16T00:00+08:00."""
    engine = engine_at("2026-01-05T09:00")
    assert refused(engine, "2009-03-15", parents_away="both").data["rule"] == "under_16"
    case_id = child(
        engine, birthdate="2009-03-15", category="orphan", father="deceased", mother="deceased"
    )
    due = {d["kind"]: d["due_at"] for d in engine.deadlines(case_id=case_id)}
    assert due["turns_18"] == "2027-03-16T00:00:00+08:00"
    assert "turns_16" not in due
    late = engine_at("2027-03-16T00:00:00")
    e = refused(late, "2009-03-15", category="orphan", father="deceased", mother="deceased")
    assert e.data["rule"] == "under_18"


def test_an_orphan_ages_out_at_18_by_the_sweep() -> None:
    clock = FakeClock(local("2027-03-15T09:00"))
    engine = Engine.in_memory(clock=clock, policy=national())
    case_id = child(
        engine, birthdate="2009-03-15", category="in_difficulty", difficulty="family_poverty"
    )
    clock.set(local("2027-03-16T00:00:00"))
    engine.run_due()
    closed = engine.case(case_id)
    assert (closed.state, closed.outcome) == ("off_ledger", "aged_out")
    assert engine.verify().ok


def _v1_only() -> WorkflowSet:
    return WorkflowSet(
        wf for key, wf in workflows.DEFAULT.registry.items() if key != ("child_watch", 2)
    )


def test_the_quarterly_return_counts_children_by_category_and_v1_children_as_left_behind(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    clock = FakeClock(local("2026-01-05T09:00"))
    with Engine.open(url, clock=clock, workflows=_v1_only()) as old:
        v1 = child(old, "旧", parents_away="both")
        assert old.case(v1).record.workflow_version == 1
    with Engine.open(url, clock=clock, policy=national()) as engine:
        child(engine, "甲", parents_away="one_with_incapable_other")
        child(engine, "乙", category="orphan", father="deceased", mother="deceased")
        child(engine, "丁", category="in_difficulty", difficulty="out_of_school")
        clock.set(local("2026-04-01T00:00"))
        ret = engine.registry_report("2026Q1").to_dict()
        rows = list(csv.reader(io.StringIO(_csv(engine))))
    by = ret["total"]["children_by_category"]
    expected = {"left_behind": 2, "orphan": 1, "de_facto_unraised": 0, "in_difficulty": 1}
    assert by["on_ledger"] == expected
    assert by["entries"] == expected
    assert ret["total"]["on_ledger"]["children"] == 4
    head, total = rows[0], rows[-1]
    assert total[head.index("on_ledger_children_left_behind")] == "2"
    assert total[head.index("entries_children_in_difficulty")] == "1"


def _csv(engine: Engine) -> str:
    ret = engine.registry_report("2026Q1")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ret.csv_header())
    writer.writerows(ret.csv_rows())
    return out.getvalue()


def test_the_cli_registers_an_orphan_and_refuses_a_living_parent_in_one_line(
    tmp_path: Path,
) -> None:
    env = {"SHOUHU_DB": f"sqlite:///{tmp_path / 'c.db'}", "SHOUHU_ZONE": None}
    base = ["register", "child", "--name", "张三", "--birthdate", "2012-01-01"]
    who = as_operator(tmp_path / "c.db", "村儿童主任", "village_committee")
    base += ["--location", PLACE, *who]
    base += ["--at", "2026-01-05T09:00", "--category", "orphan", "--father", "deceased"]
    runner = CliRunner()
    bad = runner.invoke(app, [*base, "--mother", "imprisoned"], env=env, prog_name="shouhu")
    assert bad.exit_code == 2
    lines = [ln for ln in bad.stderr.splitlines() if ln.startswith("shouhu: error")]
    assert len(lines) == 1
    assert "refused by rule orphan (003 §二" in lines[0]
    assert "Traceback" not in bad.output
    good = runner.invoke(
        app, [*base, "--mother", "deceased", "--json"], env=env, prog_name="shouhu"
    )
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["facts"]["category"] == "orphan"
    report = runner.invoke(
        app,
        ["registry", "report", "--quarter", "2026Q1", "--now", "2026-01-06T00:00", "--json"],
        env=env,
        prog_name="shouhu",
    )
    assert report.exit_code == 0, report.output
    counted = json.loads(report.stdout)["total"]["children_by_category"]["on_ledger"]
    assert counted["orphan"] == 1
