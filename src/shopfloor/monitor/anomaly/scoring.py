"""Window-based scoring of anomaly detectors, after the Numenta Anomaly Benchmark (NAB).

A detector flags rows whose anomaly score reaches a threshold. Labelled anomaly *windows*
say where a flag is welcome. Scoring follows Lavin and Ahmad (2015), as the NAB 1.x sweeper
does it:

- Inside a window only the first flag counts; it earns ``tp_weight * sigmoid(position) /
  sigmoid(-1)``, where the position runs from -1 at the window's first row to about 0 at its
  last, so a flag on the first row earns exactly 1 and a late one almost 0.
- A flag outside windows costs ``fp_weight`` times a weight in [-1, 0]: -1 before the first
  window and far after a window, less right after one (a late flag is only a bit late).
- A window without a flag costs ``fn_weight``.
- Rows in the probationary period (the first 15 % of a series, at most 750 rows) are not
  scored: the detector is still learning there.

The threshold is chosen to maximise the total over a whole corpus; totals are normalised so
that the detector that never flags scores 0 and a perfect one 100.

The functions here are pure numpy and know nothing of files; ``nab_score`` reads the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

PROBATION_FRACTION = 0.15
MAX_PROBATION_ROWS = 750  # NAB: 15 % of its 5,000-row reference length
MAX_TP_REWARD = float(2.0 / (1.0 + np.exp(-5.0)) - 1.0)  # the sigmoid at a window's first row


@dataclass(frozen=True)
class CostProfile:
    """Weights of one NAB application profile (its ``CostMatrix``)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


@dataclass(frozen=True)
class ScoredRows:
    """The scorable rows of one or more series, ready for a threshold sweep.

    ``reward`` is the unweighted per-row reward (positive inside windows, negative
    outside); ``window`` numbers the window a row lies in, -1 outside windows.
    """

    scores: FloatArray
    reward: FloatArray
    window: IntArray
    n_windows: int

    @staticmethod
    def concat(parts: list[ScoredRows]) -> ScoredRows:
        """Join series, renumbering windows so that each stays distinct."""
        offsets = np.cumsum([0] + [p.n_windows for p in parts[:-1]])
        windows = [
            np.where(p.window >= 0, p.window + off, -1)
            for p, off in zip(parts, offsets, strict=True)
        ]
        return ScoredRows(
            scores=np.concatenate([p.scores for p in parts]),
            reward=np.concatenate([p.reward for p in parts]),
            window=np.concatenate(windows).astype(np.int64),
            n_windows=int(sum(p.n_windows for p in parts)),
        )


@dataclass(frozen=True)
class ThresholdResult:
    """The best threshold of a sweep, its raw total and the normalised score."""

    threshold: float
    raw: float
    normalised: float
    detected_windows: int
    false_positives: int


def scaled_sigmoid(position: FloatArray) -> FloatArray:
    """NAB's reward curve: 2 / (1 + exp(5 x)) - 1, and -1 beyond x = 3."""
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position > 3.0, -1.0, value)


def probation_rows(n_rows: int) -> int:
    """Rows at the start of a series that are not scored."""
    return int(min(np.floor(PROBATION_FRACTION * n_rows), MAX_PROBATION_ROWS))


def window_bounds(times: NDArray[np.datetime64], windows: list[tuple[str, str]]) -> IntArray:
    """Row index ranges ``[first, last]`` (inclusive) of each window, in time order."""
    bounds = []
    for start, end in windows:
        first = int(np.searchsorted(times, np.datetime64(start), side="left"))
        last = int(np.searchsorted(times, np.datetime64(end), side="right")) - 1
        bounds.append((first, last))
    return np.array(bounds, dtype=np.int64).reshape(-1, 2)


def row_rewards(n_rows: int, bounds: IntArray) -> tuple[FloatArray, IntArray]:
    """Unweighted reward and window number of every row of one series.

    Inside window w (rows a..b, width b - a + 1) row i sits at -(b - i + 1) / width. After a
    window a row is penalised by its distance past the window's last row, relative to that
    window's width minus one; before the first window a flag costs the full -1.
    """
    reward = np.full(n_rows, -1.0)
    window = np.full(n_rows, -1, dtype=np.int64)
    rows = np.arange(n_rows, dtype=np.float64)
    for w, (first, last) in enumerate(bounds):
        width = float(last - first + 1)
        inside = slice(first, last + 1)
        # NAB divides by the reward of the window's first row, so an instant detection earns
        # exactly tp_weight (and a perfect detector tp_weight per window).
        position = -(last - rows[inside] + 1.0) / width
        reward[inside] = scaled_sigmoid(position) / MAX_TP_REWARD
        window[inside] = w
        next_first = bounds[w + 1][0] if w + 1 < len(bounds) else n_rows
        after = slice(last + 1, next_first)
        # A one-row window would divide by zero; NAB's windows are never that narrow.
        reward[after] = scaled_sigmoid(np.abs(last - rows[after]) / max(width - 1.0, 1.0))
    return reward, window


def scorable_rows(
    scores: FloatArray, times: NDArray[np.datetime64], windows: list[tuple[str, str]]
) -> ScoredRows:
    """The rows of one series after its probationary period, with their rewards."""
    bounds = window_bounds(times, windows)
    reward, window = row_rewards(len(scores), bounds)
    keep = slice(probation_rows(len(scores)), None)
    kept_window = window[keep]
    # Windows wholly inside the probationary period are dropped, and the rest renumbered.
    present = np.unique(kept_window[kept_window >= 0])
    renumber = np.full(len(bounds) + 1, -1, dtype=np.int64)
    renumber[present] = np.arange(len(present))
    return ScoredRows(
        scores=np.asarray(scores[keep], dtype=np.float64),
        reward=reward[keep],
        window=renumber[kept_window],
        n_windows=len(present),
    )


def sweep(rows: ScoredRows, profile: CostProfile) -> tuple[FloatArray, FloatArray]:
    """Raw total for every candidate threshold, highest threshold first.

    Candidates are 1.1 (nothing flagged) and each distinct score; a row is flagged when its
    score is at least the threshold. Returns ``(thresholds, totals)``.
    """
    order = np.argsort(-rows.scores, kind="stable")
    scores = rows.scores[order]
    reward = rows.reward[order]
    window = rows.window[order]
    outside = window < 0
    gain = np.where(outside, reward * profile.fp_weight, 0.0)
    # A window's contribution is the best (earliest) flag so far, or -fn_weight if none:
    # running maxima per window, turned into increments along the sorted order.
    for w in range(rows.n_windows):
        idx = np.flatnonzero(window == w)
        best = np.maximum.accumulate(reward[idx] * profile.tp_weight)
        gain[idx] = np.diff(np.maximum(best, -profile.fn_weight), prepend=-profile.fn_weight)
    totals = np.cumsum(gain) - profile.fn_weight * rows.n_windows
    # Only the last row of each run of equal scores is a reachable state.
    last_of_run = np.append(scores[1:] != scores[:-1], True)
    thresholds = np.concatenate(([1.1], scores[last_of_run]))
    totals = np.concatenate(([-profile.fn_weight * rows.n_windows], totals[last_of_run]))
    return thresholds, totals


def normalise(raw: float, n_windows: int, profile: CostProfile) -> float:
    """Map a raw total to NAB's scale: never flagging is 0, every window at once is 100."""
    if n_windows == 0:
        return float("nan")  # no window, no scale: only corpus totals are normalised
    null = -profile.fn_weight * n_windows
    perfect = profile.tp_weight * n_windows
    return float(100.0 * (raw - null) / (perfect - null))


def best_threshold(rows: ScoredRows, profile: CostProfile) -> ThresholdResult:
    """The threshold that maximises the total (the highest one on ties), as NAB picks it."""
    thresholds, totals = sweep(rows, profile)
    best = int(np.argmax(totals))
    return at_threshold(rows, profile, float(thresholds[best]))


def at_threshold(rows: ScoredRows, profile: CostProfile, threshold: float) -> ThresholdResult:
    """Score the rows when every row with a score of at least ``threshold`` is flagged."""
    flagged = rows.scores >= threshold
    fp_rows = flagged & (rows.window < 0)
    raw = float(np.sum(rows.reward[fp_rows]) * profile.fp_weight)
    detected = 0
    for w in range(rows.n_windows):
        hits = flagged & (rows.window == w)
        if hits.any():
            detected += 1
            raw += float(rows.reward[np.argmax(hits)]) * profile.tp_weight
        else:
            raw -= profile.fn_weight
    return ThresholdResult(
        threshold=threshold,
        raw=raw,
        normalised=normalise(raw, rows.n_windows, profile),
        detected_windows=detected,
        false_positives=int(fp_rows.sum()),
    )
