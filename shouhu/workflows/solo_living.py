"""``solo_living`` — a child living alone, out of any guardian's care (脱离监护单独居住生活)."""

from __future__ import annotations

from shouhu.workflows.care import CHILD_IN_CARE, care_measures
from shouhu.workflows.spine import report_workflow

WORKFLOW = report_workflow(
    "solo_living",
    "Child living alone, out of a guardian's care",
    measures=care_measures(admonish=True),
    guards=(CHILD_IN_CARE,),
    description=(
        "Police order the parents to return at once or designate an entrusted guardian, and "
        "admonish the parents; if the parents cannot be reached, the child goes into temporary "
        "care."
    ),
)
