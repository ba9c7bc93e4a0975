"""The reporters' accountability and praise (001 §四(三)1), as data.

001 §四(三)1 — 负有强制报告责任的单位和人员未履行报告义务的,其上级机关、本级政府和有关部门
要严肃追责。其他公民、社会组织积极向公安机关报告的,应及时给予表扬和奖励。
(001 §三 市公安局: 及时表扬和奖励主动报告信息的群众和社会组织.)

- :data:`SUPERIOR_ORGANS`: the superior organ (上级机关) told of a mandatory reporter's late report,
  by reporter kind, each with the clause that makes it that reporter's supervisor. The engine
  writes the notice with the report event (``engine/intake.py``), since the report event is the
  same for every report type.
- :data:`COMMEND_REPORTER`: the police mark a voluntary report for praise and reward; on the
  spine of every report type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from shouhu.i18n import N_, _
from shouhu.workflows.spec import Facts, FieldDef, Guard, NoticeDef, TransitionDef
from shouhu.workflows.spine import OPEN_STATES
from shouhu.workflows.vocab import (
    MANDATORY_REPORTER_KINDS,
    REPORTER_KINDS,
    VOLUNTARY_REPORTER_KINDS,
)

C_ACCOUNTABLE = "001 §四(三)1 — 负有强制报告责任的单位和人员未履行报告义务的,其上级机关……要严肃追责"
C_PRAISE = (
    "001 §四(三)1 — 其他公民、社会组织积极向公安机关报告的,应及时给予表扬和奖励; "
    "001 §三 市公安局 — 及时表扬和奖励主动报告信息的群众和社会组织"
)

_EDUCATION = NoticeDef(
    "late_report",
    "county education bureau (县级教育行政部门)",
    "001 §三 市教育局 — 督促指导中小学校、幼儿园及其工作人员树立强制报告意识,开展强制报告工作; "
    + C_ACCOUNTABLE,
)
_HEALTH = NoticeDef(
    "late_report",
    "county health commission (县级卫生健康部门)",
    "001 §三 市卫生计生委 — 指导县(市)区医疗机构及其工作人员树立强制报告意识,开展强制报告工作; "
    + C_ACCOUNTABLE,
)
_TOWNSHIP = NoticeDef(
    "late_report",
    "{township} township government (乡镇人民政府/街道办事处)",
    "001 §四(二)2 — 村(居)民委员会……向乡镇人民政府(街道办事处)报告; " + C_ACCOUNTABLE,
)
_CIVIL_AFFAIRS = NoticeDef(
    "late_report",
    "county civil affairs (县级民政部门)",
    "001 §三 市民政局 — 指导村(居)民委员会、社会工作服务机构、救助管理机构……; " + C_ACCOUNTABLE,
)

#: The superior organ (上级机关) of each mandatory reporter kind: told when its report is late.
SUPERIOR_ORGANS: Final[Mapping[str, NoticeDef]] = {
    "school": _EDUCATION,
    "kindergarten": _EDUCATION,
    "medical": _HEALTH,
    "village_committee": _TOWNSHIP,
    "social_work": _CIVIL_AFFAIRS,
    "relief_agency": _CIVIL_AFFAIRS,
    "welfare_institution": _CIVIL_AFFAIRS,
}
assert set(SUPERIOR_ORGANS) == set(MANDATORY_REPORTER_KINDS)


def _voluntary_reporter(facts: Facts, data: Mapping[str, Any]) -> str | None:
    kind = data.get("reporter_kind")
    if kind in VOLUNTARY_REPORTER_KINDS:
        return None
    if kind in MANDATORY_REPORTER_KINDS:
        return _(
            "the report was made by a mandatory reporter ({kind}, {kind_zh}): "
            "reporting was its duty; praise is for other citizens and social organisations"
        ).format(kind=kind, kind_zh=REPORTER_KINDS[kind])
    return _("the reporter's kind is not known")


def _not_yet_commended(facts: Facts, data: Mapping[str, Any]) -> str | None:
    if facts.get("reporter_commended"):
        return _("the reporter was already commended on this case")
    return None


VOLUNTARY_REPORTER = Guard(
    "voluntary_reporter",
    N_("the report was made by a citizen or a social organisation, not a mandatory reporter"),
    C_PRAISE,
    _voluntary_reporter,
)
NOT_YET_COMMENDED = Guard(
    "not_yet_commended",
    N_("a reporter is commended once per case"),
    C_PRAISE,
    _not_yet_commended,
)

#: The police mark a voluntary report for praise and reward (表扬和奖励). The reporter's kind is
#: in the case row, not in the facts: the engine fills ``reporter_kind`` from the case row into
#: the event's data (``by_engine``), so the guard, replay and ``verify`` judge the same data.
COMMEND_REPORTER: Final[TransitionDef] = TransitionDef(
    "commend_reporter",
    OPEN_STATES,
    None,
    ("police",),
    C_PRAISE,
    N_("police commend a citizen or social organisation who reported (表扬和奖励)"),
    data=(
        FieldDef("note", "text", max_length=500, description=N_("the praise or reward given")),
        FieldDef(
            "reporter_kind",
            "text",
            max_length=40,
            description=N_("set by the engine: the reporter's kind, from the case"),
            by_engine=True,
        ),
    ),
    guards=(VOLUNTARY_REPORTER, NOT_YET_COMMENDED),
    effect=lambda facts, data: {"reporter_commended": True},
    kind="fact",
)
