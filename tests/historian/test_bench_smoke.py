"""The historian benchmark runs end to end at smoke size, exactly as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_prints_a_report_for_docs() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.historian.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert "## bench/historian" in run.stdout
    assert "| append, points/s |" in run.stdout
    assert "| query p95 (ms) |" in run.stdout
    assert "Command: `python -m bench.historian.run --quick`" in run.stdout
