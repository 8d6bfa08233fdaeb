"""Screenshots of the dashboard's main pages for the docs: ``python -m tests.web.screenshots``.

Runs ``shopfloor demo`` at 60 x real time from eight hours ago (so the OEE page has a shift
of history), has an operator acknowledge one alarm with a comment (so the alarm history shows
who did what), and saves 1280 x 800 PNGs of the overview, a machine, OEE and the alarms.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.web.harness import ADMIN_PASSWORD, LINE, DemoServer, chromium_path, launch_chromium

OUT = Path("docs/screenshots")
MACHINE = f"{LINE}/cnc1"


def acknowledge_one(demo: DemoServer) -> None:
    """Let an operator acknowledge the most urgent waiting alarm, as on a real shift."""
    demo.add_user("olivia", "operator", "olivia at first")
    demo.set_own_password("olivia", "olivia at first", "olivia operator 2026")
    token = demo.login("olivia", "olivia operator 2026")["token"]
    waiting = [
        a
        for a in demo.call("GET", "/api/alarms", token=token)
        if a["state"].startswith("unacknowledged")
    ]
    if waiting:
        body = {"comment": "bearing checked, vibration within limits after restart"}
        demo.call("POST", f"/api/alarms/{waiting[0]['id']}/ack", body, token)


def shoot(page: Page, url: str, ready: str, path: Path, settle_ms: int = 2500) -> None:
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(settle_ms)  # live values, polls and chart transitions settle
    page.screenshot(path=str(path))
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        raise SystemExit("no Chromium found: install Debian's chromium package")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as state, sync_playwright() as playwright:
        demo = DemoServer(Path(state), start="-8h")
        browser = launch_chromium(playwright, executable)
        try:
            context = demo.session_context(browser, "admin", ADMIN_PASSWORD)
            page = context.new_page()
            page.goto(demo.url + "/")
            ringed = '.tile[data-alarm]:not([data-alarm=""])'
            expect(page.locator(ringed).first).to_be_visible(timeout=90_000)
            acknowledge_one(demo)
            shoot(page, demo.url + "/", ringed, args.out / "overview.png")
            machine = f"{demo.url}/machine/{MACHINE}"
            shoot(page, machine, "#chart .main-svg", args.out / "machine.png")
            shoot(page, demo.url + "/oee", "#pareto .main-svg", args.out / "oee.png")
            history = "#alarm-history tr[data-kind='alarm.acknowledged']"
            shoot(page, demo.url + "/alarms", history, args.out / "alarms.png")
        finally:
            browser.close()
            demo.stop()


if __name__ == "__main__":
    main()
