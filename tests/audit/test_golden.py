"""Golden histories: recorded cases that today's engine must still verify and replay.

The files in ``golden/`` were written once by ``make_golden.py``. A change to a definition,
to the canonical form or to replay that breaks one of them fails here, naming the file and the
event (seq): old records must keep their meaning; ship a new workflow version instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from shouhu import workflows
from shouhu.engine.audit import replay
from shouhu.engine.model import Event

GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = sorted(GOLDEN.glob("*.json"))
FIELDS = (
    "case_id",
    "seq",
    "workflow",
    "workflow_version",
    "policy_version",
    "trigger",
    "from",
    "to",
    "actor",
    "role",
    "occurred_at",
    "recorded_at",
    "data",
    "effects",
    "prev_hash",
)


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def instant(text: str) -> datetime:
    """A canonical ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` instant as an aware datetime."""
    assert text.endswith("Z"), text
    assert len(text) == 27, text
    return datetime.fromisoformat(text[:-1] + "+00:00")


def to_event(item: dict[str, Any]) -> Event:
    return Event(
        case_id=item["case_id"],
        seq=item["seq"],
        workflow=item["workflow"],
        workflow_version=item["workflow_version"],
        policy_version=item["policy_version"],
        trigger=item["trigger"],
        from_state=item["from"],
        to_state=item["to"],
        actor=item["actor"],
        role=item["role"],
        occurred_at=instant(item["occurred_at"]),
        recorded_at=instant(item["recorded_at"]),
        data=item["data"],
        prev_hash=item["prev_hash"],
        hash=item["hash"],
        effects=item.get("effects", {}),
    )


def test_there_is_a_golden_history_of_every_report_type() -> None:
    """At least one golden file per report type, each a case of the type it is named after."""
    types = {load(p)["case"]["type"] for p in FILES}
    assert types == set(workflows.types()), f"golden types {sorted(types)}"


def test_golden_nonperformance_matures_through_the_scheduler_and_a_petition_follows() -> None:
    """The six-month ground matured by a system event on the due day; then civil affairs
    petitioned on that ground and the court decided."""
    doc = load(GOLDEN / "guardian_nonperformance.json")
    events = doc["events"]
    (matured,) = [e for e in events if e["trigger"] == "nonperformance_six_months"]
    assert matured["role"] == "system"
    assert matured["data"]["due_at"] == "2026-03-01T00:00:00+08:00"
    assert matured["occurred_at"] == "2026-02-28T16:00:00.000000Z"
    after = [e["trigger"] for e in events if e["seq"] > matured["seq"]]
    assert after[0] == "petition_revocation"
    petition = events[matured["seq"]]
    assert petition["data"] == {"ground": "nonperformance_six_months"}
    assert "record_court_decision" in after
    assert doc["case"]["facts"]["nonperformance_matured"] is True


def test_golden_abuse_has_a_sanction_and_a_court_decision() -> None:
    """The abuse case carries a police sanction (criminal case), a petition on ground (c) and
    the court's revocation."""
    doc = load(GOLDEN / "suspected_abuse.json")
    by_trigger = {e["trigger"]: e for e in doc["events"]}
    assert by_trigger["police_sanction"]["data"] == {"kind": "criminal_case"}
    assert by_trigger["petition_revocation"]["data"] == {"ground": "serious_harm"}
    assert by_trigger["record_court_decision"]["data"]["outcome"] == "revoked"
    assert doc["case"]["facts"]["sanctions"] == ["criminal_case"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_golden_chain_recomputes_with_hashlib_and_json_only(path: Path) -> None:
    """Every hash recomputes from the stored fields with hashlib and json alone; every event
    links to the one before; the last hash is the recorded head."""
    doc = load(path)
    prev = "0" * 64
    assert doc["hash"]["fields"] == list(FIELDS)
    for n, item in enumerate(doc["events"], start=1):
        assert item["seq"] == n, f"{path.name}: seq {item['seq']} where {n} was expected"
        assert {*FIELDS, "hash"} - {"effects"} <= set(item) <= {*FIELDS, "hash"}, (
            f"{path.name}: seq {n} has other fields or lacks one"
        )
        content = {k: item[k] for k in FIELDS if k in item}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert item["prev_hash"] == prev, f"{path.name}: seq {n} does not link to seq {n - 1}"
        assert digest == item["hash"], f"{path.name}: seq {n}: the hash does not recompute"
        prev = item["hash"]
    assert prev == doc["case"]["head_hash"], f"{path.name}: the head is not the last hash"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_golden_hashes_still_verify_in_the_engine(path: Path) -> None:
    """The engine's own hashing (what ``audit verify`` uses) gives every recorded hash: a
    change to the canonical form must not break events already recorded."""
    doc = load(path)
    wrong = [e.seq for e in map(to_event, doc["events"]) if e.computed_hash() != e.hash]
    assert not wrong, (
        f"{path.name}: seq {wrong[0]} (and {len(wrong) - 1} more): the engine's canonical form "
        "no longer gives the recorded hash; `audit verify` would call this record broken"
    )


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_golden_history_replays_to_its_recorded_end(path: Path) -> None:
    """Replay through today's registered definitions reaches the recorded state, facts and
    outcome, refuses no event, and agrees with every event's recorded destination."""
    doc = load(path)
    events = [to_event(item) for item in doc["events"]]
    rebuilt = replay(events, zone=doc["zone"])
    assert not rebuilt.illegal, "\n".join(
        f"{path.name}: seq {seq} no longer replays: {why}" for seq, why in rebuilt.illegal
    )
    for step in rebuilt.steps:
        assert step.state == step.recorded_to, (
            f"{path.name}: seq {step.seq} ({step.trigger}) replays to {step.state}, "
            f"recorded {step.recorded_to}"
        )
    case = doc["case"]
    assert len(rebuilt.steps) == case["version"], f"{path.name}: replay stopped early"
    assert (rebuilt.state, rebuilt.version, rebuilt.outcome) == (
        case["state"],
        case["version"],
        case["outcome"],
    ), path.name
    assert rebuilt.facts == case["facts"], f"{path.name}: the rebuilt facts differ"
    assert rebuilt.late_report is case["late_report"], path.name


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_golden_deadlines_are_all_closed_as_recorded(path: Path) -> None:
    """Every deadline a golden case started is accounted for by replay, none of a closed case
    left pending, and a late duty says by how much."""
    doc = load(path)
    rebuilt = replay([to_event(item) for item in doc["events"]], zone=doc["zone"])
    started = [
        d
        for e in doc["events"]
        for d in e.get("effects", {}).get("deadlines", [])
        if d["action"] == "started"
    ]
    assert len(rebuilt.deadlines) == len(started), path.name
    if doc["case"]["state"] == "closed":
        assert all(d.status != "pending" for d in rebuilt.deadlines), path.name
    for d in rebuilt.deadlines:
        if d.status == "missed":
            assert d.met_at is not None, path.name
            assert (d.late_seconds or 0) > 0, path.name


def test_golden_missed_deadlines_are_the_recorded_lateness() -> None:
    """The late dispatch and the late township notice replay with their exact lateness."""
    miss = load(GOLDEN / "missing_child.json")
    rebuilt = replay([to_event(i) for i in miss["events"]], zone="Asia/Shanghai")
    dispatch = next(d for d in rebuilt.deadlines if d.kind == "dispatch")
    assert (dispatch.kind, dispatch.status, dispatch.late_seconds) == ("dispatch", "missed", 1800)
    harm = load(GOLDEN / "suspected_harm.json")
    rebuilt = replay([to_event(i) for i in harm["events"]], zone="Asia/Shanghai")
    notice = next(d for d in rebuilt.deadlines if d.kind == "township_notice")
    assert (notice.status, notice.late_seconds) == ("missed", 2 * 3600)


def test_a_broken_golden_history_would_fail_naming_the_file_and_seq() -> None:
    """The replay check is not vacuous: a golden history with an event moved out of order is
    reported with its seq."""
    doc = load(GOLDEN / "suspected_abuse.json")
    events = [to_event(item) for item in doc["events"]]
    # the court decides before anyone petitioned: the definition refuses it
    petition = next(e for e in events if e.trigger == "petition_revocation")
    court = next(e for e in events if e.trigger == "record_court_decision")
    swapped = [
        replace(court, seq=petition.seq) if e is petition else e for e in events if e is not court
    ]
    rebuilt = replay(swapped, zone=doc["zone"])
    assert [seq for seq, _ in rebuilt.illegal][:1] == [petition.seq]


def test_make_golden_is_deterministic(tmp_path: Path) -> None:
    """The generator runs and gives the same bytes twice; it never overwrites a golden file."""
    from make_golden import main, write_all

    first = {p.name: p.read_bytes() for p in write_all(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_all(tmp_path / "b")}
    assert first == second
    assert set(first) == {p.name for p in FILES}
    assert main(["--out", str(tmp_path / "a")]) == 1  # exists: refused
