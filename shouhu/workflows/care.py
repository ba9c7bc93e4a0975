"""Measures shared by the three guardianship types (001 §四(三)2, first sentences).

For a child living alone, a guardian without capacity, or a guardian who will not care, police
order the parents to return or designate an entrusted guardian; if the parents cannot be
reached, the child is escorted into temporary care (临时监护照料).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import Facts, FieldDef, Guard, TransitionDef
from shouhu.workflows.spine import C_EMERGENCY, FACT_STATES, PLACEMENT_NOTICE, copies, measure
from shouhu.workflows.vocab import TEMPORARY_CARE_PLACEMENTS


def _child_in_care(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if (
        facts.get("parents_returned")
        or facts.get("entrusted_guardian")
        or facts.get("temporary_care")
    ):
        return None
    return _(
        "the child is not yet in anyone's care: record parents_returned, "
        "designate_entrusted_guardian or place_in_temporary_care first"
    )


CHILD_IN_CARE = Guard(
    "child_in_care",
    N_("the child is in someone's care: parents returned, entrusted guardian, or temporary care"),
    C_EMERGENCY,
    _child_in_care,
)


def care_measures(*, admonish: bool) -> tuple[TransitionDef, ...]:
    """The measures of the guardianship types; ``admonish`` adds 训诫 (solo living only)."""
    out = [
        measure(
            "order_parents_return", N_("police order the parents to return at once (责令立即返回)")
        ),
    ]
    if admonish:
        out.append(measure("admonish_parents", N_("police admonish the parents (训诫)")))
    out += [
        measure(
            "designate_entrusted_guardian",
            N_("an entrusted guardian is designated (确定受委托监护人)"),
            data=(FieldDef("guardian_name", "name", required=True),),
            effect=copies(entrusted_guardian="guardian_name"),
        ),
        measure("parents_returned", N_("the parents have returned")),
        measure(
            "place_in_temporary_care",
            N_("the child is escorted into temporary care (护送临时监护照料)"),
            data=(
                FieldDef("placement", "choice", required=True, choices=TEMPORARY_CARE_PLACEMENTS),
            ),
            effect=copies(temporary_care="placement"),
            notices=(PLACEMENT_NOTICE,),
        ),
    ]
    return tuple(out)


# --- version 2 (issue 14) ------------------------------------------------------------------


def _care_v2(admonish: bool) -> Guard:
    def check(facts: Facts, data: Mapping[str, Any]) -> str | None:
        restored = facts.get("parents_returned") or facts.get("entrusted_guardian")
        if not restored:
            if facts.get("parents_unreachable") and facts.get("temporary_care"):
                return None  # 联系不上父母的: temporary care, and the parents are still sought
            return _(
                "the child is not yet in anyone's care: record parents_returned or "
                "designate_entrusted_guardian, or — if the parents cannot be reached — "
                "place_in_temporary_care"
            )
        if admonish and not (facts.get("order_parents_return") or facts.get("entrusted_guardian")):
            return _("the parents were not ordered to return (order_parents_return, 责令立即返回)")
        if admonish and not facts.get("admonish_parents"):
            return _("the parents have not been admonished (admonish_parents, 训诫)")
        return None

    description = (
        N_(
            "the child is in a guardian's care (parents returned or a guardian entrusted), or in "
            "temporary care because the parents cannot be reached; and the parents ordered back "
            "or a guardian entrusted, and admonished"
        )
        if admonish
        else N_(
            "the child is in a guardian's care (parents returned or a guardian entrusted), or in "
            "temporary care because the parents cannot be reached"
        )
    )
    return Guard(
        "child_in_care",
        description,
        C_EMERGENCY,
        check,
    )


#: A child living alone: 责令其父母立即返回或确定受委托监护人,并对父母进行训诫.
CHILD_IN_CARE_ADMONISHED = _care_v2(admonish=True)
#: A guardian without capacity or who will not care: 联系…父母立即返回或委托其他亲属监护照料.
CHILD_IN_CARE_V2 = _care_v2(admonish=False)


def _placed(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"temporary_care": data["placement"], "parents_unreachable": True}


def care_measures_v2(*, admonish: bool) -> tuple[TransitionDef, ...]:
    """Version 2: temporary care is the measure for parents who cannot be reached (上述两种情形
    联系不上农村留守儿童父母的), and placing the child there records that they could not be; it
    does not end the search for a guardian: the parents are told and a guardian designated
    later, in any open state (协助通知农村留守儿童父母立即返回或重新确定受委托监护人)."""
    later = {"sources": FACT_STATES}  # measures still, recorded in any open state after dispatch
    out: list[TransitionDef] = []
    for m in care_measures(admonish=admonish):
        if m.trigger in ("designate_entrusted_guardian", "parents_returned"):
            m = replace(m, **later)  # type: ignore[arg-type]
        elif m.trigger == "place_in_temporary_care":
            m = replace(
                m,
                label=N_(
                    "the parents cannot be reached: the child is escorted into temporary care "
                    "(联系不上父母的,护送临时监护照料)"
                ),
                effect=_placed,
            )
        out.append(m)
    return (
        *out,
        replace(
            measure(
                "notify_parents",
                N_(
                    "police help tell the parents to return at once or to designate a guardian "
                    "(协助通知父母立即返回或重新确定受委托监护人)"
                ),
            ),
            **later,  # type: ignore[arg-type]
        ),
    )
