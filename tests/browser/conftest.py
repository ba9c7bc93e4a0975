"""Fixtures of the browser tests: one real ``shouhu serve`` for the session (deskserver.py),
Debian's chromium driven by Playwright's sync API, and a page that watches what the browser
does — every request must stay on 127.0.0.1, and nothing may be blocked by the CSP.

No chromium is a failure naming the fix (``apt-get install chromium``), never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browserkit import Watch, open_context
from deskserver import Desk, Server, build_desk, launch_options, require_chromium
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("browser-desk"))


@pytest.fixture(scope="session")
def server(desk: Desk) -> Iterator[Server]:
    with Server(desk, desk.folder / "serve.log") as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(**launch_options())
    yield launched
    launched.close()


@pytest.fixture
def watch(server: Server) -> Watch:
    return Watch(server.url)


@pytest.fixture
def context(browser: Browser, server: Server, watch: Watch) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at 1366×768; at the end, nothing may have left
    127.0.0.1 and no page may have logged an error."""
    made = open_context(browser, server, watch)
    yield made
    made.close()
    assert not watch.problems(), "\n".join(watch.problems())


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
