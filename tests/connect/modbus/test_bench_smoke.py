"""The Modbus rate benchmark runs briefly and reports both maps with samples delivered."""

from __future__ import annotations

import pytest
from bench.ingest import modbus_rate


def test_the_modbus_rate_benchmark_reports_both_maps(capsys: pytest.CaptureFixture[str]) -> None:
    assert modbus_rate.main(["--seconds", "0.3", "--registers", "250"]) == 0
    rows = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| 1") or line.startswith("| 2")
    ]
    assert [row.split(" | ")[:3] for row in rows] == [
        ["| 250 x uint16", "250", "2"],
        ["| 125 x float32", "250", "3"],
    ]
    assert all(float(row.split(" | ")[-1].strip(" |").replace(",", "")) > 0 for row in rows)
