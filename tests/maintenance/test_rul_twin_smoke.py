"""The rul_twin benchmark's smoke run: the live health service on the twin, reported."""

from __future__ import annotations

import pytest
from bench.rul_twin import run


def test_the_quick_benchmark_reports_rul_errors_and_both_warning_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "## bench/rul_twin" in out
    assert "- Command: `python -m bench.rul_twin --quick`" in out
    assert "| 90 % interval coverage |" in out
    rules = [line.split(" | ")[0] for line in out.splitlines() if line.startswith("| lower")]
    rules += [line.split(" | ")[0] for line in out.splitlines() if line.startswith("| rul")]
    assert rules == ["| lower (live)", "| rul"]
