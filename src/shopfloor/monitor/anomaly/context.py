"""The accurate univariate detector: value surprise plus context novelty, scored at onset.

Why this design (it is tuned on the Numenta Anomaly Benchmark as a whole, never per file):

- **Value surprise.** A z-score of the value and of its step against the mean and spread of
  the last ``window`` rows catches spikes and level shifts.
- **Context novelty.** Each row gets a symbol: the bin of its value (``bins`` equal bins
  across the history's range; values outside the range fall into new bins) and the rounded
  size of its step (in units of ``step_scale`` history step deviations). A symbol seen ``c``
  times before scores ``1 / (1 + c)``. This finds what a z-score misses: a value that is
  normal in size but arrives in an unusual way, such as a flat stretch in a daily wave or a
  jump that never happened before. Symbols are counted at each resolution of ``bins`` (4
  and 5 bins by default) and their novelties averaged: the edges of one set of bins fall
  at arbitrary values, and a second set whose edges fall elsewhere smooths that out.
  Counting symbols is one sort per batch.
- **Records.** A value beyond everything the series has shown before (its history
  included) is raised towards 1, by how far it exceeds the old extreme relative to the
  history's range (``record_scale`` of the range scores half): a new high or low is what a
  failing machine most often shows first, and a z-score over a moving window forgets how
  far the series has ever gone.
- **Onset only.** The blend of the two scores (``novelty_weight`` of novelty) counts only
  where it beats every score of the last ``quiet_rows`` rows; elsewhere it is 0. An anomaly
  is reported when it starts, not again on each of its rows, which is what an operator needs
  and what NAB rewards.
- **Calibration.** Each onset score is also taken relative to the level this series' own
  past reaches about once in two days (a running false-alarm budget), so that scores of
  very different signals are comparable and one threshold can serve them all.

Scores lie in [0, 1). A batch runs vectorised with numpy (the symbol counts included), so
the detector streams at millions of samples per second (``bench/anomaly_speed.py``).
"""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import NDArray

from shopfloor.monitor.anomaly.base import (
    DetectorError,
    FloatArray,
    State,
    TimeArray,
    as_1d,
    fill_missing,
    finite_history,
    rows_per_day,
    surprise_to_score,
)
from shopfloor.monitor.anomaly.budget import AlarmBudget

STEP_CLIP = 3  # steps beyond 3 units share a symbol: "a big jump" is one context


class ContextDetector:
    """Blend of rolling z-score and symbol novelty, reported at the onset of an anomaly.

    ``window`` rows feed the rolling mean and spread; ``bins`` (one count or several, each
    a resolution whose novelties are averaged) and ``step_scale`` set the symbol
    resolution; ``novelty_weight`` is the novelty's share of the blend; ``record_weight``
    is how strongly a value beyond the series' old extremes raises the blend (0 turns
    records off) and ``record_scale`` the excess, as a share of the history's range, that
    counts half; ``calibration`` is the share of the score taken relative to the series'
    own alarm level (not below ``calibration_floor``); ``quiet_rows`` is how long a
    reported score silences smaller ones; ``alarms_per_day`` is the false-alarm budget of
    the automatic threshold. ``seed`` is accepted for the common contract (nothing here is
    random). The defaults were chosen on the whole NAB corpus (small grids over window,
    bins, step_scale, quiet_rows, novelty_weight, calibration and the record terms),
    not per file; ``bench/nab/holdout.py`` checks the choice with categories held out.
    """

    def __init__(
        self,
        window: int = 1500,
        bins: int | tuple[int, ...] = (4, 5),
        step_scale: float = 0.75,
        quiet_rows: int = 120,
        novelty_weight: float = 0.6,
        record_weight: float = 1.0,
        record_scale: float = 0.05,
        calibration: float = 0.5,
        calibration_floor: float = 0.3,
        alarms_per_day: float = 1.0,
        default_rows_per_day: float = 1440.0,
        seed: int = 0,
    ) -> None:
        self.window = window
        self.bins = bins
        self._resolutions = (bins,) if isinstance(bins, int) else tuple(bins)
        if not self._resolutions or min(self._resolutions) < 1:
            raise DetectorError(f"bins must be positive bin counts, got {bins!r}")
        self.step_scale = step_scale
        self.quiet_rows = quiet_rows
        self.novelty_weight = novelty_weight
        self.record_weight = record_weight
        self.record_scale = record_scale
        self.calibration = calibration
        self.calibration_floor = calibration_floor
        self.alarms_per_day = alarms_per_day
        self.default_rows_per_day = default_rows_per_day
        self.seed = seed
        self.threshold = 1.0
        self._fitted = False
        self._low, self._span, self._step_unit, self._offset, self._floor = 0.0, 1.0, 1.0, 0.0, 1.0
        self._extremes = (0.0, 0.0)  # the lowest and highest value seen (minus offset)
        self._values = np.zeros(0)  # the last `window` values (minus offset)
        self._steps = np.zeros(0)  # and their steps
        self._recent = np.zeros(0)  # the last `quiet_rows` blended scores
        self._counts: dict[int, int] = {}
        self._budget: AlarmBudget | None = None
        self._reference: AlarmBudget | None = None  # of onset scores, for calibration

    def fit(self, history: FloatArray, timestamps: TimeArray | None = None) -> Self:
        """Learn the value range and step size, replay ``history``, set the threshold."""
        x = finite_history(history, 3)
        steps = np.diff(x)
        self._low = float(np.min(x))
        self._span = max(float(np.max(x)) - self._low, 1e-9 * (1.0 + abs(self._low)))
        self._step_unit = max(float(np.std(steps)) * self.step_scale, 1e-12)
        self._offset = float(np.mean(x))
        # A perfectly flat history has no spread; a tiny floor keeps z-scores finite.
        self._floor = 1e-9 + 1e-3 * float(np.mean(np.abs(x[:50])))
        self._values, self._steps, self._recent = x[:1] - self._offset, np.zeros(1), np.zeros(0)
        # The history is learnt as a whole: its extremes are known before it is replayed.
        self._extremes = (self._low - self._offset, float(np.max(x)) - self._offset)
        self._counts = {}
        self._fitted, self._budget, self._reference = True, None, None
        onset = self.score_many(x[1:])
        per_day = rows_per_day(timestamps, self.default_rows_per_day)
        # Early history rows are all "new"; both budgets start from the settled second half.
        settled = onset[len(onset) // 2 :]
        self._reference = AlarmBudget(self.alarms_per_day, per_day)
        self._reference.add(settled)
        self._budget = AlarmBudget(self.alarms_per_day, per_day)
        self._budget.add(self._calibrated(settled, np.full(len(settled), self._level())))
        self.threshold = self._budget.threshold()
        return self

    def score_many(self, values: FloatArray, timestamps: TimeArray | None = None) -> FloatArray:
        """Scores for ``values`` in order, continuing the stream."""
        if not self._fitted:
            raise DetectorError("call fit before scoring")
        filled, missing = fill_missing(as_1d(values), float(self._values[-1]) + self._offset)
        x = filled - self._offset
        if len(x) == 0:
            return np.empty(0)
        steps = np.diff(np.concatenate((self._values[-1:], x)))
        surprise = np.maximum(
            self._rolling_z(self._values, x),
            self._rolling_z(self._steps, steps),
        )
        w = self.novelty_weight
        blend = (1.0 - w) * surprise_to_score(surprise) + w * self._novelty(x, steps)
        blend = blend + self.record_weight * (1.0 - blend) * self._record(x)
        onset = self._onset(np.where(missing, 0.0, blend))
        if self._reference is None:
            scores = onset  # replaying the history in fit: no reference yet
        else:
            scores = self._calibrated(onset, self._reference.levels_before(onset))
        self._values = np.concatenate((self._values, x))[-self.window :]
        self._steps = np.concatenate((self._steps, steps))[-self.window :]
        if self._budget is not None:
            self.threshold = self._budget.roll(scores)
        return scores

    def score_one(self, value: float | FloatArray, timestamp: int | None = None) -> float:
        """Score one value (a convenience over ``score_many``)."""
        return float(self.score_many(as_1d(value))[0])

    def save_state(self) -> State:
        """Scales, recent values and symbol counts as JSON-compatible data."""
        return {
            "kind": "context",
            "threshold": self.threshold,
            "fitted": self._fitted,
            "scales": [self._low, self._span, self._step_unit, self._offset, self._floor],
            "extremes": list(self._extremes),
            "resolutions": list(self._resolutions),
            "values": self._values.tolist(),
            "steps": self._steps.tolist(),
            "recent": self._recent.tolist(),
            "counts": {str(k): v for k, v in self._counts.items()},
            "budget": None if self._budget is None else self._budget.to_state(),
            "reference": None if self._reference is None else self._reference.to_state(),
        }

    def restore(self, state: State) -> None:
        """Continue from ``save_state`` output of a detector with the same ``bins``."""
        saved = state.get("resolutions")
        if saved != list(self._resolutions):
            # Symbol codes depend on the bins: counts of other bins would be read wrongly.
            raise DetectorError(
                f"the state was saved with bins {saved}, this detector has {self._resolutions}"
            )
        self.threshold = float(state["threshold"])
        self._fitted = bool(state["fitted"])
        self._low, self._span, self._step_unit, self._offset, self._floor = (
            float(v) for v in state["scales"]
        )
        low, high = (float(v) for v in state["extremes"])
        self._extremes = (low, high)
        self._values = np.array(state["values"], dtype=np.float64)
        self._steps = np.array(state["steps"], dtype=np.float64)
        self._recent = np.array(state["recent"], dtype=np.float64)
        self._counts = {int(k): int(v) for k, v in state["counts"].items()}
        budget = state["budget"]
        self._budget = None if budget is None else AlarmBudget.from_state(budget)
        reference = state["reference"]
        self._reference = None if reference is None else AlarmBudget.from_state(reference)

    def _level(self) -> float:
        """The series' own alarm level of onset scores now."""
        return 0.0 if self._reference is None else self._reference.threshold()

    def _calibrated(self, onset: FloatArray, levels: FloatArray) -> FloatArray:
        """Blend each onset score with itself relative to the series' alarm level.

        ``s / (s + level)`` is 0.5 where a score equals the level that this series' own
        past reaches about once in two days, whatever the series; that makes scores of
        different signals comparable, so that one threshold can serve them all. The floor
        keeps a series that has hardly alarmed yet from turning every blip into 1.
        """
        relative = onset / (onset + np.maximum(levels, self.calibration_floor))
        c = self.calibration
        return np.where(onset > 0, (1.0 - c) * onset + c * relative, 0.0)

    def _rolling_z(self, past: FloatArray, new: FloatArray) -> FloatArray:
        """|new - mean| / sd, each row against the ``window`` rows before it."""
        full = np.concatenate((past, new))
        sums = np.concatenate(([0.0], np.cumsum(full)))
        squares = np.concatenate(([0.0], np.cumsum(full * full)))
        end = np.arange(len(past), len(full))
        start = np.maximum(end - self.window, 0)
        count = np.maximum(end - start, 1).astype(np.float64)
        mean = (sums[end] - sums[start]) / count
        var = np.maximum((squares[end] - squares[start]) / count - mean * mean, 0.0)
        z = np.abs(new - mean) / np.maximum(np.sqrt(var), self._floor)
        # Fewer than ten rows say nothing about spread yet.
        return np.where(end - start < 10, 0.0, z)

    def _record(self, x: FloatArray) -> FloatArray:
        """How far each value lies beyond every value before it, mapped to [0, 1).

        The excess over the old extreme, in history ranges, scores ``e / (e + record_scale)``;
        0 inside the range seen so far. The extremes then move on to include ``x``.
        """
        low, high = self._extremes
        lowest = np.minimum.accumulate(np.concatenate(([low], x)))
        highest = np.maximum.accumulate(np.concatenate(([high], x)))
        excess = np.maximum(np.maximum(x - highest[:-1], lowest[:-1] - x), 0.0) / self._span
        self._extremes = (float(lowest[-1]), float(highest[-1]))
        return np.asarray(excess / (excess + self.record_scale), dtype=np.float64)

    def _novelty(self, x: FloatArray, steps: FloatArray) -> FloatArray:
        """1 / (1 + times seen before) of each row's (value bin, step size) symbol.

        One symbol per resolution of ``bins``, averaged; the resolution's index is folded
        into the code, so one dictionary and one sort count them all.
        """
        size = np.clip(np.round(steps / self._step_unit), -STEP_CLIP, STEP_CLIP)
        share = (x + self._offset - self._low) / self._span
        n = len(self._resolutions)
        codes = np.concatenate(
            [
                (np.floor(share * bins) * (4 * STEP_CLIP) + size) * n + r
                for r, bins in enumerate(self._resolutions)
            ]
        ).astype(np.int64)
        seen = self._count(codes)
        return np.asarray(np.mean(1.0 / (1.0 + seen.reshape(n, len(x))), axis=0))

    def _count(self, codes: NDArray[np.int64]) -> NDArray[np.int64]:
        """Times each code was seen before it (earlier batches and rows); then count it."""
        order = np.argsort(codes, kind="stable")
        ranked = codes[order]
        first = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
        run = np.repeat(first, np.diff(np.append(first, len(ranked))))
        seen_in_batch = np.empty(len(codes), dtype=np.int64)
        seen_in_batch[order] = np.arange(len(ranked)) - run
        unique = ranked[first]
        before = np.array([self._counts.get(int(c), 0) for c in unique], dtype=np.int64)
        totals = np.diff(np.append(first, len(ranked)))
        for code, was, added in zip(unique.tolist(), before.tolist(), totals.tolist(), strict=True):
            self._counts[code] = was + added
        return np.asarray(seen_in_batch + before[np.searchsorted(unique, codes)])

    def _onset(self, blend: FloatArray) -> FloatArray:
        """Keep a score only where it beats each of the ``quiet_rows`` scores before it."""
        full = np.concatenate((self._recent, blend))
        k = self.quiet_rows
        padded = np.concatenate((np.full(k, -np.inf), full))
        windows = np.lib.stride_tricks.sliding_window_view(padded[:-1], k)
        best_before = windows.max(axis=1)[len(self._recent) :]
        self._recent = full[-k:]
        return np.where(blend > best_before, blend, 0.0)
