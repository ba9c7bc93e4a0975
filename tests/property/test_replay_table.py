"""The replay table judges every trigger as the workflow's ``transitions`` machine does.

``verify`` replays every event of every case through
:func:`~shouhu.engine.machines.replay_step` (the rows of a trigger walked as the machine walks
them) rather than setting the machine in motion per event. Along random histories, for random
triggers, roles and data (valid or not), both must accept with the same result or refuse with
the same error; and the table's claim about the machine's shape must hold for every workflow.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_random_histories import draw_data

from shouhu import workflows

# The names this test was written with: ``step``, the ``transitions`` machine (now the
# oracle, machine_step), and ``replay_step``, the table (now the one executor, step).
from shouhu.engine.machines import machine_for
from shouhu.engine.machines import machine_step as step
from shouhu.engine.machines import step as replay_step
from shouhu.errors import ShouhuError
from shouhu.workflows.spec import WorkflowDef
from shouhu.workflows.vocab import ROLES

ROLE_LIST = tuple(ROLES)
ODD_VALUES = st.sampled_from([None, "", "no_such_choice", 0, True, ["x"], {"a": 1}])
#: The facts the guards read, with values they hold or do not hold for (and odd ones).
FACT_VALUES = st.sampled_from(
    [
        True,
        False,
        None,
        "serious",
        "minor",
        "2025-08-31",
        "2026-01-01T00:00:00+08:00",
        "2026-09-01T00:00:00+08:00",
        ["x"],
    ]
)
FACTS = st.dictionaries(
    st.sampled_from(
        [
            "parents_returned",
            "entrusted_guardian",
            "temporary_care",
            "child_located",
            "education_given",
            "refused_to_correct",
            "nonperformance_matured",
            "nonperformance_since",
            "nonperformance_matures_at",
            "injury_severity",
            "stop_violence",
            "shelter",
            "stop_harm",
        ]
    ),
    FACT_VALUES,
)


def verdict(judge: Any, wf: WorkflowDef, *args: Any) -> tuple[Any, ...]:
    """What a judge says: the step's result, or the error's class, message and data."""
    try:
        done = judge(wf, *args)
    except ShouhuError as exc:
        return ("refused", type(exc), exc.message, exc.data)
    except Exception as exc:  # a guard that cannot read an odd fact fails alike on both
        return ("failed", type(exc), str(exc))
    return ("accepted", done.from_state, done.to_state, done.facts, done.outcome, done.row)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(type_=st.sampled_from(workflows.types()), data=st.data())
def test_the_table_and_the_machine_give_the_same_verdict_along_random_histories(
    type_: str, data: st.DataObject
) -> None:
    wf = workflows.latest(type_)
    report = draw_data(data.draw, wf.report_data)
    facts: dict[str, Any] = dict(wf.report_effect({}, report)) if wf.report_effect else {}
    state, outcome = wf.initial, None
    if data.draw(st.booleans(), label="start anywhere"):
        # any state with any facts the guards read: deep states (a petition, a court decision
        # routed by its outcome) come up as often as the first ones
        state = data.draw(st.sampled_from([s.name for s in wf.states if not s.final]))
        facts.update(data.draw(FACTS, label="facts"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=40), label="length")):
        here = [t.trigger for t in wf.available(state)]
        if here and data.draw(st.integers(0, 3), label="an available trigger") != 0:
            trigger = data.draw(st.sampled_from(here))
            rows = [r for r in wf.rows(trigger) if state in r.sources]
            role = data.draw(st.sampled_from(sorted({r for row in rows for r in row.roles})))
        else:
            trigger = data.draw(st.sampled_from(wf.triggers))
            role = data.draw(st.sampled_from(ROLE_LIST))
        payload = draw_data(data.draw, wf.fields(trigger))
        if payload and data.draw(st.integers(0, 4), label="spoil the data") == 0:
            payload[data.draw(st.sampled_from(sorted(payload)))] = data.draw(ODD_VALUES)
        args = (state, dict(facts), trigger, role, payload, outcome)
        machine = verdict(step, wf, *args)
        table = verdict(replay_step, wf, *args)
        assert table == machine, (state, trigger, role, payload)
        if machine[0] == "accepted":
            state, facts, outcome = machine[2], machine[3], machine[4]


def test_the_machine_holds_for_each_trigger_and_state_the_rows_the_table_walks() -> None:
    """For every registered definition: the machine's transitions of a trigger from a state
    are the definition's rows with that source, in definition order, with ``when`` and then
    the guards as conditions (what :func:`replay_step` assumes)."""
    for wf in workflows.REGISTRY.values():
        machine = machine_for(wf)
        for trigger in wf.triggers:
            event = machine.events[trigger]
            for state in wf.state_names:
                rows = [r for r in wf.rows(trigger) if state in r.sources]
                transitions = event.transitions.get(state, [])
                assert [t.dest for t in transitions] == [r.dest for r in rows], (wf.key, trigger)
                assert [len(t.conditions) for t in transitions] == [
                    (r.when is not None) + len(r.guards) for r in rows
                ]
                assert all(len(t.after) == 1 and not t.before for t in transitions)
        assert not machine.prepare_event
        assert not machine.before_state_change
        assert not machine.after_state_change
        assert not machine.finalize_event


#: Facts under which the guards hold, fail, or read odd values.
FACT_SETS: tuple[dict[str, Any], ...] = (
    {},
    {
        "parents_returned": True,
        "child_located": True,
        "stop_harm": True,
        "stop_violence": True,
        "shelter": True,
        "education_given": True,
        "refused_to_correct": True,
        "nonperformance_matured": True,
        "injury_severity": "serious",
    },
    {"stop_violence": True, "injury_severity": "serious", "temporary_care": True},
    {
        "nonperformance_since": "2025-08-31",
        "nonperformance_matures_at": "2026-03-01T00:00:00+08:00",
        "education_given": True,
    },
    {"nonperformance_since": "2026-01-15", "nonperformance_matures_at": "2026-07-16"},
)
PLAIN_VALUES = {
    "text": "记录在案",
    "name": "王奶奶",
    "date": "2025-08-31",
    "datetime": "2026-03-01T08:00",
    "bool": True,
}


def payloads(fields: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Nothing; the required fields; everything; and each choice of each choice field."""

    def value(f: Any, choice: str | None = None) -> Any:
        if f.kind == "choice":
            return choice or f.choices[0]
        if f.kind == "choices":
            return [choice or f.choices[0]]
        return PLAIN_VALUES[f.kind]

    required = {f.name: value(f) for f in fields if f.required}
    out = [{}, required, {f.name: value(f) for f in fields}]
    for f in fields:
        for choice in f.choices:
            out.append({**required, f.name: value(f, choice)})
    return out


def test_the_table_and_the_machine_agree_on_every_trigger_from_every_state() -> None:
    """Exhaustively over the small discrete space: every registered definition, every state
    that has a way out, every trigger, its roles and one that may not fire it, data with each
    choice, and facts for which the guards hold or fail."""
    judged = 0
    for wf in workflows.REGISTRY.values():
        for state in (s.name for s in wf.states if not s.final):
            for trigger in wf.triggers:
                roles = sorted({r for row in wf.rows(trigger) for r in row.roles} | {"auditor"})
                for role in roles:
                    for payload in payloads(wf.fields(trigger)):
                        for facts in FACT_SETS:
                            args = (state, facts, trigger, role, payload, None)
                            assert verdict(replay_step, wf, *args) == verdict(step, wf, *args), (
                                wf.key,
                                args,
                            )
                            judged += 1
    assert judged > 10_000
