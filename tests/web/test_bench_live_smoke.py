"""bench/live runs end to end at a small size: the browser part and a few subscribers."""

from __future__ import annotations

from bench.live.report import markdown
from bench.live.run import run_browser, run_fanout


def test_the_browser_sees_the_probe_values_soon_after_they_enter_the_bus(chromium: str) -> None:
    result = run_browser(seconds=2, probe_hz=10, settle_s=0.5)
    assert len(result.in_dom_ns) >= 5
    assert 0 < min(result.in_dom_ns) <= max(result.in_dom_ns) < 5e9


def test_every_subscriber_gets_the_probe_and_the_report_says_so() -> None:
    result = run_fanout(clients=5, seconds=2, probe_hz=10, deflate=True, settle_s=0.5)
    assert result.connected == 5
    assert result.tally.failed == 0
    assert len(result.tally.latencies_ns) >= 5 * 10
    assert "| bus → WebSocket client | 5 subscribers |" in markdown("cmd", (0, 0), None, result)
