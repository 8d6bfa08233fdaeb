"""The context detector's own behaviour, beyond the contract every detector keeps."""

from __future__ import annotations

import numpy as np
import pytest

from shopfloor.monitor.anomaly import ContextDetector
from shopfloor.monitor.anomaly.base import DetectorError, FloatArray


def wave(n: int) -> FloatArray:
    """A noisy daily wave sampled each minute, between about 9 and 11."""
    rng = np.random.default_rng(7)
    t = np.arange(n)
    return np.asarray(10 + np.sin(2 * np.pi * t / 1440) + rng.normal(scale=0.1, size=n))


def scores(values: FloatArray, record_weight: float) -> FloatArray:
    detector = ContextDetector(record_weight=record_weight).fit(values[:3000])
    return detector.score_many(values[3000:])


def test_a_value_beyond_every_earlier_one_scores_higher_than_without_records() -> None:
    values = wave(5000)
    values[4000] = values[3000:].max() + 1.0
    with_records, without = scores(values, 1.0), scores(values, 0.0)
    assert with_records[1000] > without[1000] > 0.0


def test_values_inside_the_range_seen_score_as_without_records() -> None:
    values = np.clip(wave(5000), 9.3, 10.7)
    np.testing.assert_array_equal(scores(values, 1.0), scores(values, 0.0))


def test_a_state_saved_with_other_bins_is_refused_clearly() -> None:
    state = ContextDetector(bins=5).fit(wave(3000)).save_state()
    with pytest.raises(DetectorError, match="saved with bins"):
        ContextDetector().restore(state)


def test_bins_must_be_positive_counts() -> None:
    with pytest.raises(DetectorError, match="bins must be positive"):
        ContextDetector(bins=(4, 0))
