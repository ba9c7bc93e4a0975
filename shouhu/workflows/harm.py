"""Measures shared by abuse and harm reports: evidence, medical care, injury assessment."""

from __future__ import annotations

from shouhu.workflows.spec import FieldDef, TransitionDef
from shouhu.workflows.spine import copies, measure
from shouhu.workflows.vocab import INJURY_SEVERITIES

DESCRIPTION = FieldDef("description", "text", description="what was seen or heard")


def evidence_measures() -> tuple[TransitionDef, ...]:
    """Collect evidence, help the child to medical care and an injury assessment (伤情鉴定)."""
    return (
        measure("collect_evidence", "police collect evidence (调查取证)"),
        measure("arrange_medical_care", "police help the child get medical care (协助就医)"),
        measure(
            "record_injury_assessment",
            "the injury assessment is recorded (鉴定伤情)",
            data=(FieldDef("severity", "choice", required=True, choices=INJURY_SEVERITIES),),
            effect=copies(injury_severity="severity"),
        ),
    )
