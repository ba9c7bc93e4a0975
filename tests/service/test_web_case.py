"""The desk's case page: no identity unless asked for (and then recorded), the next steps as
forms that fire through the engine as the logged-in operator, refusals in the engine's words,
and the diagram of the path taken."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from servicekit import Desk, csrf_of

from shouhu.adapters.credentials import load

CHILD = "张小明"
PLACE = "石桥村, 青山镇, 丰都县"


def file_report(desk: Desk, reporter_kind: str = "school") -> str:
    """A fresh solo-living report in 青山镇 (anonymous, as anyone may report)."""
    with desk.engine() as engine:
        case = engine.report(
            "solo_living",
            child={"name": CHILD, "birthdate": "2016-04-10"},
            location=PLACE,
            reporter={"kind": reporter_kind, "name": "青山镇中心小学"},
        )
        return case.id


def test_the_case_page_shows_the_case_in_chinese_without_the_childs_identity(
    desk: Desk,
) -> None:
    case_id = file_report(desk)
    r = desk.web("police").get(f"/cases/{case_id}")
    assert r.status_code == 200
    assert re.search(r"<h1>[^<]*" + case_id, r.text)
    for words in ("脱离监护单独居住生活", "已报告", "下一步", "时间线", "石桥村", "学校"):
        assert words in r.text
    assert CHILD not in r.text
    assert "2016-04-10" not in r.text
    assert 'action="/cases/' + case_id + '/identity"' in r.text
    assert '<label for="reason">原因</label>' in r.text


def test_posting_the_identity_form_shows_the_identity_once_and_records_the_read(
    desk: Desk,
) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    r = web.post(
        f"/cases/{case_id}/identity", data={"csrf": csrf_of(page), "reason": "核实身份后出警"}
    )
    assert r.status_code == 200
    assert CHILD in r.text
    assert "2016-04-10" in r.text
    with desk.engine() as engine:
        reads = engine.accesses(case_id)
    assert [(a.actor, a.role, a.reason) for a in reads] == [("李警官", "police", "核实身份后出警")]
    assert CHILD not in web.get(f"/cases/{case_id}").text  # not kept in the session


def test_an_identity_read_without_a_reason_is_refused_and_records_nothing(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    r = web.post(f"/cases/{case_id}/identity", data={"csrf": csrf_of(page), "reason": " "})
    assert r.status_code == 400
    assert 'class="refusal"' in r.text
    assert CHILD not in r.text
    with desk.engine() as engine:
        assert engine.accesses(case_id) == []


def test_firing_dispatch_through_its_form_advances_the_case_signed_by_the_police_officer(
    desk: Desk,
) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    assert 'name="trigger" value="dispatch"' in page
    assert "公安机关受理报告并第一时间出警</button>" in page
    r = web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf_of(page), "trigger": "dispatch", "expected_version": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/cases/{case_id}?done=dispatch"
    shown = web.get(r.headers["location"]).text
    assert 'class="notice"' in shown
    assert "已完成" in shown
    with desk.engine() as engine:
        view = engine.case(case_id)
        last = view.history[-1].event
    assert view.state == "dispatched"
    assert last.operator_id == desk.operator_id("police")
    assert last.signature


def test_a_step_whose_guard_does_not_hold_is_refused_with_422_naming_the_rule_and_clause(
    desk: Desk,
) -> None:
    case_id = file_report(desk)  # a school: a mandatory reporter, not commended
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    r = web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf_of(page), "trigger": "commend_reporter", "expected_version": "1"},
    )
    assert r.status_code == 422
    refusal = re.search(r'<p class="refusal" role="alert">(.*?)</p>', r.text, re.S)
    assert refusal is not None
    assert "voluntary_reporter" in refusal.group(1)
    assert "001 §四(三)1" in refusal.group(1)
    assert "依规则" in refusal.group(1)
    with desk.engine() as engine:
        assert engine.case(case_id).version == 1


def test_a_step_of_another_role_is_refused_with_403_and_writes_nothing(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("township")
    page = web.get(f"/cases/{case_id}").text
    assert 'value="dispatch"' not in page  # only the township's own steps are offered
    r = web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf_of(page), "trigger": "dispatch", "expected_version": "1"},
    )
    assert r.status_code == 403
    assert 'class="refusal"' in r.text
    assert "role" in r.text
    with desk.engine() as engine:
        assert engine.case(case_id).state == "reported"


def test_bad_data_in_a_step_form_is_400_with_the_engines_words(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    r = web.post(
        f"/cases/{case_id}/fire",
        data={
            "csrf": csrf_of(page),
            "trigger": "dispatch",
            "expected_version": "1",
            "occurred_at": "不是时间",
        },
    )
    assert r.status_code == 400
    assert 'class="refusal"' in r.text
    with desk.engine() as engine:
        assert engine.case(case_id).version == 1


def test_a_post_without_or_with_a_wrong_csrf_is_refused_and_writes_nothing(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    web.get(f"/cases/{case_id}")
    for csrf in (None, "forged"):
        data = {"trigger": "dispatch", "expected_version": "1", "reason": "核实"}
        if csrf:
            data["csrf"] = csrf
        assert web.post(f"/cases/{case_id}/fire", data=data).status_code == 403
        assert web.post(f"/cases/{case_id}/identity", data=data).status_code == 403
    with desk.engine() as engine:
        assert engine.case(case_id).version == 1
        assert engine.accesses(case_id) == []


def test_a_police_officer_of_another_township_gets_403_on_the_page_and_its_posts(
    desk: Desk,
) -> None:
    case_id = file_report(desk)
    web = desk.web("police-2")
    r = web.get(f"/cases/{case_id}")
    assert r.status_code == 403
    assert "属地" in r.text or "辖区" in r.text
    csrf = csrf_of(web.get("/").text)
    fired = web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf, "trigger": "dispatch", "expected_version": "1"},
    )
    read = web.post(f"/cases/{case_id}/identity", data={"csrf": csrf, "reason": "核实"})
    assert (fired.status_code, read.status_code) == (403, 403)
    assert CHILD not in read.text
    with desk.engine() as engine:
        assert engine.case(case_id).version == 1
        assert engine.accesses(case_id) == []


def test_the_workflow_diagram_is_svg_with_the_path_taken_highlighted(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf_of(page), "trigger": "dispatch", "expected_version": "1"},
    )
    page = web.get(f"/cases/{case_id}").text
    svg = re.search(r'<svg[^>]*class="workflow".*?</svg>', page, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert root.find(f"{ns}title") is not None
    taken = {
        g.findall(f"{ns}text")[1].text
        for g in root.iter(f"{ns}g")
        if "taken" in (g.get("class") or "").split()
    }
    assert taken == {"reported", "dispatched"}
    current = [g for g in root.iter(f"{ns}g") if "current" in (g.get("class") or "").split()]
    assert [g.findall(f"{ns}text")[1].text for g in current] == ["dispatched"]


def test_a_step_with_choices_and_a_list_is_fired_from_its_selects(desk: Desk) -> None:
    case_id = file_report(desk)
    police = load(desk.credential_path("police"))
    township = load(desk.credential_path("township"))
    with desk.engine() as engine:
        for trigger, data in (
            ("dispatch", {}),
            ("order_parents_return", {}),
            ("admonish_parents", {}),
            ("designate_entrusted_guardian", {"guardian_name": "王桂英(祖母)"}),
            ("complete_emergency", {}),
            ("notify_township", {}),
        ):
            engine.fire(case_id, trigger, actor=police, data=data)
        engine.fire(case_id, "start_assessment", actor=township)
        version = engine.case(case_id).version
    web = desk.web("township")
    page = web.get(f"/cases/{case_id}").text
    assert '<select id="complete_assessment-participants" name="data.participants" multiple' in page
    assert '<label for="complete_assessment-safety">' in page
    r = web.post(
        f"/cases/{case_id}/fire",
        data={
            "csrf": csrf_of(page),
            "trigger": "complete_assessment",
            "expected_version": str(version),
            "data.safety": "medium",
            "data.guardianship": "high",
            "data.health": "low",
            "data.participants": ["civil_affairs", "police", "school"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with desk.engine() as engine:
        view = engine.case(case_id)
    assert view.state == "assessed"
    assert view.history[-1].event.data["participants"] == ["civil_affairs", "police", "school"]


def test_a_stale_form_is_refused_with_409_and_writes_nothing(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    with desk.engine() as engine:
        engine.fire(case_id, "dispatch", actor=load(desk.credential_path("police")))
    r = web.post(
        f"/cases/{case_id}/fire",
        data={"csrf": csrf_of(page), "trigger": "order_parents_return", "expected_version": "1"},
    )
    assert r.status_code == 409
    assert 'class="refusal"' in r.text
    with desk.engine() as engine:
        assert engine.case(case_id).version == 2


def test_a_refused_step_keeps_what_the_operator_typed(desk: Desk) -> None:
    case_id = file_report(desk)
    web = desk.web("police")
    page = web.get(f"/cases/{case_id}").text
    r = web.post(
        f"/cases/{case_id}/fire",
        data={
            "csrf": csrf_of(page),
            "trigger": "dismiss",
            "expected_version": "1",
            "data.reason_kind": "unfounded",
            "data.reason": "经核查无此儿童",
            "occurred_at": "明天",
        },
    )
    assert r.status_code == 400
    assert 'value="经核查无此儿童"' in r.text
    assert '<option value="unfounded" selected>' in r.text
    assert 'name="occurred_at" value="明天"' in r.text


def test_no_page_of_any_demo_case_shows_the_childs_identity(desk: Desk) -> None:
    with desk.engine() as engine:
        children = {c.id: engine.case(c.id).child for c in engine.cases()}
    web = desk.web("admin")
    shown = []
    for case_id, child in children.items():
        for url in (f"/cases/{case_id}", f"/audit/replay/{case_id}"):
            page = web.get(url)
            assert page.status_code == 200
            identity = (child.name, child.birthdate.isoformat(), child.id_number)
            shown += [(url, v) for v in identity if v and v in page.text]
    assert len(children) > 10
    assert shown == []
