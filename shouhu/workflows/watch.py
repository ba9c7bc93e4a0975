"""The ledger's watches: one case per registered person (台账, 一人一档), driven like a report.

- ``child_watch`` — a rural left-behind child (001, opening paragraph; 001 §四(二)2): the
  village committee visits at least once a month, the township updates the ledger at least
  once a quarter; the watch closes by itself the day after the 16th birthday.
- ``woman_watch`` — a rural left-behind woman (002 §一; 002 §(六)): kept in a ledger with
  dynamic updates; contacts and referrals to services.
- ``elderly_watch`` — a rural left-behind elder (000 §三五): regular visits (定期探访).

Two states each: ``on_ledger`` (在册) and ``off_ledger`` (已出册, final). The first event is
``register`` (not ``report``); its data are the watch's ``report_data``. Standing duties are
deadline rules of the policy pack (``monthly_visit``, ``quarterly_update``, ``regular_visit``,
``turns_16``); a missed one is recorded by the scheduler as ``deadline_missed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.i18n import N_
from shouhu.workflows.spec import (
    Effect,
    Eligibility,
    Facts,
    FieldDef,
    NoticeDef,
    StateDef,
    TransitionDef,
    WorkflowDef,
)
from shouhu.workflows.spine import copies
from shouhu.workflows.system import rest_days_rejudged
from shouhu.workflows.vocab import (
    PARENTS_AWAY,
    REPORT_TYPES,
    WATCH_TYPES,
    WOMEN_SERVICES,
)

C_CHILD = "001 §四(二)2"
C_CHILD_DEF = "001, opening paragraph — 不满十六周岁"
C_REPORT = "001 §四(三)1"
C_WOMAN = "002 §(六)"
C_WOMAN_DEF = "002 §一"
C_WOMAN_SERVICES = "002 §(一)–(五)"
C_ELDERLY = "000 §三五"
C_ELDER_AGE = "老年人权益保障法 第二条 — 六十周岁以上"

STATES: tuple[StateDef, ...] = (
    StateDef("on_ledger", "在册", "On the ledger"),
    StateDef("off_ledger", "已出册", "Off the ledger", final=True),
)
OPEN = ("on_ledger",)
REGISTRARS = ("village_committee", "township")
NOTES = FieldDef("notes", "text", description=N_("what was found (no one's id number)"))


def counts(fact: str) -> Effect:
    """An effect that counts how often a trigger happened."""

    def effect(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return {fact: int(facts.get(fact, 0)) + 1}

    return effect


def _visit(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    out: dict[str, Any] = {"visits": int(facts.get("visits", 0)) + 1}
    out["guardian_present_at_last_visit"] = data.get("guardian_present")
    if data.get("concerns"):
        out["concerns_at_last_visit"] = data["concerns"]
    return out


def _report_raised(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"reports": [*facts.get("reports", []), data["report_case"]]}


def _referred(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"referrals": [*facts.get("referrals", []), data["service"]]}


def _update(trigger: str, citation: str) -> TransitionDef:
    return TransitionDef(
        trigger,
        OPEN,
        None,
        ("township",),
        citation,
        N_("the township updates the person's file in the ledger (台账动态更新)"),
        data=(NOTES,),
        effect=counts("ledger_updates"),
    )


def _closing(
    trigger: str, label: str, citation: str, outcome: str, roles: tuple[str, ...] = REGISTRARS
) -> TransitionDef:
    return TransitionDef(
        trigger,
        OPEN,
        "off_ledger",
        roles,
        citation,
        label,
        data=(NOTES,),
        outcome=outcome,
    )


def _ages_out(trigger: str, citation: str, label: str) -> TransitionDef:
    """The scheduler's event when a child reaches the age the pack's maturity ``trigger``
    counts to: the watch closes (``aged_out``)."""
    return TransitionDef(
        trigger,
        OPEN,
        "off_ledger",
        ("system",),
        citation,
        label,
        data=(
            FieldDef("due_at", "datetime", required=True),
            FieldDef("notify", "text", max_length=200),
        ),
        outcome="aged_out",
        kind="system",
    )


def _missed(citation: str) -> TransitionDef:
    return TransitionDef(
        "deadline_missed",
        OPEN,
        None,
        ("system",),
        citation,
        N_("a standing duty's period passed unmet; the supervising body is told"),
        data=(
            FieldDef("kind", "text", required=True, max_length=64),
            FieldDef("due_at", "datetime", required=True),
            FieldDef("notify", "text", max_length=200),
        ),
        kind="system",
        notices=(NoticeDef("deadline_missed", "{notify}", citation),),
    )


def _child_facts(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        "parents_away": data.get("parents_away"),
        "guardian": data.get("guardian"),
        "agreement_signed": bool(data.get("agreement_signed")),
    }


CHILD_WATCH = WorkflowDef(
    type="child_watch",
    version=1,
    zh=WATCH_TYPES["child_watch"],
    en="Left-behind child on the ledger",
    citation=C_CHILD,
    states=STATES,
    initial="on_ledger",
    opening="register",
    registrars=REGISTRARS,
    eligibility=(
        Eligibility(
            "under_16",
            C_CHILD_DEF,
            N_("a left-behind child is under 16; born {birthdate}, the child is 16 from {until}"),
            under_age=16,
        ),
    ),
    screened=True,
    report_data=(
        FieldDef(
            "parents_away",
            "choice",
            required=True,
            choices=PARENTS_AWAY,
            description=N_("both parents work away, or one does and the other lacks capacity"),
        ),
        FieldDef("guardian", "name", description=N_("the entrusted guardian (受委托监护人)")),
        FieldDef(
            "agreement_signed",
            "bool",
            description=N_("an entrusted-guardianship agreement is signed (委托监护协议)"),
        ),
    ),
    report_effect=_child_facts,
    description=(
        N_(
            "A left-behind child on the township's ledger: visited by the village committee at "
            "least monthly, the file updated at least quarterly; off the ledger when the parents "
            "return, the child moves away, or on the day after the 16th birthday."
        )
    ),
    transitions=(
        TransitionDef(
            "record_visit",
            OPEN,
            None,
            ("village_committee",),
            C_CHILD,
            N_("the village committee visits the child's family (每月至少走访一次)"),
            data=(
                NOTES,
                FieldDef("guardian_present", "bool", description=N_("the guardian was there")),
                FieldDef("concerns", "text", max_length=500, description=N_("anything worrying")),
            ),
            effect=_visit,
        ),
        _update("update_ledger", C_CHILD),
        TransitionDef(
            "change_guardian",
            OPEN,
            None,
            REGISTRARS,
            C_CHILD,
            N_("a new entrusted guardian (确定受委托监护人; 签订委托监护协议)"),
            data=(
                FieldDef("guardian", "name", required=True),
                FieldDef("agreement_signed", "bool"),
            ),
            effect=lambda facts, data: {
                "guardian": data["guardian"],
                "agreement_signed": bool(data.get("agreement_signed")),
            },
        ),
        TransitionDef(
            "raise_report",
            OPEN,
            None,
            ("village_committee",),
            C_REPORT,
            N_(
                "the village committee files a mandatory report about this child (强制报告); the "
                "report case and the watch name each other"
            ),
            data=(
                FieldDef(
                    "type",
                    "choice",
                    required=True,
                    choices=tuple(REPORT_TYPES),
                    description=N_("the report type"),
                ),
                FieldDef("description", "text", description=N_("what was seen or heard")),
                FieldDef("discovered_at", "datetime", description=N_("when it was discovered")),
                FieldDef("nonperformance_since", "date", description=N_("guardian refusing since")),
                FieldDef(
                    "report_case",
                    "text",
                    max_length=64,
                    description=N_("set by the engine: the report case filed"),
                    by_engine=True,
                ),
            ),
            effect=_report_raised,
        ),
        _closing(
            "parents_returned",
            N_("the parents have returned: the child is no longer left behind"),
            C_CHILD,
            "parents_returned",
        ),
        _closing(
            "moved_away",
            N_("the child moved away: the file goes to the new township"),
            C_CHILD,
            "moved_away",
        ),
        _ages_out(
            "turns_16",
            C_CHILD_DEF,
            N_("the child turned 16 and is no longer a left-behind child (aged out)"),
        ),
        _missed(C_CHILD),
        rest_days_rejudged(OPEN),
    ),
)

WOMAN_WATCH = WorkflowDef(
    type="woman_watch",
    version=1,
    zh=WATCH_TYPES["woman_watch"],
    en="Left-behind woman on the ledger",
    citation=C_WOMAN,
    states=STATES,
    initial="on_ledger",
    opening="register",
    registrars=REGISTRARS,
    eligibility=(
        Eligibility(
            "half_year",
            C_WOMAN_DEF,
            N_(
                "the husband must have been away half a year or more; away since {since}, that "
                "holds from {until}"
            ),
            since_field="husband_away_since",
            since_period="P6M",
            field="husband_away_since",
        ),
    ),
    report_data=(
        FieldDef(
            "husband_away_since",
            "date",
            required=True,
            description=N_("the husband works outside the county continuously since"),
        ),
    ),
    report_effect=copies(husband_away_since="husband_away_since"),
    description=(
        N_(
            "A left-behind woman (husband working outside the county for half a year or more) on "
            "the ledger, with dynamic updates, contacts and referrals to services."
        )
    ),
    transitions=(
        TransitionDef(
            "record_contact",
            OPEN,
            None,
            REGISTRARS,
            C_WOMAN,
            N_("a contact with the woman (摸底排查、关爱走访)"),
            data=(NOTES,),
            effect=counts("contacts"),
        ),
        TransitionDef(
            "refer_service",
            OPEN,
            None,
            ("township", "civil_affairs", "village_committee"),
            C_WOMAN_SERVICES,
            N_("a referral to a service (就业培训、法律援助、心理支持、社会救助)"),
            data=(
                FieldDef("service", "choice", required=True, choices=WOMEN_SERVICES),
                NOTES,
            ),
            effect=_referred,
        ),
        _update("update_ledger", C_WOMAN),
        _closing(
            "husband_returned",
            N_("the husband has returned: she is no longer left behind"),
            C_WOMAN_DEF,
            "husband_returned",
        ),
        _closing("moved_away", N_("she moved away"), C_WOMAN, "moved_away"),
        _missed(C_WOMAN),
        rest_days_rejudged(OPEN),
    ),
)

ELDERLY_WATCH = WorkflowDef(
    type="elderly_watch",
    version=1,
    zh=WATCH_TYPES["elderly_watch"],
    en="Left-behind elder on the ledger",
    citation=C_ELDERLY,
    states=STATES,
    initial="on_ledger",
    opening="register",
    registrars=REGISTRARS,
    eligibility=(
        Eligibility(
            "aged_60",
            C_ELDER_AGE,
            N_("an elder is 60 or older; this person is {age}"),
            min_age=60,
        ),
    ),
    description=(
        N_(
            "A left-behind elder on the ledger, visited regularly (定期探访, 000 §三五); the "
            "interval "
            "is a local choice in the policy pack."
        )
    ),
    transitions=(
        TransitionDef(
            "regular_visit",
            OPEN,
            None,
            ("village_committee",),
            C_ELDERLY,
            N_("a regular visit (定期探访)"),
            data=(NOTES, FieldDef("concerns", "text", max_length=500)),
            effect=counts("visits"),
        ),
        _update("update_ledger", C_ELDERLY),
        _closing(
            "family_returned",
            N_("the family has returned: no longer left behind"),
            C_ELDERLY,
            "family_returned",
        ),
        _closing("moved_away", N_("moved away"), C_ELDERLY, "moved_away"),
        _closing("deceased", N_("passed away"), C_ELDERLY, "deceased"),
        _missed(C_ELDERLY),
        rest_days_rejudged(OPEN),
    ),
)

#: The first definitions of the three watches; child_watch's second is in
#: :mod:`shouhu.workflows.child_watch2`.
WORKFLOWS: tuple[WorkflowDef, ...] = (CHILD_WATCH, WOMAN_WATCH, ELDERLY_WATCH)
