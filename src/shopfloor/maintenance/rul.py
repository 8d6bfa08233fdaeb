"""Remaining-useful-life regression with a calibrated interval on every prediction.

:func:`fit_rul` splits the training units into folds (five by default); for each fold a
LightGBM regressor trained on the other units (target: remaining cycles, capped, as
published C-MAPSS results use) predicts the fold's cycles, and the signed residuals over
every unit calibrate the intervals (cross-conformal). The final model is then trained on
every unit with the same settings. Residuals of units that no model saw are what a new unit
will see, whichever fold model made them; the final model, trained on a quarter more units,
is if anything more accurate. Coverage is measured on data none saw (see ``bench/cmapss``).

A model is saved as one JSON document: a format name and version, the feature settings, the
regime normaliser, the intervals and LightGBM's own text model. Nothing in it is pickled, so
loading a model file never runs code from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from shopfloor.maintenance.conformal import BandedIntervals, calibrate
from shopfloor.maintenance.features import FeatureSettings, feature_names, window_features
from shopfloor.maintenance.regimes import RegimeNormaliser, fit_normaliser
from shopfloor.maintenance.runs import FloatArray, IntArray, RunTable
from shopfloor.model.errors import InputError

FORMAT = "shopfloor.rul"
VERSION = 1

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RulSettings:
    """How a model is trained; its parameters, with ``seed`` for every random choice.

    With ``folds`` of 2 or more, the intervals are calibrated on every unit: each fold of
    units is predicted by a model trained on the others (cross-conformal). Otherwise a
    ``calibration_share`` of the units is held out once, and ``refit`` says whether the
    final model is retrained on every unit. ``calibrate_within``, when set, calibrates the
    intervals only on cycles with at most that many cycles left, for use where predictions
    are wanted within that horizon.
    """

    features: FeatureSettings = field(default_factory=FeatureSettings)
    cap: float = 125.0
    rounds: int = 500
    learning_rate: float = 0.03
    leaves: int = 31
    min_leaf: int = 40
    feature_fraction: float = 0.6
    bagging_fraction: float = 0.8
    max_bin: int = 63
    coverage: float = 0.9
    folds: int = 5
    calibration_share: float = 0.2
    bands: int = 4
    calibrate_within: float | None = None
    refit: bool = True
    threads: int = 2
    seed: int = 0

    def booster_params(self) -> dict[str, Any]:
        """LightGBM's parameters for these settings."""
        return {
            "objective": "regression",
            "learning_rate": self.learning_rate,
            "num_leaves": self.leaves,
            "min_data_in_leaf": self.min_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "max_bin": self.max_bin,
            "num_threads": self.threads,
            "seed": self.seed,
            "deterministic": True,
            "verbosity": -1,
        }


@dataclass(frozen=True)
class RulPrediction:
    """Predictions for each unit at its last cycle, with the interval bounds."""

    units: IntArray
    rul: FloatArray
    lower: FloatArray
    upper: FloatArray


@dataclass(frozen=True)
class RulModel:
    """A trained model: normaliser, feature settings, regressor and intervals."""

    features: FeatureSettings
    normaliser: RegimeNormaliser
    sensor_names: tuple[str, ...]
    setting_names: tuple[str, ...]
    cap: float
    intervals: BandedIntervals
    booster: lgb.Booster

    def predict_rows(self, table: RunTable) -> FloatArray:
        """The predicted RUL at every row of ``table`` (each from the history up to it)."""
        self._check_columns(table)
        matrix = _features(table, self.normaliser, self.features)
        raw = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        return np.clip(raw, 0.0, None)

    def predict(self, table: RunTable) -> RulPrediction:
        """The prediction and interval for each unit at its last cycle."""
        rows = self.predict_rows(table)[table.last_rows()]
        lower, upper = self.intervals.interval(rows)
        return RulPrediction(table.unit_ids(), rows, lower, upper)

    def save(self, path: Path) -> None:
        """Write the model as one JSON file (see the module docstring)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "features": self.features.to_dict(),
            "normaliser": self.normaliser.to_dict(),
            "sensor_names": list(self.sensor_names),
            "setting_names": list(self.setting_names),
            "cap": self.cap,
            "intervals": self.intervals.to_dict(),
            "booster": self.booster.model_to_string(),
        }
        path.write_text(json.dumps(document, allow_nan=False), encoding="utf-8")

    def _check_columns(self, table: RunTable) -> None:
        if table.sensor_names != self.sensor_names or table.setting_names != self.setting_names:
            raise InputError(
                "the input's columns differ from the model's: "
                f"sensors {', '.join(table.sensor_names)}; "
                f"model trained on {', '.join(self.sensor_names)}"
            )


def load_model(path: Path) -> RulModel:
    """Read a model written by :meth:`RulModel.save`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable RUL model ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{path}: not a shopfloor RUL model")
    if document.get("version") != VERSION:
        raise InputError(f"{path}: model format version {document.get('version')} unsupported")
    try:
        return RulModel(
            FeatureSettings.from_dict(document["features"]),
            RegimeNormaliser.from_dict(document["normaliser"]),
            tuple(document["sensor_names"]),
            tuple(document["setting_names"]),
            float(document["cap"]),
            BandedIntervals.from_dict(document["intervals"]),
            lgb.Booster(model_str=document["booster"]),
        )
    except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
        raise InputError(f"{path}: damaged RUL model ({exc})") from exc


def fit_rul(
    table: RunTable, settings: RulSettings | None = None, *, progress: Progress | None = None
) -> RulModel:
    """Train on a run-to-failure table (each unit's last row is its failure)."""
    settings = settings or RulSettings()
    units = table.unit_ids()
    if len(units) < 2:
        raise InputError("training needs at least two run-to-failure units")
    folds = _calibration_folds(units, settings)
    refit = settings.refit or len(folds) > 1
    total = settings.rounds * (len(folds) + (1 if refit else 0))
    predicted, truth, models = [], [], []
    for index, held in enumerate(folds):
        model = _train(
            table.select_units(np.setdiff1d(units, held)),
            settings,
            _offset(progress, index * settings.rounds, total),
        )
        part = table.select_units(held)
        predicted.append(model.predict_rows(part))
        truth.append(part.rul())
        models.append(model)
    intervals = _calibrate(np.concatenate(predicted), np.concatenate(truth), settings)
    if not refit:
        return _with_intervals(models[0], intervals)
    final = _train(table, settings, _offset(progress, len(folds) * settings.rounds, total))
    return _with_intervals(final, intervals)


def _calibration_folds(units: IntArray, settings: RulSettings) -> list[IntArray]:
    """The held-out units of each calibration model: K folds, or one share."""
    shuffled = np.random.default_rng(settings.seed).permutation(units)
    if settings.folds >= 2 and len(units) >= settings.folds:
        return [np.sort(fold) for fold in np.array_split(shuffled, settings.folds)]
    held = max(1, round(len(units) * settings.calibration_share))
    return [np.sort(shuffled[:held])]


def _calibrate(predicted: FloatArray, truth: FloatArray, settings: RulSettings) -> BandedIntervals:
    # Calibrate on the horizon predictions will be asked about, when the caller knows it:
    # cycles far from failure would otherwise widen every interval near the cap.
    near = truth <= (np.inf if settings.calibrate_within is None else settings.calibrate_within)
    return calibrate(predicted[near], truth[near], coverage=settings.coverage, bands=settings.bands)


def _train(table: RunTable, settings: RulSettings, progress: Progress | None) -> RulModel:
    normaliser = fit_normaliser(table.settings, table.sensors, seed=settings.seed)
    matrix = _features(table, normaliser, settings.features)
    kept = tuple(n for n, k in zip(table.sensor_names, normaliser.keep, strict=True) if k)
    names = feature_names(settings.features, kept)
    data = lgb.Dataset(matrix, label=np.minimum(table.rul(), settings.cap), feature_name=names)
    callbacks = [] if progress is None else [_progress_callback(progress, settings.rounds)]
    booster = lgb.train(
        settings.booster_params(), data, num_boost_round=settings.rounds, callbacks=callbacks
    )
    empty = BandedIntervals(settings.coverage, np.zeros(0), np.zeros(1), np.zeros(1))
    return RulModel(
        settings.features,
        normaliser,
        table.sensor_names,
        table.setting_names,
        settings.cap,
        empty,
        booster,
    )


def _features(
    table: RunTable, normaliser: RegimeNormaliser, features: FeatureSettings
) -> FloatArray:
    return window_features(table, normaliser.transform(table.settings, table.sensors), features)


def _with_intervals(model: RulModel, intervals: BandedIntervals) -> RulModel:
    return RulModel(
        model.features,
        model.normaliser,
        model.sensor_names,
        model.setting_names,
        model.cap,
        intervals,
        model.booster,
    )


def _offset(progress: Progress | None, done: int, total: int) -> Progress | None:
    if progress is None:
        return None
    return lambda step, _: progress(done + step, total)


def _progress_callback(progress: Progress, rounds: int) -> Callable[[Any], None]:
    def report(env: Any) -> None:
        # Reporting every iteration would cost more than the trees for small tables.
        step = env.iteration + 1
        if step % 10 == 0 or step == rounds:
            progress(step, rounds)

    return report
