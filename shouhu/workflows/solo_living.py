"""``solo_living`` — a child living alone, out of any guardian's care (脱离监护单独居住生活)."""

from __future__ import annotations

from shouhu.i18n import N_
from shouhu.workflows.care import (
    CHILD_IN_CARE,
    CHILD_IN_CARE_ADMONISHED,
    care_measures,
    care_measures_v2,
)
from shouhu.workflows.spine import report_workflow
from shouhu.workflows.spine2 import report_workflow2

WORKFLOW = report_workflow(
    "solo_living",
    "Child living alone, out of a guardian's care",
    measures=care_measures(admonish=True),
    guards=(CHILD_IN_CARE,),
    description=(
        N_(
            "Police order the parents to return at once or designate an entrusted guardian, and "
            "admonish the parents; if the parents cannot be reached, the child goes into temporary "
            "care."
        )
    ),
)

#: Version 2 (issue 14): the emergency is complete when the parents were ordered back (or a
#: guardian entrusted) and admonished and the child is in a guardian's care — or, the parents
#: not reached, the child is in temporary care and the parents are still sought.
WORKFLOW_V2 = report_workflow2(
    "solo_living",
    "Child living alone, out of a guardian's care",
    measures=care_measures_v2(admonish=True),
    guards=(CHILD_IN_CARE_ADMONISHED,),
    description=WORKFLOW.description,
)
