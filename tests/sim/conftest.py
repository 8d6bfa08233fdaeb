"""Runs of the twin that several tests read: each simulated once per test session."""

from __future__ import annotations

import pytest

from shopfloor.sim import Twin, default_plant

from .history import DAY, START_NS, History, plant_with, run


@pytest.fixture(scope="session")
def line_run() -> tuple[Twin, History]:
    """The default plant, seed 1, two simulated days."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    return twin, History.of(twin, run(twin, 2 * DAY))


@pytest.fixture(scope="session")
def worn_run() -> tuple[Twin, History]:
    """The default plant with wear 20 times faster, seed 1, three simulated days."""
    twin = Twin.from_plant(plant_with("  wear_acceleration: 20\n"), seed=1, start_ns=START_NS)
    tags = {"vibration_rms", "temperature", "state"}
    return twin, History.of(twin, run(twin, 3 * DAY), tags=tags)


@pytest.fixture(scope="session")
def week_twin() -> Twin:
    """The default plant, seed 1, after a simulated week (output not kept)."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    run(twin, 7 * DAY)
    return twin
