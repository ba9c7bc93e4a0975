"""Random histories: whatever operators try, the projection is the replay of the accepted events,
a refusal changes nothing, and the hash chain holds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shouhu import Engine, FakeClock, InvalidInput, TransitionRefused, workflows
from shouhu.engine.hashing import GENESIS
from shouhu.engine.machines import step
from shouhu.engine.policy import PolicyPack
from shouhu.workflows.spec import FieldDef, WorkflowDef
from shouhu.workflows.vocab import ROLES

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ROLE_LIST = tuple(ROLES)
TEXTS = ("记录在案", "情况属实", "second line\nok")
NAMES = ("王奶奶", "李四")
DATES = ("2025-01-15", "2025-08-31", "2026-03-01")
DATETIMES = ("2026-03-01T08:00", "2026-03-02T07:30+08:00")


def value_for(f: FieldDef) -> st.SearchStrategy[Any]:
    """A valid value for one field (choices drawn from the field's own list)."""
    if f.kind == "choice":
        return st.sampled_from(f.choices)
    if f.kind == "choices":
        picks = st.lists(st.sampled_from(f.choices), min_size=1, max_size=4)
        return st.one_of(picks, picks.map(",".join))
    if f.kind == "text":
        return st.sampled_from(TEXTS)
    if f.kind == "name":
        return st.sampled_from(NAMES)
    if f.kind == "date":
        return st.sampled_from(DATES)
    if f.kind == "datetime":
        return st.sampled_from(DATETIMES)
    return st.booleans()


def draw_data(draw: Any, fields: tuple[FieldDef, ...]) -> dict[str, Any]:
    """Required fields always, optional ones sometimes."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.required or draw(st.booleans()):
            out[f.name] = draw(value_for(f))
    return out


def snapshot(engine: Engine, case_id: str) -> tuple[Any, ...]:
    case = engine.case(case_id)
    return (
        case.version,
        case.state,
        dict(case.facts),
        case.outcome,
        len(case.history),
        case.record.head_hash,
    )


def deadline_facts(pack: PolicyPack, ev: Any) -> dict[str, Any]:
    """The facts an event's deadline starts set: each ``started`` effect whose rule names a
    ``fact`` records its due time there (e.g. ``nonperformance_matures_at``)."""
    out: dict[str, Any] = {}
    for effect in ev.effects.get("deadlines", []):
        if effect["action"] != "started":
            continue
        rule = pack.rule(effect["kind"])
        if rule.fact:
            out[rule.fact] = effect["due_at"]
    return out


def replay(
    wf: WorkflowDef, events: list[Any], pack: PolicyPack
) -> tuple[str, dict[str, Any], str | None]:
    """Feed the recorded events through the machines from the initial state, with the facts
    their deadline effects set."""
    report = events[0]
    facts: dict[str, Any] = (
        dict(wf.report_effect({}, report.data["report"])) if wf.report_effect else {}
    )
    facts.update(deadline_facts(pack, report))
    state, outcome = wf.initial, None
    for ev in events[1:]:
        done = step(wf, state, facts, ev.trigger, ev.role, ev.data, outcome)
        assert (done.from_state, done.to_state) == (ev.from_state, ev.to_state)
        state, facts, outcome = (
            done.to_state,
            {**done.facts, **deadline_facts(pack, ev)},
            done.outcome,
        )
    return state, facts, outcome


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(type_=st.sampled_from(workflows.types()), data=st.data())
def test_random_histories_replay_to_their_projection(type_: str, data: st.DataObject) -> None:
    """Accepted events replay to the same state, facts and outcome; refusals change nothing."""
    wf = workflows.latest(type_)
    engine = Engine.in_memory(clock=FakeClock(NOW), zone="Asia/Shanghai")
    report_data = draw_data(data.draw, wf.report_data)
    case = engine.report(
        type_,
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "village_committee", "name": "石桥村村委会"},
        data=report_data,
    )
    accepted = 0
    for _ in range(data.draw(st.integers(min_value=1, max_value=60), label="length")):
        options = engine.next(case.id)
        if options and data.draw(st.integers(0, 3), label="follow next()") != 0:
            # Closing is rare and moving on is common, so that histories also reach assessment,
            # intervention and the court; measures and facts still come up half the time.
            state = engine.case(case.id).state
            ending = data.draw(st.integers(0, 9), label="may end") == 0
            pool = [o for o in options if ending or o.trigger not in {"dismiss", "close"}]
            if data.draw(st.booleans(), label="move on"):
                pool = [o for o in pool if o.to != (state,)] or pool
            option = data.draw(st.sampled_from(pool or options))
            trigger = option.trigger
            role = data.draw(st.sampled_from(option.roles or ROLE_LIST))
        else:
            trigger = data.draw(st.sampled_from(wf.triggers))
            role = data.draw(st.sampled_from(ROLE_LIST))
        payload = draw_data(data.draw, wf.fields(trigger))
        before = snapshot(engine, case.id)
        refusal: Exception | None = None
        try:
            after = engine.fire(
                case.id, trigger, actor={"name": "经办人", "role": role}, data=payload
            )
        except (TransitionRefused, InvalidInput) as exc:
            refusal = exc
        if refusal is not None:
            if isinstance(refusal, TransitionRefused):
                assert refusal.rule in {"state", "role", "guard"}
                assert refusal.citation
            assert snapshot(engine, case.id) == before
            continue
        accepted += 1
        assert after.version == before[0] + 1
        last = engine.history(case.id)[-1].event
        assert (last.trigger, last.role, last.seq) == (trigger, role, after.version)
        assert role not in {"system", "auditor", "reporter"}

    final = engine.case(case.id)
    event(f"ends in {final.state}")
    events = [e.event for e in final.history]
    assert len(events) == 1 + accepted
    assert final.version == events[-1].seq
    # The hash chain.
    assert events[0].prev_hash == GENESIS
    for prev, ev in itertools.pairwise(events):
        assert ev.seq == prev.seq + 1
        assert ev.prev_hash == prev.hash
    assert all(ev.computed_hash() == ev.hash for ev in events)
    assert final.record.head_hash == events[-1].hash
    # Operators cannot claim ``system``, and this test never runs the scheduler: no system
    # events (deadline_missed, nonperformance_six_months) are in these histories.
    assert all(ev.role != "system" for ev in events)
    assert all(ev.policy_version == engine.policy.id for ev in events)
    # The projection is the replay (with the facts the deadline starts recorded).
    assert replay(wf, events, engine.policy) == (final.state, final.facts, final.outcome)
    if final.state == "closed":
        assert engine.next(case.id) == []
        assert final.outcome in {"resolved", "unfounded"}
