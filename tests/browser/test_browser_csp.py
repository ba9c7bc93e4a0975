"""The Content-Security-Policy holds on every page of the desk: each is served with it, loads
its stylesheet from the service, needs nothing the policy blocks (no inline style or script,
no console error) and asks no other host for anything (every request is held to 127.0.0.1 by
the ``context`` fixture, which fails the test otherwise)."""

from __future__ import annotations

import pytest
from browserkit import Watch, log_in, visit
from deskserver import Desk
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

#: The desk's pages an admin can open (``{township}``: the seeded case of 青山镇;
#: ``{closed}``: a closed case with a long history).
PAGES = (
    "/",
    "/cases",
    "/cases/{township}",
    "/cases/{closed}",
    "/report",
    "/audit",
    "/audit/access",
    "/audit/report",
    "/audit/replay/{closed}",
    "/admin/operators",
)
#: The desk's background colour (static/desk.css): the stylesheet was loaded and applied.
DESK_BACKGROUND = "rgb(246, 248, 250)"

pytestmark = pytest.mark.slow  # a real server and a real browser


def check(page: Page, watch: Watch, path: str) -> None:
    status = visit(page, path)
    assert status == 200, f"{path}: {status}"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DESK_BACKGROUND
    assert page.locator("[style]").count() == 0, f"{path}: an inline style attribute"
    assert page.locator("script:not([src])").count() == 0, f"{path}: an inline script"
    assert not watch.problems(), "\n".join(watch.problems())


def test_the_login_page_needs_nothing_the_policy_blocks(page: Page, watch: Watch) -> None:
    check(page, watch, "/login")
    response = page.request.get("/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'self'" in policy


@pytest.mark.parametrize("path", PAGES)
def test_each_desk_page_needs_nothing_the_policy_blocks(
    page: Page, watch: Watch, desk: Desk, path: str
) -> None:
    log_in(page, desk, "admin")
    target = path.format(**desk.cases)
    check(page, watch, target)
    answer = page.request.get(target)
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_watch_catches_a_blocked_inline_style_and_a_request_to_another_host(
    page: Page, watch: Watch
) -> None:
    """The checks above can fail: what a page must not do is seen (then forgotten here)."""
    visit(page, "/login")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    with pytest.raises(PlaywrightError):
        page.goto("http://example.com/")
    problems = watch.problems()
    assert problems[0] == "a request left 127.0.0.1: http://example.com/"
    assert "Content Security Policy" in problems[1]
    assert len(problems) == 2
    watch.foreign.clear()
    watch.console.clear()
