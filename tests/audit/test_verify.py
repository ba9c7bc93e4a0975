"""``verify`` over a whole SQLite file: what its quick path reads and judges, it judges right.

``Engine.verify`` reads every event as a :class:`~shouhu.engine.model.Link` (instants straight
from their stored text to the hash's, JSON decoded once), recomputes each hash from that, and
judges every case with :func:`~shouhu.engine.audit.replay_holds`, running the full replay only
for the reasons. These tests forge histories whose chain is sound (every hash recomputed, the
case row pointed at the new head) and that the definitions refuse, and edit the fields the quick
path reads, and check that ``verify`` reports each one as the full replay would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from auditkit import CIVIL, POLICE, TOWNSHIP, ZONE, Dba, file_report, fire

from shouhu import Engine
from shouhu.engine.audit import replay, replay_holds
from shouhu.engine.hashing import event_hash
from shouhu.engine.model import Link
from shouhu.engine.timeutil import parse_instant


def forge(
    dba: Dba,
    case_id: str,
    trigger: str,
    to: str,
    role: str,
    *,
    at: str = "2026-03-02T10:00:00",
    data: dict[str, Any] | None = None,
    workflow_version: int | None = None,
    state: str | None = None,
) -> int:
    """Append an event by hand with a correct hash, and point the case row at it (its version
    and head; its state too when given). Returns the new event's seq."""
    (last,) = dba.rows("SELECT * FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1", case_id)
    seq = last["seq"] + 1
    when = parse_instant(at, ZONE)
    stored = when.replace(tzinfo=None).isoformat(" ", "microseconds")
    version = last["workflow_version"] if workflow_version is None else workflow_version
    payload = data or {}
    h = event_hash(
        case_id=case_id,
        seq=seq,
        workflow=last["workflow"],
        workflow_version=version,
        policy_version=last["policy_version"],
        trigger=trigger,
        from_state=last["to_state"],
        to_state=to,
        actor="伪造者",
        role=role,
        occurred_at=when,
        recorded_at=when,
        data=payload,
        effects={},
        prev_hash=last["hash"],
    )
    dba.execute(
        "INSERT INTO events (case_id, seq, workflow, workflow_version, policy_version, trigger, "
        "from_state, to_state, actor, role, occurred_at, recorded_at, data, effects, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '伪造者', ?, ?, ?, ?, '{}', ?, ?)",
        case_id,
        seq,
        last["workflow"],
        version,
        last["policy_version"],
        trigger,
        last["to_state"],
        to,
        role,
        stored,
        stored,
        json.dumps(payload, ensure_ascii=False),
        last["hash"],
        h,
    )
    dba.execute("UPDATE cases SET version = ?, head_hash = ? WHERE id = ?", seq, h, case_id)
    if state is not None:
        dba.execute("UPDATE cases SET state = ? WHERE id = ?", state, case_id)
    return seq


def verify(dba: Dba) -> Any:
    """``verify()`` on the file, after checking that the quick verdict of every case is the
    full replay's."""
    with Engine.open("sqlite:///" + str(dba.db), zone=ZONE) as engine:
        for record in engine.store.list_cases():
            events = engine.store.events(record.id)
            if not events:
                continue
            links = [Link.of(e) for e in events]
            full = replay(events, zone=ZONE, projection=record)
            assert replay_holds(links, record) is full.ok, (record.id, full.illegal)
        return engine.verify()


def illegal(result: Any) -> list[tuple[str, list[int]]]:
    return [(r.case_id, [seq for seq, _ in r.illegal]) for r in result.replay_failures]


@pytest.fixture
def case(lib: Engine, dba: Dba) -> str:
    """A dispatched solo-living case beside an untouched one; the triggers dropped."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, case_id, "2026-03-02T09:00:00", "dispatch")
    file_report(lib, at="2026-03-02T09:30:00")
    lib.close()
    dba.drop_triggers()
    return case_id


def test_verify_passes_the_untouched_file(case: str, dba: Dba) -> None:
    result = verify(dba)
    assert result.ok, result.to_dict()
    assert (result.cases, result.events) == (2, 3)


def test_verify_reports_an_event_whose_trigger_its_workflow_does_not_allow(
    case: str, dba: Dba
) -> None:
    """A trigger the state does not allow (the township closes a case the police only just
    dispatched to), hashed into a sound chain: a replay failure at its seq, nothing broken."""
    seq = forge(dba, case, "close", "closed", "township", state="closed")
    result = verify(dba)
    assert not result.ok
    assert result.broken == []
    assert illegal(result) == [(case, [seq])]
    assert "close" in result.replay_failures[0].illegal[0][1]


def test_verify_reports_a_trigger_its_workflow_does_not_know(case: str, dba: Dba) -> None:
    seq = forge(dba, case, "teleport", "dispatched", "police")
    result = verify(dba)
    assert illegal(result) == [(case, [seq])]
    assert "unknown trigger" in result.replay_failures[0].illegal[0][1]


def test_verify_reports_an_event_under_a_role_that_may_not_fire_it(lib: Engine, dba: Dba) -> None:
    """A township dispatch (a police act) in a sound chain."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    lib.close()
    dba.drop_triggers()
    seq = forge(dba, case_id, "dispatch", "dispatched", "township", state="dispatched")
    result = verify(dba)
    assert result.broken == []
    assert illegal(result) == [(case_id, [seq])]
    assert "refused by rule role" in result.replay_failures[0].illegal[0][1]


def test_verify_reports_an_event_whose_recorded_state_is_not_where_its_trigger_leads(
    lib: Engine, dba: Dba
) -> None:
    """A dispatch recorded as leading to ``closed``, the case row following it."""
    case_id = file_report(lib, at="2026-03-02T08:30:00")
    lib.close()
    dba.drop_triggers()
    seq = forge(dba, case_id, "dispatch", "closed", "police", state="closed")
    result = verify(dba)
    assert illegal(result) == [(case_id, [seq])]
    assert "the record says closed" in result.replay_failures[0].illegal[0][1]


def test_verify_reports_an_event_under_a_workflow_version_that_does_not_exist(
    case: str, dba: Dba
) -> None:
    seq = forge(dba, case, "start_assessment", "assessing", "township", workflow_version=99)
    result = verify(dba)
    assert illegal(result) == [(case, [seq])]
    assert "unknown workflow" in result.replay_failures[0].illegal[0][1]


def test_verify_reports_an_event_a_guard_refuses(lib: Engine, dba: Dba) -> None:
    """A petition on the six-month ground forged before the ground matured: the guard that
    reads the facts refuses it."""
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
    seq = forge(
        dba,
        case_id,
        "petition_revocation",
        "petitioned",
        "civil_affairs",
        at="2026-03-06T10:00:00",
        data={"ground": "nonperformance_six_months"},
        state="petitioned",
    )
    result = verify(dba)
    assert result.broken == []
    assert illegal(result) == [(case_id, [seq])]
    assert "2026-07-16" in result.replay_failures[0].illegal[0][1]


@pytest.mark.parametrize(
    ("sql", "difference"),
    [
        ("UPDATE cases SET state = 'closed' WHERE id = ?", "state: stored closed"),
        ("UPDATE cases SET outcome = 'resolved' WHERE id = ?", "outcome: stored resolved"),
        ("UPDATE cases SET facts = json_set(facts, '$.forged', 1) WHERE id = ?", "facts differ"),
    ],
)
def test_verify_reports_a_case_row_that_drifted_from_its_events(
    case: str, dba: Dba, sql: str, difference: str
) -> None:
    """The chain is untouched; the projection was edited behind the log's back."""
    assert dba.execute(sql, case) == 1
    result = verify(dba)
    assert result.broken == []
    assert [r.case_id for r in result.replay_failures] == [case]
    (failure,) = result.replay_failures
    assert failure.illegal == ()
    assert any(d.startswith(difference) for d in failure.differences), failure.differences


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_at", "'2026-03-02 01:00:00.000001'"),  # one microsecond later
        ("recorded_at", "'2026-03-19 23:59:59.999999'"),
        ("data", '\'{"note": "补记"}\''),
        ("data", "'{\"\": null}'"),
        ("effects", "'{}'"),
        ("trigger", "'dispatch '"),
        ("workflow_version", "1.5"),  # a float where the hash has an int
        ("policy_version", "NULL"),
        ("from_state", "NULL"),
    ],
)
def test_verify_catches_an_edited_field_it_reads_straight_from_the_row(
    case: str, dba: Dba, column: str, value: str
) -> None:
    """Each hashed field of event 2 edited: broken at seq 2, with the content message."""
    assert (
        dba.execute(f"UPDATE events SET {column} = {value} WHERE case_id = ? AND seq = 2", case)
        == 1
    )
    result = verify(dba)
    assert [(b.case_id, b.seq) for b in result.broken] == [(case, 2)], result.to_dict()
    assert result.broken[0].reason == "event 2's content does not match its hash"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_at", "'2026-03-02T01:00:00'"),  # the same instant, written another way
        ("occurred_at", "'2026-03-02 01:00:00+00:00'"),
        ("data", "' {} '"),  # the same JSON value, with white space around it
        ("effects", "replace(effects, '\": ', '\":')"),  # or inside it
    ],
)
def test_verify_hashes_the_stored_value_not_its_spelling(
    case: str, dba: Dba, column: str, value: str
) -> None:
    """The hash covers the content: an instant or a JSON value stored in another form that
    means the same (as the full decoder reads it) still verifies."""
    dba.execute(f"UPDATE events SET {column} = {value} WHERE case_id = ? AND seq = 2", case)
    result = verify(dba)
    assert result.ok, result.to_dict()


def test_verify_of_one_case_judges_it_as_the_whole_file_does(case: str, dba: Dba) -> None:
    seq = forge(dba, case, "close", "closed", "township", state="closed")
    with Engine.open("sqlite:///" + str(dba.db), zone=ZONE) as engine:
        one = engine.verify(case)
        everything = engine.verify()
    assert illegal(one) == illegal(everything) == [(case, [seq])]
    assert one.replay_failures[0].to_dict(ZONE) == everything.replay_failures[0].to_dict(ZONE)


def test_verify_reads_the_same_links_and_heads_as_the_records(lib: Engine) -> None:
    """The store's audit reads give what ``all_events`` and ``list_cases`` give."""
    first = file_report(lib, at="2026-03-02T08:30:00")
    fire(lib, first, "2026-03-02T09:00:00", "dispatch", POLICE)
    file_report(lib, "missing_child", at="2026-03-03T10:00:00")
    store: Any = lib.store
    assert list(store.audit_links()) == [Link.of(e) for e in store.all_events()]
    heads = [
        (h.id, h.version, h.head_hash, h.state, h.outcome, h.facts) for h in store.audit_heads()
    ]
    assert heads == [
        (r.id, r.version, r.head_hash, r.state, r.outcome, r.facts) for r in store.list_cases()
    ]
    for link in store.audit_links():
        assert link.computed_hash() == link.event().computed_hash() == link.hash
