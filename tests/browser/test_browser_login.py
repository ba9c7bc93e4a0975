"""Logging in to the desk in a real browser: the Chinese login form, a refusal, the language
switch, logging out, and being sent back where one was going."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browserkit import log_in, visit
from deskserver import Desk, require_chromium
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.slow  # a real server and a real browser


def session_cookies(context: BrowserContext) -> list[str]:
    return [c["name"] for c in context.cookies() if "shouhu_session" in c["name"]]


def test_the_login_page_is_in_chinese_with_every_field_labelled(page: Page) -> None:
    assert visit(page, "/login") == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.get_by_label("操作员（编号或姓名）")).to_be_editable()
    expect(page.get_by_label("密码")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_a_township_supervisor_logs_in_and_lands_on_my_worklist(
    page: Page, desk: Desk, context: BrowserContext
) -> None:
    log_in(page, desk, "township")
    assert page.url.endswith("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    assert session_cookies(context) == ["shouhu_session"]


def test_a_wrong_password_is_refused_in_chinese_and_starts_no_session(
    page: Page, desk: Desk, context: BrowserContext
) -> None:
    log_in(page, desk, "court", password="not the password")
    expect(page.locator(".refusal")).to_have_text("登录失败：操作员不存在或密码错误")
    assert session_cookies(context) == []
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_the_language_switch_turns_the_desk_to_english_and_back(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Operator (id or name)")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")


def test_logging_out_ends_the_session_and_the_pages_ask_for_a_login_again(
    page: Page, desk: Desk, context: BrowserContext
) -> None:
    log_in(page, desk, "civil_affairs")
    assert session_cookies(context) == ["shouhu_session"]
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    assert session_cookies(context) == []
    page.goto("/cases")
    expect(page).to_have_url(re.compile(r"/login\?next=/cases$"))


def test_an_anonymous_visit_to_a_case_goes_to_the_login_and_back_to_the_case_after(
    page: Page, desk: Desk
) -> None:
    case_id = desk.cases["township"]
    page.goto(f"/cases/{case_id}")
    expect(page).to_have_url(re.compile(rf"/login\?next=/cases/{case_id}$"))
    page.get_by_label("操作员（编号或姓名）").fill(desk.operator_id("township"))
    from servicekit import PASSWORD

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(case_id)


def test_the_first_tab_reaches_the_skip_link_which_jumps_past_the_menu(
    page: Page, desk: Desk
) -> None:
    log_in(page, desk, "village_committee")
    page.goto("/cases")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0, "the focused skip link is off the screen"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()


def test_without_chromium_the_browser_tests_fail_naming_the_package(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install chromium"):
        require_chromium(tmp_path / "chromium")


def test_switching_language_on_a_desk_page_keeps_the_operator_on_that_page(
    page: Page, desk: Desk
) -> None:
    log_in(page, desk, "police")
    page.goto("/cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("案件")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/cases$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_role("navigation").get_by_role("link", name="My worklist")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("案件")
