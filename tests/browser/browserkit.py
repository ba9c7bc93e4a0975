"""What the browser tests share: a watch on what a browser context's pages do (every
request stays on 127.0.0.1; nothing is blocked by the Content-Security-Policy), and logging
in through the desk's login form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from deskserver import DESKTOP, Desk, Server
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Route
from servicekit import PASSWORD

from shouhu.adapters.credentials import load
from shouhu.api import Engine
from shouhu.engine.signing import Credential

#: What Chromium logs for a page answered with an error status (403, 404, 422 …): the tests
#: assert those statuses themselves, so it is no problem of the page — unless it is one of
#: the page's own resources (a stylesheet under /static/ that is missing).
FAILED_LOAD = "Failed to load resource: the server responded with a status of"


@dataclass
class Watch:
    """What a context's pages did that a desk page must not do."""

    server: str
    foreign: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        """Requests to 127.0.0.1 go on; any other host is refused and recorded."""
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = str(message.location.get("url", ""))
        path = urlsplit(where).path
        # The browser asks every site for /favicon.ico by itself; the desk has none (404).
        if message.text.startswith(FAILED_LOAD) and not path.startswith("/static/"):
            return
        self.console.append(f"{where}: {message.text}")

    def problems(self) -> list[str]:
        return [f"a request left 127.0.0.1: {u}" for u in self.foreign] + [
            f"console error: {c}" for c in self.console
        ]


def open_context(browser: Browser, server: Server, watch: Watch, **options: Any) -> BrowserContext:
    """A fresh profile (no cookies) on the server, 1366×768 unless ``options`` say otherwise,
    watched by ``watch``."""
    settings: dict[str, Any] = {"viewport": DESKTOP, **options}
    context = browser.new_context(base_url=server.url, accept_downloads=True, **settings)
    context.set_default_timeout(10_000)
    context.route("**/*", watch.route)
    context.on("page", lambda p: p.on("console", watch.on_console))
    return context


def log_in(page: Page, desk: Desk, key: str, password: str = PASSWORD) -> None:
    """Log in through the login form as ``key``, typing the operator's id and password."""
    page.goto("/login")
    page.get_by_label("操作员（编号或姓名）").fill(desk.operator_id(key))
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def visit(page: Page, path: str) -> int:
    """Go to ``path`` on the server; the status of the page's answer."""
    response = page.goto(path)
    assert response is not None, f"no answer for {path}"
    return response.status


def step_form(page: Page, trigger: str) -> Locator:
    """The case page's form for one next step (its hidden ``trigger``)."""
    hidden = page.locator(f"input[name='trigger'][value='{trigger}']")
    return page.locator("form[action$='/fire']").filter(has=hidden)


def submit(page: Page, form: Locator, button: str) -> int:
    """Press ``form``'s button named ``button``; the status of the page the browser ends on
    (after a 303, the page it was sent to)."""
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name=button).click()
    response = navigation.value
    assert response is not None
    return response.status


def case_state(page: Page) -> Locator:
    """The case page's header (type, state, place, reporter)."""
    return page.locator(".case-head")


@contextmanager
def library(desk: Desk) -> Iterator[tuple[Engine, Credential]]:
    """The library on the server's database, and the admin's credential to read with."""
    with Engine.open(desk.url, create=False) as engine:
        yield engine, load(desk.credential_path("admin"))
