"""Security properties: roles enforced by the engine itself (library and CLI alike), personal
data absent from every log line, notice and default JSON output, and private database files.
See docs/security.md, which names these tests."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, ShouhuError, TransitionRefused, workflows
from shouhu.adapters.logging import configure
from shouhu.cli import app
from shouhu.engine.validation import id_check_digit
from shouhu.workflows.vocab import ROLES
from tests.operatorkit import as_operator

NAME = "欧阳小雪"
BIRTHDATE = "2016-02-01"
ID_NUMBER = "42120220160201123" + id_check_digit("42120220160201123")
GUARDIAN = "欧阳大伯"
SECRETS = (NAME, BIRTHDATE, "20160201", ID_NUMBER, GUARDIAN)
CHILD = {"name": NAME, "birthdate": BIRTHDATE, "id_number": ID_NUMBER}
WRITERS = sorted(set(ROLES) - {"auditor", "system"})


def _report(engine: Engine, type_: str = "solo_living", **data: Any) -> str:
    return engine.report(
        type_,
        child=CHILD,
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        discovered_at="2026-03-02T08:10",
        occurred_at="2026-03-02T08:30",
        data=data,
    ).id


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "system"])
def test_an_auditor_or_the_system_role_can_fire_no_trigger_of_any_workflow_from_the_library(
    engine: Engine, role: str
) -> None:
    """Every trigger of every workflow, fired as auditor or system on a dispatched case: refused
    (by rule role, or as a trigger this workflow does not have), nothing written."""
    case_id = _report(engine)
    engine.fire(case_id, "dispatch", actor={"name": "李警官", "role": "police"})
    before = engine.case(case_id).record.head_hash
    for wf in workflows.REGISTRY.values():
        for trigger in wf.triggers:
            with pytest.raises(ShouhuError) as refused:
                engine.fire(case_id, trigger, actor={"name": "某人", "role": role})
            assert refused.value.exit_code in (2, 3), (wf.type, trigger)
    assert engine.case(case_id).record.head_hash == before


@pytest.mark.parametrize("role", ["auditor", "system"])
def test_an_auditor_or_the_system_role_can_register_no_one_from_the_library(
    engine: Engine, role: str
) -> None:
    for kind in ("child", "woman", "elderly"):
        with pytest.raises(TransitionRefused) as refused:
            engine.register(
                kind,
                person={"name": NAME, "birthdate": BIRTHDATE},
                location="石桥村, 青山镇",
                actor={"name": "某人", "role": role},
                at="2026-03-02T09:00",
                data={"parents_away": "both"} if kind == "child" else None,
            )
        assert refused.value.rule == "role"
    assert list(engine.cases()) == []


def test_an_auditor_can_replay_verify_and_read_identity_but_never_write_from_the_library(
    engine: Engine,
) -> None:
    case_id = _report(engine)
    auditor = {"name": "刘检察官", "role": "auditor"}
    assert engine.replay(case_id).ok
    assert engine.verify(case_id).ok
    assert engine.read_identity(case_id, actor=auditor, reason="专项监督").name == NAME
    with pytest.raises(TransitionRefused):
        engine.fire(case_id, "dispatch", actor=auditor)
    assert engine.case(case_id).version == 1


def test_the_system_role_reads_no_identity(engine: Engine) -> None:
    case_id = _report(engine)
    with pytest.raises(TransitionRefused):
        engine.read_identity(case_id, actor={"name": "x", "role": "system"}, reason="例行")
    assert engine.accesses(case_id) == []


@pytest.mark.parametrize("role", ["auditor", "system"])
def test_no_operator_may_fire_or_register_as_auditor_or_system_from_the_cli(
    tmp_path: Path, role: str
) -> None:
    """An operator the registry holds in the auditor or system role (a real credential, scope
    everywhere) fires no trigger and registers no one by hand: refused by rule role (exit 3,
    one line), nothing written."""
    db = tmp_path / "c.db"
    env = {"SHOUHU_DB": f"sqlite:///{db}", "SHOUHU_LOG_LEVEL": None}
    runner = CliRunner()
    filed = runner.invoke(
        app,
        [
            "report",
            "solo_living",
            "--child-name",
            NAME,
            "--child-birthdate",
            BIRTHDATE,
            "--location",
            "石桥村, 青山镇",
            "--reporter-kind",
            "school",
            "--reporter",
            "小学",
            "--at",
            "2026-03-02T08:30",
            "-q",
        ],
        env=env,
    )
    case_id = filed.stdout.strip()
    who = as_operator(db, "某人", role)  # the operator made before the bytes are taken
    before = db.read_bytes()
    commands = [
        ["case", "fire", case_id, "dispatch", *who],
        ["case", "fire", case_id, "nonperformance_six_months", *who],
        [
            "register",
            "child",
            "--name",
            "李小红",
            "--birthdate",
            "2015-06-01",
            "--location",
            "石桥村, 青山镇",
            *who,
            "--parents-away",
            "both",
        ],
    ]
    for argv in commands:
        result = runner.invoke(app, argv, env=env)
        assert result.exit_code == 3, (argv, result.stderr)
        assert result.stderr.startswith("shouhu: error: refused by rule role")
        assert result.stderr.count("\n") == 1
    assert db.read_bytes() == before


# --- personal data in logs, notices and JSON ----------------------------------------------


def _walk(engine: Engine, clock: FakeClock, type_: str, picks: list[int]) -> set[str]:
    """File a report (or register a child) with personal data and fire possible triggers
    chosen by ``picks``, with good data; then let the scheduler fire what falls due."""
    if type_ == "child_watch":
        case_id = engine.register(
            "child",
            person=CHILD,
            location="石桥村, 青山镇",
            actor={"name": "石桥村委会", "role": "village_committee"},
            at="2026-03-02T08:30",
            data={"parents_away": "both", "guardian": GUARDIAN},
        ).id
    elif type_ in ("woman_watch", "elderly_watch"):
        birth = "1990-05-01" if type_ == "woman_watch" else "1950-05-01"
        case_id = engine.register(
            type_.split("_")[0],
            person={"name": NAME, "birthdate": birth},
            location="石桥村, 青山镇",
            actor={"name": "石桥村委会", "role": "village_committee"},
            at="2026-03-02T08:30",
            data={"husband_away_since": "2025-01-01"} if type_ == "woman_watch" else None,
        ).id
    else:
        extra = {"nonperformance_since": "2025-06-01"} if "nonperformance" in type_ else {}
        case_id = _report(engine, type_, **extra)
    fired = {"report"}
    for pick in picks:
        options = engine.next(case_id)
        if not options:
            break
        opt = options[pick % len(options)]
        data = {
            f["name"]: f["choices"][pick % len(f["choices"])] if f.get("choices") else GUARDIAN
            for f in opt.data
            if f.get("required") or f["name"] in ("guardian_name", "new_guardian", "guardian")
        }
        clock.advance(minutes=10)
        try:
            engine.fire(
                case_id, opt.trigger, actor={"name": "经办人", "role": opt.roles[0]}, data=data
            )
        except Exception as exc:  # a guard or a data rule: fine, it is logged too
            if not hasattr(exc, "exit_code"):
                raise
            continue
        fired.add(opt.trigger)
    clock.advance(days=400)
    fired.update(f.trigger for f in engine.run_due())
    return fired


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_no_log_line_at_debug_carries_a_name_birthdate_or_id_number_whatever_happens(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random walks over every workflow, logged at DEBUG; each log line checked."""
    seen: set[str] = set()

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        # the workflows that hold a person (a township's submissions hold none: their log
        # lines are checked with every other trigger in test_logs_every_trigger.py)
        st.sampled_from((*workflows.types(), *workflows.watch_types())),
        st.lists(st.integers(0, 99), min_size=10, max_size=40),
    )
    def run(type_: str, picks: list[int]) -> None:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stderr", out)
        configure(fmt=fmt, level="debug")
        clock = FakeClock(datetime_now())
        with Engine.in_memory(clock=clock, zone="Asia/Shanghai") as engine:
            seen.update(_walk(engine, clock, type_, picks))
            for n in engine.notices():
                text = json.dumps(n.payload, ensure_ascii=False)
                for secret in SECRETS[:4]:
                    assert secret not in text, (n.kind, secret)
        logged = out.getvalue()
        assert logged, "nothing was logged"
        for secret in SECRETS:
            assert secret not in logged, secret

    run()
    assert len(seen) > 20, sorted(seen)


def datetime_now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_json_outputs_without_include_identity_carry_no_identity(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    env = {"SHOUHU_DB": f"sqlite:///{db}", "SHOUHU_LOG_LEVEL": None}
    runner = CliRunner()
    filed = runner.invoke(
        app,
        [
            "report",
            "suspected_abuse",
            "--child-name",
            NAME,
            "--child-birthdate",
            BIRTHDATE,
            "--child-id-number",
            ID_NUMBER,
            "--location",
            "石桥村, 青山镇",
            "--reporter-kind",
            "school",
            "--reporter",
            "小学",
            "--at",
            "2026-03-02T08:30",
            "--json",
        ],
        env=env,
    )
    case_id = json.loads(filed.stdout)["id"]
    out = tmp_path / "export.json"
    for argv in (
        ["case", "show", case_id, "--json"],
        ["case", "list", "--json"],
        ["audit", "replay", case_id, "--json"],
        ["outbox", "list", "--json"],
        ["audit", "export", case_id, "--format", "json", "-o", str(out)],
    ):
        result = runner.invoke(app, argv, env=env)
        assert result.exit_code == 0, (argv, result.stderr)
        text = result.stdout + (out.read_text(encoding="utf-8") if out.exists() else "")
        for secret in SECRETS[:4]:
            assert secret not in text, (argv, secret)
    assert NAME not in filed.stdout


# --- files ------------------------------------------------------------------------------------


def test_a_new_database_and_its_wal_and_shm_are_0600_even_under_a_permissive_umask(
    tmp_path: Path, clock: FakeClock
) -> None:
    """SQLite gives the -wal and -shm files the main file's mode; the main file is made 0600
    by the engine, whatever the umask."""
    old = os.umask(0)
    try:
        db = tmp_path / "c.db"
        with Engine.open(f"sqlite:///{db}", clock=clock) as engine:
            _report(engine)
            companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            for p in (db, *companions):
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    finally:
        os.umask(old)
