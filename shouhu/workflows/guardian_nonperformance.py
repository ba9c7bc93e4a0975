"""``guardian_nonperformance`` — the guardian refuses or fails to care (监护人不履行监护责任).

The report may carry ``nonperformance_since``: the date from which the six-month ground (b)
of 001 §四(三)4 is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_
from shouhu.workflows.care import CHILD_IN_CARE, CHILD_IN_CARE_V2, care_measures, care_measures_v2
from shouhu.workflows.spec import Facts, FieldDef
from shouhu.workflows.spine import report_workflow
from shouhu.workflows.spine2 import report_workflow2


def _since(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    since = data.get("nonperformance_since")
    return {"nonperformance_since": since, "nonperformance_matured": False} if since else {}


WORKFLOW = report_workflow(
    "guardian_nonperformance",
    "Guardian refuses to perform guardianship duties",
    measures=care_measures(admonish=False),
    guards=(CHILD_IN_CARE,),
    report_data=(
        FieldDef(
            "nonperformance_since", "date", description=N_("refusing duties since (ground b)")
        ),
    ),
    report_effect=_since,
    description=(
        N_(
            "Police contact the parents to return at once or entrust another relative; if they "
            "cannot be reached, the child is escorted into temporary care. Refusal of duties "
            "for six "
            "months or more is a ground for revoking guardianship."
        )
    ),
)

#: Version 2 (issue 14): temporary care only when the parents cannot be reached, and then the
#: parents are still sought (the pack's ``guardian_redesignation`` duty).
WORKFLOW_V2 = report_workflow2(
    "guardian_nonperformance",
    WORKFLOW.en,
    measures=care_measures_v2(admonish=False),
    guards=(CHILD_IN_CARE_V2,),
    report_data=WORKFLOW.report_data,
    report_effect=_since,
    description=WORKFLOW.description,
)
