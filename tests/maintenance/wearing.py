"""A hand-made wearing machine for the live health tests: one sample a minute of vibration,
temperature, current and power, a state each minute, and a life that ends in a failure."""

from __future__ import annotations

import numpy as np

from shopfloor.model.batch import SampleBatch
from shopfloor.model.event import Event
from shopfloor.model.spec_maintenance import MaintenanceSpec

MINUTE = 60 * 10**9
HOUR = 60 * MINUTE
START = 1_767_571_200 * 10**9  # 2026-01-05T00:00:00Z
MACHINE = "acme/plant/line1/pump1"
TAGS = ("vibration_rms", "temperature", "motor_current", "power", "state")


def spec(**changes: object) -> MaintenanceSpec:
    """Hourly estimates, a 4 h baseline, a 10 h horizon."""
    return MaintenanceSpec.model_validate(
        {"interval": "1h", "baseline": "4h", "horizon": "10h", **changes}
    )


def life(start_ns: int, hours: int, seed: int) -> list[SampleBatch]:
    """One life of ``hours``, wear growing from 0 to 1, cut into hourly batches; the machine
    idles for the first ten minutes of every hour."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(hours * 60)
    wear = minutes / len(minutes)
    running = minutes % 60 >= 10
    noise = rng.normal(size=(4, len(minutes)))
    values = [
        np.where(running, 2.0, 0.5) * (1 + 3 * wear**2.5) * (1 + 0.03 * noise[0]),
        40 + np.where(running, 10.0, 2.0) + 15 * wear**2 + 0.2 * noise[1],
        np.where(running, 30.0, 5.0) * (1 + 0.12 * wear**2) * (1 + 0.02 * noise[2]),
        np.where(running, 20.0, 4.0) * (1 + 0.1 * wear**2) * (1 + 0.01 * noise[3]),
        np.where(running, 1.0, 2.0),
    ]
    times = start_ns + minutes.astype(np.int64) * MINUTE
    batches = []
    for h in range(hours):
        rows = slice(h * 60, (h + 1) * 60)
        count = 60
        batches.append(
            SampleBatch(
                paths=tuple(f"{MACHINE}/{t}" for t in TAGS),
                tag=np.repeat(np.arange(len(TAGS), dtype=np.int32), count),
                source_ns=np.tile(times[rows], len(TAGS)),
                receive_ns=np.tile(times[rows], len(TAGS)),
                status=np.zeros(count * len(TAGS), np.uint32),
                value=np.concatenate([v[rows] for v in values]),
            )
        )
    return batches


def renewal(at_ns: int) -> Event:
    """The worn part replaced."""
    return Event.new(time_ns=at_ns, asset=MACHINE, kind="maintenance.renewed", actor="user:bob")
