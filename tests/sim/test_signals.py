"""The machines' signals are physically plausible: values in their ranges, sensors that read
what the machine is doing, temperatures that behave like temperatures.

The tests read two simulated days of the default plant with seed 1 (``line_run``); in two
days no component comes near the end of its life, so every machine is healthy.
"""

from __future__ import annotations

import numpy as np
import pytest

from shopfloor.model.states import MachineState
from shopfloor.sim import Twin

from .history import History

Run = tuple[Twin, History]
MACHINES = ["press1", "cnc1", "cnc2", "weld1", "wash1", "paint1", "oven1", "asm1", "test1"]
RUNNING = MachineState.RUNNING.code
STOPPED = [MachineState.PLANNED_STOP.code, MachineState.UNPLANNED_STOP.code]

# What each machine's temperature sensor measures, and where a healthy one of its kind stays
# in a 22 degC hall (degC).
TEMPERATURES = {
    "press1": (22, 60),  # hydraulic oil
    "cnc1": (22, 50),  # spindle bearing
    "cnc2": (22, 50),
    "weld1": (20, 45),  # torch cooling water
    "wash1": (22, 70),  # wash bath, kept warm while waiting
    "paint1": (20, 28),  # booth air
    "oven1": (60, 200),  # oven air
    "asm1": (20, 45),  # nutrunner motor
    "test1": (20, 45),  # vacuum pump
}


def test_every_tag_the_twin_declares_is_reported(line_run: Run) -> None:
    twin, history = line_run
    declared = {t.path for m in twin.machines for t in twin.tree.tags(f"{m.path}/+")}
    assert declared == set(history.numeric) | set(history.text)


def test_every_value_lies_in_its_tags_engineering_range(line_run: Run) -> None:
    twin, history = line_run
    outside = {
        path: int(np.count_nonzero((s.values < tag.low) | (s.values > tag.high)))
        for path, s in history.numeric.items()
        if (tag := twin.tree.tag(path)).low is not None and tag.high is not None
    }
    assert len(outside) == len(history.numeric)
    assert sum(outside.values()) == 0


def test_state_codes_are_the_codes_of_machine_states(line_run: Run) -> None:
    _, history = line_run
    codes = np.unique(np.concatenate([history.tag(m, "state").values for m in MACHINES]))
    assert set(codes) <= {float(s.code) for s in MachineState}


@pytest.mark.parametrize("machine", MACHINES)
def test_temperatures_stay_in_the_range_of_their_medium(line_run: Run, machine: str) -> None:
    values = line_run[1].tag(machine, "temperature").values
    low, high = TEMPERATURES[machine]
    assert low <= values.min() <= values.max() <= high


@pytest.mark.parametrize("machine", MACHINES)
def test_temperatures_lag_behind_state_changes(line_run: Run, machine: str) -> None:
    """A temperature moves by a fraction of a degree per second, never by leaps."""
    values = line_run[1].tag(machine, "temperature").values
    assert np.abs(np.diff(values)).max() < 1.5


@pytest.mark.parametrize("machine", MACHINES)
def test_a_healthy_running_machine_vibrates_at_half_to_three_mm_per_s(
    line_run: Run, machine: str
) -> None:
    twin, history = line_run
    running = history.running(machine, history.tag(machine, "vibration_rms")).values
    assert {s.name: s.wear < 0.3 for s in twin.status()}[machine]
    assert 0.5 <= running.min() <= running.max() <= 3.0


@pytest.mark.parametrize("machine", MACHINES)
def test_a_stopped_machine_barely_vibrates(line_run: Run, machine: str) -> None:
    _, history = line_run
    vibration = history.tag(machine, "vibration_rms")
    stopped = np.isin(history.state_at(machine, vibration.t), STOPPED)
    assert vibration.values[stopped].max() < 0.5


@pytest.mark.parametrize(
    ("machine", "tag", "level"),
    [
        ("cnc1", "spindle_speed", 9000),
        ("cnc2", "spindle_speed", 9000),
        ("weld1", "weld_current", 210),
        ("asm1", "torque", 12),
        ("test1", "test_pressure", 6),
    ],
)
def test_process_signals_read_zero_unless_the_machine_runs(
    line_run: Run, machine: str, tag: str, level: float
) -> None:
    _, history = line_run
    series = history.tag(machine, tag)
    running = history.state_at(machine, series.t) == RUNNING
    assert np.all(series.values[~running] == 0)
    assert np.mean(series.values[running]) == pytest.approx(level, rel=0.02)


@pytest.mark.parametrize("machine", MACHINES)
def test_a_machine_draws_most_power_running_and_least_stopped(line_run: Run, machine: str) -> None:
    _, history = line_run
    power = history.tag(machine, "power")
    state = history.state_at(machine, power.t)
    running = power.values[state == RUNNING].mean()
    waiting = power.values[np.isin(state, [2, 3, 4])].mean()  # idle, starved, blocked
    stopped = power.values[np.isin(state, STOPPED)].mean()
    assert running > waiting > stopped > 0


@pytest.mark.parametrize("machine", MACHINES)
def test_the_motor_current_follows_the_power(line_run: Run, machine: str) -> None:
    _, history = line_run
    current = np.asarray(history.tag(machine, "motor_current").values, dtype=np.float64)
    power = np.asarray(history.tag(machine, "power").values, dtype=np.float64)
    assert np.corrcoef(current, power)[0, 1] > 0.9


@pytest.mark.parametrize("machine", MACHINES)
def test_cycle_times_are_near_the_kinds_ideal_cycle(line_run: Run, machine: str) -> None:
    twin, history = line_run
    ideal = {s.name: s.ideal_cycle_s for s in twin.status()}[machine]
    cycles = history.tag(machine, "cycle_time").values
    assert len(cycles) > 1000
    assert ideal * 0.9 < np.median(cycles) < ideal * 1.15
