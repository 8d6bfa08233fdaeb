"""The NAB benchmark writes NAB's results layout, which the scorer reads back unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.monitor.anomaly.nab_score import NabCorpus, read_result_scores

ROOT = Path(__file__).parents[3]
NAB = ROOT / "../shared/datasets/nab"


@pytest.mark.skipif(not NAB.exists(), reason="the shared NAB data set is not here")
def test_the_benchmark_results_rescore_to_the_reported_standard_score(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.nab.run", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    standard = next(line for line in done.stdout.splitlines() if line.startswith("| standard"))
    reported = float(standard.split("|")[3])
    corpus = NabCorpus.load(NAB)
    scores = read_result_scores(tmp_path / "context", "context", corpus)
    assert corpus.score(scores)["standard"].normalised == pytest.approx(reported, abs=0.01)
    header = (tmp_path / "context/realKnownCause/context_nyc_taxi.csv").read_text().split("\n")[0]
    assert header == "timestamp,value,anomaly_score,label"
