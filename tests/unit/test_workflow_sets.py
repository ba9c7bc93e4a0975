"""An engine knows the workflows it is given: the default set, or an embedder's with more types,
with nothing global changed by giving one (issue 13: an open, injected workflow set)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shouhu import Conflict, Engine, FakeClock, InvalidInput, TransitionRefused, workflows
from shouhu.engine.policy import parse_pack
from shouhu.workflows import DEFAULT, FieldDef, StateDef, TransitionDef, WorkflowDef, WorkflowSet
from shouhu.workflows.vocab import REPORT_TYPES, WATCH_TYPES
from shouhu.workflows.watch import CHILD_WATCH

CITE = "001 §三 — 控辍保学"
T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai


def seventh(version: int = 1, *, extra_state: bool = False) -> WorkflowDef:
    states = [
        StateDef("reported", "已报告", "reported"),
        StateDef("returned", "已复学", "back at school", final=True),
    ]
    rows = [
        TransitionDef(
            "child_returned", ("reported",), "returned", ("school",), CITE, "back at school"
        )
    ]
    if extra_state:
        states.insert(1, StateDef("persuading", "劝返中", "persuading"))
        rows.insert(
            0,
            TransitionDef(
                "start_persuasion", ("reported",), "persuading", ("school",), CITE, "劝返"
            ),
        )
        rows[1] = replace(rows[1], sources=("reported", "persuading"))
    return WorkflowDef(
        type="school_dropout",
        version=version,
        zh="控辍保学",
        en="stopped coming to school",
        citation=CITE,
        roles=(("education_bureau", "县级教育行政部门"),),
        states=tuple(states),
        initial="reported",
        transitions=tuple(rows),
        report_data=(FieldDef("school", "text", required=True),),
    )


def report(engine: Engine, type_: str = "school_dropout", *, new_case: bool = False) -> str:
    return engine.report(
        type_,
        child={"name": "李小红", "birthdate": "2014-09-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        data={"school": "青山镇中心小学"} if type_ == "school_dropout" else None,
        new_case=new_case,
    ).id


def test_the_default_set_is_the_six_report_types_then_the_three_watches() -> None:
    assert DEFAULT.types() == tuple(REPORT_TYPES)  # in the order of 001 §四(三)1
    assert DEFAULT.watch_types() == tuple(WATCH_TYPES)
    assert Engine.in_memory().workflows is DEFAULT


def test_with_makes_a_new_set_and_leaves_the_default_as_it_was() -> None:
    mine = DEFAULT.with_(seventh())
    assert mine.types()[-1] == "school_dropout"
    assert "school_dropout" in mine
    assert "school_dropout" not in DEFAULT
    assert "school_dropout" not in workflows.all_types()
    assert mine.roles["education_bureau"] == "县级教育行政部门"
    assert "education_bureau" not in DEFAULT.roles


def test_an_engine_without_the_type_refuses_it_and_one_given_it_files_fires_and_verifies() -> None:
    clock = FakeClock(T0)
    plain = Engine.in_memory(clock=clock)
    with pytest.raises(InvalidInput, match="unknown report type 'school_dropout'"):
        report(plain)
    engine = Engine.in_memory(clock=clock, workflows=DEFAULT.with_(seventh()))
    case_id = report(engine)
    with pytest.raises(TransitionRefused) as refused:
        engine.fire(case_id, "child_returned", actor={"name": "王警官", "role": "police"})
    assert refused.value.data["rule"] == "role"
    done = engine.fire(case_id, "child_returned", actor={"name": "张老师", "role": "school"})
    assert done.state == "returned"
    assert engine.replay(case_id).ok
    assert engine.verify().ok


def test_a_role_only_the_embedders_workflow_names_is_unknown_to_an_engine_without_it() -> None:
    engine = Engine.in_memory(clock=FakeClock(T0))
    case_id = report(engine, "solo_living")
    with pytest.raises(InvalidInput, match="unknown role 'education_bureau'"):
        engine.fire(case_id, "dispatch", actor={"name": "王科长", "role": "education_bureau"})


def test_a_case_replays_under_the_version_it_was_recorded_with_after_a_new_version() -> None:
    clock = FakeClock(T0)
    v1 = DEFAULT.with_(seventh(1))
    engine = Engine.in_memory(clock=clock, workflows=v1)
    old = report(engine)
    engine.workflows = v1.with_(seventh(2, extra_state=True))
    new = report(engine, new_case=True)
    assert engine.case(old).record.workflow_version == 1
    assert engine.case(new).record.workflow_version == 2
    engine.fire(new, "start_persuasion", actor={"name": "张老师", "role": "school"})
    with pytest.raises(InvalidInput, match="unknown trigger 'start_persuasion'"):  # not in v1
        engine.fire(old, "start_persuasion", actor={"name": "张老师", "role": "school"})
    assert engine.verify().ok


def test_a_type_cannot_change_how_it_opens_between_versions() -> None:
    as_watch = replace(CHILD_WATCH, version=2, opening="report")
    with pytest.raises(ValueError, match="opens with 'report'"):
        DEFAULT.with_(as_watch)


def test_a_set_holds_only_workflow_definitions() -> None:
    with pytest.raises(TypeError):
        WorkflowSet(["school_dropout"])  # type: ignore[list-item]


def test_a_pack_may_name_the_new_types_triggers_only_when_read_against_its_set() -> None:
    text = """
[pack]
name = "county"
version = "1"
extends = "cn-national-default@2026.1"

[deadlines.persuasion]
kind = "duty"
period = "P7D"
applies_to = ["school_dropout"]
starts_on = ["report"]
met_by = ["child_returned"]
cancelled_by = []
basis = "local"
citation = "001 §三"
"""
    with pytest.raises(InvalidInput, match="unknown trigger 'child_returned'"):
        parse_pack(text, "county.toml")
    pack = parse_pack(text, "county.toml", wfs=DEFAULT.with_(seventh()))
    assert pack.rule("persuasion").applies_to == ("school_dropout",)


def test_a_national_duty_does_not_start_on_a_type_that_cannot_meet_it() -> None:
    """The police-dispatch duty (no ``applies_to``) starts on every report type of 001, whose
    workflows have a dispatch; not on a type with no transition that meets it."""
    engine = Engine.in_memory(clock=FakeClock(T0), workflows=DEFAULT.with_(seventh()))
    assert [d["kind"] for d in engine.case(report(engine, "solo_living")).deadlines] == ["dispatch"]
    assert engine.case(report(engine)).deadlines == ()


def shouhu_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shouhu", "--db", f"sqlite:///{tmp_path / 'c.db'}", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module:WORKFLOWS", "cannot import 'no_such_module'"),
        ("not a module", "expected package.module:NAME"),
        ("json:dumps", "is not a WorkflowSet, a WorkflowDef or a sequence of them"),
        ("json:NOPE", "module 'json' has no 'NOPE'"),
    ],
)
def test_a_bad_shouhu_workflows_is_one_line_exit_2_and_no_database(
    tmp_path: Path, spec: str, says: str
) -> None:
    done = shouhu_cli(tmp_path, "workflow", "list", env={"SHOUHU_WORKFLOWS": spec})
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize("where", ["memory", "sqlite", "postgresql"])
def test_a_watch_type_of_the_embedders_keeps_one_open_watch_per_person(
    tmp_path: Path, where: str, request: pytest.FixtureRequest
) -> None:
    """一人一档 for a watch the shipped indexes do not know (a county's orphan register): the
    same person registered again is refused naming the open watch, on every store."""
    orphans = replace(
        CHILD_WATCH, type="orphan_watch", zh="孤儿台账", eligibility=(), screened=False
    )
    wfs = DEFAULT.with_(orphans)
    clock = FakeClock(T0)
    if where == "memory":
        engine = Engine.in_memory(clock=clock, workflows=wfs)
    else:
        url = (
            request.getfixturevalue("pg_url")
            if where == "postgresql"
            else f"sqlite:///{tmp_path / 'c.db'}"
        )
        engine = Engine.open(url, clock=clock, workflows=wfs)
    person = {"name": "李小红", "birthdate": "2014-09-01"}
    actor = {"name": "石桥村村委会", "role": "village_committee"}
    data = {"parents_away": "both"}
    first = engine.register(
        "orphan_watch", person=person, location="石桥村, 青山镇", actor=actor, data=data
    )
    with pytest.raises(Conflict) as refused:
        engine.register(
            "orphan_watch", person=person, location="石桥村, 青山镇", actor=actor, data=data
        )
    assert refused.value.data["rule"] == "duplicate"
    assert first.id in str(refused.value)
    engine.close()
