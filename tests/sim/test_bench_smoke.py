"""The twin benchmark runs, as its quick version, and reports every configuration."""

from __future__ import annotations

import pytest
from bench.twin import run


def test_the_quick_twin_benchmark_reports_all_four_configurations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run.main(["--quick", "--chunk", "900"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("| ") and " x** |" in line]
    assert "## bench/twin" in out
    assert "- Command: `python -m bench.twin.run" in out
    assert [row.split(" | ")[:3] for row in table] == [
        ["| default (1 line)", "9", "none"],
        ["| default (1 line)", "9", "DuckDB"],
        ["| 10 x default line", "90", "none"],
        ["| 10 x default line", "90", "DuckDB"],
    ]
