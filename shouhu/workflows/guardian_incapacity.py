"""``guardian_incapacity`` — the guardian has lost the capacity to care (监护人丧失监护能力)."""

from __future__ import annotations

from shouhu.workflows.care import CHILD_IN_CARE, care_measures
from shouhu.workflows.spine import report_workflow

WORKFLOW = report_workflow(
    "guardian_incapacity",
    "Guardian has lost the capacity to care",
    measures=care_measures(admonish=False),
    guards=(CHILD_IN_CARE,),
    description=(
        "Police contact the parents to return at once or entrust another relative; if they "
        "cannot be reached, the child is escorted into temporary care."
    ),
)
