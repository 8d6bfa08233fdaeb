"""A health index: a unit's sensors fused into one number, 1 when new and 0 at failure.

:func:`fit_health` learns it from run-to-failure data:

1. **Per-regime normalisation** (``regimes.py``): each sensor standardised within its
   operating regime, so that a change of condition does not read as wear.
2. **Fusion.** Rows from the first ``healthy_share`` of each unit's life are labelled 1,
   rows from its last ``failed_share`` 0; a ridge regression of the labels on the normalised
   sensors gives one weight per sensor (the classic linear health indicator: the direction
   in sensor space along which units travel from new to failed).
3. **Smoothing.** Per unit, causally: an exponentially weighted mean with a half-life of
   ``half_life`` rows, so each row's index uses that row and the ones before it only.
4. Clipped to [0, 1].

:func:`monotonicity` measures how steadily the index falls over a unit's life (Spearman's
rank correlation with time, sign flipped so that 1 is a steady fall), the usual figure of
merit for health indicators; ``docs/rul.md`` gives it for C-MAPSS.

A model is one JSON document (format ``shopfloor.health``, version 1); nothing is pickled.

>>> import numpy as np
>>> from shopfloor.maintenance import from_columns
>>> t = np.tile(np.arange(1.0, 51.0), 4)
>>> units = np.repeat(np.arange(1, 5), 50)
>>> wear = (t / 50.0) ** 2
>>> table = from_columns(units, t, np.zeros((200, 0)), np.column_stack([wear, -wear]),
...                      (), ("a", "b"))
>>> model = fit_health(table)
>>> index = model.index(table)
>>> bool(index[0] > 0.9 and index[49] < 0.2)
True
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter
from scipy.stats import spearmanr

from shopfloor.maintenance.regimes import RegimeNormaliser, fit_normaliser
from shopfloor.maintenance.runs import FloatArray, RunTable
from shopfloor.model.errors import InputError

FORMAT = "shopfloor.health"
VERSION = 1


@dataclass(frozen=True)
class HealthSettings:
    """How the index is learnt; part of a saved model."""

    healthy_share: float = 0.2
    failed_share: float = 0.1
    half_life: float = 5.0
    ridge: float = 1e-3
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "healthy_share": self.healthy_share,
            "failed_share": self.failed_share,
            "half_life": self.half_life,
            "ridge": self.ridge,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthSettings:
        """The inverse of :meth:`to_dict`."""
        return cls(
            float(data["healthy_share"]),
            float(data["failed_share"]),
            float(data["half_life"]),
            float(data["ridge"]),
            int(data["seed"]),
        )


@dataclass(frozen=True)
class HealthModel:
    """The normaliser and fusion weights of a health index."""

    settings: HealthSettings
    normaliser: RegimeNormaliser
    weights: FloatArray
    bias: float
    sensor_names: tuple[str, ...]
    setting_names: tuple[str, ...]

    def raw(self, table: RunTable) -> FloatArray:
        """The fused indicator of every row, before smoothing and clipping.

        A missing (non-finite) normalised sensor counts as its regime's mean.
        """
        self._check(table)
        z = self.normaliser.transform(table.settings, table.sensors)
        z = np.where(np.isfinite(z), z, 0.0)
        return np.asarray(self.bias + z @ self.weights, dtype=np.float64)

    def index(self, table: RunTable) -> FloatArray:
        """The health index of every row in [0, 1], each from its unit's rows up to it."""
        raw = self.raw(table)
        alpha = 1.0 - 0.5 ** (1.0 / max(self.settings.half_life, 1e-9))
        out = np.empty_like(raw)
        bounds = table.unit_bounds()
        for a, b in itertools.pairwise(bounds):
            part = raw[a:b]
            smoothed, _ = lfilter([alpha], [1.0, alpha - 1.0], part, zi=[(1 - alpha) * part[0]])
            out[a:b] = smoothed
        return np.clip(out, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """The model as one JSON-ready document."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "settings": self.settings.to_dict(),
            "normaliser": self.normaliser.to_dict(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "sensor_names": list(self.sensor_names),
            "setting_names": list(self.setting_names),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthModel:
        """The inverse of :meth:`to_dict`; ``InputError`` for another format or version."""
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise InputError(f"not a {FORMAT} model of version {VERSION}")
        try:
            return cls(
                HealthSettings.from_dict(data["settings"]),
                RegimeNormaliser.from_dict(data["normaliser"]),
                np.asarray(data["weights"], dtype=np.float64),
                float(data["bias"]),
                tuple(data["sensor_names"]),
                tuple(data["setting_names"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"damaged health model ({exc})") from exc

    def save(self, path: Path) -> None:
        """Write the model as one JSON file."""
        path.write_text(json.dumps(self.to_dict(), allow_nan=False), encoding="utf-8")

    def _check(self, table: RunTable) -> None:
        if table.sensor_names != self.sensor_names or table.setting_names != self.setting_names:
            raise InputError(
                f"the input's sensors ({', '.join(table.sensor_names)}) differ from the health "
                f"model's ({', '.join(self.sensor_names)})"
            )


def load_health(path: Path) -> HealthModel:
    """Read a model written by :meth:`HealthModel.save`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable health model ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a health model")
    try:
        return HealthModel.from_dict(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def fit_health(table: RunTable, settings: HealthSettings | None = None) -> HealthModel:
    """Learn the index from a run-to-failure table (each unit's last row is its failure)."""
    settings = settings or HealthSettings()
    if len(table.unit_ids()) < 2:
        raise InputError("a health index needs at least two run-to-failure units")
    normaliser = fit_normaliser(table.settings, table.sensors, seed=settings.seed)
    z = normaliser.transform(table.settings, table.sensors)
    z = np.where(np.isfinite(z), z, 0.0)
    life = _life_position(table)
    healthy, failed = life <= settings.healthy_share, life >= 1.0 - settings.failed_share
    rows = healthy | failed
    x = np.column_stack([z[rows], np.ones(int(rows.sum()))])
    y = healthy[rows].astype(np.float64)
    # Balance the two ends so that long healthy stretches do not outweigh the failures.
    weight = np.where(y > 0.5, 0.5 / max(int(healthy.sum()), 1), 0.5 / max(int(failed.sum()), 1))
    penalty = settings.ridge * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0
    gram = x.T @ (x * weight[:, None]) + penalty
    solution = np.linalg.solve(gram, x.T @ (y * weight))
    kept = tuple(n for n, k in zip(table.sensor_names, normaliser.keep, strict=True) if k)
    weights = np.zeros(len(kept))
    weights[:] = solution[:-1]
    return HealthModel(
        settings,
        normaliser,
        weights,
        float(solution[-1]),
        table.sensor_names,
        table.setting_names,
    )


def _life_position(table: RunTable) -> FloatArray:
    """Each row's position in its unit's life: 0 at the first row, 1 at the failure."""
    bounds = table.unit_bounds()
    first = np.repeat(table.times[bounds[:-1]], np.diff(bounds))
    last = np.repeat(table.times[bounds[1:] - 1], np.diff(bounds))
    span = np.maximum(last - first, 1e-12)
    return np.asarray((table.times - first) / span, dtype=np.float64)


def monotonicity(table: RunTable, index: FloatArray) -> float:
    """Mean over units of minus Spearman's rank correlation of ``index`` with time.

    1 means the index falls at every step of every unit; 0, no trend. Units with fewer
    than three rows, or a constant index, are left out.
    """
    values = []
    bounds = table.unit_bounds()
    for a, b in itertools.pairwise(bounds):
        part = index[a:b]
        if b - a >= 3 and float(np.ptp(part)) > 0:
            rho = spearmanr(table.times[a:b], part).statistic
            values.append(-float(rho))
    return float(np.mean(values)) if values else float("nan")
