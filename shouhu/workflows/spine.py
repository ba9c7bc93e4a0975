"""The spine every report type shares, and the builder that adds a type's emergency measures.

States, in order: reported → dispatched → emergency_handled → township_notified → assessing →
assessed → assisting | intervening → petitioned → closed (001 §四(三)1–4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import (
    DataRule,
    Effect,
    Facts,
    FieldDef,
    Ground,
    Guard,
    NoticeDef,
    StateDef,
    TransitionDef,
    WorkflowDef,
)
from shouhu.workflows.system import rest_days_rejudged
from shouhu.workflows.vocab import (
    COURT_OUTCOMES,
    REPORT_TYPES,
    REVOCATION_GROUNDS,
    RISK_LEVELS,
    SANCTIONS,
    SERVICES,
)

C_REPORT = "001 §四(三)1"
C_EMERGENCY = "001 §四(三)2"
C_ASSESS = "001 §四(三)3"
C_INTERVENE = "001 §四(三)4"

STATES: tuple[StateDef, ...] = (
    StateDef("reported", "已报告", "Reported"),
    StateDef("dispatched", "已出警", "Police dispatched"),
    StateDef("emergency_handled", "应急处置完成", "Emergency handled"),
    StateDef("township_notified", "已通报乡镇", "Township notified"),
    StateDef("assessing", "调查评估中", "Assessing"),
    StateDef("assessed", "已评估", "Assessed"),
    StateDef("assisting", "帮扶中", "Assisting"),
    StateDef("intervening", "监护干预中", "Guardianship intervention"),
    StateDef("petitioned", "已申请撤销监护资格", "Revocation petitioned"),
    StateDef("closed", "已结案", "Closed", final=True),
)
OPEN_STATES: tuple[str, ...] = tuple(s.name for s in STATES if not s.final)
#: Where the facts behind the revocation grounds may be recorded (dispatched … intervening).
FACT_STATES: tuple[str, ...] = (
    "dispatched",
    "emergency_handled",
    "township_notified",
    "assessing",
    "assessed",
    "assisting",
    "intervening",
)

POLICE = ("police",)

#: Police tell the township of the report and the handling (001 §四(三)2, last sentence).
TOWNSHIP_NOTICE = NoticeDef(
    "township_notice", "{township} township government (乡镇人民政府/街道办事处)", C_EMERGENCY
)
#: Civil affairs receive children escorted into temporary care or shelter (001 §四(三)2; 004).
PLACEMENT_NOTICE = NoticeDef(
    "placement", "county civil affairs (县级民政部门)", "001 §四(三)2; 004 — 接收安置"
)
FACT_ROLES = ("police", "township", "civil_affairs", "village_committee")


def sets(**values: Any) -> Effect:
    """An effect that records fixed facts."""

    def effect(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return values

    return effect


def copies(**mapping: str) -> Effect:
    """An effect that records data values as facts: ``copies(fact="data_key")``."""

    def effect(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return {fact: data.get(key) for fact, key in mapping.items()}

    return effect


def appends(fact: str, key: str) -> Effect:
    """An effect that appends a data value to a list fact."""

    def effect(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return {fact: [*facts.get(fact, []), data[key]]}

    return effect


def measure(
    trigger: str,
    label: str,
    *,
    data: tuple[FieldDef, ...] = (),
    effect: Effect | None = None,
    roles: tuple[str, ...] = POLICE,
    citation: str = C_EMERGENCY,
    notices: tuple[NoticeDef, ...] = (),
) -> TransitionDef:
    """An emergency measure: recorded while the case stays ``dispatched``."""
    return TransitionDef(
        trigger,
        ("dispatched",),
        None,
        roles,
        citation,
        label,
        data=data,
        effect=effect if effect is not None else sets(**{trigger: True}),
        kind="measure",
        notices=notices,
    )


# --- guards -------------------------------------------------------------------------------


def _ground_holds(facts: Facts, data: Mapping[str, Any]) -> str | None:
    ground = data.get("ground")
    if ground == "unsupervised_danger_uncorrected":
        missing = [k for k in ("education_given", "refused_to_correct") if not facts.get(k)]
        if missing:
            return _(
                "ground (a) needs the guardian to have been educated and to have refused to "
                "correct; not yet recorded: {facts}"
            ).format(facts=", ".join(missing))
        return None
    if ground == "nonperformance_six_months":
        if facts.get("nonperformance_matured"):
            return None
        since = facts.get("nonperformance_since")
        if not since:
            return _("ground (b) needs a recorded refusal of duties (record_nonperformance)")
        holds_from = facts.get("nonperformance_matures_at")
        if holds_from:
            return _(
                "ground (b) needs six months or more of refused duties; refused since {since}, "
                "not yet matured; it holds from {holds_from}"
            ).format(since=since, holds_from=holds_from)
        return _(
            "ground (b) needs six months or more of refused duties; refused since {since}, "
            "not yet matured"
        ).format(since=since)
    if ground == "serious_harm":
        if facts.get("injury_severity") == "serious":
            return None
        return _("ground (c) needs an injury assessment recorded as serious")
    return _("unknown ground {ground}").format(ground=repr(ground))


GROUND_HOLDS = Guard(
    "ground_holds",
    N_("the petition's ground for revoking guardianship holds"),
    C_INTERVENE,
    _ground_holds,
)


def _new_guardian_when_revoked(data: Mapping[str, Any]) -> str | None:
    if data.get("outcome") == "revoked" and not data.get("new_guardian"):
        return _("new_guardian is required when the outcome is revoked (另行指定监护人)")
    return None


# --- spine --------------------------------------------------------------------------------


def spine(complete_emergency_guards: tuple[Guard, ...]) -> tuple[TransitionDef, ...]:
    """The spine's transitions with the type's guard on ``complete_emergency``."""
    risk = tuple(
        FieldDef(name, "choice", required=True, choices=RISK_LEVELS, description=desc)
        for name, desc in (
            ("safety", N_("safety situation (安全处境)")),
            ("guardianship", N_("guardianship situation (监护情况)")),
            ("health", N_("physical and mental health (身心健康状况)")),
        )
    )
    return (
        TransitionDef(
            "dispatch",
            ("reported",),
            "dispatched",
            POLICE,
            C_EMERGENCY,
            N_("police accept the report and dispatch at once (第一时间出警)"),
        ),
        TransitionDef(
            "dismiss",
            ("reported", "dispatched"),
            "closed",
            POLICE,
            C_EMERGENCY,
            N_("police find the report unfounded and close it"),
            data=(
                FieldDef("reason", "text", required=True, description=N_("why it is unfounded")),
            ),
            effect=copies(dismissal_reason="reason"),
            outcome="unfounded",
        ),
        TransitionDef(
            "complete_emergency",
            ("dispatched",),
            "emergency_handled",
            POLICE,
            C_EMERGENCY,
            N_("emergency handling is complete (应急处置)"),
            guards=complete_emergency_guards,
        ),
        TransitionDef(
            "notify_township",
            ("emergency_handled",),
            "township_notified",
            POLICE,
            C_EMERGENCY,
            N_("police notify the township of the report and the handling (及时通报乡镇)"),
            notices=(TOWNSHIP_NOTICE,),
        ),
        TransitionDef(
            "start_assessment",
            ("township_notified",),
            "assessing",
            ("township",),
            C_ASSESS,
            N_("the township opens a multi-agency assessment and its file (评估档案)"),
        ),
        TransitionDef(
            "complete_assessment",
            ("assessing",),
            "assessed",
            ("township",),
            C_ASSESS,
            N_("the assessment of safety, guardianship and health is complete"),
            data=risk,
            effect=copies(safety="safety", guardianship="guardianship", health="health"),
        ),
        TransitionDef(
            "arrange_assistance",
            ("assessed",),
            "assisting",
            ("township", "civil_affairs"),
            C_ASSESS,
            N_("targeted services are arranged (有针对性地安排专业服务)"),
            data=(FieldDef("services", "choices", required=True, choices=SERVICES),),
            effect=copies(services="services"),
        ),
        TransitionDef(
            "start_intervention",
            ("assessed", "assisting"),
            "intervening",
            ("police", "civil_affairs"),
            C_INTERVENE,
            N_("guardianship intervention begins (监护干预)"),
        ),
        TransitionDef(
            "police_sanction",
            ("intervening",),
            None,
            POLICE,
            C_INTERVENE,
            N_("police criticise and educate, penalise, or open a criminal case"),
            data=(FieldDef("kind", "choice", required=True, choices=SANCTIONS),),
            effect=appends("sanctions", "kind"),
        ),
        TransitionDef(
            "petition_revocation",
            ("intervening",),
            "petitioned",
            ("civil_affairs", "village_committee", "close_relative"),
            C_INTERVENE,
            N_("a petition to the court to revoke the guardian (申请撤销监护人资格)"),
            data=(FieldDef("ground", "choice", required=True, choices=REVOCATION_GROUNDS),),
            guards=(GROUND_HOLDS,),
            effect=copies(petition_ground="ground"),
        ),
        *(
            TransitionDef(
                "record_court_decision",
                ("petitioned",),
                dest,
                ("court",),
                C_INTERVENE,
                N_("the court decides on the petition (另行指定监护人 when revoked)"),
                data=(
                    FieldDef("outcome", "choice", required=True, choices=COURT_OUTCOMES),
                    FieldDef("new_guardian", "name", description=N_("required when revoked")),
                ),
                rules=(DataRule("new_guardian when revoked", _new_guardian_when_revoked),),
                when=("outcome", outcome),
                effect=copies(court_outcome="outcome", new_guardian="new_guardian"),
            )
            for outcome, dest in zip(COURT_OUTCOMES, ("assisting", "intervening"), strict=True)
        ),
        TransitionDef(
            "close",
            ("assessed", "assisting", "intervening"),
            "closed",
            ("township",),
            C_ASSESS,
            N_("the township closes the case"),
            data=(FieldDef("summary", "text", description=N_("closing summary")),),
            effect=copies(closing_summary="summary"),
            outcome="resolved",
        ),
        # Facts behind the revocation grounds (001 §四(三)4), recorded where they are learnt.
        TransitionDef(
            "education_given",
            FACT_STATES,
            None,
            FACT_ROLES,
            C_INTERVENE,
            N_("the guardian was criticised and educated (ground a, first half)"),
            effect=sets(education_given=True),
            kind="fact",
        ),
        TransitionDef(
            "refused_to_correct",
            FACT_STATES,
            None,
            FACT_ROLES,
            C_INTERVENE,
            N_("the guardian did not change after education (ground a, second half)"),
            effect=sets(refused_to_correct=True),
            kind="fact",
        ),
        TransitionDef(
            "record_nonperformance",
            FACT_STATES,
            None,
            FACT_ROLES,
            C_INTERVENE,
            N_("the guardian refuses to perform guardianship duties since a date (ground b)"),
            data=(FieldDef("since", "date", required=True, description=N_("refusing since")),),
            effect=lambda facts, data: {
                "nonperformance_since": data["since"],
                "nonperformance_matured": False,
            },
            kind="fact",
        ),
        TransitionDef(
            "guardian_resumed_duties",
            FACT_STATES,
            None,
            FACT_ROLES,
            C_INTERVENE,
            N_("the guardian resumed their duties: the six-month count stops"),
            effect=sets(
                nonperformance_since=None,
                nonperformance_matured=False,
                nonperformance_matures_at=None,
            ),
            kind="fact",
        ),
        # The scheduler's events (role system only).
        TransitionDef(
            "nonperformance_six_months",
            OPEN_STATES,
            None,
            ("system",),
            C_INTERVENE,
            N_(
                "six months of refused duties have run: ground (b) holds "
                "(拒不履行监护职责六个月以上)"
            ),
            data=(
                FieldDef("due_at", "datetime", required=True),
                FieldDef("notify", "text", max_length=200),
            ),
            effect=sets(nonperformance_matured=True),
            kind="system",
            notices=(NoticeDef("ground_matured", "{notify}", C_INTERVENE),),
        ),
        TransitionDef(
            "deadline_missed",
            OPEN_STATES,
            None,
            ("system",),
            C_REPORT,
            N_("a duty's deadline passed unmet; the supervising body is told"),
            data=(
                FieldDef("kind", "text", required=True, max_length=64),
                FieldDef("due_at", "datetime", required=True),
                FieldDef("notify", "text", max_length=200),
            ),
            kind="system",
            notices=(NoticeDef("deadline_missed", "{notify}", C_REPORT),),
        ),
        rest_days_rejudged(OPEN_STATES),
    )


def report_workflow(
    type_: str,
    en: str,
    *,
    measures: tuple[TransitionDef, ...],
    guards: tuple[Guard, ...],
    report_data: tuple[FieldDef, ...] = (),
    report_effect: Effect | None = None,
    description: str = "",
    version: int = 1,
    build: Callable[[tuple[Guard, ...]], tuple[TransitionDef, ...]] | None = None,
    grounds: tuple[Ground, ...] = (),
) -> WorkflowDef:
    """A report type's workflow: the spine (``build``, default version 1's), its measures and
    its ``complete_emergency`` guard."""
    return WorkflowDef(
        type=type_,
        version=version,
        zh=REPORT_TYPES[type_],
        en=en,
        citation=C_REPORT,
        states=STATES,
        initial="reported",
        transitions=(*(build or spine)(guards), *measures),
        report_data=report_data,
        report_effect=report_effect,
        description=description,
        grounds=grounds,
    )
