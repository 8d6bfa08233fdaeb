"""The NAB scorer reproduces the official windowedGaussian totals from its scores alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shopfloor.monitor.anomaly.nab_score import NabCorpus, read_result_scores
from shopfloor.monitor.anomaly.scoring import (
    CostProfile,
    at_threshold,
    best_threshold,
    scaled_sigmoid,
    scorable_rows,
)

NAB = Path(__file__).parents[3] / "../shared/datasets/nab"
needs_nab = pytest.mark.skipif(not NAB.exists(), reason="the shared NAB data set is not here")
STANDARD = CostProfile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)


@pytest.fixture(scope="module")
def corpus() -> NabCorpus:
    return NabCorpus.load(NAB)


@needs_nab
def test_reference_windowed_gaussian_scores_reproduce_the_official_totals(
    corpus: NabCorpus,
) -> None:
    scores = read_result_scores(NAB / "reference" / "windowedGaussian", "windowedGaussian", corpus)
    results = corpus.score(scores)
    assert results["standard"].normalised == pytest.approx(39.649523496077585, abs=1e-6)
    assert results["reward_low_FP_rate"].normalised == pytest.approx(20.86798582474138, abs=1e-6)
    assert results["reward_low_FN_rate"].normalised == pytest.approx(47.4100271583046, abs=1e-6)


@needs_nab
def test_the_corpus_has_58_series_and_116_windows(corpus: NabCorpus) -> None:
    assert len(corpus.series) == 58
    assert sum(len(s.windows) for s in corpus) == 116


def test_the_sigmoid_is_about_one_at_minus_one_zero_at_zero_and_minus_one_far_after() -> None:
    values = scaled_sigmoid(np.array([-1.0, 0.0, 3.5]))
    assert values == pytest.approx([0.98661, 0.0, -1.0], abs=1e-5)


def series_with_one_window() -> tuple[np.typing.NDArray[np.datetime64], list[tuple[str, str]]]:
    times = np.arange(100).astype("timedelta64[m]") + np.datetime64("2024-01-01T00:00")
    return times, [("2024-01-01T00:50", "2024-01-01T00:59")]


def test_a_flag_on_the_first_window_row_earns_the_full_true_positive_weight() -> None:
    times, windows = series_with_one_window()
    scores = np.zeros(100)
    scores[50] = 1.0
    result = at_threshold(scorable_rows(scores, times, windows), STANDARD, 0.5)
    assert result.raw == pytest.approx(1.0)
    assert result.normalised == pytest.approx(100.0)


def test_never_flagging_scores_zero_and_a_flag_before_the_window_costs_fp_weight() -> None:
    times, windows = series_with_one_window()
    scores = np.zeros(100)
    assert at_threshold(scorable_rows(scores, times, windows), STANDARD, 0.5).normalised == 0.0
    scores[30] = 1.0
    result = at_threshold(scorable_rows(scores, times, windows), STANDARD, 0.5)
    assert result.raw == pytest.approx(-1.0 - 0.11)


def test_the_best_threshold_skips_a_false_alarm_that_scores_lower_than_the_detection() -> None:
    times, windows = series_with_one_window()
    scores = np.zeros(100)
    scores[52] = 0.9
    scores[30] = 0.4
    result = best_threshold(scorable_rows(scores, times, windows), STANDARD)
    assert result.threshold == pytest.approx(0.9)
    assert result.false_positives == 0
    assert result.detected_windows == 1


def test_rows_in_the_probationary_period_are_not_scored() -> None:
    times, windows = series_with_one_window()
    scores = np.zeros(100)
    scores[5] = 1.0  # probation is the first 15 rows
    assert at_threshold(scorable_rows(scores, times, windows), STANDARD, 0.5).false_positives == 0
