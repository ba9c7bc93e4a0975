"""Measures shared by abuse and harm reports: evidence, medical care, injury assessment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import Facts, FieldDef, Guard, TransitionDef
from shouhu.workflows.spine import C_EMERGENCY, copies, measure
from shouhu.workflows.vocab import EVIDENCE_MEASURES, INJURY_SEVERITIES

DESCRIPTION = FieldDef("description", "text", description=N_("what was seen or heard"))


def evidence_measures() -> tuple[TransitionDef, ...]:
    """Collect evidence, help the child to medical care and an injury assessment (伤情鉴定)."""
    return (
        measure("collect_evidence", N_("police collect evidence (调查取证)")),
        measure("arrange_medical_care", N_("police help the child get medical care (协助就医)")),
        measure(
            "record_injury_assessment",
            N_("the injury assessment is recorded (鉴定伤情)"),
            data=(FieldDef("severity", "choice", required=True, choices=INJURY_SEVERITIES),),
            effect=copies(injury_severity="severity"),
        ),
    )


# --- version 2 (issue 14) ------------------------------------------------------------------


def _not_taken(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"not_taken": {**facts.get("not_taken", {}), data["measure"]: data["reason"]}}


def _laid(facts: Facts, data: Mapping[str, Any]) -> str | None:
    done = {
        "collect_evidence": facts.get("collect_evidence"),
        "arrange_medical_care": facts.get("arrange_medical_care"),
        "record_injury_assessment": facts.get("injury_severity") is not None,
    }
    waived = facts.get("not_taken", {})
    missing = [m for m in EVIDENCE_MEASURES if not done[m] and m not in waived]
    if not missing:
        return None
    return _(
        "evidence, medical care and an injury assessment lay the basis for intervention; not "
        "yet recorded, nor recorded as not taken with a reason: {measures}"
    ).format(measures=", ".join(missing))


#: 对于上述两种情形,要按照有关规定调查取证,协助其就医、鉴定伤情,为进一步采取干预措施…打下基础.
BASIS_LAID = Guard(
    "basis_laid",
    N_(
        "evidence collected, medical care and an injury assessment recorded, or each recorded as "
        "not taken with the reason"
    ),
    f"{C_EMERGENCY} — 调查取证,协助其就医、鉴定伤情",
    _laid,
)


def evidence_measures_v2() -> tuple[TransitionDef, ...]:
    """Version 2: each of the three measures, or a recorded reason it was not taken."""
    return (
        *evidence_measures(),
        measure(
            "record_measure_not_taken",
            N_("a measure was not taken, and why (e.g. no injury to assess)"),
            data=(
                FieldDef("measure", "choice", required=True, choices=EVIDENCE_MEASURES),
                FieldDef("reason", "text", required=True, description=N_("why not")),
            ),
            effect=_not_taken,
        ),
    )
