"""What the law asks, as data: one workflow per report type, all on the shared spine.

:data:`DEFAULT` is the :class:`WorkflowSet` an engine uses unless given its own: the six report
types and the ledger's three watches. ``get(type, version)`` returns one of its definitions;
``latest(type)`` the one new cases use. Old versions stay in a set so that a case replays under
the version it was recorded with.
"""

from __future__ import annotations

from shouhu.workflows import (
    child_watch2,
    guardian_incapacity,
    guardian_nonperformance,
    missing_child,
    solo_living,
    suspected_abuse,
    suspected_harm,
    township,
    watch,
)
from shouhu.workflows.spec import DataRule, FieldDef, Guard, StateDef, TransitionDef, WorkflowDef
from shouhu.workflows.workflowset import WorkflowSet

#: The set an engine uses unless it is given one: the six report types, in the order of the
#: documents, then the ledger's three watches.
DEFAULT = WorkflowSet(
    (
        solo_living.WORKFLOW,
        missing_child.WORKFLOW,
        guardian_incapacity.WORKFLOW,
        guardian_nonperformance.WORKFLOW,
        suspected_abuse.WORKFLOW,
        suspected_harm.WORKFLOW,
        # The second definitions (issue 14): what new cases use; the first stay for replay.
        solo_living.WORKFLOW_V2,
        missing_child.WORKFLOW_V2,
        guardian_incapacity.WORKFLOW_V2,
        guardian_nonperformance.WORKFLOW_V2,
        suspected_abuse.WORKFLOW_V2,
        suspected_harm.WORKFLOW_V2,
        *watch.WORKFLOWS,
        child_watch2.CHILD_WATCH_V2,
        township.WORKFLOW,
    )
)

#: The default set's definitions by ``(type, version)``, and the latest of each type.
REGISTRY: dict[tuple[str, int], WorkflowDef] = DEFAULT.registry
LATEST: dict[str, WorkflowDef] = DEFAULT._latest


def types() -> tuple[str, ...]:
    """The default set's report types, in the order of the documents."""
    return DEFAULT.types()


def watch_types() -> tuple[str, ...]:
    """The default set's watch types (child, woman, elderly)."""
    return DEFAULT.watch_types()


def all_types() -> tuple[str, ...]:
    """Every type of the default set: the six report types, then the watches."""
    return DEFAULT.all_types()


def latest(type_: str) -> WorkflowDef:
    """The definition new cases of ``type_`` use in the default set. ``KeyError`` if unknown."""
    return DEFAULT.latest(type_)


def get(type_: str, version: int) -> WorkflowDef:
    """One definition of the default set. ``KeyError`` if unknown."""
    return DEFAULT.get(type_, version)


def register(workflow: WorkflowDef) -> None:
    """Add a definition to the default set, in place: every engine opened without a set of
    its own then knows it. An embedding system had better give its engines a set of their own
    (``Engine.open(url, workflows=DEFAULT.with_(MY_WORKFLOW))``)."""
    DEFAULT.add(workflow)


__all__ = [
    "DEFAULT",
    "LATEST",
    "REGISTRY",
    "DataRule",
    "FieldDef",
    "Guard",
    "StateDef",
    "TransitionDef",
    "WorkflowDef",
    "WorkflowSet",
    "all_types",
    "get",
    "latest",
    "register",
    "types",
    "watch_types",
]
