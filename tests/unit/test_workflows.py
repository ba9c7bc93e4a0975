"""The six workflow definitions, the validator that guards them, the spine, and the machines."""

from __future__ import annotations

from typing import Any

import pytest

from shouhu import workflows
from shouhu.engine.machines import machine_for
from shouhu.workflows import spec
from shouhu.workflows.spec import StateDef, TransitionDef, WorkflowDef, validate
from shouhu.workflows.spine import STATES
from shouhu.workflows.vocab import REPORT_TYPES, ROLES

SIX = (
    "solo_living",
    "missing_child",
    "guardian_incapacity",
    "guardian_nonperformance",
    "suspected_abuse",
    "suspected_harm",
)
SPINE_ORDER = (
    "reported",
    "dispatched",
    "emergency_handled",
    "township_notified",
    "assessing",
    "assessed",
    "assisting",
    "intervening",
    "petitioned",
    "closed",
)


def _edges(wf: WorkflowDef) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {s: set() for s in wf.state_names}
    for t in wf.transitions:
        for src in t.sources:
            out[src].add(t.dest or src)
    return out


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# --- the six definitions -----------------------------------------------------------------------


def test_the_six_report_types_of_the_documents_are_registered_in_order() -> None:
    """workflows.types() lists the six types of 001 §四(三)1, in the documents' order."""
    assert workflows.types() == SIX
    assert tuple(REPORT_TYPES) == SIX


@pytest.mark.parametrize("type_", SIX)
def test_each_definition_passes_the_validator(type_: str) -> None:
    """validate() finds nothing wrong with any of the six definitions."""
    assert validate(workflows.latest(type_)) == []


@pytest.mark.parametrize("type_", SIX)
def test_each_definition_has_one_initial_state_and_all_states_reach_closed(type_: str) -> None:
    """One initial state, every state reachable from it, and every state can reach closed."""
    wf = workflows.latest(type_)
    assert wf.initial == "reported"
    assert [s.name for s in wf.states if s.final] == ["closed"]
    edges = _edges(wf)
    assert _reachable(wf.initial, edges) == set(wf.state_names)
    for state in wf.state_names:
        assert "closed" in _reachable(state, edges), state
        if state != "closed":
            assert edges[state] - {state}, f"{state} is a dead end"


@pytest.mark.parametrize("type_", SIX)
def test_each_definition_is_registered_under_its_version(type_: str) -> None:
    """get(type, version) returns the same definition that latest(type) does."""
    wf = workflows.latest(type_)
    assert workflows.get(type_, wf.version) is wf
    assert wf.type == type_


def test_an_unknown_type_is_not_registered() -> None:
    """latest() and get() raise KeyError for a type that is not one of the six."""
    with pytest.raises(KeyError):
        workflows.latest("lost_pet")
    with pytest.raises(KeyError):
        workflows.get("solo_living", 999)


# --- the spine ----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", SIX)
def test_every_type_has_the_spine_states_in_order(type_: str) -> None:
    """reported → dispatched → … → petitioned → closed, the same for all six types."""
    assert workflows.latest(type_).state_names == SPINE_ORDER


def test_spine_states_carry_chinese_and_english_labels() -> None:
    """Each spine state has a Chinese and an English label; only closed is final."""
    assert tuple(s.name for s in STATES) == SPINE_ORDER
    for s in STATES:
        assert s.zh
        assert s.en
        assert s.final is (s.name == "closed")


@pytest.mark.parametrize("type_", SIX)
def test_every_transition_carries_a_citation_into_the_seed_document_or_the_civil_code(
    type_: str,
) -> None:
    """Every transition and every guard cites a clause of 001 §四(三), or the Civil Code
    article that completes it: Arts. 36 and 38 (the second definitions), 203 (rest days)."""
    wf = workflows.latest(type_)
    cites = ("001 §四(三)", "Civil Code Art. 36", "Civil Code Art. 38")
    for t in wf.transitions:
        assert t.citation.startswith((*cites, "Civil Code Art. 203")), t.trigger
        for g in t.guards:
            assert g.citation.startswith(cites), g.name


@pytest.mark.parametrize("type_", SIX)
def test_every_transition_names_only_known_roles(type_: str) -> None:
    """Roles on transitions are from the vocabulary; auditor never appears as a writer."""
    for t in workflows.latest(type_).transitions:
        assert t.roles
        assert set(t.roles) <= set(ROLES)
        assert "auditor" not in t.roles
        assert "reporter" not in t.roles


@pytest.mark.parametrize("type_", SIX)
def test_the_scheduler_triggers_are_for_the_system_role_only(type_: str) -> None:
    """Triggers of kind system are fired by the system role alone, and no other trigger is."""
    for t in workflows.latest(type_).transitions:
        assert (t.kind == "system") == (t.roles == ("system",)), t.trigger


@pytest.mark.parametrize(
    ("type_", "guard"),
    [
        ("solo_living", "child_in_care"),
        ("missing_child", "child_located"),
        ("guardian_incapacity", "child_in_care"),
        ("guardian_nonperformance", "child_in_care"),
        ("suspected_abuse", "violence_stopped_and_child_safe"),
        ("suspected_harm", "harm_stopped"),
    ],
)
def test_complete_emergency_is_guarded_by_the_types_own_rule(type_: str, guard: str) -> None:
    """Each type ends its emergency only when its own guard holds; abuse and harm also need
    the basis for intervention laid (evidence, medical care, injury assessment)."""
    (row,) = workflows.latest(type_).rows("complete_emergency")
    laid = ["basis_laid"] if type_ in ("suspected_abuse", "suspected_harm") else []
    assert [g.name for g in row.guards] == [guard, *laid]


def test_the_petition_is_guarded_by_its_ground() -> None:
    """petition_revocation carries the ground_holds guard in every type."""
    for type_ in SIX:
        (row,) = workflows.latest(type_).rows("petition_revocation")
        assert [g.name for g in row.guards] == ["ground_holds"]


def test_a_court_decision_routes_by_its_outcome() -> None:
    """record_court_decision goes to assisting when revoked, back to intervening when rejected."""
    wf = workflows.latest("guardian_nonperformance")
    routes = {r.when: r.dest for r in wf.rows("record_court_decision")}
    assert routes == {("outcome", "revoked"): "assisting", ("outcome", "rejected"): "intervening"}
    assert wf.destinations("record_court_decision", "petitioned") == ("assisting", "intervening")


# --- the validator, on broken definitions ------------------------------------------------------


def _state(name: str, final: bool = False) -> StateDef:
    return StateDef(name, name, name, final)


def _t(
    trigger: str,
    sources: tuple[str, ...],
    dest: str | None,
    roles: tuple[str, ...] = ("police",),
    citation: str = "001 §四(三)2",
) -> TransitionDef:
    return TransitionDef(trigger, sources, dest, roles, citation, trigger)


SOUND_STATES = (_state("a"), _state("b"), _state("done", final=True))
SOUND_TRANSITIONS = (_t("go", ("a",), "b"), _t("finish", ("b",), "done"))


def _problems(
    monkeypatch: pytest.MonkeyPatch,
    states: tuple[StateDef, ...] = SOUND_STATES,
    transitions: tuple[TransitionDef, ...] = SOUND_TRANSITIONS,
    initial: str = "a",
) -> list[str]:
    """What validate() says about a definition built with construction-time checking off."""
    real = spec.validate
    with monkeypatch.context() as m:
        m.setattr(spec, "validate", lambda wf: [])
        wf = WorkflowDef("toy", 1, "玩具", "Toy", "001 §四(三)", states, initial, transitions)
    return real(wf)


def test_the_validator_accepts_a_sound_toy_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """A two-step definition that ends in a final state has no problems."""
    assert _problems(monkeypatch) == []


BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "unreachable": (
        {
            "states": (*SOUND_STATES, _state("orphan")),
            "transitions": (*SOUND_TRANSITIONS, _t("leave", ("orphan",), "done")),
        },
        "state 'orphan' is unreachable",
    ),
    "dead_end": (
        {
            "states": (*SOUND_STATES, _state("stuck")),
            "transitions": (*SOUND_TRANSITIONS, _t("wander", ("a",), "stuck")),
        },
        "state 'stuck' is a dead end",
    ),
    "stays_forever": (
        {
            "states": (*SOUND_STATES, _state("loop")),
            "transitions": (
                *SOUND_TRANSITIONS,
                _t("wander", ("a",), "loop"),
                _t("again", ("loop",), None),
            ),
        },
        "state 'loop' is a dead end",
    ),
    "cannot_finish": (
        {
            "states": (*SOUND_STATES, _state("x"), _state("y")),
            "transitions": (
                *SOUND_TRANSITIONS,
                _t("to_x", ("a",), "x"),
                _t("to_y", ("x",), "y"),
                _t("back", ("y",), "x"),
            ),
        },
        "state 'x' cannot reach a final state",
    ),
    "unknown_dest": (
        {"transitions": (*SOUND_TRANSITIONS, _t("jump", ("a",), "nowhere"))},
        "jump: unknown destination 'nowhere'",
    ),
    "unknown_source": (
        {"transitions": (*SOUND_TRANSITIONS, _t("jump", ("nowhere",), "b"))},
        "jump: unknown source state 'nowhere'",
    ),
    "unknown_role": (
        {"transitions": (_t("go", ("a",), "b", roles=("mayor",)), SOUND_TRANSITIONS[1])},
        "go: roles ['mayor']",
    ),
    "no_roles": (
        {"transitions": (_t("go", ("a",), "b", roles=()), SOUND_TRANSITIONS[1])},
        "go: roles missing",
    ),
    "missing_citation": (
        {"transitions": (_t("go", ("a",), "b", citation=""), SOUND_TRANSITIONS[1])},
        "go: no citation",
    ),
    "leaves_final": (
        {"transitions": (*SOUND_TRANSITIONS, _t("reopen", ("done",), "a"))},
        "reopen: leaves final state 'done'",
    ),
    "no_final": (
        {
            "states": (_state("a"), _state("b")),
            "transitions": (_t("go", ("a",), "b"), _t("back", ("b",), "a")),
        },
        "no final state",
    ),
    "bad_initial": ({"initial": "zero"}, "initial state 'zero' is not a state"),
    "duplicate_state": (
        {"states": (*SOUND_STATES, _state("b"))},
        "duplicate state names",
    ),
    "unrouted_rows": (
        {"transitions": (*SOUND_TRANSITIONS, _t("go", ("a",), "done"))},
        "go: several rows, so each must route by data (`when`)",
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_the_validator_reports_each_kind_of_broken_definition(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate() names the problem: unreachable, dead end, unknown name, missing citation, …"""
    overrides, expected = BROKEN[kind]
    problems = _problems(monkeypatch, **overrides)
    assert expected in problems


def test_a_broken_definition_cannot_be_built() -> None:
    """Constructing a WorkflowDef runs the validator and refuses with the problems listed."""
    with pytest.raises(ValueError, match="state 'orphan' is unreachable"):
        WorkflowDef(
            "toy",
            1,
            "玩具",
            "Toy",
            "001 §四(三)",
            (*SOUND_STATES, _state("orphan")),
            "a",
            (*SOUND_TRANSITIONS, _t("leave", ("orphan",), "done")),
        )


# --- the machines --------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", SIX)
def test_one_machine_is_shared_per_definition(type_: str) -> None:
    """machine_for returns the very same machine every time for a definition."""
    wf = workflows.latest(type_)
    assert machine_for(wf) is machine_for(wf)


def test_each_type_has_its_own_machine() -> None:
    """Different definitions never share a machine."""
    machines = {id(machine_for(workflows.latest(t))) for t in SIX}
    assert len(machines) == len(SIX)


def test_the_machine_knows_every_trigger_of_its_definition() -> None:
    """Each trigger of a definition is an event of its machine."""
    for type_ in SIX:
        wf = workflows.latest(type_)
        assert set(wf.triggers) <= set(machine_for(wf).events)


def test_firing_many_cases_attaches_no_model_to_the_shared_machine(
    engine: Any, make_driver: Any, branches: Any
) -> None:
    """After driving cases of every type to closed, the shared machines hold no models."""
    before = {t: machine_for(workflows.latest(t)) for t in SIX}
    for type_ in SIX:
        for _ in range(3):
            d = make_driver(engine)
            d.report(type_)
            assert d.run(branches[type_]).state == "closed"
    for type_ in SIX:
        machine = machine_for(workflows.latest(type_))
        assert machine is before[type_]
        assert machine.models == []
