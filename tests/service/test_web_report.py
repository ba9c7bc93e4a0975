"""Filing a report at the desk: the form, the engine's validation, the duplicate refusal and
filing anyway."""

from __future__ import annotations

import re

from servicekit import Desk, csrf_of

CHILD = "李小红"


def form(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "type": "solo_living",
        "child_name": CHILD,
        "child_birthdate": "2015年3月8日",
        "village": "石桥村",
        "township": "青山镇",
        "county": "丰都县",
        "reporter_kind": "village_committee",
        "reporter": "石桥村委会",
        **changes,
    }


def test_the_report_form_is_in_chinese_and_every_field_is_labelled(desk: Desk) -> None:
    r = desk.web("village_committee").get("/report")
    assert r.status_code == 200
    for words in ("提交报告", "儿童姓名", "出生日期", "报告人类别", "脱离监护单独居住生活", "公民"):
        assert words in r.text
    ids = set(re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', r.text))
    labelled = set(re.findall(r'<label for="([^"]+)"', r.text))
    assert ids
    assert ids <= labelled


def test_a_report_filed_through_the_form_opens_a_case_signed_by_the_operator(
    desk: Desk,
) -> None:
    web = desk.web("village_committee")
    r = web.post("/report", data=form(csrf_of(web.get("/report").text)), follow_redirects=False)
    assert r.status_code == 303
    case_id = r.headers["location"].removeprefix("/cases/")
    page = web.get(r.headers["location"])
    assert page.status_code == 200
    assert case_id in page.text
    assert CHILD not in page.text
    with desk.engine() as engine:
        view = engine.case(case_id)
    assert (view.type, view.state, view.child.name) == ("solo_living", "reported", CHILD)
    assert view.child.birthdate.isoformat() == "2015-03-08"
    assert view.history[0].event.operator_id == desk.operator_id("village_committee")


def test_a_bad_birthdate_is_refused_as_the_cli_refuses_it_and_files_nothing(desk: Desk) -> None:
    web = desk.web("village_committee")
    with desk.engine() as engine:
        before = sum(1 for _ in engine.cases())
    r = web.post("/report", data=form(csrf_of(web.get("/report").text), child_birthdate="昨天"))
    assert r.status_code == 400
    refusal = re.search(r'<p class="refusal" role="alert">(.*?)</p>', r.text, re.S)
    assert refusal is not None
    assert "birthdate" in refusal.group(1)
    with desk.engine() as engine:
        assert sum(1 for _ in engine.cases()) == before


def test_a_probable_duplicate_is_refused_naming_the_open_case_and_can_be_filed_anyway(
    desk: Desk,
) -> None:
    web = desk.web("village_committee")
    csrf = csrf_of(web.get("/report").text)
    first = web.post("/report", data=form(csrf), follow_redirects=False)
    twin = first.headers["location"].removeprefix("/cases/")
    again = web.post("/report", data=form(csrf))
    assert again.status_code == 422
    assert "duplicate" in again.text
    assert f'<a href="/cases/{twin}">{twin}</a>' in again.text
    assert 'name="new_case"' in again.text
    assert "这是另一起事件，仍要立案" in again.text
    anyway = web.post("/report", data=form(csrf, new_case="1"), follow_redirects=False)
    assert anyway.status_code == 303
    assert anyway.headers["location"] != first.headers["location"]


def test_a_report_posted_without_the_csrf_value_files_nothing(desk: Desk) -> None:
    web = desk.web("village_committee")
    web.get("/report")
    with desk.engine() as engine:
        before = sum(1 for _ in engine.cases())
    r = web.post("/report", data=form("forged"))
    assert r.status_code == 403
    with desk.engine() as engine:
        assert sum(1 for _ in engine.cases()) == before
