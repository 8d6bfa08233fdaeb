"""From the bus to the screen: the dashboard's overview in Chromium shows the probe's values.

The real overview page (no benchmark code in the dashboard) follows the live stream; the
probe tag is press1's temperature, shown on press1's tile. A MutationObserver added by the
benchmark notes the wall-clock time (``performance.timeOrigin + performance.now()``) each
time the tile's text changes, and again at the next animation frame, when the browser paints
it. The text is the probe's sequence number; the server's stamps say when that number
entered the bus. Both clocks are this machine's wall clock.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass

from playwright.sync_api import Browser, Playwright

from bench.live.server import PROBE
from bench.live.serving import BenchServer

# Debian's Chromium, headless, quiet: nothing fetched from the network in the background.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

OBSERVE = """(selector) => {
  const node = document.querySelector(selector);
  window.__shown = [];
  window.__painted = [];
  const now = () => performance.timeOrigin + performance.now();
  new MutationObserver(() => {
    const text = node.textContent;
    window.__shown.push([text, now()]);
    requestAnimationFrame(() => window.__painted.push([text, now()]));
  }).observe(node, { childList: true, characterData: true, subtree: true });
}"""


def launch_chromium(playwright: Playwright) -> Browser:
    """The system Chromium (``$SHOPFLOOR_CHROMIUM`` or ``chromium`` on the PATH)."""
    executable = os.environ.get("SHOPFLOOR_CHROMIUM") or shutil.which("chromium")
    if executable is None:
        raise SystemExit("no Chromium: install Debian's chromium package")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


@dataclass
class BrowserResult:
    """Latencies of the values the page showed, in nanoseconds."""

    in_dom_ns: list[int]
    painted_ns: list[int]
    probes_sent: int
    window_s: float


def latencies(seen: list[list[object]], stamps: dict[int, int]) -> list[int]:
    """Each probe value's first appearance minus its bus stamp."""
    first: dict[int, float] = {}
    for text, at_ms in seen:
        seq = round(float(str(text)))
        if seq in stamps and seq not in first:
            first[seq] = float(str(at_ms))
    return [round(at_ms * 1e6) - stamps[seq] for seq, at_ms in first.items()]


def measure(browser: Browser, server: BenchServer, seconds: float) -> BrowserResult:
    """Open the overview as admin, watch press1's temperature for ``seconds``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": "shopfloor_session", "value": server.token, "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/")
    machine = PROBE.rsplit("/", 1)[0]
    selector = f'.tile[data-machine="{machine}"] [data-tag=temperature]'
    page.wait_for_selector(selector)
    # a locator, not wait_for_function: the page's CSP forbids the eval that one polls with
    page.locator("#live-status", has_text=re.compile(r"^live$")).wait_for()
    page.evaluate(OBSERVE, selector)
    began, began_ns = time.monotonic(), time.time_ns()
    page.wait_for_timeout(seconds * 1000)
    window_s, ended_ns = time.monotonic() - began, time.time_ns()
    shown = page.evaluate("window.__shown")
    painted = page.evaluate("window.__painted")
    context.close()
    stamps = server.stop()
    sent = sum(began_ns <= ns <= ended_ns for ns in stamps.values())
    return BrowserResult(latencies(shown, stamps), latencies(painted, stamps), sent, window_s)
