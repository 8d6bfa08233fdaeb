"""A hand-made machine for the live anomaly tests: speed, current and temperature each
second, a state and a counter each minute, and faults to inject."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from shopfloor.model.batch import SampleBatch
from shopfloor.model.spec_anomaly import AnomalySpec
from shopfloor.model.states import MachineState

S = 10**9
START = 1_767_571_200 * S  # 2026-01-05T00:00:00Z
MACHINE = "acme/plant/line1/press1"
OTHER = "acme/plant/line1/press2"
RUNNING = float(MachineState.RUNNING.code)
STOPPED = float(MachineState.PLANNED_STOP.code)


@dataclass(frozen=True)
class Fault:
    """From ``start_s`` to ``end_s`` (seconds after START) the current reads ``extra`` high."""

    start_s: float
    end_s: float
    extra: float = 3.0


def batch(
    a_s: float,
    b_s: float,
    *,
    machine: str = MACHINE,
    fault: Fault | None = None,
    state: float = RUNNING,
    seed: int = 0,
) -> SampleBatch:
    """The machine's samples for seconds ``a_s`` to ``b_s`` after START (noise by sample)."""
    t = np.arange(int(a_s), int(b_s), dtype=np.int64)
    noise = np.random.default_rng([seed, int(a_s)]).normal(size=(3, len(t)))
    speed = 100 + 10 * np.sin(t / 600) + noise[0]
    current = 0.5 * speed + 0.3 * noise[1]
    if fault is not None:
        current = current + np.where((t >= fault.start_s) & (t < fault.end_s), fault.extra, 0.0)
    temperature = 40 + 0.1 * speed + 0.2 * noise[2]
    minutes = t[t % 60 == 0]
    columns = [
        ("speed", t, speed),
        ("current", t, current),
        ("temperature", t, temperature),
        ("state", minutes, np.full(len(minutes), state)),
        ("count", minutes, minutes / 20.0),
    ]
    paths = tuple(f"{machine}/{name}" for name, _, _ in columns)
    times = np.concatenate([c[1] for c in columns]) * S + START
    return SampleBatch(
        paths=paths,
        tag=np.repeat(np.arange(len(columns), dtype=np.int32), [len(c[1]) for c in columns]),
        source_ns=times,
        receive_ns=times,
        status=np.zeros(len(times), np.uint32),
        value=np.concatenate([np.asarray(c[2], dtype=np.float64) for c in columns]),
    )


def batches(a_s: float, b_s: float, step_s: float = 300, **options: object) -> list[SampleBatch]:
    """:func:`batch` cut into ``step_s`` pieces, as a connector or the twin sends them."""
    edges = [*np.arange(a_s, b_s, step_s).tolist(), b_s]
    return [batch(x, y, **options) for x, y in itertools.pairwise(edges)]  # type: ignore[arg-type]


def spec(**defaults: object) -> AnomalySpec:
    """The anomaly section with short training and updates, for tests in simulated hours."""
    settings = {"training": "2h", "update_every": "30m", "end_after": "10m", **defaults}
    return AnomalySpec.model_validate({"defaults": settings})
