"""``missing_child`` — a missing child (失踪): the rapid child-search mechanism."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import Facts, FieldDef, Guard
from shouhu.workflows.spine import C_EMERGENCY, measure, report_workflow
from shouhu.workflows.spine2 import report_workflow2


def _located(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if facts.get("child_located"):
        return None
    return _("the child has not been located (child_located)")


CHILD_LOCATED = Guard("child_located", N_("the child has been located"), C_EMERGENCY, _located)

MEASURES = (
    measure("start_search", N_("the rapid child-search mechanism starts (儿童失踪快速查找机制)")),
    measure("child_located", N_("the child has been found")),
)

WORKFLOW = report_workflow(
    "missing_child",
    "Child missing",
    measures=MEASURES,
    guards=(CHILD_LOCATED,),
    report_data=(
        FieldDef("last_seen_at", "datetime", description=N_("when the child was last seen")),
        FieldDef("last_seen_place", "text", max_length=200, description=N_("where")),
    ),
    description=N_("Police start the rapid child-search mechanism; the emergency ends when found."),
)

#: Version 2 (issue 14): the spine's second definition; a child not found within the pack's
#: ``missing_child_unfound`` period still reaches the township.
WORKFLOW_V2 = report_workflow2(
    "missing_child",
    WORKFLOW.en,
    measures=MEASURES,
    guards=(CHILD_LOCATED,),
    report_data=WORKFLOW.report_data,
    description=WORKFLOW.description,
)
