"""The default line behaves like a real one: buffers fill and empty, variants need setups,
parts are counted, energy is used, breaks stop the line, and OEE lands where real lines do.

Most tests read two simulated days of the default plant with seed 1 (``line_run``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shopfloor.model.calendar import Calendar
from shopfloor.model.states import MachineState
from shopfloor.sim import Twin, default_plant

from .history import DAY, START_NS, History

Run = tuple[Twin, History]
MACHINES = ["press1", "cnc1", "cnc2", "weld1", "wash1", "paint1", "oven1", "asm1", "test1"]
STARVE = MACHINES[1:]  # every machine but the first can run out of parts
BLOCK = MACHINES[:-1]  # every machine but the last can find its output buffer full
RUNNING = MachineState.RUNNING.code
PLANNED = MachineState.PLANNED_STOP.code


def states_seen(history: History, machine: str) -> set[MachineState]:
    codes = history.tag(machine, "state").values
    return {MachineState.from_code(int(c)) for c in np.unique(codes)}


def test_the_default_line_has_at_least_eight_machines_of_different_kinds(line_run: Run) -> None:
    twin, _ = line_run
    assert [m.name for m in twin.machines] == MACHINES
    assert len({k.name for k in twin.kinds.values()}) == 8


@pytest.mark.parametrize("machine", STARVE)
def test_machines_downstream_of_the_first_starve(line_run: Run, machine: str) -> None:
    assert MachineState.STARVED in states_seen(line_run[1], machine)


@pytest.mark.parametrize("machine", BLOCK)
def test_machines_upstream_of_the_last_are_blocked(line_run: Run, machine: str) -> None:
    assert MachineState.BLOCKED in states_seen(line_run[1], machine)


@pytest.mark.parametrize("machine", MACHINES)
def test_every_machine_runs_sets_up_breaks_down_and_stops_for_breaks(
    line_run: Run, machine: str
) -> None:
    assert {
        MachineState.RUNNING,
        MachineState.SETUP,
        MachineState.UNPLANNED_STOP,
        MachineState.PLANNED_STOP,
    } <= states_seen(line_run[1], machine)


@pytest.mark.parametrize("machine", MACHINES)
def test_a_product_change_follows_a_changeover_to_that_product(line_run: Run, machine: str) -> None:
    _, history = line_run
    product = history.text_tag(machine, "product")
    changed = np.flatnonzero(product.values[1:] != product.values[:-1]) + 1
    reason = history.text_tag(machine, "state_reason")
    before = reason.at(product.t[changed] - 1)  # 1 ns before the new product starts
    assert len(changed) >= 3
    assert list(before) == [f"changeover_to_{p}" for p in product.values[changed]]


def test_changeovers_name_the_products(line_run: Run) -> None:
    _, history = line_run
    reasons = {r for m in MACHINES for r in history.text_tag(m, "state_reason").values}
    changeovers = {r for r in reasons if r.startswith("changeover_to_")}
    assert changeovers == {
        "changeover_to_housing-s",
        "changeover_to_housing-m",
        "changeover_to_housing-l",
    }


@pytest.mark.parametrize("machine", MACHINES)
def test_parts_are_counted_good_and_scrap(line_run: Run, machine: str) -> None:
    _, history = line_run
    good = history.tag(machine, "good_count").values
    scrap = history.tag(machine, "scrap_count").values
    assert np.all(np.diff(good) >= 0)
    assert np.all(np.diff(scrap) >= 0)
    assert good[-1] > 20 * scrap[-1] > 0


def test_the_status_totals_are_the_counters_last_values(line_run: Run) -> None:
    twin, history = line_run
    status = twin.status()
    assert [s.good for s in status] == [history.tag(m, "good_count").values[-1] for m in MACHINES]
    assert [s.scrap for s in status] == [history.tag(m, "scrap_count").values[-1] for m in MACHINES]


@pytest.mark.parametrize("machine", MACHINES)
def test_energy_rises_monotonically_as_the_integral_of_power(line_run: Run, machine: str) -> None:
    _, history = line_run
    energy = history.tag(machine, "energy")
    power = history.tag(machine, "power")
    last = energy.t[-1]
    integral = power.values[power.t < last].sum() / 3600.0  # 1 s samples, kW -> kWh
    assert np.all(np.diff(energy.values) >= 0)
    assert energy.values[-1] == pytest.approx(integral, rel=1e-6)


def test_the_first_machine_is_never_starved_and_the_last_never_blocked(line_run: Run) -> None:
    _, history = line_run
    assert MachineState.STARVED not in states_seen(history, "press1")
    assert MachineState.BLOCKED not in states_seen(history, "test1")


# -- breaks -----------------------------------------------------------------------------
BERLIN = ZoneInfo("Europe/Berlin")
BREAKS = [dt.time(9, 45), dt.time(18, 15), dt.time(2, 15)]  # 15 min into each break


def mid_break_times() -> np.ndarray:
    first = dt.datetime.fromtimestamp(START_NS / 1e9, BERLIN).date()
    days = [first + dt.timedelta(days=d) for d in range(3)]
    times = [
        round(dt.datetime.combine(day, at, BERLIN).timestamp()) * 10**9
        for day in days
        for at in BREAKS
    ]
    return np.array([t for t in times if START_NS <= t < START_NS + 2 * DAY * 1e9])


def test_the_two_days_hold_six_breaks() -> None:
    assert len(mid_break_times()) == 6


@pytest.mark.parametrize("machine", MACHINES)
def test_machines_stop_for_the_calendars_breaks(line_run: Run, machine: str) -> None:
    _, history = line_run
    at = mid_break_times()
    assert list(history.state_at(machine, at)) == [PLANNED] * len(at)
    assert list(history.text_tag(machine, "state_reason").at(at)) == ["break"] * len(at)


# housing-l skips welding: while its parts pass weld1, weld1 has no work planned.
SKIPPED = ["weld1"]
ALWAYS_ROUTED = [m for m in MACHINES if m not in SKIPPED]


def outside_breaks(history: History, machine: str) -> tuple[np.ndarray, np.ndarray]:
    calendar = Calendar(default_plant().calendar)
    off = calendar.non_working_intervals(START_NS, START_NS + round(2 * DAY * 1e9))
    seconds = np.arange(START_NS, START_NS + round(2 * DAY * 1e9), 10**9)
    in_break = np.zeros(len(seconds), dtype=bool)
    for interval in off:
        in_break |= (seconds >= interval.start_ns) & (seconds < interval.end_ns)
    planned = history.state_at(machine, seconds) == PLANNED
    return seconds[planned & ~in_break], seconds[planned & in_break]


@pytest.mark.parametrize("machine", ALWAYS_ROUTED)
def test_machines_every_product_visits_stop_only_in_breaks(line_run: Run, machine: str) -> None:
    _, history = line_run
    outside, inside = outside_breaks(history, machine)
    assert len(inside) > 0
    assert len(outside) == 0


@pytest.mark.parametrize("machine", SKIPPED)
def test_a_machine_a_product_skips_is_in_planned_stop_not_routed_meanwhile(
    line_run: Run, machine: str
) -> None:
    _, history = line_run
    outside, _ = outside_breaks(history, machine)
    assert len(outside) > 0
    reasons = set(history.text_tag(machine, "state_reason").at(outside))
    assert reasons == {"not_routed"}


def test_over_a_week_machines_stop_only_for_the_calendars_breaks(week_twin: Twin) -> None:
    """A machine in repair or setup when a break starts finishes first, so it stops a little
    less than the breaks last, never more."""
    calendar = Calendar(default_plant().calendar)
    off = calendar.non_working_intervals(START_NS, START_NS + round(7 * DAY * 1e9))
    breaks_s = sum(i.duration_ns for i in off) / 1e9
    planned = {
        s.name: s.time_in[MachineState.PLANNED_STOP]
        for s in week_twin.status()
        if s.name in ALWAYS_ROUTED
    }
    assert breaks_s == 21 * 30 * 60
    assert {m: 0.9 * breaks_s <= p <= breaks_s for m, p in planned.items()} == dict.fromkeys(
        ALWAYS_ROUTED, True
    )


# -- OEE over a week --------------------------------------------------------------------
def test_each_machines_oee_over_a_week_is_realistic(week_twin: Twin) -> None:
    oee = {s.name: s.oee for s in week_twin.status()}
    assert {m: 0.55 <= (v or 0) <= 0.9 for m, v in oee.items()} == dict.fromkeys(MACHINES, True)


def test_the_lines_mean_oee_over_a_week_is_between_60_and_85_percent(week_twin: Twin) -> None:
    assert 0.6 <= statistics.fmean(s.oee or 0 for s in week_twin.status()) <= 0.85


def test_a_week_of_the_default_plant_has_faults_of_every_machine(week_twin: Twin) -> None:
    faulted = {f.machine.rsplit("/", 1)[1] for f in week_twin.truth.failures if f.kind == "fault"}
    assert faulted == set(MACHINES)
