"""Live-stream benchmark: latency from a sample entering the bus to the browser's screen, and
to each of 1,000 WebSocket subscribers of every tag of the default plant.

Run from the project root::

    python -m bench.live.run                  # both, 60 s each, 1,000 subscribers
    python -m bench.live.run --only fanout --clients 500
    python -m bench.live.run --quick          # a smoke run: seconds, a few subscribers

Each part starts its own server process (``python -m bench.live.server``: the default plant
at real time with the API, as ``shopfloor demo`` serves it, plus a probe tag stamped with the
wall clock as it enters the bus); this process is the client: Chromium through Playwright
for the browser part, asyncio WebSockets for the fan-out. The report is a markdown block for
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.live import browser as browser_part
from bench.live import fanout as fanout_part
from bench.live import report
from bench.live.serving import BenchServer, settle


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.live.run", description=__doc__)
    p.add_argument("--only", choices=("browser", "fanout"), help="run one part")
    p.add_argument("--clients", type=int, default=1000, help="WebSocket subscribers")
    p.add_argument("--seconds", type=float, default=60.0, help="measured window per part")
    p.add_argument("--probe-hz", type=float, default=10.0, help="probe samples per second")
    p.add_argument("--no-deflate", action="store_true", help="subscribers refuse compression")
    p.add_argument("--quick", action="store_true", help="a smoke run: 5 s, 20 subscribers")
    return p


def run_browser(
    seconds: float, probe_hz: float, settle_s: float = 3.0
) -> browser_part.BrowserResult:
    """Start a server, watch the overview in Chromium for ``seconds``, stop the server."""
    with tempfile.TemporaryDirectory(prefix="bench-live-") as state:
        server = BenchServer(Path(state), probe_hz)
        try:
            settle(settle_s)
            with sync_playwright() as playwright:
                chromium = browser_part.launch_chromium(playwright)
                try:
                    return browser_part.measure(chromium, server, seconds)
                finally:
                    chromium.close()
        finally:
            server.stop()


def run_fanout(
    clients: int, seconds: float, probe_hz: float, deflate: bool, settle_s: float = 3.0
) -> fanout_part.FanoutResult:
    """Start a server, measure ``clients`` subscribers for ``seconds``, stop the server."""
    with tempfile.TemporaryDirectory(prefix="bench-live-") as state:
        server = BenchServer(Path(state), probe_hz)
        try:
            settle(settle_s)
            result = asyncio.run(
                fanout_part.measure(
                    server.url,
                    server.token,
                    server.pid,
                    clients=clients,
                    seconds=seconds,
                    warmup_s=min(10.0, seconds / 4),
                    deflate=deflate,
                )
            )
        finally:
            stamps = server.stop()
    began, ended = result.window_ns
    result.probes_sent = sum(began <= ns <= ended for ns in stamps.values())
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    seconds = 5.0 if args.quick else args.seconds
    clients = 20 if args.quick else args.clients
    command = shlex.join(["python", "-m", "bench.live.run", *(argv or sys.argv[1:])])
    load_before = os.getloadavg()[0]
    browser = fanout = None
    if args.only in (None, "browser"):
        browser = run_browser(seconds, args.probe_hz)
        print(f"browser: {len(browser.in_dom_ns)} probe values seen", flush=True)
    if args.only in (None, "fanout"):
        fanout = run_fanout(clients, seconds, args.probe_hz, not args.no_deflate)
        print(f"fanout: {len(fanout.tally.latencies_ns)} probe deliveries timed", flush=True)
    print()
    print(report.markdown(command, (load_before, os.getloadavg()[0]), browser, fanout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
