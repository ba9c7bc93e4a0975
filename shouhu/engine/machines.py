"""How a workflow definition judges a trigger: one executor, and ``transitions`` as its oracle.

**The executor** is :func:`step`: it walks the rows of a trigger as a table — the rows
``allowed`` for the state and role, in definition order; for each, ``when`` then the guards,
stopping at the first that fails; the first row that passes applies its effect and outcome.
Every live trigger (``Engine.fire``, the scheduler's system triggers), every replay and
``verify``'s judgement of every event of a database go through exactly this function.

**The oracle** is a ``transitions`` machine built from the same definition
(:func:`machine_for`, :func:`machine_step`): states, the rows as transitions with ``when`` and
the guards as ``conditions`` and the effects in ``after``. It is an independent reading of the
definition by a maintained state-machine library, and the tests hold the executor to it
exhaustively (every definition, state, trigger, role and choice; tests/property/
test_replay_table.py) and along random histories. Why the table executes and the machine
checks, not the other way round: setting a ``transitions`` event in motion costs about 28 µs a
trigger against 3 µs for the table walk, and ``verify`` judges every event of a database —
the machine as executor would make verification several times slower, and keeping both on the
paths (as before) meant two executors kept in step only by tests. An embedder's workflow is
checked against the machine the same way (``machine_step`` on its definition).

No case is ever attached to a machine with ``add_model`` (that is O(n) in attached models and
keeps every case in memory): the oracle drives a small :class:`CaseModel` per trigger.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from transitions import EventData, Machine

from shouhu.engine.zhinput import trigger_hint
from shouhu.errors import InvalidInput, TransitionRefused
from shouhu.i18n import N_, _
from shouhu.workflows.spec import Guard, TransitionDef, WorkflowDef
from shouhu.workflows.vocab import READ_ONLY_ROLES, RESERVED_ROLES

#: A refusal's words (the rule's name, its citation, why), as every refusal of the engine has.
REFUSED = N_("refused by rule {rule} ({citation}): {why}")


@dataclass(slots=True)
class CaseModel:
    """The object the shared machine drives for one trigger."""

    state: str
    facts: dict[str, Any]
    outcome: str | None = None
    refusal: tuple[Guard, str] | None = None
    row: TransitionDef | None = None
    scratch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """What one accepted trigger did."""

    from_state: str
    to_state: str
    facts: dict[str, Any]
    outcome: str | None
    row: TransitionDef


_machines: dict[tuple[str, int], tuple[WorkflowDef, Machine]] = {}
_lock = threading.Lock()


def machine_for(wf: WorkflowDef) -> Machine:
    """The shared machine of a definition, built on first use."""
    key = (wf.type, wf.version)
    hit = _machines.get(key)
    if hit is not None and hit[0] is wf:
        return hit[1]
    with _lock:
        hit = _machines.get(key)
        if hit is None or hit[0] is not wf:
            hit = (wf, _build(wf))
            _machines[key] = hit
        return hit[1]


def _build(wf: WorkflowDef) -> Machine:
    m = Machine(
        model=None,
        states=list(wf.state_names),
        initial=wf.initial,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=wf.key,
    )
    for row in wf.transitions:
        conditions: list[Any] = []
        if row.when is not None:
            conditions.append(_routes(*row.when))
        conditions.extend(_guarded(g) for g in row.guards)
        m.add_transition(
            row.trigger,
            list(row.sources),
            row.dest,
            conditions=conditions or None,
            after=_apply(row),
        )
    return m


def _routes(key: str, value: str) -> Any:
    def check(ev: EventData) -> bool:
        return bool(ev.kwargs["data"].get(key) == value)

    return check


def _guarded(guard: Guard) -> Any:
    def check(ev: EventData) -> bool:
        model = cast(CaseModel, ev.model)
        reason = guard.check(model.facts, ev.kwargs["data"])
        if reason is None:
            return True
        if model.refusal is None:
            model.refusal = (guard, reason)
        return False

    return check


def _apply(row: TransitionDef) -> Any:
    def after(ev: EventData) -> None:
        model = cast(CaseModel, ev.model)
        if row.effect is not None:
            model.facts = {**model.facts, **row.effect(model.facts, ev.kwargs["data"])}
        if row.outcome is not None:
            model.outcome = row.outcome
        model.row = row

    return after


def allowed(wf: WorkflowDef, state: str, trigger: str, role: str) -> list[TransitionDef]:
    """The rows of ``trigger`` that ``role`` may fire from ``state``.

    Raises :class:`InvalidInput` for an unknown trigger and :class:`TransitionRefused` naming
    the rule (state or role) and its citation.
    """
    rows = wf.rows(trigger)
    if not rows:
        hint = trigger_hint(trigger, wf.triggers)
        message = _(
            "unknown trigger {trigger} for {type}{hint} (see `shouhu workflow show {type}`)"
        )
        raise InvalidInput(
            message.format(trigger=repr(trigger[:60]), type=wf.type, hint=hint), field="trigger"
        )
    here = [r for r in rows if state in r.sources]
    if not here:
        sources = sorted({s for r in rows for s in r.sources})
        why = _("{trigger} is not allowed in state {state} ({zh}); it is allowed from: {sources}")
        raise TransitionRefused(
            _(REFUSED).format(
                rule="state",
                citation=rows[0].citation,
                why=why.format(
                    trigger=trigger,
                    state=state,
                    zh=wf.state(state).zh,
                    sources=_(", ").join(sources),
                ),
            ),
            rule="state",
            citation=rows[0].citation,
            trigger=trigger,
            state=state,
        )
    roles = sorted({r for row in here for r in row.roles})
    if role not in roles:
        if role in READ_ONLY_ROLES:
            why = _("the {role} role reads and replays but never writes").format(role=role)
        elif role in RESERVED_ROLES:
            why = _("the {role} role is the scheduler's alone").format(role=role)
        else:
            why = _("{trigger} is for {roles}, not {role}").format(
                trigger=trigger, roles=_(", ").join(roles), role=role
            )
        raise TransitionRefused(
            _(REFUSED).format(rule="role", citation=here[0].citation, why=why),
            rule="role",
            citation=here[0].citation,
            trigger=trigger,
            state=state,
            role=role,
        )
    return here


def machine_step(
    wf: WorkflowDef,
    state: str,
    facts: Mapping[str, Any],
    trigger: str,
    role: str,
    data: Mapping[str, Any],
    outcome: str | None = None,
) -> Step:
    """The oracle: run ``trigger`` from ``state`` for ``role`` with validated ``data`` on the
    definition's ``transitions`` machine. What :func:`step` must do, result and refusal.

    Raises :class:`InvalidInput` for an unknown trigger and :class:`TransitionRefused` when the
    state, the role or a guard says no; nothing else changes.
    """
    here = allowed(wf, state, trigger, role)
    _check_rules(here, trigger, data)
    model = CaseModel(state=state, facts=dict(facts), outcome=outcome)
    accepted = machine_for(wf).events[trigger].trigger(model, data=data)
    if not accepted or model.row is None:
        raise _refusal(here, trigger, state, model.refusal)
    return Step(state, model.state, model.facts, model.outcome, model.row)


# -- the executor: the rows as a table ---------------------------------------------------------

# (type, version) → (definition, {(state, trigger, role): the rows of ``allowed``}).
_tables: dict[
    tuple[str, int], tuple[WorkflowDef, dict[tuple[str, str, str], tuple[TransitionDef, ...]]]
] = {}


def _rows_for(wf: WorkflowDef, state: str, trigger: str, role: str) -> tuple[TransitionDef, ...]:
    """``allowed(wf, state, trigger, role)``, remembered; refusals are raised, not kept."""
    key = (wf.type, wf.version)
    hit = _tables.get(key)
    if hit is None or hit[0] is not wf:
        hit = (wf, {})
        _tables[key] = hit
    rows = hit[1].get((state, trigger, role))
    if rows is None:
        rows = tuple(allowed(wf, state, trigger, role))
        hit[1][(state, trigger, role)] = rows
    return rows


#: :func:`allowed`, remembered (the same refusals, raised each time): what ``Engine.fire``
#: asks before it validates a trigger's data and runs the machine.
allowed_rows = _rows_for


def step(
    wf: WorkflowDef,
    state: str,
    facts: Mapping[str, Any],
    trigger: str,
    role: str,
    data: Mapping[str, Any],
    outcome: str | None = None,
) -> Step:
    """Run ``trigger`` from ``state`` for ``role`` with validated ``data``: the one executor.

    Raises :class:`InvalidInput` for an unknown trigger and :class:`TransitionRefused` when the
    state, the role or a guard says no (the first failing guard); nothing else changes.

    The oracle's machine (:func:`_build`) holds, for a trigger and a source state, the rows of
    ``allowed`` in definition order, each with ``when`` then the guards as its conditions and
    the effect and outcome as its ``after``; it runs the first row whose conditions all hold,
    and a row's conditions stop at the first that fails. This walks the same rows the same way:
    same result, same refusal and the same messages (the tests hold it to the machine).
    """
    here = _rows_for(wf, state, trigger, role)
    _check_rules(here, trigger, data)
    mine = dict(facts)  # what the machine's CaseModel holds: guards and effect see a copy
    refusal: tuple[Guard, str] | None = None
    for row in here:
        if row.when is not None and data.get(row.when[0]) != row.when[1]:
            continue
        failed = None
        for guard in row.guards:
            failed = guard.check(mine, data)
            if failed is not None:
                if refusal is None:
                    refusal = (guard, failed)
                break
        if failed is not None:
            continue
        if row.effect is not None:
            mine = {**mine, **row.effect(mine, data)}
        to_state = state if row.dest is None else row.dest
        return Step(state, to_state, mine, outcome if row.outcome is None else row.outcome, row)
    raise _refusal(here, trigger, state, refusal)


def _check_rules(here: Sequence[TransitionDef], trigger: str, data: Mapping[str, Any]) -> None:
    """The data rules of the rows a trigger may take (what a schema cannot say)."""
    for row in here:
        for rule in row.rules:
            reason = rule.check(data)
            if reason is not None:
                raise InvalidInput(
                    _("{trigger}: {reason}").format(trigger=trigger, reason=reason), field="data"
                )


def _refusal(
    here: Sequence[TransitionDef],
    trigger: str,
    state: str,
    refusal: tuple[Guard, str] | None,
) -> TransitionRefused:
    """No row passed: the first guard that failed, else no row routes by this data."""
    if refusal is not None:
        guard, reason = refusal
        return TransitionRefused(
            _(REFUSED).format(rule=f"guard {guard.name}", citation=guard.citation, why=reason),
            rule="guard",
            citation=guard.citation,
            trigger=trigger,
            state=state,
            guard=guard.name,
            reason=reason,
        )
    why = _("no row of {trigger} matches the data").format(trigger=trigger)
    return TransitionRefused(
        _(REFUSED).format(rule="state", citation=here[0].citation, why=why),
        rule="state",
        citation=here[0].citation,
        trigger=trigger,
        state=state,
    )
