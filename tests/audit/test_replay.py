"""Replay: a case rebuilt from its events alone, through the definitions it was recorded under.

Replay must agree with the record for every case the demo makes; answer "what was the state
at …" right to the second; carry each deadline's compliance; keep the past's meaning when a
definition changes; and name an event the definition would refuse.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from auditkit import CIVIL, POLICE, TOWNSHIP, ZONE, Cli, Dba, file_report, fire
from rich.console import Console

from shouhu import Engine, FakeClock, InvalidInput, TransitionRefused, workflows
from shouhu.engine.audit import replay
from shouhu.engine.hashing import event_hash
from shouhu.engine.timeutil import parse_instant
from shouhu.workflows.care import care_measures
from shouhu.workflows.spec import Guard
from shouhu.workflows.spine import C_EMERGENCY, measure, report_workflow
from tests.operatorkit import as_operator

# --- the demo -------------------------------------------------------------------------------


def test_every_demo_case_replays_to_its_record_and_verifies(tmp_path: Path) -> None:
    """Each case ``make demo`` writes (the reports and the village's watches) replays with no
    illegal event and no difference from its projection, ends where the case row says, and the
    whole database verifies."""
    from shouhu.demo import VILLAGE_LEDGER, run

    url = "sqlite:///" + str(tmp_path / "demo.db")
    assert len(run(url, Console(file=io.StringIO()))) == 8  # 7 stories and the holiday case
    with Engine.open(url, zone=ZONE) as engine:
        ids = [c.id for c in engine.cases()]
        assert len(ids) == 8 + len(VILLAGE_LEDGER)
        for case_id in ids:
            rebuilt = engine.replay(case_id)
            case = engine.case(case_id)
            assert rebuilt.ok, (case_id, rebuilt.illegal, rebuilt.differences)
            assert (rebuilt.state, rebuilt.version, rebuilt.outcome) == (
                case.state,
                case.version,
                case.outcome,
            )
            assert [s.state for s in rebuilt.steps] == [h.event.to_state for h in case.history]
        result = engine.verify()
        assert result.ok, result.broken
        assert result.cases == len(ids)
        assert result.events == sum(engine.case(i).version for i in ids)


def test_demo_database_passes_audit_replay_and_verify_on_the_cli(tmp_path: Path) -> None:
    """``audit replay`` exits 0 for each demo case and ``audit verify`` for the database."""
    from shouhu.demo import run

    cli = Cli(tmp_path / "demo.db")
    run(cli.url, Console(file=io.StringIO()))
    # the demo made operators (so reads need one): its county auditor reads every case
    auditor = ("--as", str(tmp_path / "demo-credentials" / "auditor.json"))
    ids = [c["id"] for c in cli.json("case", "list", *auditor)]
    assert len(ids) > 7  # the reports and the village's watches
    for case_id in ids:
        out = cli.json("audit", "replay", case_id, *auditor)
        assert out["ok"]
        assert out["illegal"] == []
        assert out["differences"] == []
    verified = cli.json("audit", "verify", *auditor)
    assert verified["ok"]
    assert verified["cases"] == len(ids)
    assert verified["broken"] == []


# --- point in time --------------------------------------------------------------------------

REPORTED = "2026-03-02T08:30:00"
DISPATCHED = "2026-03-02T09:05:07"
DESIGNATED = "2026-03-02T11:42:59"


@pytest.fixture
def timed_case(lib: Engine) -> str:
    """A solo_living case whose events occurred at odd seconds (local time)."""
    case_id = file_report(lib, at=REPORTED)
    fire(lib, case_id, DISPATCHED, "dispatch")
    fire(lib, case_id, DESIGNATED, "designate_entrusted_guardian", guardian_name="王桂英")
    fire(lib, case_id, "2026-03-02T12:00:00", "admonish_parents")
    fire(lib, case_id, "2026-03-02T12:00:00", "complete_emergency")
    return case_id


@pytest.mark.parametrize(
    ("at", "state", "last_seq"),
    [
        (REPORTED, "reported", 1),
        ("2026-03-02T09:05:06", "reported", 1),
        (DISPATCHED, "dispatched", 2),
        ("2026-03-02T01:05:07Z", "dispatched", 2),  # the same instant in UTC
        ("2026-03-02T09:05:07.999999", "dispatched", 2),
        ("2026-03-02T11:42:58", "dispatched", 2),
        (DESIGNATED, "dispatched", 3),
        ("2026-03-02T11:59:59", "dispatched", 3),
        ("2026-03-02T12:00:00", "emergency_handled", 5),
    ],
)
def test_replay_at_an_instant_includes_events_at_that_second_and_not_after(
    lib: Engine, cli: Cli, timed_case: str, at: str, state: str, last_seq: int
) -> None:
    """The state at an event's exact occurred_at includes that event; one second before does
    not — through the library, ``case show --at`` and ``audit replay --at``."""
    rebuilt = lib.replay(timed_case, at=at)
    assert (rebuilt.state, rebuilt.version) == (state, last_seq)
    assert rebuilt.at == parse_instant(at, ZONE)
    for args in (
        ("case", "show", timed_case, "--at", at),
        ("audit", "replay", timed_case, "--at", at),
    ):
        out = cli.json(*args)
        assert out["state"] == state, args
        assert [t["seq"] for t in out["timeline"]] == list(range(1, last_seq + 1)), args
        assert out["timeline"][-1]["state"] == state
        assert out["ok"] is True


def test_replay_before_the_report_says_the_case_did_not_exist_yet(
    lib: Engine, cli: Cli, timed_case: str
) -> None:
    """One second before the report there is no case: a clear answer, exit 2, not an empty one."""
    import pytest

    from shouhu import InvalidInput

    with pytest.raises(InvalidInput, match="did not exist yet"):
        lib.replay(timed_case, at="2026-03-02T08:29:59")
    result = cli("case", "show", timed_case, "--at", "2026-03-02T08:29:59")
    assert result.exit_code == 2
    assert "did not exist yet" in result.stderr
    assert lib.replay(timed_case, at="2026-03-02T08:30:00").version == 1  # the report itself


def test_replay_at_shows_facts_as_they_were_then(lib: Engine, timed_case: str) -> None:
    """Facts recorded later are absent from an earlier point in time."""
    before = lib.replay(timed_case, at="2026-03-02T11:42:58")
    after = lib.replay(timed_case, at=DESIGNATED)
    assert "entrusted_guardian" not in before.facts
    assert after.facts["entrusted_guardian"] == "王桂英"


def test_case_show_at_refuses_identity_and_bad_times(
    cli: Cli, lib: Engine, timed_case: str
) -> None:
    """``case show --at`` is a replay: no identity with it (exit 2), and a bad time is exit 2."""
    lib.close()
    refused = cli(
        "case",
        "show",
        timed_case,
        "--at",
        DISPATCHED,
        "--include-identity",
        *as_operator(cli.db, "审计员", "auditor"),
        "--reason",
        "检查",
    )
    assert refused.exit_code == 2, refused.stderr
    assert "--at" in refused.stderr
    assert "王小明" not in refused.stdout
    bad = cli(
        "audit",
        "replay",
        timed_case,
        "--at",
        "2026-13-40",
        *as_operator(cli.db, "审计员", "auditor"),
    )
    assert bad.exit_code == 2
    assert bad.stderr.startswith("shouhu: error: ")


# --- deadlines in replay --------------------------------------------------------------------


def test_replay_reports_each_deadlines_due_time_lateness_and_open_ones(
    lib: Engine, cli: Cli, audit_clock: FakeClock
) -> None:
    """Met on time, met late (by how much), missed then done late, and still open: the
    replay's deadlines, from the events' effects alone, in the library and ``--json``."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, case_id, "2026-03-02T09:45:00", "dispatch")  # due 09:30: 15 minutes late
    fire(lib, case_id, "2026-03-02T10:00:00", "order_parents_return")  # guardian_restored P7D
    fire(lib, case_id, "2026-03-02T11:00:00", "parents_returned")  # meets it on time
    fire(lib, case_id, "2026-03-02T11:30:00", "admonish_parents")
    fire(lib, case_id, "2026-03-02T11:30:00", "complete_emergency")  # township_notice PT24H
    lib.run_due("2026-03-03T12:00:00")  # the notice is missed: deadline_missed
    fire(lib, case_id, "2026-03-03T13:30:00", "notify_township")  # done 2 hours late
    fire(lib, case_id, "2026-03-04T09:00:00", "start_assessment", TOWNSHIP)  # meets P3D
    rebuilt = lib.replay(case_id)
    assert rebuilt.ok
    got = {
        d.kind: (d.status, d.late_seconds, d.met_at is not None, d.due_at)
        for d in rebuilt.deadlines
    }
    due = {k: v[3] for k, v in got.items()}
    assert due["dispatch"] == parse_instant("2026-03-02T09:30:00", ZONE)
    assert due["township_notice"] == parse_instant("2026-03-03T11:30:00", ZONE)
    assert {k: v[:3] for k, v in got.items()} == {
        "dispatch": ("met", 900, True),
        "guardian_restored": ("met", 0, True),
        "township_notice": ("missed", 7200, True),
        "assessment_start": ("met", 0, True),
        "assessment": ("pending", None, False),
    }
    missed_event = next(s for s in rebuilt.steps if s.trigger == "deadline_missed")
    notice = next(d for d in rebuilt.deadlines if d.kind == "township_notice")
    assert notice.closed_seq == missed_event.seq
    lib.close()
    out = cli.json("audit", "replay", case_id)
    shown = {d["kind"]: d for d in out["deadlines"]}
    assert shown["dispatch"]["due_at"] == "2026-03-02T09:30:00+08:00"
    assert (shown["dispatch"]["status"], shown["dispatch"]["late_seconds"]) == ("met", 900)
    assert shown["dispatch"]["met_at"] == "2026-03-02T09:45:00+08:00"
    assert shown["township_notice"]["status"] == "missed"
    assert shown["township_notice"]["met_at"] == "2026-03-03T13:30:00+08:00"
    assert shown["township_notice"]["late_seconds"] == 7200
    assert shown["assessment"]["status"] == "pending"
    assert shown["assessment"]["met_at"] is None
    assert shown["assessment"]["due_at"].startswith("2026-03-")


def test_replay_as_of_a_time_shows_deadlines_as_they_stood_then(lib: Engine) -> None:
    """Before the dispatch, the dispatch duty is still open in a replay as of that time."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, case_id, "2026-03-02T09:10:00", "dispatch")
    then = {d.kind: d.status for d in lib.replay(case_id, at="2026-03-02T09:09:59").deadlines}
    now = {d.kind: d.status for d in lib.replay(case_id).deadlines}
    assert then == {"dispatch": "pending"}
    assert now == {"dispatch": "met"}


# --- definition changes ---------------------------------------------------------------------


@pytest.fixture
def restore_registry() -> Iterator[None]:
    """Whatever a test registers, the registry is as it was afterwards."""
    registry, latest = dict(workflows.REGISTRY), dict(workflows.LATEST)
    yield
    workflows.REGISTRY.clear()
    workflows.REGISTRY.update(registry)
    workflows.LATEST.clear()
    workflows.LATEST.update(latest)


def _entrusted_only(facts: object, data: object) -> str | None:
    assert isinstance(facts, dict)
    if facts.get("entrusted_guardian") or facts.get("temporary_care"):
        return None
    return "v2: the parents' return alone no longer ends the emergency"


def solo_living_v3() -> workflows.WorkflowDef:
    """A version 3 of solo_living: a stricter guard and an extra measure."""
    return report_workflow(
        "solo_living",
        "Child living alone, out of a guardian's care (v3)",
        measures=(
            *care_measures(admonish=True),
            measure("notify_school", "police tell the child's school (v2)"),
        ),
        guards=(
            Guard(
                "entrusted_or_in_care",
                "an entrusted guardian or temporary care",
                C_EMERGENCY,
                _entrusted_only,
            ),
        ),
        version=3,
    )


def test_a_definition_change_does_not_rewrite_the_past(lib: Engine, restore_registry: None) -> None:
    """A case recorded under v2 replays under v2 after v3 ships, although v3 would refuse its
    history; new cases use v3."""
    old = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, old, "2026-03-02T09:00:00", "dispatch")
    fire(lib, old, "2026-03-02T09:30:00", "order_parents_return")
    fire(lib, old, "2026-03-02T10:00:00", "parents_returned")
    fire(lib, old, "2026-03-02T10:30:00", "admonish_parents")
    fire(lib, old, "2026-03-02T10:30:00", "complete_emergency")

    workflows.register(solo_living_v3())
    assert workflows.latest("solo_living").version == 3

    rebuilt = lib.replay(old)
    assert rebuilt.ok, (rebuilt.illegal, rebuilt.differences)
    assert {s.workflow_version for s in rebuilt.steps} == {2}
    assert rebuilt.state == "emergency_handled"
    assert lib.verify(old).ok
    # the same history read under v3 would be refused: the check above is not vacuous
    as_v3 = [replace(e, workflow_version=3) for e in lib.store.events(old)]
    assert [seq for seq, _ in replay(as_v3, zone=ZONE).illegal] == [6]
    # the old case keeps moving under v2: v3's extra measure does not exist for it
    with pytest.raises(InvalidInput, match="unknown trigger 'notify_school'"):
        lib.fire(old, "notify_school", actor=POLICE, occurred_at="2026-03-02T10:40:00")

    new = file_report(lib, at="2026-03-02T11:00:00")
    assert lib.case(new).workflow.version == 3
    fire(lib, new, "2026-03-02T11:20:00", "dispatch")
    fire(lib, new, "2026-03-02T11:30:00", "notify_school")
    fire(lib, new, "2026-03-02T11:40:00", "parents_returned")
    with pytest.raises(TransitionRefused, match="v2: the parents"):
        fire(lib, new, "2026-03-02T11:50:00", "complete_emergency")
    fire(lib, new, "2026-03-02T12:00:00", "designate_entrusted_guardian", guardian_name="王桂英")
    fire(lib, new, "2026-03-02T12:10:00", "complete_emergency")
    rebuilt_new = lib.replay(new)
    assert rebuilt_new.ok
    assert {s.workflow_version for s in rebuilt_new.steps} == {3}
    assert lib.verify().ok


def test_the_registry_is_back_to_version_2_after_the_change() -> None:
    """The previous test restored the registry: solo_living is at version 2 for everyone."""
    assert workflows.latest("solo_living").version == 2
    with pytest.raises(KeyError):
        workflows.get("solo_living", 3)


# --- an illegal history ---------------------------------------------------------------------


def insert_event(
    dba: Dba, case_id: str, trigger: str, to: str, actor: str, role: str, at: str
) -> tuple[int, str]:
    """Append an event by hand, with a correct hash and the case row pointed at it."""
    (last,) = dba.rows("SELECT * FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1", case_id)
    seq = last["seq"] + 1
    when = parse_instant(at, ZONE)
    stored = when.replace(tzinfo=None).isoformat(" ", "microseconds")
    h = event_hash(
        case_id=case_id,
        seq=seq,
        workflow=last["workflow"],
        workflow_version=last["workflow_version"],
        policy_version=last["policy_version"],
        trigger=trigger,
        from_state=last["to_state"],
        to_state=to,
        actor=actor,
        role=role,
        occurred_at=when,
        recorded_at=when,
        data={},
        effects={},
        prev_hash=last["hash"],
    )
    dba.execute(
        "INSERT INTO events (case_id, seq, workflow, workflow_version, policy_version, trigger, "
        "from_state, to_state, actor, role, occurred_at, recorded_at, data, effects, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', '{}', ?, ?)",
        case_id,
        seq,
        last["workflow"],
        last["workflow_version"],
        last["policy_version"],
        trigger,
        last["to_state"],
        to,
        actor,
        role,
        stored,
        stored,
        last["hash"],
        h,
    )
    dba.execute(
        "UPDATE cases SET version = ?, head_hash = ?, state = ? WHERE id = ?", seq, h, to, case_id
    )
    return seq, h


def test_an_illegal_history_with_a_sound_chain_is_named_by_replay(
    lib: Engine, cli: Cli, dba: Dba
) -> None:
    """An event the definition refuses (the township closes a case the police only just
    dispatched to), hashed correctly: verify passes, replay names the event's seq."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, case_id, "2026-03-02T09:00:00", "dispatch")
    other = file_report(lib, at="2026-03-02T09:30:00")
    lib.close()
    dba.drop_triggers()
    seq, _ = insert_event(
        dba, case_id, "close", "closed", "青山镇 陈静", "township", "2026-03-02T10:00:00"
    )
    assert seq == 3

    # the chain holds: hashes, seqs and head are sound; replay is what catches the event
    chain = cli("audit", "verify", "--json")
    out = json.loads(chain.stdout)
    assert out["broken"] == [], out
    assert [(f["case_id"], [i["seq"] for i in f["illegal"]]) for f in out["replay_failures"]] == [
        (case_id, [3])
    ]
    assert chain.exit_code == 1
    plain = cli("audit", "verify")
    assert f"ILLEGAL {case_id} at seq 3: " in plain.stdout
    assert "BROKEN" not in plain.stdout
    assert f"shouhu: replay: {case_id} seq 3" in plain.stderr
    result = cli("audit", "replay", case_id, "--json")
    assert result.exit_code == 1, result.stderr
    out = json.loads(result.stdout)
    assert [i["seq"] for i in out["illegal"]] == [3]
    assert "close" in out["illegal"][0]["reason"]
    assert out["timeline"][2]["refused"]
    assert out["ok"] is False
    text = cli("audit", "replay", case_id)
    assert text.exit_code == 1
    assert cli("audit", "replay", other).exit_code == 0


def test_an_event_under_a_role_that_may_not_fire_it_is_illegal(lib: Engine, dba: Dba) -> None:
    """A sound chain with a township dispatch (a police act) fails replay at that seq."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    lib.close()
    dba.drop_triggers()
    insert_event(
        dba, case_id, "dispatch", "dispatched", "青山镇 陈静", "township", "2026-03-02T09:00:00"
    )
    with Engine.open("sqlite:///" + str(dba.db), zone=ZONE) as engine:
        assert engine.verify(replay=False).ok
        rebuilt = engine.replay(case_id)
    assert [seq for seq, _ in rebuilt.illegal] == [2]
    assert rebuilt.steps[1].refused


def test_replay_notices_a_projection_that_drifted_from_the_events(lib: Engine, dba: Dba) -> None:
    """A case row edited behind the log's back (state) is a difference replay reports."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, case_id, "2026-03-02T09:00:00", "dispatch")
    lib.close()
    dba.execute("UPDATE cases SET state = 'closed' WHERE id = ?", case_id)
    with Engine.open("sqlite:///" + str(dba.db), zone=ZONE) as engine:
        rebuilt = engine.replay(case_id)
    assert not rebuilt.ok
    assert rebuilt.illegal == ()
    assert any(
        d.startswith("state: stored closed, rebuilt dispatched") for d in rebuilt.differences
    )


def test_civil_affairs_petition_ground_is_checked_by_replay(lib: Engine, dba: Dba) -> None:
    """A petition on the six-month ground forged before the ground matured is illegal."""
    case_id = file_report(
        lib,
        "guardian_nonperformance",
        at="2026-03-02T08:30:00",
        data={"nonperformance_since": "2026-01-15"},
    )
    fire(lib, case_id, "2026-03-02T09:00:00", "dispatch")
    fire(lib, case_id, "2026-03-02T09:10:00", "place_in_temporary_care", placement="close_relative")
    fire(lib, case_id, "2026-03-02T09:20:00", "complete_emergency")
    fire(lib, case_id, "2026-03-02T09:30:00", "notify_township")
    fire(lib, case_id, "2026-03-03T09:00:00", "start_assessment", TOWNSHIP)
    fire(
        lib,
        case_id,
        "2026-03-05T09:00:00",
        "complete_assessment",
        TOWNSHIP,
        safety="high",
        guardianship="high",
        health="low",
        participants="civil_affairs,police",
    )
    fire(lib, case_id, "2026-03-05T10:00:00", "start_intervention", CIVIL)
    lib.close()
    dba.drop_triggers()
    # forged with the right data: ground (b) does not hold until 2026-07-16
    (last,) = dba.rows("SELECT * FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1", case_id)
    seq = last["seq"] + 1
    when = parse_instant("2026-03-06T10:00:00", ZONE)
    data = {"ground": "nonperformance_six_months"}
    h = event_hash(
        case_id=case_id,
        seq=seq,
        workflow=last["workflow"],
        workflow_version=last["workflow_version"],
        policy_version=last["policy_version"],
        trigger="petition_revocation",
        from_state="intervening",
        to_state="petitioned",
        actor=CIVIL["name"],
        role="civil_affairs",
        occurred_at=when,
        recorded_at=when,
        data=data,
        effects={},
        prev_hash=last["hash"],
    )
    stored = when.replace(tzinfo=None).isoformat(" ", "microseconds")
    dba.execute(
        "INSERT INTO events (case_id, seq, workflow, workflow_version, policy_version, trigger, "
        "from_state, to_state, actor, role, occurred_at, recorded_at, data, effects, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, 'petition_revocation', 'intervening', 'petitioned', ?, "
        "'civil_affairs', ?, ?, ?, '{}', ?, ?)",
        case_id,
        seq,
        last["workflow"],
        last["workflow_version"],
        last["policy_version"],
        CIVIL["name"],
        stored,
        stored,
        json.dumps(data),
        last["hash"],
        h,
    )
    dba.execute("UPDATE cases SET version = ?, head_hash = ? WHERE id = ?", seq, h, case_id)
    with Engine.open("sqlite:///" + str(dba.db), zone=ZONE) as engine:
        assert engine.verify(replay=False).ok
        rebuilt = engine.replay(case_id)
    ((bad_seq, reason),) = rebuilt.illegal
    assert bad_seq == seq
    assert "ground (b)" in reason
    assert "2026-07-16" in reason
