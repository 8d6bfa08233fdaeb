"""The Numenta Anomaly Benchmark corpus: its series, windows, profiles and totals.

Reads a NAB checkout laid out as ``data/``, ``labels/combined_windows.json`` and
``config/profiles.json``, and scores per-row anomaly scores with ``scoring``. One threshold
per profile is chosen over the whole corpus, as NAB's optimiser does.

>>> # corpus = NabCorpus.load(Path("../shared/datasets/nab"))
>>> # corpus.score({name: scores for name, scores in ...})["standard"].normalised
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from shopfloor.monitor.anomaly.scoring import (
    CostProfile,
    FloatArray,
    ScoredRows,
    ThresholdResult,
    at_threshold,
    best_threshold,
    scorable_rows,
)

# NAB's profile names, in the order its reports list them.
PROFILE_NAMES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


@dataclass(frozen=True)
class NabSeries:
    """One labelled series: ``name`` is ``<category>/<file>.csv`` as in NAB's labels."""

    name: str
    times: NDArray[np.datetime64]
    values: FloatArray
    windows: list[tuple[str, str]]

    @property
    def category(self) -> str:
        """The folder the series sits in, e.g. ``realKnownCause``."""
        return self.name.split("/")[0]

    @property
    def labels(self) -> NDArray[np.int8]:
        """1 for rows inside a window, else 0 (the ``label`` column of NAB results)."""
        inside = np.zeros(len(self.times), dtype=np.int8)
        for start, end in self.windows:
            inside[(self.times >= np.datetime64(start)) & (self.times <= np.datetime64(end))] = 1
        return inside


def read_csv_columns(path: Path, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The named columns of a CSV file (gzip when the name ends in ``.gz``), as strings."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        idx = [header.index(c) for c in columns]
        cells: dict[str, list[str]] = {c: [] for c in columns}
        for row in reader:
            for c, i in zip(columns, idx, strict=True):
                cells[c].append(row[i])
    return cells


def parse_times(cells: list[str]) -> NDArray[np.datetime64]:
    """NAB timestamps ("2014-04-01 00:00:00") as datetime64 seconds."""
    return np.array(cells, dtype="datetime64[s]")


@dataclass(frozen=True)
class NabCorpus:
    """The 58 series of a NAB checkout with the cost profiles."""

    root: Path
    series: list[NabSeries]
    profiles: dict[str, CostProfile]

    @staticmethod
    def load(root: Path) -> NabCorpus:
        """Read every series named in ``labels/combined_windows.json``."""
        windows = json.loads((root / "labels" / "combined_windows.json").read_text())
        series = []
        for name in sorted(windows):
            cells = read_csv_columns(root / "data" / name, ("timestamp", "value"))
            pairs = [(str(a), str(b)) for a, b in windows[name]]
            values = np.array(cells["value"], dtype=np.float64)
            series.append(NabSeries(name, parse_times(cells["timestamp"]), values, pairs))
        return NabCorpus(root, series, load_profiles(root / "config" / "profiles.json"))

    def __iter__(self) -> Iterator[NabSeries]:
        return iter(self.series)

    def rows(self, scores: Mapping[str, FloatArray]) -> ScoredRows:
        """All scorable rows of the corpus, given each series' per-row scores."""
        parts = []
        for s in self.series:
            if len(scores[s.name]) != len(s.times):
                raise ValueError(f"{s.name}: {len(scores[s.name])} scores, {len(s.times)} rows")
            parts.append(scorable_rows(np.asarray(scores[s.name], float), s.times, s.windows))
        return ScoredRows.concat(parts)

    def score(self, scores: Mapping[str, FloatArray]) -> dict[str, ThresholdResult]:
        """Per profile, the result at the threshold NAB would choose for these scores."""
        rows = self.rows(scores)
        return {name: best_threshold(rows, p) for name, p in self.profiles.items()}

    def score_flags(self, flags: Mapping[str, FloatArray]) -> dict[str, ThresholdResult]:
        """Per profile, the result of fixed 0/1 flags (flagged where the value is 1)."""
        rows = self.rows(flags)
        return {name: at_threshold(rows, p, 0.5) for name, p in self.profiles.items()}


def load_profiles(path: Path) -> dict[str, CostProfile]:
    """NAB's ``config/profiles.json`` as cost profiles, in NAB's report order."""
    raw = json.loads(path.read_text())
    profiles = {}
    for name in PROFILE_NAMES:
        matrix = raw[name]["CostMatrix"]
        profiles[name] = CostProfile(
            name=name,
            tp_weight=float(matrix["tpWeight"]),
            fp_weight=float(matrix["fpWeight"]),
            fn_weight=float(matrix["fnWeight"]),
        )
    return profiles


def read_result_scores(
    results_dir: Path, detector: str, corpus: NabCorpus
) -> dict[str, FloatArray]:
    """The ``anomaly_score`` column of each result file in NAB's results layout.

    Files are ``<detector>/<category>/<detector>_<file>.csv``, optionally gzip-compressed.
    """
    scores = {}
    for s in corpus:
        category, file = s.name.split("/")
        base = results_dir / category / f"{detector}_{file}"
        path = base if base.exists() else base.with_name(base.name + ".gz")
        cells = read_csv_columns(path, ("anomaly_score",))["anomaly_score"]
        scores[s.name] = np.array(cells, dtype=np.float64)
    return scores
