"""``guardian_incapacity`` — the guardian has lost the capacity to care (监护人丧失监护能力)."""

from __future__ import annotations

from shouhu.i18n import N_
from shouhu.workflows.care import CHILD_IN_CARE, CHILD_IN_CARE_V2, care_measures, care_measures_v2
from shouhu.workflows.spine import report_workflow
from shouhu.workflows.spine2 import report_workflow2

WORKFLOW = report_workflow(
    "guardian_incapacity",
    "Guardian has lost the capacity to care",
    measures=care_measures(admonish=False),
    guards=(CHILD_IN_CARE,),
    description=(
        N_(
            "Police contact the parents to return at once or entrust another relative; if they "
            "cannot be reached, the child is escorted into temporary care."
        )
    ),
)

#: Version 2 (issue 14): temporary care only when the parents cannot be reached, and then the
#: parents are still sought (the pack's ``guardian_redesignation`` duty).
WORKFLOW_V2 = report_workflow2(
    "guardian_incapacity",
    WORKFLOW.en,
    measures=care_measures_v2(admonish=False),
    guards=(CHILD_IN_CARE_V2,),
    description=WORKFLOW.description,
)
