"""Wear, faults and repairs: components wear out with rising vibration and temperature, tools
wear out with rising scrap, faults come at random, repairs take random time, and the twin
records the truth of every failure.

``worn_run`` is three simulated days with wear twenty times faster than in the default
plant (``sim.wear_acceleration: 20``), seed 1; ``line_run`` two days of the default plant.
"""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest

from shopfloor.model.clock import NS_PER_S
from shopfloor.model.states import MachineState
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.machine import Failure

from .history import HOUR, START_NS, History, Series, run

Run = tuple[Twin, History]
MACHINES = ["press1", "cnc1", "cnc2", "weld1", "wash1", "paint1", "oven1", "asm1", "test1"]
WARM_UP_NS = round(1.5 * HOUR * NS_PER_S)  # longer than every thermal time constant


def name(failure: Failure) -> str:
    return failure.machine.rsplit("/", 1)[1]


def wear_failures(twin: Twin) -> list[Failure]:
    return [f for f in twin.truth.failures if f.kind == "wear"]


def lives(twin: Twin) -> list[tuple[str, int, int]]:
    """(machine, start, failure) of every component life that ended in a wear failure: from
    the start of the run or the end of the previous wear repair, to the failure (ns)."""
    began: dict[str, int] = {}
    result = []
    for f in wear_failures(twin):
        at = START_NS + round(f.t * NS_PER_S)
        result.append((name(f), began.get(name(f), START_NS), at))
        began[name(f)] = at + round(f.repair_s * NS_PER_S)
    return result


def fifths(history: History, machine: str, series: Series, start: int, end: int) -> list[float]:
    """The mean running value in the first fifth of a life (after the machine has warmed
    up from its repair) and in its last fifth."""
    fifth = (end - start) // 5
    first = series.between(start + WARM_UP_NS, start + WARM_UP_NS + fifth)
    last = series.between(end - fifth, end)
    return [float(np.mean(history.running(machine, s).values)) for s in (first, last)]


def test_accelerated_wear_wears_out_every_machine_within_days(worn_run: Run) -> None:
    twin, _ = worn_run
    assert {name(f) for f in wear_failures(twin)} == set(MACHINES)
    assert len(wear_failures(twin)) >= 12


def test_the_default_plant_wears_nothing_out_in_a_week(week_twin: Twin) -> None:
    assert wear_failures(week_twin) == []


def test_a_wear_failure_names_the_kinds_worn_component(worn_run: Run) -> None:
    twin, _ = worn_run
    component = {n: k.defaults.wear.cause for n, k in twin.kinds.items() if k.defaults.wear}
    assert [f.cause for f in wear_failures(twin)] == [
        component[name(f)] for f in wear_failures(twin)
    ]


def test_a_wear_failure_comes_when_the_component_is_fully_worn(worn_run: Run) -> None:
    twin, _ = worn_run
    assert [f.wear for f in wear_failures(twin)] == pytest.approx([1.0] * 15)


def test_vibration_rises_over_each_component_life(worn_run: Run) -> None:
    twin, history = worn_run
    levels = [fifths(history, m, history.tag(m, "vibration_rms"), a, b) for m, a, b in lives(twin)]
    assert len(levels) == 15
    assert [last > 1.5 * first for first, last in levels] == [True] * len(levels)


def test_temperature_rises_over_each_component_life(worn_run: Run) -> None:
    twin, history = worn_run
    levels = [fifths(history, m, history.tag(m, "temperature"), a, b) for m, a, b in lives(twin)]
    assert [last > first for first, last in levels] == [True] * len(levels)


def test_a_worn_machine_vibrates_in_the_alarm_zone_before_it_fails(worn_run: Run) -> None:
    """ISO 10816: above 4.5 mm/s is the alarm zone for medium machines."""
    twin, history = worn_run
    peaks = [
        history.running(m, history.tag(m, "vibration_rms").between(b - 600 * NS_PER_S, b)).values
        for m, a, b in lives(twin)
    ]
    assert statistics.median(float(np.max(p)) for p in peaks) > 4.5


# -- repairs ----------------------------------------------------------------------------
def stop_durations_s(history: History) -> dict[tuple[str, int], float]:
    """How long each unplanned stop in the event stream lasted, by (asset, start)."""
    began: dict[str, int] = {}
    lasted = {}
    for e in history.events_of("state.change"):
        if e.payload["to"] == "unplanned_stop":
            began[e.asset] = e.time_ns
        if e.payload["from"] == "unplanned_stop":
            lasted[(e.asset, began[e.asset])] = (e.time_ns - began[e.asset]) / NS_PER_S
    return lasted


def test_a_machine_stays_down_for_the_repair_time_it_drew(line_run: Run) -> None:
    twin, history = line_run
    lasted = stop_durations_s(history)
    drawn = {(f.machine, START_NS + round(f.t * NS_PER_S)): f.repair_s for f in twin.truth.failures}
    repaired = {key: drawn[key] for key in lasted}
    assert len(repaired) >= 30
    assert list(lasted.values()) == pytest.approx(list(repaired.values()), abs=1e-6)


def test_repair_times_after_wear_vary_around_the_kinds_mean(worn_run: Run) -> None:
    twin, _ = worn_run
    mean = {n: k.defaults.wear.repair for n, k in twin.kinds.items() if k.defaults.wear}
    ratios = [f.repair_s / mean[name(f)] for f in wear_failures(twin)]
    assert len(set(ratios)) == len(ratios)
    assert 0.6 < statistics.fmean(ratios) < 1.4
    assert statistics.stdev(ratios) > 0.2


def test_repair_times_after_faults_average_the_kinds_mttr(week_twin: Twin) -> None:
    mttr = {n: k.defaults.faults.mttr for n, k in week_twin.kinds.items() if k.defaults.faults}
    faults = [f for f in week_twin.truth.failures if f.kind == "fault"]
    ratios = [f.repair_s / mttr[name(f)] for f in faults]
    assert len(faults) > 100
    assert 0.75 < statistics.fmean(ratios) < 1.25
    assert statistics.stdev(ratios) > 0.5


def test_faults_have_the_kinds_causes(week_twin: Twin) -> None:
    causes = {
        n: set(k.defaults.faults.causes) for n, k in week_twin.kinds.items() if k.defaults.faults
    }
    faults = [f for f in week_twin.truth.failures if f.kind == "fault"]
    assert all(f.cause in causes[name(f)] for f in faults)


def test_the_ground_truth_matches_the_failure_events(line_run: Run) -> None:
    twin, history = line_run
    events = history.events_of("sim.failure")
    assert [(e.asset, e.time_ns, e.payload["cause"]) for e in events] == [
        (f.machine, START_NS + round(f.t * NS_PER_S), f.cause) for f in twin.truth.failures
    ]
    assert twin.truth.failure_times_ns() == [e.time_ns for e in events]


# -- tool wear --------------------------------------------------------------------------
TOOLED = ["press1", "cnc1", "cnc2", "weld1"]


def parts_per_tool(history: History, machine: str) -> list[np.ndarray]:
    """For each tool from one tool change to the next, whether each part it made was scrap.
    A tool's last part may leave at the very instant its change starts."""
    reason = history.text_tag(machine, "state_reason")
    changing = reason.values == "tool_change"
    changes = reason.t[changing & ~np.r_[False, changing[:-1]]]
    good, scrap = history.tag(machine, "good_count"), history.tag(machine, "scrap_count")
    new_good, new_scrap = np.diff(good.values, prepend=0), np.diff(scrap.values, prepend=0)
    made = new_good + new_scrap > 0
    t, is_scrap = good.t[made], new_scrap[made] > 0
    return [is_scrap[(t > a) & (t <= b)] for a, b in itertools.pairwise(changes)]


@pytest.mark.parametrize("machine", TOOLED)
def test_tools_are_changed_after_their_life_in_parts(line_run: Run, machine: str) -> None:
    twin, history = line_run
    tool = twin.kinds[machine].defaults.tool
    assert tool is not None
    made = [len(p) for p in parts_per_tool(history, machine)]
    assert len(made) >= 1
    assert [tool.life_parts <= n <= tool.life_parts + 10 for n in made] == [True] * len(made)


@pytest.mark.parametrize("machine", TOOLED)
def test_a_worn_tool_makes_more_scrap_than_a_new_one(line_run: Run, machine: str) -> None:
    _, history = line_run
    tools = parts_per_tool(history, machine)
    new = np.concatenate([p[: len(p) // 5] for p in tools])
    worn = np.concatenate([p[len(p) - len(p) // 5 :] for p in tools])
    assert worn.mean() > 2 * new.mean()


# -- injected faults --------------------------------------------------------------------
@pytest.fixture
def injected() -> tuple[Twin, History]:
    """cnc1 gets a spindle crash with a 15 min repair two hours in (11:00 in Berlin)."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    twin.advance(2 * HOUR)
    twin.inject_fault("cnc1", "spindle_crash", 900)
    return twin, History.of(twin, run(twin, HOUR, step=300))


def test_an_injected_fault_is_recorded_as_truth(injected: Run) -> None:
    twin, _ = injected
    assert [
        (name(f), f.cause, f.repair_s) for f in twin.truth.failures if f.kind == "injected"
    ] == [("cnc1", "spindle_crash", 900)]


def test_an_injected_fault_stops_the_machine_for_its_repair_time(injected: Run) -> None:
    twin, history = injected
    (failure,) = (f for f in twin.truth.failures if f.kind == "injected")
    at = START_NS + round(failure.t * NS_PER_S)
    state = history.tag("cnc1", "state")
    reason = history.text_tag("cnc1", "state_reason")
    during = np.array([at, at + 899 * NS_PER_S])
    assert failure.t < 2 * HOUR + 60  # before cnc1's next cycle
    assert list(state.at(during)) == [MachineState.UNPLANNED_STOP.code] * 2
    assert list(reason.at(during)) == ["spindle_crash"] * 2
    assert state.at(np.array([at + 900 * NS_PER_S]))[0] != MachineState.UNPLANNED_STOP.code


def test_a_fault_cannot_be_injected_into_an_unknown_machine() -> None:
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    with pytest.raises(ValueError, match="no machine 'cnc9'"):
        twin.inject_fault("cnc9", "jam", 60)
