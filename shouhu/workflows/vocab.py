"""The words of the mechanism: roles, reporter kinds, report types, and their Chinese labels."""

from __future__ import annotations

from typing import Final

#: Who acts (domain brief, "Who acts").
ROLES: Final[dict[str, str]] = {
    "reporter": "报告人",
    "police": "公安机关",
    "township": "乡镇人民政府/街道办事处",
    "civil_affairs": "县级民政部门",
    "village_committee": "村(居)民委员会",
    "close_relative": "近亲属",
    # Civil Code Art. 36 para 2 adds these to those who may petition to revoke a guardian;
    # a school also hands its pupils over before the holidays (001 §四(二)3, 市教育局).
    "school": "学校",
    "medical_institution": "医疗机构",
    "womens_federation": "妇女联合会",
    "disabled_persons_federation": "残疾人联合会",
    "minors_protection_org": "未成年人保护组织",
    "court": "人民法院",
    "auditor": "监督检查",
    "system": "系统(调度)",
}

#: Roles no operator may claim: ``system`` belongs to the engine's scheduler.
RESERVED_ROLES: Final[frozenset[str]] = frozenset({"system"})

#: Roles that may only read.
READ_ONLY_ROLES: Final[frozenset[str]] = frozenset({"auditor"})

#: Reporter kinds; the first seven are mandatory reporters (001 §四(三)1).
MANDATORY_REPORTER_KINDS: Final[dict[str, str]] = {
    "school": "学校",
    "kindergarten": "幼儿园",
    "medical": "医疗机构",
    "village_committee": "村(居)民委员会",
    "social_work": "社会工作服务机构",
    "relief_agency": "救助管理机构",
    "welfare_institution": "福利机构",
}
VOLUNTARY_REPORTER_KINDS: Final[dict[str, str]] = {
    "citizen": "公民",
    "social_organisation": "社会组织",
}
REPORTER_KINDS: Final[dict[str, str]] = {**MANDATORY_REPORTER_KINDS, **VOLUNTARY_REPORTER_KINDS}

#: The six report types (001 §四(三)1).
REPORT_TYPES: Final[dict[str, str]] = {
    "solo_living": "脱离监护单独居住生活",
    "missing_child": "失踪",
    "guardian_incapacity": "监护人丧失监护能力",
    "guardian_nonperformance": "监护人不履行监护责任",
    "suspected_abuse": "疑似遭受家庭暴力",
    "suspected_harm": "疑似遭受意外伤害或不法侵害",
}

RISK_LEVELS: Final[tuple[str, ...]] = ("low", "medium", "high")
SERVICES: Final[tuple[str, ...]] = (
    "guardianship_guidance",
    "medical_treatment",
    "psychological_counselling",
    "behavioural_correction",
    "legal_services",
    "legal_aid",
    "social_assistance",
)
SANCTIONS: Final[tuple[str, ...]] = (
    "criticism_education",
    "administrative_penalty",
    "criminal_case",
)
REVOCATION_GROUNDS: Final[tuple[str, ...]] = (
    "unsupervised_danger_uncorrected",
    "nonperformance_six_months",
    "serious_harm",
)
TEMPORARY_CARE_PLACEMENTS: Final[tuple[str, ...]] = (
    "close_relative",
    "village_committee",
    "relief_agency",
    "welfare_institution",
)
SHELTER_PLACEMENTS: Final[tuple[str, ...]] = (
    "temporary_shelter",
    "relief_agency",
    "welfare_institution",
)
INJURY_SEVERITIES: Final[tuple[str, ...]] = ("none", "minor", "serious")
COURT_OUTCOMES: Final[tuple[str, ...]] = ("revoked", "rejected")

# --- the second definitions of the six report types (issue 14) ---------------------------
#: Who may petition the court to revoke a guardian: 001 §四(三)4 (其近亲属、村(居)民委员会、
#: 县级民政部门) and Civil Code Art. 36 para 2 (学校、医疗机构、妇女联合会、残疾人联合会、
#: 未成年人保护组织 …). A residents' committee acts as ``village_committee``.
PETITIONERS: Final[tuple[str, ...]] = (
    "close_relative",
    "village_committee",
    "civil_affairs",
    "school",
    "medical_institution",
    "womens_federation",
    "disabled_persons_federation",
    "minors_protection_org",
)
#: Who did the harm, as recorded: the first two are the child's guardians (父母或受委托监护人,
#: 001 §四(三)4).
PERPETRATOR_RELATIONS: Final[tuple[str, ...]] = (
    "parent",
    "entrusted_guardian",
    "other_relative",
    "acquaintance",
    "stranger",
    "unknown",
)
GUARDIAN_RELATIONS: Final[tuple[str, ...]] = ("parent", "entrusted_guardian")
#: What was done: ground (c) names the first three (实施家庭暴力、虐待或遗弃).
HARM_ACTS: Final[tuple[str, ...]] = (
    "domestic_violence",
    "abuse",
    "abandonment",
    "other_harm",
    "accident",
)
#: The bodies that may take part in the assessment (001 §四(三)3: 会同民政、公安、人力资源社会保障、
#: 教育、卫生计生、司法行政等有关部门和妇联、共青团等群团组织,在村(居)民委员会、中小学校、医疗机构
#: 以及亲属、社会工作专业服务机构的协助下).
ASSESSMENT_BODIES: Final[dict[str, str]] = {
    "civil_affairs": "民政",
    "police": "公安",
    "human_resources_social_security": "人力资源社会保障",
    "education": "教育",
    "health": "卫生计生",
    "justice": "司法行政",
    "womens_federation": "妇联",
    "youth_league": "共青团",
    "village_committee": "村(居)民委员会",
    "school": "中小学校",
    "medical_institution": "医疗机构",
    "relatives": "亲属",
    "social_workers": "社会工作专业服务机构",
}
#: Why police close a report at the start (told to the township, 001 §四(三)2).
DISMISSAL_REASONS: Final[tuple[str, ...]] = (
    "unfounded",
    "not_a_child_in_scope",
    "duplicate_of_another_case",
    "handled_by_another_authority",
)
#: The measures laid down for abuse and harm (调查取证、协助就医、鉴定伤情), each recorded or
#: recorded as not taken with a reason.
EVIDENCE_MEASURES: Final[tuple[str, ...]] = (
    "collect_evidence",
    "arrange_medical_care",
    "record_injury_assessment",
)
RESTORATION_OUTCOMES: Final[tuple[str, ...]] = ("restored", "rejected")

#: The ledger's watches (台账, 一人一档): each registered person is a case (001 §四(二)2; 000 §三五;
#: 002 §(六)).
WATCH_TYPES: Final[dict[str, str]] = {
    "child_watch": "农村留守儿童台账",
    "woman_watch": "农村留守妇女台账",
    "elderly_watch": "农村留守老年人台账",
}
#: ``shouhu register KIND``: the short kinds and their watch types.
WATCH_KINDS: Final[dict[str, str]] = {
    "child": "child_watch",
    "woman": "woman_watch",
    "elderly": "elderly_watch",
}
PARENTS_AWAY: Final[tuple[str, ...]] = ("both", "one_with_incapable_other")
WOMEN_SERVICES: Final[tuple[str, ...]] = (
    "employment_training",
    "legal_aid",
    "psychological_support",
    "social_assistance",
)

#: The ledger's categories of child (003 §一(二), §二: 孤儿、事实无人抚养困境儿童、留守儿童 in the
#: 信息台账; 困境儿童 beside them), with their Chinese names. A child registered on
#: ``child_watch`` v1 is ``left_behind``.
CHILD_CATEGORIES: Final[dict[str, str]] = {
    "left_behind": "农村留守儿童",
    "orphan": "孤儿",
    "de_facto_unraised": "事实无人抚养儿童",
    "in_difficulty": "困境儿童",
}
#: A parent's situation, the eligibility facts of an orphan and of a child no one in fact
#: raises (003 §二: 父母双方(或一方死亡)重病、重残、服刑在押、强制隔离戒毒、失联).
PARENT_SITUATIONS: Final[dict[str, str]] = {
    "deceased": "死亡",
    "serious_illness": "重病",
    "severe_disability": "重残",
    "imprisoned": "服刑在押",
    "compulsory_rehab": "强制隔离戒毒",
    "lost_contact": "失联",
    "present": "在家且能抚养",
}
#: Why a child is in difficulty (困境儿童): the difficulties 003 names (辍学、失学; 家庭监护不力)
#: and the grounds of 国务院关于加强困境儿童保障工作的意见 (000 cites it).
CHILD_DIFFICULTIES: Final[dict[str, str]] = {
    "family_poverty": "家庭贫困导致生活、就医、就学困难",
    "disability": "自身残疾导致康复、照料、护理困难",
    "guardianship_lacking": "家庭监护缺失或监护不当",
    "out_of_school": "辍学、失学",
}
#: To whom a school hands a pupil over before the holidays (001 §四(二)3, 市教育局: 与留守儿童
#: 所在地基层组织、家庭、委托监护人做好交接工作).
HANDOVER_RECIPIENTS: Final[dict[str, str]] = {
    "village_committee": "所在地基层组织(村(居)民委员会)",
    "family": "家庭",
    "entrusted_guardian": "委托监护人",
}
#: How a court's decision on guardianship changes a watched child's guardian.
GUARDIAN_DECISIONS: Final[dict[str, str]] = {
    "revoked": "撤销监护人资格、另行指定监护人",
    "restored": "恢复监护人资格",
}

# --- Chinese input (issue 16) ------------------------------------------------------------
# What a person may type for a key besides the key itself: the Chinese name the tables above
# give, and these other names in common use. ``shouhu.engine.zhinput`` resolves them (after
# NFKC: full-width letters, digits and brackets are the half-width ones) and stores the key.

#: Other names of the roles (besides :data:`ROLES`' own).
ROLE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "reporter": ("报告者",),
    "police": ("公安", "公安局", "派出所", "公安派出所"),
    "township": (
        "乡镇",
        "乡镇人民政府",
        "乡镇政府",
        "乡(镇)人民政府",
        "街道",
        "街道办事处",
        "街道办",
        "乡镇(街道)",
    ),
    "civil_affairs": ("民政", "民政部门", "民政局", "县民政局", "县级民政部门"),
    "village_committee": (
        "村委会",
        "居委会",
        "村(居)委会",
        "村民委员会",
        "居民委员会",
        "村(居)民委员会",
    ),
    "close_relative": ("亲属",),
    "school": ("中小学校",),
    "medical_institution": ("医院", "卫生院"),
    "womens_federation": ("妇联",),
    "disabled_persons_federation": ("残联",),
    "minors_protection_org": ("未保组织",),
    "court": ("法院", "人民法院"),
    "auditor": ("审计", "监督"),
    "admin": ("管理员",),
}

#: Other names of the reporter kinds (besides :data:`REPORTER_KINDS`' own).
REPORTER_KIND_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "school": ("中小学校",),
    "medical": ("医院", "卫生院"),
    "village_committee": (
        "村委会",
        "居委会",
        "村(居)委会",
        "村民委员会",
        "居民委员会",
    ),
    "social_work": ("社工机构", "社会工作机构"),
    "relief_agency": ("救助站", "救助管理站"),
    "welfare_institution": ("福利院", "儿童福利机构"),
    "citizen": ("个人", "群众"),
    "social_organisation": ("社会团体",),
}

#: Other names of the report types (besides :data:`REPORT_TYPES`' own).
REPORT_TYPE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "solo_living": ("独居", "单独居住", "脱离监护"),
    "missing_child": ("失踪儿童", "儿童失踪", "走失"),
    "guardian_incapacity": ("丧失监护能力", "监护能力丧失"),
    "guardian_nonperformance": ("不履行监护责任", "不履行监护职责"),
    "suspected_abuse": ("家庭暴力", "家暴", "疑似家暴"),
    "suspected_harm": ("意外伤害", "不法侵害", "疑似伤害"),
}

#: The Chinese names of the ledger's kinds (``shouhu register KIND``); the watch types answer
#: to :data:`WATCH_TYPES`' names.
WATCH_KIND_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "child": ("儿童", "留守儿童", "农村留守儿童"),
    "woman": ("妇女", "留守妇女", "农村留守妇女"),
    "elderly": ("老人", "老年人", "留守老人", "留守老年人", "农村留守老年人"),
}

#: The Chinese names of every choice value a trigger's or a report's data field takes
#: (``FieldDef.choices``), the first the name shown; a key answers to each of them.
#: tests/unit/test_chinese_input.py walks the default workflow set: every key has a name.
CHOICE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    # risk
    "low": ("低", "低风险"),
    "medium": ("中", "中风险"),
    "high": ("高", "高风险"),
    # services
    "guardianship_guidance": ("监护指导",),
    "medical_treatment": ("医疗救治", "就医"),
    "psychological_counselling": ("心理疏导", "心理辅导"),
    "behavioural_correction": ("行为矫治",),
    "legal_services": ("法律服务",),
    "legal_aid": ("法律援助",),
    "social_assistance": ("社会救助",),
    "employment_training": ("就业培训", "技能培训"),
    "psychological_support": ("心理支持", "心理关爱"),
    # sanctions
    "criticism_education": ("批评教育",),
    "administrative_penalty": ("治安管理处罚", "行政处罚"),
    "criminal_case": ("刑事立案", "立案侦查"),
    # grounds for revoking a guardian
    "unsupervised_danger_uncorrected": ("置于无人监管和照看状态且经教育不改", "无人监管经教育不改"),
    "nonperformance_six_months": ("拒不履行监护职责六个月以上", "六个月以上不履行"),
    "serious_harm": ("实施家庭暴力、虐待或遗弃导致身心健康严重受损", "严重损害"),
    "art36_serious_harm": ("严重损害被监护人身心健康",),
    "art36_distress": ("导致被监护人处于危困状态", "危困状态"),
    "art36_serious_infringement": ("严重侵害被监护人合法权益",),
    # court decisions and restorations
    "revoked": ("撤销监护人资格", "撤销"),
    "rejected": ("驳回",),
    "restored": ("恢复监护人资格", "恢复"),
    # placements and bodies
    "close_relative": ("近亲属", "亲属"),
    "village_committee": ("村(居)民委员会", "村委会", "居委会", "村(居)委会"),
    "relief_agency": ("救助管理机构", "救助站"),
    "welfare_institution": ("福利机构", "儿童福利机构", "福利院"),
    "temporary_shelter": ("临时庇护", "临时庇护场所"),
    "civil_affairs": ("民政", "民政部门"),
    "police": ("公安", "公安机关"),
    "human_resources_social_security": ("人力资源社会保障", "人社"),
    "education": ("教育", "教育部门"),
    "health": ("卫生计生", "卫生健康", "卫健"),
    "justice": ("司法行政", "司法"),
    "womens_federation": ("妇联", "妇女联合会"),
    "youth_league": ("共青团", "团委"),
    "school": ("中小学校", "学校"),
    "medical_institution": ("医疗机构", "医院"),
    "relatives": ("亲属",),
    "social_workers": ("社会工作专业服务机构", "社工"),
    "family": ("家庭",),
    # injury
    "none": ("无", "无伤"),
    "minor": ("轻微", "轻伤"),
    "serious": ("严重", "重伤"),
    # police dismissals
    "unfounded": ("查无实据", "不属实"),
    "not_a_child_in_scope": ("不属于保护范围的儿童", "不属于范围"),
    "duplicate_of_another_case": ("重复报告", "重复"),
    "handled_by_another_authority": ("由其他机关处理", "其他机关处理"),
    # perpetrators and acts
    "parent": ("父母",),
    "entrusted_guardian": ("受委托监护人", "委托监护人"),
    "other_relative": ("其他亲属",),
    "acquaintance": ("熟人",),
    "stranger": ("陌生人",),
    "unknown": ("不明", "不详"),
    "domestic_violence": ("家庭暴力", "家暴"),
    "abuse": ("虐待",),
    "abandonment": ("遗弃",),
    "other_harm": ("其他侵害",),
    "accident": ("意外", "意外事故"),
    # evidence measures
    "collect_evidence": ("调查取证",),
    "arrange_medical_care": ("协助就医",),
    "record_injury_assessment": ("鉴定伤情", "伤情鉴定"),
    # the ledger
    "both": ("父母均外出", "双方外出"),
    "one_with_incapable_other": ("一方外出另一方无监护能力",),
    "left_behind": (CHILD_CATEGORIES["left_behind"], "留守儿童"),
    "orphan": (CHILD_CATEGORIES["orphan"],),
    "de_facto_unraised": (CHILD_CATEGORIES["de_facto_unraised"], "事实无人抚养"),
    "in_difficulty": (CHILD_CATEGORIES["in_difficulty"],),
    **{k: (zh,) for k, zh in PARENT_SITUATIONS.items()},
    "family_poverty": ("家庭贫困",),
    "disability": ("自身残疾", "残疾"),
    "guardianship_lacking": ("监护缺失或监护不当", "监护缺失"),
    "out_of_school": (CHILD_DIFFICULTIES["out_of_school"], "辍学", "失学"),
    # report types, when a field names one (a watch's raise_report)
    **{k: (zh, *REPORT_TYPE_ALIASES[k]) for k, zh in REPORT_TYPES.items()},
}
