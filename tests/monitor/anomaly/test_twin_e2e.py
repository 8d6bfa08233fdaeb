"""End to end on simulated time: the twin's wear shows as an anomaly before the failure."""

from __future__ import annotations

import pytest
from bench.anomaly_twin import run as bench
from bench.anomaly_twin.run import run_seed

from shopfloor.model.spec_anomaly import AnomalySpec
from shopfloor.sim import default_plant

START = 1_767_571_200 * 10**9  # 2026-01-05T00:00:00Z
PRESS = "acme/stuttgart/fabrication/line1/press1"


async def test_a_wearing_press_raises_an_anomaly_and_its_alarm_before_it_fails() -> None:
    # Wear twenty times faster: the press's pump lasts about half a day of running.
    spec = AnomalySpec.model_validate({"defaults": {"training": "4h"}})
    result = await run_seed(default_plant(), spec, seed=3, days=0.5, start_ns=START, wear=20.0)
    [failure] = [f for f in result.failures if f.machine == PRESS and f.kind == "wear"]
    [notice] = result.notices[PRESS]
    [warning] = result.warnings[PRESS]
    assert START + 4 * 3600 * 10**9 < notice < warning < failure.time_ns
    assert failure.time_ns - notice > 3 * 3600 * 10**9  # hours ahead, at twenty times the wear


def test_the_quick_benchmark_reports_warnings_and_notices_against_wear_and_all_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line.split(" | ")[:2] for line in out.splitlines() if line.startswith("| a")]
    assert "## bench/anomaly_twin" in out
    assert "- Command: `python -m bench.anomaly_twin --quick`" in out
    assert rows == [
        ["| alarm (warning)", "wear"],
        ["| alarm (warning)", "all"],
        ["| anomaly.start (notice)", "wear"],
        ["| anomaly.start (notice)", "all"],
    ]
