"""Fixtures for the browser tests: one demo at 60 x real time and one Chromium for the package.

Without Chromium the tests fail in CI (``CI`` set) and are skipped, saying why, elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.web.harness import DemoServer, chromium_path, launch_chromium

OPERATOR = "olivia"
OPERATOR_PASSWORD = "operator password 2026"
VIEWER = "victor"
VIEWER_PASSWORD = "viewer password 2026"


@pytest.fixture(scope="package")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = "no Chromium: install Debian's chromium package (or set SHOPFLOOR_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="package")
def demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    server = DemoServer(tmp_path_factory.mktemp("web-demo"))
    users = ((OPERATOR, "operator", OPERATOR_PASSWORD), (VIEWER, "viewer", VIEWER_PASSWORD))
    for name, role, password in users:
        server.add_user(name, role, f"{password} at first")
        server.set_own_password(name, f"{password} at first", password)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright, chromium)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page and everything it reported that a user should never cause."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def watch(context: BrowserContext) -> Watched:
    """A new page whose console errors, page errors and requested URLs are collected."""
    page = context.new_page()
    watched = Watched(page)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} at {page.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: watched.errors.append(f"page error: {error} at {page.url}"))
    page.on("request", lambda request: watched.requests.append(request.url))
    return watched


@pytest.fixture
def anonymous(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield watch(context)
    context.close()


@pytest.fixture
def operator(browser: Browser, demo: DemoServer) -> Iterator[Watched]:
    context = demo.session_context(browser, OPERATOR, OPERATOR_PASSWORD)
    yield watch(context)
    context.close()


@pytest.fixture
def viewer(browser: Browser, demo: DemoServer) -> Iterator[Watched]:
    context = demo.session_context(browser, VIEWER, VIEWER_PASSWORD)
    yield watch(context)
    context.close()
