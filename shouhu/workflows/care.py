"""Measures shared by the three guardianship types (001 §四(三)2, first sentences).

For a child living alone, a guardian without capacity, or a guardian who will not care, police
order the parents to return or designate an entrusted guardian; if the parents cannot be
reached, the child is escorted into temporary care (临时监护照料).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.workflows.spec import Facts, FieldDef, Guard, TransitionDef
from shouhu.workflows.spine import C_EMERGENCY, PLACEMENT_NOTICE, copies, measure
from shouhu.workflows.vocab import TEMPORARY_CARE_PLACEMENTS


def _child_in_care(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if (
        facts.get("parents_returned")
        or facts.get("entrusted_guardian")
        or facts.get("temporary_care")
    ):
        return None
    return (
        "the child is not yet in anyone's care: record parents_returned, "
        "designate_entrusted_guardian or place_in_temporary_care first"
    )


CHILD_IN_CARE = Guard(
    "child_in_care",
    "the child is in someone's care: parents returned, entrusted guardian, or temporary care",
    C_EMERGENCY,
    _child_in_care,
)


def care_measures(*, admonish: bool) -> tuple[TransitionDef, ...]:
    """The measures of the guardianship types; ``admonish`` adds 训诫 (solo living only)."""
    out = [
        measure(
            "order_parents_return", "police order the parents to return at once (责令立即返回)"
        ),
    ]
    if admonish:
        out.append(measure("admonish_parents", "police admonish the parents (训诫)"))
    out += [
        measure(
            "designate_entrusted_guardian",
            "an entrusted guardian is designated (确定受委托监护人)",
            data=(FieldDef("guardian_name", "name", required=True),),
            effect=copies(entrusted_guardian="guardian_name"),
        ),
        measure("parents_returned", "the parents have returned"),
        measure(
            "place_in_temporary_care",
            "the child is escorted into temporary care (护送临时监护照料)",
            data=(
                FieldDef("placement", "choice", required=True, choices=TEMPORARY_CARE_PLACEMENTS),
            ),
            effect=copies(temporary_care="placement"),
            notices=(PLACEMENT_NOTICE,),
        ),
    ]
    return tuple(out)
