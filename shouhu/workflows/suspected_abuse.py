"""``suspected_abuse`` — suspected domestic violence, abuse or abandonment (疑似遭受家庭暴力)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.harm import BASIS_LAID, DESCRIPTION, evidence_measures, evidence_measures_v2
from shouhu.workflows.spec import Facts, FieldDef, Guard
from shouhu.workflows.spine import (
    C_EMERGENCY,
    PLACEMENT_NOTICE,
    copies,
    measure,
    report_workflow,
)
from shouhu.workflows.spine2 import report_workflow2
from shouhu.workflows.vocab import SHELTER_PLACEMENTS


def _violence_stopped_and_safe(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if not facts.get("stop_violence"):
        return _("the violence has not been recorded as stopped (stop_violence)")
    if facts.get("injury_severity") == "serious" and not facts.get("shelter"):
        return _("the child is seriously hurt and not yet placed in shelter (place_in_shelter)")
    return None


VIOLENCE_STOPPED = Guard(
    "violence_stopped_and_child_safe",
    N_("the violence is stopped and, where the injury is serious, the child is in shelter"),
    C_EMERGENCY,
    _violence_stopped_and_safe,
)

SHELTER = measure(
    "place_in_shelter",
    N_("civil affairs, helped by police, place the child in shelter (临时庇护)"),
    data=(FieldDef("placement", "choice", required=True, choices=SHELTER_PLACEMENTS),),
    effect=copies(shelter="placement"),
    roles=("police", "civil_affairs"),
    notices=(PLACEMENT_NOTICE,),
)

WORKFLOW = report_workflow(
    "suspected_abuse",
    "Suspected domestic violence, abuse or abandonment",
    measures=(
        measure("stop_violence", N_("police stop the violence (依法制止)")),
        *evidence_measures(),
        SHELTER,
    ),
    guards=(VIOLENCE_STOPPED,),
    report_data=(DESCRIPTION,),
    description=(
        N_(
            "Police stop the violence; where the child is seriously hurt, threatened or left "
            "unattended in danger, civil affairs place the child in shelter. Evidence, "
            "medical care "
            "and an injury assessment lay the basis for intervention."
        )
    ),
)


# --- version 2 (issue 14) ------------------------------------------------------------------

#: 对因家庭暴力身体受到严重伤害、面临人身安全威胁或者处于无人照料等危险状态的,应通知并协助民政部门
#: 将其安置到临时庇护场所、救助管理机构或福利机构实施保护 (001 §四(三)2).
DANGERS = {
    "seriously_hurt": N_("seriously hurt in body (身体受到严重伤害)"),
    "safety_threatened": N_("under threat to personal safety (面临人身安全威胁)"),
    "unattended_in_danger": N_("unattended and in danger (处于无人照料等危险状态)"),
}


def _stopped(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"stop_violence": True, **{k: data[k] for k in DANGERS}}


def _stopped_and_sheltered(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if not facts.get("stop_violence"):
        return _("the violence has not been recorded as stopped (stop_violence)")
    found = [_(words) for k, words in DANGERS.items() if facts.get(k)]
    if facts.get("injury_severity") == "serious":
        found.append(_("seriously hurt (injury assessment)"))
    if found and not facts.get("shelter"):
        return _("the child is {dangers} and not yet in shelter (place_in_shelter)").format(
            dangers=_("; ").join(found)
        )
    return None


VIOLENCE_STOPPED_V2 = Guard(
    "violence_stopped_and_child_safe",
    N_(
        "the violence is stopped and, where the child is seriously hurt, threatened or unattended "
        "in danger, the child is in shelter"
    ),
    C_EMERGENCY,
    _stopped_and_sheltered,
)

WORKFLOW_V2 = report_workflow2(
    "suspected_abuse",
    WORKFLOW.en,
    measures=(
        measure(
            "stop_violence",
            N_("police stop the violence (依法制止), recording what shelter depends on"),
            data=tuple(
                FieldDef(k, "bool", required=True, description=words)
                for k, words in DANGERS.items()
            ),
            effect=_stopped,
        ),
        *evidence_measures_v2(),
        SHELTER,
    ),
    guards=(VIOLENCE_STOPPED_V2, BASIS_LAID),
    report_data=(DESCRIPTION,),
    description=WORKFLOW.description,
)
