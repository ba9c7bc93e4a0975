"""``suspected_harm`` — suspected accidental injury or unlawful harm.

疑似遭受意外伤害或不法侵害 (001 §四(三)1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.harm import BASIS_LAID, DESCRIPTION, evidence_measures, evidence_measures_v2
from shouhu.workflows.spec import Facts, Guard
from shouhu.workflows.spine import C_EMERGENCY, measure, report_workflow
from shouhu.workflows.spine2 import report_workflow2


def _harm_stopped(facts: Facts, data: Mapping[str, Any]) -> str | None:
    return (
        None
        if facts.get("stop_harm")
        else _("the harm has not been recorded as stopped (stop_harm)")
    )


HARM_STOPPED = Guard("harm_stopped", N_("the harm is stopped"), C_EMERGENCY, _harm_stopped)

STOP_HARM = measure(
    "stop_harm", N_("police stop the harm and protect the child (制止侵害、实施保护)")
)

WORKFLOW = report_workflow(
    "suspected_harm",
    "Suspected accidental injury or unlawful harm",
    measures=(STOP_HARM, *evidence_measures()),
    guards=(HARM_STOPPED,),
    report_data=(DESCRIPTION,),
    description=(
        N_(
            "Police stop the harm and protect the child, collect evidence, and help the child to "
            "medical care and an injury assessment."
        )
    ),
)

#: Version 2 (issue 14): evidence, medical care and an injury assessment — or the reason one
#: was not taken — before the emergency is complete.
WORKFLOW_V2 = report_workflow2(
    "suspected_harm",
    WORKFLOW.en,
    measures=(STOP_HARM, *evidence_measures_v2()),
    guards=(HARM_STOPPED, BASIS_LAID),
    report_data=(DESCRIPTION,),
    description=WORKFLOW.description,
)
