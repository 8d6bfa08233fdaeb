"""The ingest benchmark runs, as its quick version, against the shared broker."""

from __future__ import annotations

import pytest
from bench.ingest import run

from .broker import shared_broker


def test_the_quick_ingest_benchmark_reports_both_message_sizes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker = shared_broker()
    assert run.main(["--quick", "--broker", broker, "--devices", "2"]) == 0
    out = capsys.readouterr().out
    rows = [
        line for line in out.splitlines() if line.startswith("| 100 |") or line.startswith("| 10 |")
    ]
    assert "## bench/ingest" in out
    assert "- Command: `python -m bench.ingest.run --quick" in out
    assert [row.split(" | ")[0] for row in rows] == ["| 100", "| 10"]
    assert "met**" in rows[0] or "missed**" in rows[0]
