"""The desk's other forms in a real browser: filing a report (a probable duplicate is refused
naming the open case, and filed when the operator says it is another incident), and reading a
child's identity (shown once, on that answer only, and recorded with the reason)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browserkit import library, log_in
from deskserver import CHILD, Desk
from playwright.sync_api import Page, expect

from shouhu.adapters.credentials import load

pytestmark = pytest.mark.slow  # a real server and a real browser


def test_a_duplicate_report_is_refused_naming_the_open_case_and_filed_when_told_it_is_new(
    page: Page, desk: Desk
) -> None:
    open_case = desk.cases["township"]
    log_in(page, desk, "township")
    page.get_by_role("navigation").get_by_role("link", name="报告").click()
    page.locator("#type").select_option("solo_living")
    page.locator("#child_name").fill(CHILD["name"])
    page.locator("#child_birthdate").fill("2017年5月6日")
    page.locator("#village").fill("石桥村")
    page.locator("#township").fill("青山镇")
    page.locator("#county").fill("丰都县")
    page.locator("#reporter_kind").select_option("village_committee")
    page.locator("#reporter").fill("石桥村村民委员会")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="提交报告").click()
    assert refused.value is not None
    assert refused.value.status == 422
    expect(page.locator(".refusal")).to_contain_text(open_case)
    expect(page.get_by_role("link", name=open_case)).to_have_attribute(
        "href", f"/cases/{open_case}"
    )
    expect(page.locator("#child_name")).to_have_value(CHILD["name"])

    page.get_by_label("这是另一起事件，仍要立案").check()
    page.get_by_role("button", name="提交报告").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9A-Z]{16}$"))
    new_id = page.url.rsplit("/", 1)[1]
    assert new_id != open_case
    expect(page.get_by_role("heading", level=1)).to_contain_text(new_id)
    expect(page.locator("main")).not_to_contain_text(CHILD["name"])
    with library(desk) as (engine, admin):
        view = engine.case(new_id, reader=admin)
        assert view.state == "reported"
        assert view.record.reporter.kind == "village_committee"
        assert view.history[0].event.operator_id == desk.operator_id("township")


def test_the_identity_is_shown_once_for_a_reason_and_the_read_is_recorded(
    page: Page, desk: Desk
) -> None:
    case_id = desk.cases["township"]
    log_in(page, desk, "township")
    page.goto(f"/cases/{case_id}")
    main = page.locator("main")
    expect(main).not_to_contain_text(CHILD["name"])
    expect(main).not_to_contain_text(CHILD["id_number"])
    page.get_by_label("原因").fill("核实监护人联系方式")
    page.get_by_role("button", name="显示身份信息").click()
    expect(main).to_contain_text(CHILD["name"])
    expect(main).to_contain_text(CHILD["id_number"])
    expect(main).to_contain_text(CHILD["birthdate"])
    page.goto(f"/cases/{case_id}")  # the same page again: the identity is not kept
    expect(main).not_to_contain_text(CHILD["name"])
    with library(desk) as (engine, _admin):
        last = engine.accesses(case_id)[-1]
    assert last.reason == "核实监护人联系方式"
    assert last.role == "township"


def test_the_admin_adds_an_operator_and_the_credential_is_downloaded_once(
    page: Page, desk: Desk, tmp_path: Path
) -> None:
    log_in(page, desk, "admin")
    page.get_by_role("navigation").get_by_role("link", name="管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("操作员")
    page.get_by_label("姓名", exact=True).fill("周干事")
    page.get_by_label("所属单位").fill("石桥村村民委员会")
    page.get_by_label("角色", exact=True).select_option("village_committee")
    page.get_by_label("辖区（村, 镇, 县）").fill("石桥村, 青山镇, 丰都县")
    with page.expect_download() as download:
        page.get_by_role("button", name="添加并下载凭证").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    saved.chmod(0o600)  # as docs/web.md tells the new operator: a browser saves it readable
    credential = load(saved)
    assert download.value.suggested_filename == f"{credential.operator_id}.json"
    with library(desk) as (engine, _admin):
        (added,) = [o for o in engine.operators() if o.id == credential.operator_id]
        engine.authenticate(credential)  # the key in the file is the registry's
    assert added.name == "周干事"
    assert added.role == "village_committee"
    assert added.scope.village == "石桥村"
    page.goto("/admin/operators")
    expect(page.locator(f"#op-{credential.operator_id}")).to_contain_text("周干事")
    expect(page.locator("main")).not_to_contain_text("private_key")
