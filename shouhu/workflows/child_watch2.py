"""``child_watch`` version 2: the ledger's categories, the pre-holiday handover, and the
court's new guardian (issue 14). Version 1 (:mod:`shouhu.workflows.watch`) stays for replay.

- The categories of 003 — left-behind child, orphan, child no one in fact raises (事实无人抚养
  儿童), child in difficulty (困境儿童) — each with its eligibility checked at registration.
- ``record_handover``: a school hands the child over before the holidays (001 §四(二)3).
- ``guardian_changed``: the engine records the guardian a court appoints or restores
  (001 §四(三)4; Civil Code Arts. 36, 38).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import Eligibility, Facts, FieldDef, TransitionDef
from shouhu.workflows.vocab import (
    CHILD_CATEGORIES,
    CHILD_DIFFICULTIES,
    GUARDIAN_DECISIONS,
    HANDOVER_RECIPIENTS,
    PARENT_SITUATIONS,
    PARENTS_AWAY,
)
from shouhu.workflows.watch import (
    C_CHILD,
    C_CHILD_DEF,
    CHILD_WATCH,
    NOTES,
    OPEN,
    _ages_out,
    _child_facts,
    _missed,
)

C_LEDGER_CATEGORIES = (
    "003 §一(二) — 建立了农村留守儿童、留守妇女、困境儿童信息管理库,…孤儿、…事实无人抚养困境儿童、"
    "…留守儿童…信息台账"
)
C_ORPHAN = "003 §二 — 落实孤儿养育政策…对超过18岁仍在校就读的孤儿续发基本生活费"
C_DE_FACTO = (
    "003 §二 — 对父母双方(或一方死亡)重病、重残、服刑在押、强制隔离戒毒、失联等事实无人抚养困境儿童"
)
C_DIFFICULTY = "003 §一(一) — 困境儿童辍学、失学问题; 003 §二 — 落实困境儿童分类救助政策"
C_PARENTS_AWAY = (
    "国发〔2016〕13号 (which 001 implements) — 父母双方外出务工或一方外出务工另一方无监护能力"
)
C_MINOR = "Civil Code Art. 17 — 不满十八周岁的自然人为未成年人"
C_HANDOVER = (
    "001 §四(二)3 市教育局 — 假期前各中小学要与留守儿童所在地基层组织、家庭、委托监护人做好交接工作"
)
C_NEW_GUARDIAN = "001 §四(三)4 — 另行指定监护人; Civil Code Art. 36"
C_RESTORED = "Civil Code Art. 38 — 恢复其监护人资格"

#: A child registered without a category (and every child of child_watch v1) is left behind.
DEFAULT_CATEGORY = "left_behind"
#: The catalogs' ids of the two descriptions below that are built from the vocabulary (so
#: ``_()`` finds them where they are shown); should the vocabulary change, they read in English.
_BUILT_DESCRIPTIONS = (
    N_(
        "the ledger's category (left_behind 农村留守儿童, orphan 孤儿, de_facto_unraised "
        "事实无人抚养儿童, in_difficulty 困境儿童); default left_behind"
    ),
    N_(
        "to whom: village_committee 所在地基层组织(村(居)民委员会), family 家庭, "
        "entrusted_guardian 委托监护人"
    ),
)
#: What each parent's situation must be: any of these (003 §二), but not both deceased
#: (that child is an orphan).
NO_ONE_RAISING = frozenset(PARENT_SITUATIONS) - {"present"}


def _parents_away(data: Mapping[str, Any]) -> str | None:
    if data.get("parents_away"):
        return None
    return _(
        "a left-behind child's parents both work away, or one does and the other lacks "
        "capacity: give parents_away ({choices})"
    ).format(choices=" | ".join(PARENTS_AWAY))


def _orphan(data: Mapping[str, Any]) -> str | None:
    father, mother = data.get("father"), data.get("mother")
    if father == "deceased" and mother == "deceased":
        return None
    return _(
        "an orphan (孤儿) has lost both parents: father and mother must both be deceased, "
        "not {father} and {mother}"
    ).format(father=father or _("not given"), mother=mother or _("not given"))


def _de_facto(data: Mapping[str, Any]) -> str | None:
    father, mother = data.get("father"), data.get("mother")
    if father == "deceased" and mother == "deceased":
        return _("both parents are deceased: the child is an orphan (category orphan)")
    if father in NO_ONE_RAISING and mother in NO_ONE_RAISING:
        return None
    shown = ", ".join(sorted(NO_ONE_RAISING - {"deceased"}))
    return _(
        "no one in fact raises the child when both parents (or the one living, the other "
        "deceased) are each {shown}; father {father}, mother {mother}"
    ).format(shown=shown, father=father or _("not given"), mother=mother or _("not given"))


def _difficulty(data: Mapping[str, Any]) -> str | None:
    if data.get("difficulty"):
        return None
    return _("a child in difficulty: give difficulty ({choices})").format(
        choices=" | ".join(CHILD_DIFFICULTIES)
    )


def _category_eligibility() -> tuple[Eligibility, ...]:
    out = [
        Eligibility(
            "under_16",
            C_CHILD_DEF,
            N_("a left-behind child is under 16; born {birthdate}, the child is 16 from {until}"),
            under_age=16,
            when=("category", "left_behind"),
        ),
        Eligibility(
            "parents_away",
            C_PARENTS_AWAY,
            "{reason}",
            field="parents_away",
            when=("category", "left_behind"),
            check=_parents_away,
        ),
        Eligibility(
            "orphan",
            C_ORPHAN,
            "{reason}",
            field="father",
            when=("category", "orphan"),
            check=_orphan,
        ),
        Eligibility(
            "de_facto_unraised",
            C_DE_FACTO,
            "{reason}",
            field="father",
            when=("category", "de_facto_unraised"),
            check=_de_facto,
        ),
        Eligibility(
            "in_difficulty",
            C_DIFFICULTY,
            "{reason}",
            field="difficulty",
            when=("category", "in_difficulty"),
            check=_difficulty,
        ),
    ]
    minors = {
        "orphan": N_(
            "a child on the ledger as orphan is a minor, under 18; born {birthdate}, "
            "the child is 18 from {until}"
        ),
        "de_facto_unraised": N_(
            "a child on the ledger as de_facto_unraised is a minor, under 18; born {birthdate}, "
            "the child is 18 from {until}"
        ),
        "in_difficulty": N_(
            "a child on the ledger as in_difficulty is a minor, under 18; born {birthdate}, "
            "the child is 18 from {until}"
        ),
    }
    for category, message in minors.items():
        out.append(
            Eligibility(
                "under_18",
                C_MINOR,
                message,
                under_age=18,
                when=("category", category),
            )
        )
    return tuple(out)


def _child_facts_v2(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    out: dict[str, Any] = {"category": data.get("category") or DEFAULT_CATEGORY}
    out.update(_child_facts(facts, data))
    for key in ("father", "mother", "difficulty"):
        if data.get(key):
            out[key] = data[key]
    return out


def _handover(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"handovers": int(facts.get("handovers", 0)) + 1, "last_handover_to": data["to"]}


def _guardian_changed(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    out: dict[str, Any] = {
        "guardian_decision": data["decision"],
        "guardian_decided_in": data["report_case"],
        "agreement_signed": False,  # a guardian the court appoints or restores is no entrustee
    }
    if data.get("guardian"):
        out["guardian"] = data["guardian"]
    return out


_V1_ROWS = tuple(t for t in CHILD_WATCH.transitions if t.trigger != "deadline_missed")

CHILD_WATCH_V2 = replace(
    CHILD_WATCH,
    version=2,
    en="Child on the ledger",
    citation=C_CHILD,
    eligibility=_category_eligibility(),
    report_data=(
        FieldDef(
            "category",
            "choice",
            choices=tuple(CHILD_CATEGORIES),
            description="the ledger's category ("
            + ", ".join(f"{k} {v}" for k, v in CHILD_CATEGORIES.items())
            + "); default left_behind",
        ),
        FieldDef(
            "parents_away",
            "choice",
            choices=PARENTS_AWAY,
            description=N_(
                "left_behind: both parents work away, or one does and the other lacks capacity"
            ),
        ),
        FieldDef("guardian", "name", description=N_("the entrusted guardian (受委托监护人)")),
        FieldDef(
            "agreement_signed",
            "bool",
            description=N_("an entrusted-guardianship agreement is signed (委托监护协议)"),
        ),
        FieldDef(
            "father",
            "choice",
            choices=tuple(PARENT_SITUATIONS),
            description=N_("orphan, de_facto_unraised: the father's situation"),
        ),
        FieldDef(
            "mother",
            "choice",
            choices=tuple(PARENT_SITUATIONS),
            description=N_("orphan, de_facto_unraised: the mother's situation"),
        ),
        FieldDef(
            "difficulty",
            "choice",
            choices=tuple(CHILD_DIFFICULTIES),
            description=N_("in_difficulty: why the child is in difficulty"),
        ),
    ),
    report_effect=_child_facts_v2,
    description=(
        N_(
            "A child on the township's ledger — left behind, an orphan, a child no one in fact "
            "raises, or a child in difficulty (003) — visited by the village committee at least "
            "monthly, the file updated at least quarterly, handed over by the school before each "
            "holiday; off the ledger when the parents return, the child moves away, or ages out "
            "(16 for a left-behind child, 18 for the others)."
        )
    ),
    transitions=(
        *_V1_ROWS,
        TransitionDef(
            "record_handover",
            OPEN,
            None,
            ("school",),
            C_HANDOVER,
            N_("the school hands the child over before a holiday (假期前交接)"),
            data=(
                FieldDef(
                    "to",
                    "choice",
                    required=True,
                    choices=tuple(HANDOVER_RECIPIENTS),
                    description="to whom: "
                    + ", ".join(f"{k} {v}" for k, v in HANDOVER_RECIPIENTS.items()),
                ),
                NOTES,
            ),
            effect=_handover,
        ),
        TransitionDef(
            "guardian_changed",
            OPEN,
            None,
            ("system",),
            C_NEW_GUARDIAN,
            N_(
                "the court's decision on a report case changed the child's guardian "
                "(另行指定监护人; "
                "恢复监护人资格): recorded by the engine with the decision"
            ),
            data=(
                FieldDef("decision", "choice", required=True, choices=tuple(GUARDIAN_DECISIONS)),
                FieldDef("guardian", "name", description=N_("the guardian now")),
                FieldDef(
                    "report_case",
                    "text",
                    required=True,
                    max_length=64,
                    description=N_("the report case that recorded the decision"),
                ),
                FieldDef("citation", "text", max_length=200),
            ),
            effect=_guardian_changed,
            kind="system",  # recorded by the engine only: not offered by ``next``
        ),
        _ages_out(
            "turns_18", C_MINOR, N_("the child turned 18 and is no longer a minor (aged out)")
        ),
        _missed(C_CHILD),
    ),
)
