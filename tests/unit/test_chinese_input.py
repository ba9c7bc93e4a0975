"""Chinese input (issue 16): dates and instants as operators write them, Chinese names for every
key a person types (roles, reporter kinds, report types, the ledger's kinds, choice values,
states), the key stored; a bad value named with the accepted forms, in the user's language,
with "did you mean" where one is close; validation messages in our words, not pydantic's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shouhu import Engine, InvalidInput
from shouhu.engine import validation as v
from shouhu.engine import zhinput
from shouhu.engine.timeutil import parse_day, parse_instant
from shouhu.i18n import catalog
from shouhu.workflows import DEFAULT
from shouhu.workflows.spec import FieldDef
from shouhu.workflows.vocab import (
    CHOICE_NAMES,
    REPORTER_KINDS,
    ROLES,
)

ZONE = "Asia/Shanghai"
APRIL_10 = date(2016, 4, 10)
#: 2026-03-02 08:30 in Beijing, in UTC.
HALF_PAST_8 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


@pytest.fixture
def in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    catalog.cache_clear()


def every_field() -> list[tuple[str, FieldDef]]:
    """Every data field of every definition of the default set (reports and triggers)."""
    out: list[tuple[str, FieldDef]] = []
    for wf in DEFAULT:
        out += [(f"{wf.key} report", f) for f in wf.report_data]
        out += [(f"{wf.key} {t.trigger}", f) for t in wf.transitions for f in t.data]
    return out


CHOICE_FIELDS = [(where, f) for where, f in every_field() if f.choices]


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2016-04-10",
        "2016年4月10日",
        "2016年04月10日",
        "2016 年 4 月 10 日",
        "2016年4月10号",
        "2016/4/10",
        "2016/04/10",
        "20160410",
        "２０１６年４月１０日",
        "２０１６－０４－１０",
        " 2016-04-10 ",
    ],
)
def test_a_date_in_each_accepted_form_is_the_same_day(text: str) -> None:
    assert parse_day(text, field="child_birthdate") == APRIL_10


@pytest.mark.parametrize(
    "text",
    ["2016年13月1日", "2016-02-30", "2016/4/31", "20161301", "2016-04", "4月10日", "soon", ""],
)
def test_a_bad_date_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day(text, field="child_birthdate")
    assert refused.value.message == (
        f"child_birthdate: {text!r} is not a valid date; "
        "use 2016-04-10, 2016年4月10日, 2016/4/10 or 20160410"
    )
    assert refused.value.field == "child_birthdate"
    assert "isoformat" not in refused.value.message


def test_a_bad_date_names_the_accepted_forms_in_chinese(in_chinese: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day("2016年13月1日", field="child_birthdate")
    assert refused.value.message == (
        "child_birthdate：'2016年13月1日' 不是有效的日期；"
        "请写作 2016-04-10、2016年4月10日、2016/4/10 或 20160410"
    )


# --- instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026年3月2日 8:30",
        "2026年3月2日8:30",
        "2026年3月2日 08:30:00",
        "2026-03-02 08:30",
        "2026/3/2 8:30",
        "20260302 0830",
        "2026-03-02T08:30",
        "2026-03-02T08:30+08:00",
        "2026-03-02T08:30:00+0800",
        "2026-03-02T00:30Z",
        "2026-03-02T00:30:00+00:00",
        "2026年3月2日 ８：３０",
        "２０２６年３月２日 ８：３０",
        "2026年3月2日 8点30分",
        "2026年3月2日 8时30分",
        "2026年3月2日8点半",
        "2026年3月2日 上午8点30分",
    ],
)
def test_an_instant_in_each_accepted_form_is_the_same_second(text: str) -> None:
    assert parse_instant(text, ZONE, field="at") == HALF_PAST_8


def test_an_afternoon_hour_in_chinese_is_after_noon() -> None:
    assert parse_instant("2026年3月2日 下午3点", ZONE) == datetime(2026, 3, 2, 7, tzinfo=UTC)


def test_seconds_and_fractions_are_kept() -> None:
    assert parse_instant("2026-03-02T08:30:05.25", ZONE) == datetime(
        2026, 3, 2, 0, 30, 5, 250000, tzinfo=UTC
    )
    assert parse_instant("2026年3月2日 8点30分5秒", ZONE) == datetime(
        2026, 3, 2, 0, 30, 5, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["2026年3月2日", "2026-03-02", "20260302", "2026/3/2"])
def test_a_date_alone_as_an_instant_is_the_start_of_that_day_local(text: str) -> None:
    assert parse_instant(text, ZONE) == datetime(2026, 3, 1, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "soon",
        "2026-03-02 25:00",
        "2026年3月2日 8:61",
        "2026年13月2日 8:30",
        "2026-03-02T08:30+24:00",
        "2026-03-02T08:30+08:99",
        "下午3点",
        "2026年3月2日 下午13点",
    ],
)
def test_a_bad_instant_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_instant(text, ZONE, field="discovered_at")
    assert refused.value.message == (
        f"discovered_at: {text!r} is not a valid date-time; use 2026-03-02 08:30, "
        "2026年3月2日 8:30, 2026/3/2 8:30 or 2026-03-02T08:30+08:00"
    )


def test_a_bad_instant_names_the_accepted_forms_in_chinese(in_chinese: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_instant("soon", ZONE, field="at")
    assert refused.value.message == (
        "at：'soon' 不是有效的日期时间；请写作 2026-03-02 08:30、2026年3月2日 8:30、"
        "2026/3/2 8:30 或 2026-03-02T08:30+08:00"
    )


def test_an_id_number_in_full_width_digits_is_kept_in_ascii() -> None:
    first17 = "11010520160410123"
    idn = first17 + v.id_check_digit(first17)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in idn)  # ０-９, Ｘ
    assert v.check_id_number(wide, APRIL_10) == idn


# --- the names of keys ------------------------------------------------------------------------


def test_every_choice_key_of_the_default_workflows_has_a_chinese_name() -> None:
    """Walk every field with choices: a key without a Chinese name could only be typed in
    English."""
    missing = sorted({c for _, f in CHOICE_FIELDS for c in f.choices if not CHOICE_NAMES.get(c)})
    assert missing == []


@pytest.mark.parametrize(("where", "f"), CHOICE_FIELDS, ids=[w for w, _ in CHOICE_FIELDS])
def test_each_chinese_name_of_a_fields_choices_names_one_key_of_it(where: str, f: FieldDef) -> None:
    """Within one field no two choices share a name: each name stores its own key."""
    for key in f.choices:
        for name in CHOICE_NAMES[key]:
            assert zhinput.choice(name, f) == key, (where, name)


def test_no_chinese_name_is_another_keys_in_the_same_vocabulary() -> None:
    for vocab in (
        zhinput.roles(ROLES),
        zhinput.REPORTER_KIND_VOCABULARY,
        zhinput.report_types(DEFAULT),
        zhinput.watch_kinds(DEFAULT),
    ):
        for key, names in vocab.names:
            for name in names:
                assert vocab.lookup(name) == key, name


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("公安", "police"),
        ("公安机关", "police"),
        ("派出所", "police"),
        ("乡镇", "township"),
        ("乡镇人民政府", "township"),
        ("街道办事处", "township"),
        ("民政", "civil_affairs"),
        ("县级民政部门", "civil_affairs"),
        ("村委会", "village_committee"),
        ("村(居)民委员会", "village_committee"),
        ("村（居）民委员会", "village_committee"),
        ("居委会", "village_committee"),
        ("法院", "court"),
        ("人民法院", "court"),
        ("妇联", "womens_federation"),
        (" Police ", "police"),
        ("ＰＯＬＩＣＥ", "police"),
    ],
)
def test_a_role_is_taken_by_its_chinese_name_and_stored_as_its_key(text: str, role: str) -> None:
    assert v.actor_parts({"name": "李警官", "role": text}) == ("李警官", role)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("学校", "school"),
        ("幼儿园", "kindergarten"),
        ("医疗机构", "medical"),
        ("村委会", "village_committee"),
        ("村(居)民委员会", "village_committee"),
        ("社会工作服务机构", "social_work"),
        ("救助管理机构", "relief_agency"),
        ("福利机构", "welfare_institution"),
        ("公民", "citizen"),
        ("社会组织", "social_organisation"),
    ],
)
def test_a_reporter_kind_is_taken_by_its_chinese_name(text: str, kind: str) -> None:
    assert v.reporter({"kind": text, "name": "青山镇中心小学"})[0] == kind
    assert kind in REPORTER_KINDS


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("脱离监护单独居住生活", "solo_living"),
        ("独居", "solo_living"),
        ("失踪", "missing_child"),
        ("失踪儿童", "missing_child"),
        ("监护人丧失监护能力", "guardian_incapacity"),
        ("监护人不履行监护责任", "guardian_nonperformance"),
        ("疑似遭受家庭暴力", "suspected_abuse"),
        ("家暴", "suspected_abuse"),
        ("疑似遭受意外伤害或不法侵害", "suspected_harm"),
    ],
)
def test_a_report_type_is_taken_by_its_chinese_name(text: str, type_: str) -> None:
    assert zhinput.report_type(text, DEFAULT) == type_


@pytest.mark.parametrize(
    ("text", "kind"),
    [("儿童", "child"), ("留守儿童", "child"), ("留守妇女", "woman"), ("老年人", "elderly")],
)
def test_a_ledger_kind_is_taken_by_its_chinese_name(text: str, kind: str) -> None:
    assert zhinput.watch_kind(text, DEFAULT) == kind


def test_a_state_is_taken_by_its_chinese_name() -> None:
    wf = DEFAULT.latest("solo_living")
    for s in wf.states:
        assert zhinput.state(s.zh, DEFAULT) == s.name


# --- choice values in data --------------------------------------------------------------------

SEVERITY = (FieldDef("severity", "choice", required=True, choices=("none", "minor", "serious")),)
SERVICES = (
    FieldDef(
        "services",
        "choices",
        required=True,
        choices=("guardianship_guidance", "psychological_counselling", "legal_aid"),
    ),
)


@pytest.mark.parametrize(
    ("text", "key"),
    [("严重", "serious"), ("轻微", "minor"), ("无", "none"), ("SERIOUS", "serious")],
)
def test_a_choice_in_chinese_is_stored_as_its_key(text: str, key: str) -> None:
    assert v.validate_data("t", SEVERITY, {"severity": text}, ZONE) == {"severity": key}


@pytest.mark.parametrize("text", ["心理疏导,法律援助", "心理疏导，法律援助", "心理疏导、法律援助"])
def test_a_list_of_choices_in_chinese_is_stored_as_keys(text: str) -> None:
    assert v.validate_data("t", SERVICES, {"services": text}, ZONE) == {
        "services": ["psychological_counselling", "legal_aid"]
    }


def test_an_unknown_choice_names_the_choices_and_the_closest() -> None:
    with pytest.raises(InvalidInput) as refused:
        v.validate_data("t", SEVERITY, {"severity": "serius"}, ZONE)
    assert refused.value.message == (
        "severity: 'serius' is not one of none, minor, serious: did you mean serious?"
    )
    assert "Input should" not in refused.value.message


def test_an_unknown_choice_names_the_choices_in_chinese(in_chinese: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        v.validate_data("t", SEVERITY, {"severity": "很严重"}, ZONE)
    assert refused.value.message == (
        "severity：'很严重' 不是可选值之一：none（无）、minor（轻微）、serious（严重）；"
        "您是不是要找 serious（严重）？"
    )


# --- validation in our words ------------------------------------------------------------------

FLAGS = (FieldDef("done", "bool", required=True), FieldDef("note", "text"))


@pytest.mark.parametrize(
    ("fields", "data", "message"),
    [
        (FLAGS, {}, "t: done is required"),
        (FLAGS, {"done": "maybe"}, "t: done: expected yes or no (true/false, 是/否)"),
        (SERVICES, {"services": ""}, "services: give at least one of guardianship_guidance, "
         "psychological_counselling, legal_aid"),
        (SEVERITY, {"severity": 3}, "severity: '3' is not one of none, minor, serious"),
    ],
)  # fmt: skip
def test_validation_messages_are_our_own_words(
    fields: tuple[FieldDef, ...], data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        v.validate_data("t", fields, data, ZONE)
    assert refused.value.message == message


def test_a_missing_value_is_named_in_chinese(in_chinese: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        v.validate_data("t", FLAGS, {}, ZONE)
    assert refused.value.message == "t: 必须填写 done"


@pytest.mark.parametrize("text", ["是", "yes", "true"])
def test_yes_in_chinese_or_english_is_true(text: str) -> None:
    assert v.validate_data("t", FLAGS, {"done": text}, ZONE) == {"done": True}


# --- did you mean -----------------------------------------------------------------------------


def test_an_unknown_role_names_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"unknown role 'polise': did you mean police\?"):
        v.actor_parts({"name": "李警官", "role": "polise"})


def test_an_unknown_role_far_from_any_keeps_the_list_alone() -> None:
    with pytest.raises(InvalidInput) as refused:
        v.actor_parts({"name": "李警官", "role": "detective"})
    assert refused.value.message == f"unknown role 'detective' (roles: {', '.join(ROLES)})"


def test_an_unknown_role_lists_the_roles_in_chinese(in_chinese: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        v.actor_parts({"name": "李警官", "role": "detective"})
    assert refused.value.message.startswith("未知角色 'detective'（可选角色：reporter（报告人）、")
    assert "police（公安机关）" in refused.value.message


def test_a_mistyped_chinese_role_names_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"unknown role '公按': did you mean police\?"):
        v.actor_parts({"name": "李警官", "role": "公按"})


def test_an_unknown_reporter_kind_names_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"'scool': did you mean school\?"):
        v.reporter({"kind": "scool", "name": "青山镇中心小学"})


def test_an_unknown_report_type_names_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"unknown report type 'solo_livng': did you mean"):
        zhinput.report_type("solo_livng", DEFAULT)


def test_an_unknown_state_names_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"unknown state 'dispached': did you mean dispatched\?"):
        zhinput.state("dispached", DEFAULT)


def test_an_unknown_trigger_names_the_closest(engine: Engine) -> None:
    case = engine.report(
        "独居",
        child={"name": "王明", "birthdate": "2016年2月1日"},
        location="石桥村, 青山镇",
        reporter={"kind": "学校", "name": "青山镇中心小学"},
        occurred_at="2026年3月2日 8:30",
    )
    assert case.type == "solo_living"
    assert case.record.child.birthdate == date(2016, 2, 1)
    assert case.record.reporter.kind == "school"
    with pytest.raises(InvalidInput) as refused:
        engine.fire(case.id, "dispach", actor={"name": "李警官", "role": "公安"})
    assert refused.value.message == (
        "unknown trigger 'dispach' for solo_living: did you mean dispatch? "
        "(see `shouhu workflow show solo_living`)"
    )


def test_a_case_list_filter_takes_chinese_names(engine: Engine) -> None:
    engine.report(
        "solo_living",
        child={"name": "王明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        occurred_at="2026-03-02T08:30",
    )
    state = DEFAULT.latest("solo_living").state(DEFAULT.latest("solo_living").initial).zh
    assert len(list(engine.cases(type="独居", state=state))) == 1
