"""``shopfloor demo --protocol``: the twin over a real protocol and back through a connector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.historian import DuckDBHistorian
from shopfloor.model.quality import Quality

LINE = "acme/stuttgart/fabrication/line1"
BROKER = os.environ.get("SHOPFLOOR_MQTT_URL", "mqtt://127.0.0.1:1883")
# A Monday at 13:00 in Berlin: inside the early shift and away from its break, and in the
# future, so the demo starts there without catching up, whenever the test runs.
START = "2030-01-07T12:00Z"


@pytest.mark.parametrize("protocol", ["sparkplug", "opcua", "modbus"])
def test_the_twin_arrives_in_the_historian_through_each_protocol(
    protocol: str, tmp_path: Path
) -> None:
    db = tmp_path / "h.duckdb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopfloor",
            "demo",
            "--protocol",
            protocol,
            "--broker",
            BROKER,
            "--start",
            START,
            "--speed",
            "120",
            "--duration",
            "10m",
            "--db",
            str(db),
            "--no-live",
            "--no-web",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with DuckDBHistorian(db, read_only=True) as historian:
        temperature = historian.raw(f"{LINE}/oven1/temperature", 0, 2**62)
        states = historian.raw(f"{LINE}/press1/state", 0, 2**62)
        rejects = historian.events(kind="connector.reject")
    good = temperature.value[temperature.quality == Quality.GOOD]
    assert len(good) >= 3
    assert 100 < float(good.mean()) < 250
    assert len(states) >= 1
    assert rejects == []
