"""``missing_child`` — a missing child (失踪): the rapid child-search mechanism."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.workflows.spec import Facts, FieldDef, Guard
from shouhu.workflows.spine import C_EMERGENCY, measure, report_workflow


def _located(facts: Facts, data: Mapping[str, Any]) -> str | None:
    return None if facts.get("child_located") else "the child has not been located (child_located)"


CHILD_LOCATED = Guard("child_located", "the child has been located", C_EMERGENCY, _located)

WORKFLOW = report_workflow(
    "missing_child",
    "Child missing",
    measures=(
        measure("start_search", "the rapid child-search mechanism starts (儿童失踪快速查找机制)"),
        measure("child_located", "the child has been found"),
    ),
    guards=(CHILD_LOCATED,),
    report_data=(
        FieldDef("last_seen_at", "datetime", description="when the child was last seen"),
        FieldDef("last_seen_place", "text", max_length=200, description="where"),
    ),
    description="Police start the rapid child-search mechanism; the emergency ends when found.",
)
