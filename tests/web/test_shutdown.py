"""A demo serving a connected browser still stops at once when asked."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.web.harness import ADMIN_PASSWORD, DemoServer


def test_the_demo_stops_within_seconds_while_a_browser_follows_the_live_stream(
    browser: Browser, tmp_path: Path
) -> None:
    demo = DemoServer(tmp_path, start="now")
    context = demo.session_context(browser, "admin", ADMIN_PASSWORD)
    try:
        page = context.new_page()
        # The alarm page follows machine events only: its stream is mostly silent.
        page.goto(demo.url + "/alarms")
        expect(page.locator("#live-status")).to_have_text("live")
        took = demo.stop()
    finally:
        context.close()
        demo.stop()
    assert took < 10
