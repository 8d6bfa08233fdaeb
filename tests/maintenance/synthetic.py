"""A small synthetic fleet: units that wear out under a few operating regimes."""

from __future__ import annotations

import numpy as np

from shopfloor.maintenance import RunTable, from_columns

REGIMES = np.array([[0.0, 0.0, 100.0], [10.0, 0.25, 100.0], [20.0, 0.7, 60.0]])


def fleet(units: int, *, seed: int = 0, regimes: int = 3) -> RunTable:
    """Units of 80-160 cycles; three sensors drift with wear, one is constant."""
    rng = np.random.default_rng(seed)
    columns: list[list[np.ndarray]] = [[], [], [], []]
    for unit in range(1, units + 1):
        life = int(rng.integers(80, 161))
        t = np.arange(1, life + 1, dtype=np.float64)
        regime = rng.integers(0, regimes, life)
        settings = REGIMES[regime] + rng.normal(0, 1e-3, (life, 3))
        wear = np.exp((t - life) / 30.0)
        offsets = 50.0 * regime[:, None] * np.array([1.0, -2.0, 3.0])
        drift = wear[:, None] * np.array([2.0, -1.5, 1.0])
        noisy = offsets + drift + rng.normal(0, 0.2, (life, 3))
        sensors = np.column_stack([noisy, np.full(life, 7.0)])
        for column, values in zip(
            columns, (np.full(life, unit), t, settings, sensors), strict=True
        ):
            column.append(values)
    units_col, times, settings_col, sensors_col = (np.concatenate(c) for c in columns)
    return from_columns(
        units_col.astype(np.int64),
        times,
        settings_col,
        sensors_col,
        ("s1", "s2", "s3"),
        ("a", "b", "c", "flat"),
    )
