"""What the law asks, as data: one workflow per report type, all on the shared spine.

``get(type, version)`` returns a definition; ``latest(type)`` the one new cases use. Old
versions stay registered so that a case replays under the version it was recorded with.
"""

from __future__ import annotations

from shouhu.workflows import (
    guardian_incapacity,
    guardian_nonperformance,
    missing_child,
    solo_living,
    suspected_abuse,
    suspected_harm,
    watch,
)
from shouhu.workflows.spec import DataRule, FieldDef, Guard, StateDef, TransitionDef, WorkflowDef
from shouhu.workflows.vocab import REPORT_TYPES, WATCH_TYPES

_ALL: tuple[WorkflowDef, ...] = (
    solo_living.WORKFLOW,
    missing_child.WORKFLOW,
    guardian_incapacity.WORKFLOW,
    guardian_nonperformance.WORKFLOW,
    suspected_abuse.WORKFLOW,
    suspected_harm.WORKFLOW,
    *watch.WORKFLOWS,
)

REGISTRY: dict[tuple[str, int], WorkflowDef] = {(w.type, w.version): w for w in _ALL}
LATEST: dict[str, WorkflowDef] = {}
for _w in sorted(_ALL, key=lambda w: w.version):
    LATEST[_w.type] = _w


_TYPES: list[tuple[str, ...]] = []  # types(), remembered until the next register()


def types() -> tuple[str, ...]:
    """The report types, in the order of the documents."""
    if not _TYPES:
        _TYPES.append(tuple(t for t in REPORT_TYPES if t in LATEST))
    return _TYPES[0]


def watch_types() -> tuple[str, ...]:
    """The ledger's watch types (child, woman, elderly)."""
    return tuple(t for t in WATCH_TYPES if t in LATEST)


def all_types() -> tuple[str, ...]:
    """Every workflow type: the six report types, then the watches."""
    return (*types(), *watch_types())


def latest(type_: str) -> WorkflowDef:
    """The definition new cases of ``type_`` use. ``KeyError`` if unknown."""
    return LATEST[type_]


def get(type_: str, version: int) -> WorkflowDef:
    """One registered definition. ``KeyError`` if unknown."""
    return REGISTRY[(type_, version)]


def register(workflow: WorkflowDef) -> None:
    """Add a definition (a new version, or a new type from an embedding system)."""
    REGISTRY[(workflow.type, workflow.version)] = workflow
    if workflow.type not in LATEST or LATEST[workflow.type].version <= workflow.version:
        LATEST[workflow.type] = workflow
    _TYPES.clear()


__all__ = [
    "REGISTRY",
    "DataRule",
    "FieldDef",
    "Guard",
    "StateDef",
    "TransitionDef",
    "WorkflowDef",
    "all_types",
    "get",
    "latest",
    "register",
    "types",
    "watch_types",
]
