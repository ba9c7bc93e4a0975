"""``suspected_abuse`` — suspected domestic violence, abuse or abandonment (疑似遭受家庭暴力)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.workflows.harm import DESCRIPTION, evidence_measures
from shouhu.workflows.spec import Facts, FieldDef, Guard
from shouhu.workflows.spine import (
    C_EMERGENCY,
    PLACEMENT_NOTICE,
    copies,
    measure,
    report_workflow,
)
from shouhu.workflows.vocab import SHELTER_PLACEMENTS


def _violence_stopped_and_safe(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if not facts.get("stop_violence"):
        return "the violence has not been recorded as stopped (stop_violence)"
    if facts.get("injury_severity") == "serious" and not facts.get("shelter"):
        return "the child is seriously hurt and not yet placed in shelter (place_in_shelter)"
    return None


VIOLENCE_STOPPED = Guard(
    "violence_stopped_and_child_safe",
    "the violence is stopped and, where the injury is serious, the child is in shelter",
    C_EMERGENCY,
    _violence_stopped_and_safe,
)

WORKFLOW = report_workflow(
    "suspected_abuse",
    "Suspected domestic violence, abuse or abandonment",
    measures=(
        measure("stop_violence", "police stop the violence (依法制止)"),
        *evidence_measures(),
        measure(
            "place_in_shelter",
            "civil affairs, helped by police, place the child in shelter (临时庇护)",
            data=(FieldDef("placement", "choice", required=True, choices=SHELTER_PLACEMENTS),),
            effect=copies(shelter="placement"),
            roles=("police", "civil_affairs"),
            notices=(PLACEMENT_NOTICE,),
        ),
    ),
    guards=(VIOLENCE_STOPPED,),
    report_data=(DESCRIPTION,),
    description=(
        "Police stop the violence; where the child is seriously hurt, threatened or left "
        "unattended in danger, civil affairs place the child in shelter. Evidence, medical care "
        "and an injury assessment lay the basis for intervention."
    ),
)
