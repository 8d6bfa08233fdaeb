"""Operating regimes and per-regime normalisation of sensors.

Engines such as C-MAPSS FD002 and FD004 switch between six operating conditions (altitude,
Mach number, throttle); each condition shifts every sensor far more than degradation does.
Clustering the settings into regimes and standardising each sensor within its regime leaves
the slow drift that carries the wear.

The number of regimes is the smallest k whose clusters explain nearly all the spread of the
(standardised) settings; settings that are only noise around one point give k = 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from shopfloor.maintenance.runs import BoolArray, FloatArray, IntArray

# Clusters must leave under 0.1 % of the settings' variance unexplained to count as regimes;
# noise around a single point never gets there, six crisp flight conditions easily do.
_EXPLAINED = 0.999
_MAX_REGIMES = 10
_FIT_ROWS = 5_000
# A sensor whose spread within its regimes is below this (relative to its level) is constant.
_CONSTANT = 1e-9


@dataclass(frozen=True)
class RegimeNormaliser:
    """Regime centres (in scaled settings) and each sensor's mean and spread per regime.

    ``keep`` flags the sensors that vary within regimes; the others are dropped.
    """

    setting_mean: FloatArray
    setting_scale: FloatArray
    centres: FloatArray
    sensor_mean: FloatArray
    sensor_std: FloatArray
    keep: BoolArray

    @property
    def regimes(self) -> int:
        """How many operating regimes were found."""
        return int(self.centres.shape[0])

    def assign(self, settings: FloatArray) -> IntArray:
        """The regime of each row: the nearest centre."""
        if self.centres.shape[1] == 0:
            return np.zeros(len(settings), dtype=np.int64)
        scaled = (settings - self.setting_mean) / self.setting_scale
        distance = ((scaled[:, None, :] - self.centres[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(distance.argmin(axis=1), dtype=np.int64)

    def transform(self, settings: FloatArray, sensors: FloatArray) -> FloatArray:
        """Sensors standardised within their rows' regimes; constant sensors dropped."""
        regime = self.assign(settings)
        scaled = (sensors - self.sensor_mean[regime]) / self.sensor_std[regime]
        return np.asarray(scaled[:, self.keep], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "setting_mean": self.setting_mean.tolist(),
            "setting_scale": self.setting_scale.tolist(),
            "centres": self.centres.tolist(),
            "sensor_mean": self.sensor_mean.tolist(),
            "sensor_std": self.sensor_std.tolist(),
            "keep": self.keep.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegimeNormaliser:
        """The inverse of :meth:`to_dict`."""
        width, count = len(data["setting_mean"]), len(data["centres"])
        return cls(
            np.asarray(data["setting_mean"], dtype=np.float64),
            np.asarray(data["setting_scale"], dtype=np.float64),
            np.asarray(data["centres"], dtype=np.float64).reshape(count, width),
            np.asarray(data["sensor_mean"], dtype=np.float64),
            np.asarray(data["sensor_std"], dtype=np.float64),
            np.asarray(data["keep"], dtype=np.bool_),
        )


def fit_normaliser(settings: FloatArray, sensors: FloatArray, *, seed: int = 0) -> RegimeNormaliser:
    """Find the regimes in ``settings`` and each sensor's statistics within them."""
    mean = settings.mean(axis=0) if settings.shape[1] else np.zeros(0)
    scale = settings.std(axis=0) if settings.shape[1] else np.zeros(0)
    scale = np.where(scale > 0, scale, 1.0)
    scaled = (settings - mean) / scale
    centres = _regime_centres(scaled, seed)
    partial = RegimeNormaliser(mean, scale, centres, np.zeros(0), np.zeros(0), np.zeros(0, bool))
    regime = partial.assign(settings)
    k, width = centres.shape[0], sensors.shape[1]
    sensor_mean, sensor_std = np.zeros((k, width)), np.ones((k, width))
    for r in range(k):
        rows = sensors[regime == r]
        if len(rows):
            sensor_mean[r], sensor_std[r] = rows.mean(axis=0), rows.std(axis=0)
    keep = np.asarray((sensor_std > _CONSTANT * (1.0 + np.abs(sensor_mean))).any(axis=0))
    sensor_std = np.where(sensor_std > 0, sensor_std, 1.0)
    return RegimeNormaliser(mean, scale, centres, sensor_mean, sensor_std, keep)


def _regime_centres(scaled: FloatArray, seed: int) -> FloatArray:
    """Cluster centres for the smallest k that explains the settings; one centre if none."""
    if scaled.shape[1] == 0:
        return np.zeros((1, 0))
    rng = np.random.default_rng(seed)
    sample = scaled[rng.permutation(len(scaled))[:_FIT_ROWS]]
    total = float(((sample - sample.mean(axis=0)) ** 2).sum())
    if total == 0.0:
        return np.asarray(sample.mean(axis=0, keepdims=True), dtype=np.float64)
    for k in range(2, min(_MAX_REGIMES, len(sample)) + 1):
        # One thread: the sample is small, and OpenMP workers spinning on a busy machine
        # made this thirty times slower than running alone.
        with threadpool_limits(limits=1):
            model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(sample)
        if float(model.inertia_) < (1.0 - _EXPLAINED) * total:
            return np.asarray(model.cluster_centers_, dtype=np.float64)
    return np.asarray(sample.mean(axis=0, keepdims=True), dtype=np.float64)
