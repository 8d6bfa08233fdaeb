"""The context detector's own behaviour, beyond the contract every detector keeps."""

from __future__ import annotations

import numpy as np

from shopfloor.monitor.anomaly import ContextDetector
from shopfloor.monitor.anomaly.base import FloatArray


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


def test_novelty_at_several_resolutions_is_the_mean_of_each() -> None:
    values = wave(5000)
    values[4000:4030] = 10.0  # a flat stretch: steps of a size never seen
    both = ContextDetector(bins=(4, 5), calibration=0.0, quiet_rows=1).fit(values[:3000])
    fours = ContextDetector(bins=4, calibration=0.0, quiet_rows=1).fit(values[:3000])
    fives = ContextDetector(bins=5, calibration=0.0, quiet_rows=1).fit(values[:3000])
    rest = values[3000:]
    w = both.novelty_weight
    np.testing.assert_allclose(
        both._novelty(rest - both._offset, np.diff(np.concatenate(([values[2999]], rest)))),
        0.5 * fours._novelty(rest - fours._offset, np.diff(np.concatenate(([values[2999]], rest))))
        + 0.5
        * fives._novelty(rest - fives._offset, np.diff(np.concatenate(([values[2999]], rest)))),
    )
    assert w == 0.6
