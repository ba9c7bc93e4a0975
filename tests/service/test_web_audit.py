"""The audit pages: verification, anchors, the access log, a case rebuilt at a moment, the
proof download (checked by the library's check_proof) and the compliance report's charts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from servicekit import Desk, csrf_of

from shouhu.adapters.credentials import load
from shouhu.engine.transparency import check_proof, is_tree_head

SVG = "{http://www.w3.org/2000/svg}"


def demo_case(desk: Desk) -> str:
    with desk.engine() as engine:
        return next(c.id for c in engine.cases("solo_living") if c.township == "青山镇")


def test_the_auditor_sees_the_verification_in_chinese(desk: Desk) -> None:
    r = desk.web("auditor").get("/audit")
    assert r.status_code == 200
    assert "<h1>审计</h1>" in r.text
    assert "正常" in r.text
    assert 'class="notice verify-ok"' in r.text
    assert 'href="/audit/access"' in r.text


def test_the_audit_pages_are_refused_to_the_police_with_403(desk: Desk) -> None:
    web = desk.web("police")
    for path in ("/audit", "/audit/access", "/audit/report"):
        assert web.get(path).status_code == 403


def test_signing_a_tree_head_shows_it_in_a_pre(desk: Desk) -> None:
    web = desk.web("auditor")
    page = web.get("/audit").text
    r = web.post("/audit/anchor", data={"csrf": csrf_of(page)})
    assert r.status_code == 200
    head = re.search(r'<pre class="sth">(.*?)</pre>', r.text, re.S)
    assert head is not None
    assert is_tree_head(head.group(1).strip())
    assert f"signer={desk.operator_id('auditor')}" in head.group(1)


def test_an_anchor_posted_without_the_csrf_value_is_refused(desk: Desk) -> None:
    web = desk.web("auditor")
    web.get("/audit")
    assert web.post("/audit/anchor", data={"csrf": "forged"}).status_code == 403


def test_the_replay_shows_the_state_at_the_moment_asked(desk: Desk) -> None:
    case_id = demo_case(desk)
    with desk.engine() as engine:
        events = engine.history(case_id)
    at = events[1].event.occurred_at  # just after dispatch
    r = desk.web("auditor").get(f"/audit/replay/{case_id}", params={"at": at.isoformat()})
    assert r.status_code == 200
    assert '<label for="at">时间</label>' in r.text
    state = re.search(r'<dd class="replay-state"><strong>(.*?)</strong>', r.text)
    assert state is not None
    assert state.group(1) == "已出警"
    events = r.text.split("<h2>事件</h2>")[1].split("</table>")[0]
    assert re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code>", events) == [
        ("1", "report"),
        ("2", "dispatch"),
    ]


def test_the_proof_download_is_a_json_that_check_proof_accepts_and_the_read_is_recorded(
    desk: Desk,
) -> None:
    case_id = demo_case(desk)
    web = desk.web("auditor")
    page = web.get(f"/audit/replay/{case_id}").text
    assert f'<form method="post" action="/audit/cases/{case_id}/proof">' in page
    with desk.engine() as engine:
        assert engine.accesses(case_id) == []  # viewing the replay writes nothing
    r = web.post(
        f"/audit/cases/{case_id}/proof", data={"csrf": csrf_of(page), "reason": "年度检查"}
    )
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="proof-{case_id}.json"'
    document = json.loads(r.text)
    assert document["case_id"] == case_id
    assert check_proof(document) == []
    with desk.engine() as engine:
        reads = engine.accesses(case_id)
    assert [(a.role, a.what, a.reason) for a in reads] == [("auditor", "audit prove", "年度检查")]


def test_the_access_log_lists_identity_reads(desk: Desk) -> None:
    case_id = demo_case(desk)
    with desk.engine() as engine:
        engine.read_identity(case_id, actor=load(desk.credential_path("police")), reason="核实身份")
    page = desk.web("auditor").get("/audit/access").text
    assert "核实身份" in page
    assert f'<a href="/cases/{case_id}">' in page
    assert "公安机关" in page


def charts_of(page: str) -> dict[str, ET.Element]:
    found = {}
    for svg in re.findall(r'<svg[^>]*class="chart".*?</svg>', page, re.S):
        root = ET.fromstring(svg)
        title = root.find(f"{SVG}title")
        assert title is not None
        assert root.get("role") == "img"
        assert root.get("aria-label")
        found[str(title.text)] = root
    return found


def bars(root: ET.Element) -> dict[str, list[int]]:
    """Each row's numbers, as the text after its bar says them ("met / late / missed")."""
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end" and t.text]
    totals = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "total"]
    return {
        str(label): [int(n) for n in total.split(" / ")]
        for label, total in zip(labels, totals, strict=True)
    }


def test_the_compliance_report_charts_are_valid_svg_with_the_reports_numbers(
    desk: Desk,
) -> None:
    r = desk.web("auditor").get("/audit/report", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert r.status_code == 200
    charts = charts_of(r.text)
    assert set(charts) == {"各乡镇期限履行情况", "各类期限履行情况", "各类报告人迟报情况"}
    with desk.engine() as engine:
        doc = engine.compliance_report("2026-01-01", "2026-12-31").to_dict()
    kinds = bars(charts["各类期限履行情况"])
    for kind, s in doc["deadlines"].items():
        assert kinds[kind] == [
            s["met_on_time"],
            s["met_late"] + s["missed_done_late"],
            s["missed_still_open"],
        ]
    reporters = bars(charts["各类报告人迟报情况"])
    assert reporters["学校"] == [
        doc["late_reports_by_reporter_kind"]["school"]["reports"]
        - doc["late_reports_by_reporter_kind"]["school"]["late"],
        doc["late_reports_by_reporter_kind"]["school"]["late"],
    ]
    towns = bars(charts["各乡镇期限履行情况"])
    assert set(towns) == {"青山镇", "白石乡"}
    assert sum(map(sum, towns.values())) == sum(map(sum, kinds.values()))


def test_a_bad_window_is_shown_as_the_engines_refusal(desk: Desk) -> None:
    r = desk.web("auditor").get("/audit/report", params={"from": "不是日期", "to": "2026-12-31"})
    assert r.status_code == 400
    assert 'class="refusal"' in r.text


def test_a_proof_without_a_reason_or_the_forms_csrf_value_records_nothing(desk: Desk) -> None:
    case_id = demo_case(desk)
    web = desk.web("auditor")
    csrf = csrf_of(web.get(f"/audit/replay/{case_id}").text)
    for data, status in (({"csrf": csrf, "reason": " "}, 400), ({"reason": "检查"}, 403)):
        r = web.post(f"/audit/cases/{case_id}/proof", data=data)
        assert r.status_code == status
        assert "content-disposition" not in r.headers
    with desk.engine() as engine:
        assert engine.accesses(case_id) == []
