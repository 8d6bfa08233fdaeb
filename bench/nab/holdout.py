"""Held-out estimate of the NAB score: leave one category out, choose settings on the rest.

Run from the project root::

    python -m bench.nab.holdout

The context detector's defaults were chosen on the whole corpus, so ``bench.nab.run``
reports an in-sample score. Here the choice itself is cross-validated over NAB's seven
categories: for each category, the setting (from a small grid around the defaults) and the
threshold that score best on the other six are applied to it unchanged. The held-out raw
totals of the seven folds are summed and normalised over all 116 windows, per profile.
A second column keeps NAB's own protocol for the threshold (one threshold optimised over
the whole corpus) and holds out only the choice of settings.
"""

from __future__ import annotations

import functools
import itertools
import shlex
import sys
from collections.abc import Mapping
from typing import Any

from bench.nab.run import NAB, run_corpus
from shopfloor.monitor.anomaly import ContextDetector
from shopfloor.monitor.anomaly.base import FloatArray
from shopfloor.monitor.anomaly.nab_score import PROFILE_NAMES, NabCorpus
from shopfloor.monitor.anomaly.scoring import (
    ScoredRows,
    at_threshold,
    best_threshold,
    normalise,
    scorable_rows,
)

GRID: dict[str, tuple[Any, ...]] = {
    "window": (1000, 1500),
    "quiet_rows": (100, 120),
    "step_scale": (0.5, 0.75),
    "calibration": (0.0, 0.5),
    "record_weight": (0.5, 1.0),
    "bins": (5, (4, 5)),
}


def rows_of(corpus: NabCorpus, scores: Mapping[str, FloatArray], keep: set[str]) -> ScoredRows:
    """Scorable rows of the series whose category is in ``keep``."""
    parts = [
        scorable_rows(scores[s.name], s.times, s.windows) for s in corpus if s.category in keep
    ]
    return ScoredRows.concat(parts)


def main() -> int:
    """Run the grid once, then cross-validate the choice by category."""
    corpus = NabCorpus.load(NAB)
    settings = [
        dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())
    ]
    runs = [run_corpus(functools.partial(ContextDetector, **s), corpus).scores for s in settings]
    categories = sorted({s.category for s in corpus})
    print(f"`{shlex.join(['python', '-m', 'bench.nab.holdout', *sys.argv[1:]])}`, "
          f"{len(settings)} settings, {len(categories)} folds")  # fmt: skip
    print("| profile | settings and threshold held out | settings held out, NAB's threshold |")
    print("|---|---:|---:|")
    for name in PROFILE_NAMES:
        profile = corpus.profiles[name]
        raw, windows = 0.0, 0
        chosen: dict[str, FloatArray] = {}
        for held_out in categories:
            train = set(categories) - {held_out}
            fits = [best_threshold(rows_of(corpus, run, train), profile) for run in runs]
            best = max(range(len(runs)), key=lambda i: fits[i].normalised)
            test = rows_of(corpus, runs[best], {held_out})
            raw += at_threshold(test, profile, fits[best].threshold).raw
            windows += test.n_windows
            chosen.update({s.name: runs[best][s.name] for s in corpus if s.category == held_out})
            if name == "standard":
                print(f"- {held_out}: chose {settings[best]}", file=sys.stderr)
        # NAB's protocol: each category scored with the setting chosen without it, one
        # threshold optimised over the whole corpus.
        nab = corpus.score(chosen)[name].normalised
        print(f"| {name} | {normalise(raw, windows, profile):.2f} | {nab:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
