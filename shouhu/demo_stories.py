"""The demo's people and stories (``make demo``), as data: seven reports of the six types
driven along their branches, a case around the last National Day (Civil Code Art. 203), and
a village's ledger. All names are invented. :mod:`shouhu.demo` files and drives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shouhu.i18n import N_

POLICE = {"name": "青山派出所 李警官", "role": "police"}
TOWNSHIP = {"name": "青山镇 儿童督导员 陈静", "role": "township"}
CIVIL = {"name": "县民政局 未成年人保护科", "role": "civil_affairs"}
VILLAGE = {"name": "石桥村委会 儿童主任 赵兰", "role": "village_committee"}
COURT = {"name": "县人民法院", "role": "court"}
#: The bodies the township brings to an assessment (001 §四(三)3: 会同民政、公安 … 等有关部门).
PARTICIPANTS = "civil_affairs,police,education,village_committee,school"


@dataclass
class Story:
    """One case: the report, then steps ``(hours after report, trigger, actor, data)``."""

    title: str
    type: str
    child: dict[str, str]
    location: str
    reporter: dict[str, str]
    discovered_before: timedelta
    report_data: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[float, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)


STORIES = [
    Story(
        N_("A ten-year-old found living alone; parents ordered home, grandmother entrusted"),
        "solo_living",
        {"name": "王小明", "birthdate": "2016-02-01"},
        "石桥村, 青山镇, 丰都县",
        {"kind": "school", "name": "青山镇中心小学"},
        timedelta(minutes=20),
        steps=[
            (0.5, "dispatch", POLICE, {}),
            (1.5, "order_parents_return", POLICE, {}),
            (1.6, "admonish_parents", POLICE, {}),
            (3, "designate_entrusted_guardian", POLICE, {"guardian_name": "王桂英(祖母)"}),
            (3.5, "complete_emergency", POLICE, {}),
            (5, "notify_township", POLICE, {}),
            (26, "start_assessment", TOWNSHIP, {}),
            (
                24 * 8,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "high",
                    "health": "low",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 9,
                "arrange_assistance",
                TOWNSHIP,
                {"services": "guardianship_guidance,psychological_counselling"},
            ),
            (24 * 30, "close", TOWNSHIP, {"summary": "委托监护协议已签订，每月走访"}),
        ],
    ),
    Story(
        N_("A missing eight-year-old, found the same evening"),
        "missing_child",
        {"name": "刘欣怡", "birthdate": "2018-05-20"},
        "河口村, 青山镇, 丰都县",
        {"kind": "village_committee", "name": "河口村委会"},
        timedelta(hours=1),
        report_data={"last_seen_at": "{discovered-2h}", "last_seen_place": "村口小卖部"},
        steps=[
            (1.5, "dispatch", POLICE, {}),  # late: the dispatch deadline (PT1H) is escalated
            (1.6, "start_search", POLICE, {}),
            (6, "child_located", POLICE, {}),
            (6.5, "complete_emergency", POLICE, {}),
            (9, "notify_township", POLICE, {}),
            (30, "start_assessment", TOWNSHIP, {}),
            (
                24 * 5,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "low",
                    "guardianship": "medium",
                    "health": "low",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 6, "close", TOWNSHIP, {"summary": "孩子安全，监护人加强看护"}),
        ],
    ),
    Story(
        N_("A grandfather too ill to care: temporary care, then social assistance"),
        "guardian_incapacity",
        {"name": "张浩然", "birthdate": "2013-09-09"},
        "柳树村, 白石乡, 丰都县",
        {"kind": "medical", "name": "白石乡卫生院"},
        timedelta(hours=3),
        steps=[
            (0.6, "dispatch", POLICE, {}),
            (2, "order_parents_return", POLICE, {}),
            (4, "place_in_temporary_care", POLICE, {"placement": "relief_agency"}),
            (4.5, "complete_emergency", POLICE, {}),
            (8, "notify_township", POLICE, {}),
            (48, "start_assessment", TOWNSHIP, {}),
            (
                24 * 10,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "high",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 11,
                "arrange_assistance",
                CIVIL,
                {"services": "social_assistance,medical_treatment"},
            ),
            (24 * 20, "parents_returned", POLICE, {}),
            (24 * 40, "close", TOWNSHIP, {"summary": "父亲返乡，纳入低保"}),
        ],
    ),
    Story(
        N_("Parents who will not care: education, refusal, revocation of guardianship"),
        "guardian_nonperformance",
        {"name": "陈雨桐", "birthdate": "2014-11-30"},
        "石桥村, 青山镇, 丰都县",
        {"kind": "village_committee", "name": "石桥村委会"},
        timedelta(hours=5),
        report_data={"nonperformance_since": "{discovered-120d}"},
        steps=[
            (0.8, "dispatch", POLICE, {}),
            (2, "order_parents_return", POLICE, {}),
            (5, "place_in_temporary_care", POLICE, {"placement": "close_relative"}),
            (5.5, "complete_emergency", POLICE, {}),
            (7, "notify_township", POLICE, {}),
            (30, "start_assessment", TOWNSHIP, {}),
            (
                24 * 7,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "high",
                    "guardianship": "high",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 8, "start_intervention", CIVIL, {}),
            (24 * 8 + 1, "petition_revocation", CIVIL, {"ground": "nonperformance_six_months"}),
            (
                24 * 8 + 3,
                "record_unsupervised_danger",
                VILLAGE,
                {"description": "冬夜独自在家无取暖"},
            ),
            (24 * 9, "education_given", POLICE, {}),
            (24 * 16, "refused_to_correct", VILLAGE, {}),
            (
                24 * 17,
                "petition_revocation",
                CIVIL,
                {"ground": "unsupervised_danger_uncorrected"},
            ),
            (
                24 * 45,
                "record_court_decision",
                COURT,
                {"outcome": "revoked", "new_guardian": "陈建国(伯父)"},
            ),
            (24 * 60, "close", TOWNSHIP, {"summary": "法院另行指定伯父为监护人"}),
        ],
    ),
    Story(
        N_("Suspected abuse: violence stopped, serious injury, shelter, criminal case, revocation"),
        "suspected_abuse",
        {"name": "李思琪", "birthdate": "2012-04-18"},
        "东岭村, 白石乡, 丰都县",
        {"kind": "medical", "name": "丰都县人民医院"},
        timedelta(minutes=40),
        report_data={"description": "多处陈旧性伤痕，孩子称被父亲殴打"},
        steps=[
            (0.3, "dispatch", POLICE, {}),
            (
                0.8,
                "stop_violence",
                POLICE,
                {"seriously_hurt": True, "safety_threatened": True, "unattended_in_danger": False},
            ),
            (1.5, "collect_evidence", POLICE, {}),
            (1.6, "record_perpetrator", POLICE, {"relation": "parent", "act": "domestic_violence"}),
            (2, "arrange_medical_care", POLICE, {}),
            (20, "record_injury_assessment", POLICE, {"severity": "serious"}),
            (20.2, "complete_emergency", POLICE, {}),
            (21, "place_in_shelter", CIVIL, {"placement": "temporary_shelter"}),
            (21.5, "complete_emergency", POLICE, {}),
            (23, "notify_township", POLICE, {}),
            (40, "start_assessment", TOWNSHIP, {}),
            (
                24 * 6,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "high",
                    "guardianship": "high",
                    "health": "high",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 6 + 2, "start_intervention", POLICE, {}),
            (24 * 7, "police_sanction", POLICE, {"kind": "criminal_case"}),
            (24 * 10, "petition_revocation", CIVIL, {"ground": "serious_harm"}),
            (
                24 * 50,
                "record_court_decision",
                COURT,
                {"outcome": "revoked", "new_guardian": "李秀兰(外祖母)"},
            ),
            (24 * 52, "close", TOWNSHIP, {"summary": "外祖母监护，心理疏导持续"}),
        ],
    ),
    Story(
        N_("Suspected harm: a fall at a building site; harm stopped, care and legal aid"),
        "suspected_harm",
        {"name": "赵子轩", "birthdate": "2015-07-07"},
        "河口村, 青山镇, 丰都县",
        {"kind": "citizen", "name": "村民 周大伟"},
        timedelta(hours=2),
        report_data={"description": "在无人看管的工地摔伤"},
        steps=[
            (0.5, "dispatch", POLICE, {}),
            (1, "stop_harm", POLICE, {}),
            (1.2, "collect_evidence", POLICE, {}),
            (1.5, "arrange_medical_care", POLICE, {}),
            (30, "record_injury_assessment", POLICE, {"severity": "minor"}),
            (30.5, "complete_emergency", POLICE, {}),
            (32, "notify_township", POLICE, {}),
            (24 * 3, "start_assessment", TOWNSHIP, {}),
            (
                24 * 9,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "medium",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 10,
                "arrange_assistance",
                TOWNSHIP,
                {"services": "medical_treatment,legal_aid"},
            ),
            (24 * 25, "close", TOWNSHIP, {"summary": "工地整改，法律援助已立案"}),
        ],
    ),
    Story(
        N_("A report found unfounded and dismissed by the police"),
        "solo_living",
        {"name": "孙一诺", "birthdate": "2017-12-12"},
        "柳树村, 白石乡, 丰都县",
        {"kind": "social_organisation", "name": "春苗社工服务中心"},
        timedelta(hours=6),
        steps=[
            (0.7, "dispatch", POLICE, {}),
            (
                2,
                "dismiss",
                POLICE,
                {"reason_kind": "unfounded", "reason": "母亲在家，短暂外出购物"},
            ),
        ],
    ),
]


@dataclass
class Resident:
    """A person on 石桥村's ledger: who, and which months (1 = the first after registration)
    the village committee visits."""

    kind: str
    name: str
    birthdate: str
    visited: tuple[int, ...] = (1, 2, 3)
    data: dict[str, Any] = field(default_factory=dict)
    leaves: tuple[int, str] | None = None  # (month, closing trigger)


CHILD = {"parents_away": "both", "guardian": "祖父母", "agreement_signed": True}
VILLAGE_LEDGER = [
    Resident("child", "周小雨", "2015-03-08", data=CHILD),
    Resident("child", "周小龙", "2017-06-21", (1, 3), data=CHILD),
    Resident("child", "吴佳怡", "2012-10-02", (2, 3), data={"parents_away": "both"}),
    Resident(
        "child", "吴浩", "2014-01-19", (1,), data={"parents_away": "one_with_incapable_other"}
    ),
    Resident("child", "郑欣", "2019-12-30", (1, 2), data=CHILD, leaves=(2, "parents_returned")),
    Resident("child", "郑晓", "{sixteen-weeks-ago}", (1, 2), data=CHILD),
    Resident("woman", "周丽", "1990-05-14", (), data={"husband_away_since": "{months-9}"}),
    Resident("woman", "吴芳", "1986-08-03", (), data={"husband_away_since": "{months-14}"}),
    Resident("elderly", "周德顺", "1948-02-11", (1, 2, 3)),
    Resident("elderly", "吴秀英", "1952-07-27", (2,)),
]
LEDGER_PLACE = "石桥村, 青山镇, 丰都县"


#: Civil Code Art. 203 at work around the last National Day before today (2026: rest
#: 10-01…10-07, Sunday 09-20 a make-up working day; 2025: rest 10-01…10-08): the township
#: starts the assessment on 09-20, so its 15th day falls in the holiday.
HOLIDAY = Story(
    N_("Civil Code Art. 203: an assessment whose 15th day falls in the National Day holiday"),
    "missing_child",
    {"name": "黄子涵", "birthdate": "2016-08-08"},
    "柳树村, 白石乡, 丰都县",
    {"kind": "school", "name": "白石乡中心小学"},
    timedelta(minutes=30),
    report_data={"last_seen_at": "{discovered-3h}", "last_seen_place": "放学路上"},
    steps=[
        (0.4, "dispatch", POLICE, {}),
        (0.5, "start_search", POLICE, {}),
        (5, "child_located", POLICE, {}),
        (5.5, "complete_emergency", POLICE, {}),
        (7, "notify_township", POLICE, {}),
        (25, "start_assessment", TOWNSHIP, {}),  # 09-20
        (
            24 * 19 + 6,  # 10-08: past the 15th day, in time by Art. 203
            "complete_assessment",
            TOWNSHIP,
            {
                "safety": "low",
                "guardianship": "medium",
                "health": "low",
                "participants": PARTICIPANTS,
            },
        ),
        (24 * 20, "close", TOWNSHIP, {"summary": "孩子平安，家长加强接送"}),
    ],
)
