"""``Engine.fire`` asks :func:`~shouhu.engine.machines.allowed_rows` (``allowed``, remembered)
whether trigger, state and role fit before it checks data and runs the workflow's machine: the
remembered answers must be ``allowed``'s, refusals included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shouhu import Engine, FakeClock, ShouhuError, workflows
from shouhu.engine.machines import allowed, allowed_rows
from shouhu.workflows.vocab import ROLES

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ROLE_LIST = tuple(ROLES)


def _engine() -> Engine:
    return Engine.in_memory(
        clock=FakeClock(NOW), zone="Asia/Shanghai", id_factory=lambda now: "0" * 15 + "1"
    )


def _fire(engine: Engine, case_id: str, trigger: str, role: str, data: Any) -> tuple[Any, ...]:
    try:
        view = engine.fire(case_id, trigger, actor={"name": "经办人", "role": role}, data=data)
    except ShouhuError as exc:
        return ("refused", type(exc), exc.message, exc.data)
    last = view.history[-1].event
    return ("accepted", view.state, view.version, dict(view.facts), view.outcome, last.hash)


def _rows_or_refusal(judge: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("allowed", tuple(judge(*args)))
    except ShouhuError as exc:
        return ("refused", type(exc), exc.message, exc.data)


def test_the_remembered_rows_allow_and_refuse_as_allowed_does() -> None:
    """``Engine.fire`` checks trigger, state and role with :func:`allowed_rows` before the
    data: for every definition, state, trigger (and one that does not exist) and role, asked
    twice (the second answer from memory, a refusal raised again), what ``allowed`` says."""
    for wf in workflows.REGISTRY.values():
        for state in wf.state_names:
            for trigger in (*wf.triggers, "no_such_trigger"):
                for role in ROLE_LIST:
                    args = (wf, state, trigger, role)
                    expected = _rows_or_refusal(allowed, *args)
                    assert _rows_or_refusal(allowed_rows, *args) == expected, args
                    assert _rows_or_refusal(allowed_rows, *args) == expected, args
