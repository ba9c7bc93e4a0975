"""The spine's second definition: the law as written (issue 14). Version 1 stays for replay.

What changes from version 1, each with its clause:

- The township is told when the police **accept** the report (at ``dispatch``) and when they
  dismiss it, with the reason's kind, as well as after the handling (001 §四(三)2: 公安机关要将
  受理报告及应急处置等相关情况及时通报乡镇人民政府(街道办事处)).
- The assessment records the bodies that took part (001 §四(三)3: 会同民政、公安 … 等有关部门).
- The grounds for revoking a guardian are data (:data:`GROUNDS`): the three of 001 §四(三)4,
  each checked as its words say, and the three of Civil Code Art. 36 para 1. The facts they
  need are recorded where they are learnt. The petitioners are those of 001 §四(三)4 and of
  Civil Code Art. 36 para 2; a body that finds a ground holds records it
  (``record_ground_found``), which starts the pack's period for others to petition before
  county civil affairs must (Art. 36 para 3).
- The court records whether the guardian's crime against the child was intentional; a former
  guardian may later petition for restoration, which the court may grant (Civil Code Art. 38).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.reporting import COMMEND_REPORTER
from shouhu.workflows.spec import (
    DataRule,
    Facts,
    FieldDef,
    Ground,
    Guard,
    NoticeDef,
    Requirement,
    TransitionDef,
    WorkflowDef,
)
from shouhu.workflows.spine import (
    C_EMERGENCY,
    C_INTERVENE,
    FACT_ROLES,
    FACT_STATES,
    copies,
    report_workflow,
    sets,
    spine,
)
from shouhu.workflows.vocab import (
    ASSESSMENT_BODIES,
    DISMISSAL_REASONS,
    GUARDIAN_RELATIONS,
    HARM_ACTS,
    INJURY_SEVERITIES,
    PERPETRATOR_RELATIONS,
    PETITIONERS,
    RESTORATION_OUTCOMES,
)

C_ART36 = "Civil Code Art. 36 (《民法典》第三十六条)"
C_ART38 = "Civil Code Art. 38 (《民法典》第三十八条)"
C_PETITION = f"{C_INTERVENE}; {C_ART36}"

_SERIOUS_HARM = Requirement(
    "injury_severity",
    N_(
        "serious harm to body or mind (record_injury_assessment or "
        "record_psychological_assessment, severity serious)"
    ),
    values=("serious",),
    any_of=("psychological_harm",),
)
_BY_GUARDIAN = Requirement(
    "perpetrator",
    N_("the harm done by the guardian, a parent or an entrusted guardian (record_perpetrator)"),
    values=GUARDIAN_RELATIONS,
)
_IN_DANGER = Requirement(
    "unsupervised_in_danger",
    N_("the child left unsupervised and in danger (record_unsupervised_danger)"),
    any_of=("unattended_in_danger",),
)

#: The grounds for revoking a guardian, as the texts say them.
GROUNDS: tuple[Ground, ...] = (
    Ground(
        "unsupervised_danger_uncorrected",
        "(a)",
        f"{C_INTERVENE} (a)",
        "监护人将农村留守儿童置于无人监管和照看状态导致其面临危险且经教育不改的",
        (
            _IN_DANGER,
            Requirement("education_given", N_("the guardian educated (education_given)")),
            Requirement(
                "refused_to_correct", N_("the guardian unchanged after it (refused_to_correct)")
            ),
        ),
    ),
    Ground(
        "nonperformance_six_months",
        "(b)",
        f"{C_INTERVENE} (b)",
        "拒不履行监护职责六个月以上导致农村留守儿童生活无着的",
        (
            Requirement(
                "nonperformance_matured",
                N_(
                    "six months or more of refused duties (record_nonperformance; refused since "
                    "{nonperformance_since}, holds from {nonperformance_matures_at})"
                ),
            ),
            Requirement(
                "no_means_of_living",
                N_(
                    "a finding that the child was left without means of living, 生活无着 "
                    "(record_no_means_of_living)"
                ),
            ),
        ),
    ),
    Ground(
        "serious_harm",
        "(c)",
        f"{C_INTERVENE} (c)",
        "实施家庭暴力、虐待或遗弃农村留守儿童导致其身心健康严重受损的",
        (
            _BY_GUARDIAN,
            Requirement(
                "harm_act",
                N_("domestic violence, abuse or abandonment (record_perpetrator)"),
                values=("domestic_violence", "abuse", "abandonment"),
            ),
            _SERIOUS_HARM,
        ),
    ),
    Ground(
        "art36_serious_harm",
        "Art. 36(1)",
        f"{C_ART36} para 1 (1)",
        "实施严重损害被监护人身心健康的行为",
        (_BY_GUARDIAN, _SERIOUS_HARM),
    ),
    Ground(
        "art36_distress",
        "Art. 36(2)",
        f"{C_ART36} para 1 (2)",
        "怠于履行监护职责，或者无法履行监护职责且拒绝将监护职责部分或者全部委托给他人，"
        "导致被监护人处于危困状态",
        (
            Requirement(
                "guardian_neglect",
                N_(
                    "the guardian neglecting the duties or refusing to entrust them "
                    "(record_guardian_neglect)"
                ),
            ),
            Requirement(
                "no_means_of_living",
                N_(
                    "the child in distress, 危困状态 (record_no_means_of_living or "
                    "record_unsupervised_danger)"
                ),
                any_of=("unsupervised_in_danger", "unattended_in_danger"),
            ),
        ),
    ),
    Ground(
        "art36_serious_infringement",
        "Art. 36(3)",
        f"{C_ART36} para 1 (3)",
        "实施严重侵害被监护人合法权益的其他行为",
        (
            Requirement(
                "serious_infringement",
                N_(
                    "another act seriously infringing the child's rights "
                    "(record_serious_infringement)"
                ),
            ),
        ),
    ),
)


def grounds_guard(grounds: tuple[Ground, ...]) -> Guard:
    """The guard on a petition: the ground it names holds on the record."""
    by_name = {g.name: g for g in grounds}

    def check(facts: Facts, data: Mapping[str, Any]) -> str | None:
        ground = by_name.get(str(data.get("ground")))
        if ground is None:
            return _("unknown ground {ground}").format(ground=repr(data.get("ground")))
        return ground.unmet(facts)

    return Guard(
        "ground_holds",
        N_("the ground the petition names holds on the record, as its clause says"),
        C_PETITION,
        check,
    )


GROUND_HOLDS = grounds_guard(GROUNDS)

#: Police tell the township they accepted the report (001 §四(三)2: 将受理报告…及时通报).
REPORT_ACCEPTED = NoticeDef(
    "report_accepted",
    "{township} township government (乡镇人民政府/街道办事处)",
    f"{C_EMERGENCY} — 将受理报告…及时通报乡镇人民政府(街道办事处)",
)
#: … and that they closed it, with the reason's kind (the free text stays in the record).
REPORT_DISMISSED = NoticeDef(
    "report_dismissed",
    "{township} township government (乡镇人民政府/街道办事处)",
    f"{C_EMERGENCY} — 将受理报告…及时通报乡镇人民政府(街道办事处)",
    carries=("reason_kind",),
)


def fact(
    trigger: str,
    label: str,
    effect: Any,
    *,
    data: tuple[FieldDef, ...] = (),
    citation: str = C_PETITION,
) -> TransitionDef:
    """A fact behind a ground, recorded where it is learnt (dispatched … intervening)."""
    return TransitionDef(
        trigger,
        FACT_STATES,
        None,
        FACT_ROLES,
        citation,
        label,
        data=data,
        effect=effect,
        kind="fact",
    )


def _restorable(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if facts.get("court_outcome") != "revoked":
        return _("the guardian's qualification has not been revoked (record_court_decision)")
    if facts.get("intentional_crime"):
        return _(
            "the guardian committed an intentional crime against the child (对被监护人实施故意犯罪)"
        )
    return None


RESTORABLE = Guard(
    "restorable",
    N_("the guardianship was revoked, and not for an intentional crime against the child"),
    C_ART38,
    _restorable,
)


def _restoration_pending(facts: Facts, data: Mapping[str, Any]) -> str | None:
    return None if facts.get("restoration_petitioned") else _("no petition for restoration")


def _wishes_heard(data: Mapping[str, Any]) -> str | None:
    if data.get("outcome") == "restored" and data.get("child_wishes_heard") is not True:
        return _("restoration needs the child's true wishes heard (尊重被监护人真实意愿)")
    return None


def _restoration_decided(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    restored = data.get("outcome") == "restored"
    out: dict[str, Any] = {"restoration_petitioned": False, "restoration_outcome": data["outcome"]}
    if restored:  # 人民法院指定的监护人与被监护人的监护关系同时终止
        out |= {"court_outcome": "restored", "new_guardian": None}
    return out


def _perpetrator(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"perpetrator": data["relation"], "harm_act": data["act"]}


GROUND_FACTS: tuple[TransitionDef, ...] = (
    fact(
        "record_unsupervised_danger",
        N_("the child was left unsupervised and uncared for and faced danger (ground a)"),
        sets(unsupervised_in_danger=True),
        data=(FieldDef("description", "text", required=True, description=N_("the danger")),),
    ),
    fact(
        "record_no_means_of_living",
        N_("the child was left without means of living, 生活无着 (ground b)"),
        sets(no_means_of_living=True),
    ),
    fact(
        "record_perpetrator",
        N_("who did the harm, and what was done (ground c: by the guardian)"),
        _perpetrator,
        data=(
            FieldDef("relation", "choice", required=True, choices=PERPETRATOR_RELATIONS),
            FieldDef("act", "choice", required=True, choices=HARM_ACTS),
        ),
    ),
    fact(
        "record_psychological_assessment",
        N_("a psychological assessment of the harm to the child's mind (身心健康, ground c)"),
        copies(psychological_harm="severity"),
        data=(FieldDef("severity", "choice", required=True, choices=INJURY_SEVERITIES),),
    ),
    fact(
        "record_guardian_neglect",
        N_("the guardian neglects the duties, or cannot perform them and refuses to entrust them"),
        sets(guardian_neglect=True),
    ),
    fact(
        "record_serious_infringement",
        N_("the guardian did another act seriously infringing the child's rights"),
        sets(serious_infringement=True),
        data=(FieldDef("description", "text", required=True, description=N_("the act")),),
    ),
)


def spine2(complete_emergency_guards: tuple[Guard, ...]) -> tuple[TransitionDef, ...]:
    """Version 2 of the spine: version 1's rows, changed where the law asks, and the new ones."""
    changed: dict[str, dict[str, Any]] = {
        "dispatch": {"notices": (REPORT_ACCEPTED,)},
        "dismiss": {
            "data": (
                FieldDef("reason_kind", "choice", required=True, choices=DISMISSAL_REASONS),
                FieldDef("reason", "text", required=True, description=N_("why, in words")),
            ),
            "effect": copies(dismissal_reason="reason", dismissal_reason_kind="reason_kind"),
            "notices": (REPORT_DISMISSED,),
        },
        "petition_revocation": {
            "roles": PETITIONERS,
            "citation": C_PETITION,
            "data": (FieldDef("ground", "choice", required=True, choices=_names()),),
            "guards": (GROUND_HOLDS,),
        },
    }
    rows: list[TransitionDef] = []
    for t in spine(complete_emergency_guards):
        if t.trigger == "complete_assessment":
            participants = FieldDef(
                "participants",
                "choices",
                required=True,
                choices=tuple(ASSESSMENT_BODIES),
                description=N_("the bodies that took part (会同有关部门)"),
            )
            base = t.effect
            assert base is not None

            def assessed(facts: Facts, data: Mapping[str, Any], base: Any = base) -> Any:
                return {**base(facts, data), "assessment_participants": data["participants"]}

            t = replace(t, data=(*t.data, participants), effect=assessed)
        elif t.trigger == "record_court_decision":
            crime = FieldDef(
                "intentional_crime",
                "bool",
                description=N_(
                    "the guardian committed an intentional crime against the child "
                    "(Civil Code Art. 38: no restoration)"
                ),
            )
            t = replace(
                t,
                data=(*t.data, crime),
                effect=copies(
                    court_outcome="outcome",
                    new_guardian="new_guardian",
                    intentional_crime="intentional_crime",
                ),
            )
        elif t.trigger in changed:
            t = replace(t, **changed[t.trigger])
        rows.append(t)
    return (
        *rows,
        COMMEND_REPORTER,  # 001 §四(三)1: 其他公民、社会组织积极向公安机关报告的…表扬和奖励
        *GROUND_FACTS,
        TransitionDef(
            "record_ground_found",
            ("assessed", "assisting", "intervening"),
            None,
            ("police", "township", "civil_affairs", "village_committee"),
            f"{C_ART36} para 3",
            N_(
                "a body finds that a ground for revoking the guardian holds: the period for others "
                "to petition starts, after which county civil affairs must petition "
                "(民政部门应当向人民法院申请)"
            ),
            data=(FieldDef("ground", "choice", required=True, choices=_names()),),
            guards=(GROUND_HOLDS,),
            effect=copies(ground_found="ground"),
            kind="fact",
        ),
        TransitionDef(
            "petition_restoration",
            ("assisting", "intervening"),
            None,
            ("close_relative",),
            C_ART38,
            N_(
                "the former guardian petitions the court to restore the guardianship "
                "(恢复监护人资格)"
            ),
            guards=(RESTORABLE,),
            effect=sets(restoration_petitioned=True),
            kind="fact",
        ),
        TransitionDef(
            "record_restoration_decision",
            ("assisting", "intervening"),
            None,
            ("court",),
            C_ART38,
            N_("the court decides on restoration; if restored, the appointed guardian's role ends"),
            data=(
                FieldDef("outcome", "choice", required=True, choices=RESTORATION_OUTCOMES),
                FieldDef("child_wishes_heard", "bool", description=N_("尊重被监护人真实意愿")),
            ),
            guards=(
                Guard(
                    "restoration_pending",
                    N_("a restoration petition is pending"),
                    C_ART38,
                    _restoration_pending,
                ),
            ),
            rules=(DataRule("the child's wishes heard when restored", _wishes_heard),),
            effect=_restoration_decided,
            kind="fact",
        ),
    )


def _names() -> tuple[str, ...]:
    return tuple(g.name for g in GROUNDS)


def report_workflow2(
    type_: str,
    en: str,
    *,
    measures: tuple[TransitionDef, ...],
    guards: tuple[Guard, ...],
    report_data: tuple[FieldDef, ...] = (),
    report_effect: Any = None,
    description: str = "",
) -> WorkflowDef:
    """A report type's second definition: :func:`spine2`, the grounds, its measures."""
    return report_workflow(
        type_,
        en,
        measures=measures,
        guards=guards,
        report_data=report_data,
        report_effect=report_effect,
        description=description,
        version=2,
        build=spine2,
        grounds=GROUNDS,
    )
