"""The scheduling benchmark runs end to end at smoke size, as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_compares_three_methods_on_two_instances(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scheduling",
            "--instances",
            "ft06,mk01",
            "--time-limit",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert "## bench/scheduling" in run.stdout
    assert "| ft | ours | 1/1 |" in run.stdout
    assert "| mk | plain | 1/1 |" in run.stdout
    results = json.loads(out.read_text())["results"]
    assert {(r["instance"], r["method"]) for r in results} == {
        (name, method) for name in ("ft06", "mk01") for method in ("ours", "plain", "rule")
    }
    ours = {r["instance"]: r["makespan"] for r in results if r["method"] == "ours"}
    assert ours == {"ft06": 55, "mk01": 40}
