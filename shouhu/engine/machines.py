"""Workflow definitions executed by ``transitions``: one machine per type and version, shared.

No case is ever attached to a machine with ``add_model`` (that is O(n) in attached models and
keeps every case in memory). For each trigger :func:`step` makes a small :class:`CaseModel`
from the stored projection and asks the shared machine's event to run on it; the machine checks
the source state, routes by data, evaluates the guards as ``conditions`` and applies the
declared effects in ``after``. Every live trigger (``Engine.fire``, the scheduler's system
triggers) and every replay goes through exactly this path. Only ``verify``, which judges every
event of a database at once, first walks the same rows as a table (:func:`replay_step`) for
its verdict — the same verdicts, results and messages without a machine run per event, held to
the machine by the tests exhaustively — and replays through the machine any case the table
finds fault with, so what it reports comes from the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from transitions import EventData, Machine

from shouhu.errors import InvalidInput, TransitionRefused
from shouhu.workflows.spec import Guard, TransitionDef, WorkflowDef
from shouhu.workflows.vocab import READ_ONLY_ROLES, RESERVED_ROLES


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
        raise InvalidInput(
            f"unknown trigger {trigger[:60]!r} for {wf.type} "
            f"(see `shouhu workflow show {wf.type}`)",
            field="trigger",
        )
    here = [r for r in rows if state in r.sources]
    if not here:
        sources = sorted({s for r in rows for s in r.sources})
        raise TransitionRefused(
            f"refused by rule state ({rows[0].citation}): {trigger} is not allowed in state "
            f"{state} ({wf.state(state).zh}); it is allowed from: {', '.join(sources)}",
            rule="state",
            citation=rows[0].citation,
            trigger=trigger,
            state=state,
        )
    roles = sorted({r for row in here for r in row.roles})
    if role not in roles:
        if role in READ_ONLY_ROLES:
            why = f"the {role} role reads and replays but never writes"
        elif role in RESERVED_ROLES:
            why = f"the {role} role is the scheduler's alone"
        else:
            why = f"{trigger} is for {', '.join(roles)}, not {role}"
        raise TransitionRefused(
            f"refused by rule role ({here[0].citation}): {why}",
            rule="role",
            citation=here[0].citation,
            trigger=trigger,
            state=state,
            role=role,
        )
    return here


def step(
    wf: WorkflowDef,
    state: str,
    facts: Mapping[str, Any],
    trigger: str,
    role: str,
    data: Mapping[str, Any],
    outcome: str | None = None,
) -> Step:
    """Run ``trigger`` from ``state`` for ``role`` with validated ``data``.

    Raises :class:`InvalidInput` for an unknown trigger and :class:`TransitionRefused` when the
    state, the role or a guard says no; nothing else changes.
    """
    here = allowed(wf, state, trigger, role)
    for row in here:
        for rule in row.rules:
            reason = rule.check(data)
            if reason is not None:
                raise InvalidInput(f"{trigger}: {reason}", field="data")
    model = CaseModel(state=state, facts=dict(facts), outcome=outcome)
    accepted = machine_for(wf).events[trigger].trigger(model, data=data)
    if not accepted or model.row is None:
        if model.refusal is not None:
            guard, reason = model.refusal
            raise TransitionRefused(
                f"refused by rule guard {guard.name} ({guard.citation}): {reason}",
                rule="guard",
                citation=guard.citation,
                trigger=trigger,
                state=state,
                guard=guard.name,
                reason=reason,
            )
        raise TransitionRefused(
            f"refused by rule state ({here[0].citation}): no row of {trigger} matches the data",
            rule="state",
            citation=here[0].citation,
            trigger=trigger,
            state=state,
        )
    return Step(state, model.state, model.facts, model.outcome, model.row)


# -- the same rows as a table, for replaying whole logs ---------------------------------------

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


def replay_step(
    wf: WorkflowDef,
    state: str,
    facts: Mapping[str, Any],
    trigger: str,
    role: str,
    data: Mapping[str, Any],
    outcome: str | None = None,
) -> Step:
    """What :func:`step` does, without setting a ``transitions`` event in motion per trigger.

    The machine :func:`_build` makes holds, for a trigger and a source state, the rows of
    ``allowed`` in definition order, each with ``when`` then the guards as its conditions and
    the effect and outcome as its ``after``; it runs the first row whose conditions all hold,
    and a row's conditions stop at the first that fails. This walks the same rows the same way:
    same result, same refusal (the first failing guard) and the same messages. Verification
    runs it over every event of every case; the tests hold it to the machine.
    """
    here = _rows_for(wf, state, trigger, role)
    for row in here:
        for rule in row.rules:
            reason = rule.check(data)
            if reason is not None:
                raise InvalidInput(f"{trigger}: {reason}", field="data")
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
    if refusal is not None:
        guard, reason = refusal
        raise TransitionRefused(
            f"refused by rule guard {guard.name} ({guard.citation}): {reason}",
            rule="guard",
            citation=guard.citation,
            trigger=trigger,
            state=state,
            guard=guard.name,
            reason=reason,
        )
    raise TransitionRefused(
        f"refused by rule state ({here[0].citation}): no row of {trigger} matches the data",
        rule="state",
        citation=here[0].citation,
        trigger=trigger,
        state=state,
    )
