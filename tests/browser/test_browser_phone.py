"""On a 390×844 phone: logging in with the keyboard alone (Tab and Enter), and pages that fit
the screen — no sideways scrolling of the page itself (wide tables scroll in their own
``.table-wrap``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browserkit import Watch, open_context
from deskserver import PHONE, Desk, Server
from playwright.sync_api import Browser, Page, expect
from servicekit import PASSWORD

pytestmark = pytest.mark.slow  # a real server and a real browser


@pytest.fixture
def phone(browser: Browser, server: Server, watch: Watch) -> Iterator[Page]:
    context = open_context(browser, server, watch, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()
    assert not watch.problems(), "\n".join(watch.problems())


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def tab_to(page: Page, element_id: str, presses: int = 12) -> None:
    """Press Tab until the element ``element_id`` has the focus (it must, within ``presses``)."""
    for _ in range(presses):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    assert focused_id(page) == element_id, f"Tab never reached #{element_id}"


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: it fits)."""
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return max(0, int(width))


def test_on_a_phone_the_login_works_with_the_keyboard_alone(phone: Page, desk: Desk) -> None:
    phone.goto("/login")
    tab_to(phone, "login")
    phone.keyboard.type(desk.operator_id("township"))
    phone.keyboard.press("Tab")
    assert focused_id(phone) == "password"
    phone.keyboard.type(PASSWORD)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("我的待办")


def test_on_a_phone_the_worklist_and_a_case_page_fit_the_screen(phone: Page, desk: Desk) -> None:
    phone.goto("/login")
    phone.get_by_label("操作员（编号或姓名）").fill(desk.operator_id("township"))
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("我的待办")
    assert overflow(phone) == 0, "the worklist scrolls sideways on a phone"
    for case_id in (desk.cases["township"], desk.cases["closed"]):
        phone.goto(f"/cases/{case_id}")
        expect(phone.get_by_role("heading", level=1)).to_contain_text(case_id)
        assert overflow(phone) == 0, f"the case page of {case_id} scrolls sideways on a phone"
