"""The desk's worklist (我的待办) and case list (案件): what waits on my role, in my scope, and
the list a page at a time."""

from __future__ import annotations

import re

from servicekit import Desk

from shouhu.service.pages_work import PAGE


def report(desk: Desk, n: int = 1, township: str = "青山镇") -> list[str]:
    with desk.engine() as engine:
        return [
            engine.report(
                "missing_child",
                child={"name": f"儿童{i}", "birthdate": "2014-05-06"},
                location=f"石桥村, {township}, 丰都县",
                reporter={"kind": "citizen", "name": "村民"},
                new_case=True,
            ).id
            for i in range(n)
        ]


def test_the_police_worklist_shows_a_new_report_in_scope_with_its_deadline(desk: Desk) -> None:
    (mine,) = report(desk)
    (elsewhere,) = report(desk, township="白石乡")
    r = desk.web("police").get("/")
    assert r.status_code == 200
    assert "<h1>我的待办</h1>" in r.text
    assert f'<a href="/cases/{mine}">{mine}</a>' in r.text
    assert elsewhere not in r.text  # another township's case
    assert "待我办理" in r.text
    assert 'class="card"' in r.text
    assert "审计" not in r.text  # the police has no audit menu


def test_a_case_waiting_on_the_police_is_not_on_the_townships_worklist(desk: Desk) -> None:
    (case_id,) = report(desk)
    assert case_id not in desk.web("township").get("/").text


def test_an_overdue_deadline_is_marked_on_the_worklist(desk: Desk) -> None:
    with desk.engine() as engine:
        case_id = engine.report(
            "missing_child",
            child={"name": "王小虎", "birthdate": "2014-05-06"},
            location="石桥村, 青山镇, 丰都县",
            reporter={"kind": "citizen", "name": "村民"},
            occurred_at="2026-01-05T09:00",
            discovered_at="2026-01-05T08:00",
        ).id
    page = desk.web("police").get("/").text
    row = re.search(r"<tr[^>]*>\s*<td><a href=\"/cases/" + case_id + r".*?</tr>", page, re.S)
    assert row is not None
    assert 'class="overdue"' in row.group(0)
    assert "逾期" in row.group(0)


def test_the_village_committee_sees_this_months_ledger_visits(desk: Desk) -> None:
    page = desk.web("village_committee").get("/").text
    assert "本月应完成的台账走访" in page
    assert "审计" not in page


def test_the_case_list_pages_fifty_at_a_time_with_a_next_page_link(desk: Desk) -> None:
    report(desk, PAGE)
    web = desk.web("police")
    first = web.get("/cases?type=missing_child")
    assert first.status_code == 200
    ids = re.findall(r'<td><a href="/cases/([0-9A-Z]+)">', first.text)
    assert len(ids) == PAGE
    nxt = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', first.text)
    assert nxt is not None
    second = web.get(nxt.group(1).replace("&amp;", "&"))
    more = re.findall(r'<td><a href="/cases/([0-9A-Z]+)">', second.text)
    assert more
    assert not set(more) & set(ids)
    assert "下一页" not in second.text


def test_the_case_list_filters_by_state_in_my_scope(desk: Desk) -> None:
    (case_id,) = report(desk)
    page = desk.web("police-2").get("/cases?state=reported").text
    assert case_id not in page
    assert case_id in desk.web("police").get("/cases?state=reported").text
