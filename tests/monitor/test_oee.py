"""Specification of OEE and its losses after ISO 22400-2.

Times are written as clock times on one day (``at(13, 50)`` is 13:50) and the expected
values are worked out by hand in the comments.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopfloor.model.errors import InputError
from shopfloor.model.states import MachineState
from shopfloor.monitor.oee import (
    CounterCounts,
    CounterSeries,
    OeeRecord,
    PartCount,
    Window,
    WindowCounts,
    compute_oee,
)
from shopfloor.monitor.timeline import NO_REASON, StateTimeline, Transition

RUN = MachineState.RUNNING
IDLE = MachineState.IDLE
STARVED = MachineState.STARVED
BLOCKED = MachineState.BLOCKED
SETUP = MachineState.SETUP
PLANNED = MachineState.PLANNED_STOP
DOWN = MachineState.UNPLANNED_STOP
MIN_NS = 60_000_000_000


def at(hour: int, minute: int = 0) -> int:
    return (hour * 60 + minute) * MIN_NS


EARLY = Window("early", at(6), at(14))
LATE = Window("late", at(14), at(22))


def timeline(
    *steps: tuple[int, MachineState] | tuple[int, MachineState, str], end: int
) -> StateTimeline:
    return StateTimeline.from_transitions([Transition(*s) for s in steps], end_ns=end)


def one(
    tl: StateTimeline, good: int, scrap: int = 0, cycle_s: float = 1.0, window: Window = EARLY
) -> OeeRecord:
    """The OEE of one machine in one window with explicit counts."""
    counts = WindowCounts({window: PartCount(good, scrap)})
    [record] = compute_oee({"m1": tl}, {"m1": counts}, cycle_s, [window])
    return record


# -- a simple shift ---------------------------------------------------------------------------

SHIFT = timeline(
    (at(6), RUN),
    (at(9), PLANNED),  # 30 min break taken as a planned stop
    (at(9, 30), RUN),
    (at(11), DOWN, "jam"),  # 30 min fault
    (at(11, 30), SETUP),  # 20 min changeover
    (at(11, 50), STARVED),  # 10 min without material
    (at(12), RUN),
    end=at(14),
)


def test_a_simple_shift_gives_the_iso_times() -> None:
    r = one(SHIFT, good=19_000, scrap=500)
    assert r.working_s == 480 * 60  # 06:00-14:00
    assert r.planned_stop_s == 30 * 60
    assert r.planned_busy_s == 450 * 60  # PBT = 480 - 30 min
    assert r.production_s == 390 * 60  # APT = 180 + 90 + 120 min
    assert r.down_s == 30 * 60
    assert r.setup_s == 20 * 60
    assert (r.starved_s, r.idle_s, r.blocked_s, r.waiting_s) == (600, 0, 0, 600)
    assert r.unknown_s == 0


def test_a_simple_shift_gives_availability_performance_quality_and_oee() -> None:
    r = one(SHIFT, good=19_000, scrap=500, cycle_s=1.0)
    # A = APT / PBT = 23 400 / 27 000 = 13/15
    assert r.availability == pytest.approx(13 / 15)
    # E = PRI x PQ / APT = 1 s x 19 500 / 23 400 s = 5/6
    assert r.performance == pytest.approx(5 / 6)
    # Q = GQ / PQ = 19 000 / 19 500 = 38/39
    assert r.quality == pytest.approx(38 / 39)
    # OEE = A x E x Q = PRI x GQ / PBT = 19 000 / 27 000
    assert r.oee == pytest.approx(19_000 / 27_000)


def test_a_simple_shift_gives_its_losses() -> None:
    r = one(SHIFT, good=19_000, scrap=500, cycle_s=1.0)
    assert r.losses["downtime_s"] == {"jam": 1800.0}
    assert r.losses["setup_s"] == 1200.0
    assert r.losses["starved_s"] == 600.0
    assert r.losses["speed_loss_s"] == 23_400 - 19_500  # APT - PRI x PQ = 3 900 s
    assert r.losses["scrap_loss_s"] == 500.0  # PRI x SQ
    assert r.losses["scrap_count"] == 500


def test_the_losses_add_up_to_the_planned_busy_time_not_spent_on_good_parts() -> None:
    r = one(SHIFT, good=19_000, scrap=500, cycle_s=1.0)
    # PBT - PRI x GQ = 27 000 - 19 000 = 8 000 s
    # = down 1 800 + setup 1 200 + starved 600 + speed 3 900 + scrap 500
    flat = r.to_row()
    loss_s = [v for k, v in flat.items() if k.startswith("loss.") and k != "loss.scrap_count"]
    assert sum(loss_s) == pytest.approx(8_000)


# -- shift boundaries and grouping -------------------------------------------------------------


def test_a_stop_across_the_shift_change_is_split_between_the_shifts() -> None:
    # fault 13:50-14:20, shifts change at 14:00: 10 min early, 20 min late
    tl = timeline((at(6), RUN), (at(13, 50), DOWN, "jam"), (at(14, 20), RUN), end=at(22))
    counts = WindowCounts({EARLY: PartCount(100), LATE: PartCount(100)})
    early, late = compute_oee({"m1": tl}, {"m1": counts}, 60.0, [EARLY, LATE])
    assert (early.shift, early.down_s, early.losses["downtime_s"]) == ("early", 600, {"jam": 600})
    assert (late.shift, late.down_s, late.losses["downtime_s"]) == ("late", 1200, {"jam": 1200})


def test_grouping_by_shift_pools_the_machines_of_each_window() -> None:
    # m1 runs both shifts, m2 is down in the late shift; 1 s cycle, 28 800 s shifts
    m1 = timeline((at(6), RUN), end=at(22))
    m2 = timeline((at(6), RUN), (at(14), DOWN), end=at(22))
    counts = {
        "m1": WindowCounts({EARLY: PartCount(28_800), LATE: PartCount(28_800)}),
        "m2": WindowCounts({EARLY: PartCount(14_400)}),
    }
    early, late = compute_oee({"m1": m1, "m2": m2}, counts, 1.0, [EARLY, LATE], group_by=("shift",))
    assert (early.shift, early.machine, early.machines) == ("early", None, 2)
    # early: A = 57 600 / 57 600 = 1, E = 43 200 / 57 600 = 0.75, Q = 1
    assert (early.availability, early.performance, early.oee) == (1.0, 0.75, 0.75)
    # late: A = 28 800 / 57 600 = 0.5, E = 28 800 / 28 800 = 1, Q = 1
    assert (late.availability, late.performance, late.oee) == (0.5, 1.0, 0.5)


def test_grouping_by_machine_and_shift_gives_one_record_per_machine_and_window() -> None:
    tl = timeline((at(6), RUN), end=at(22))
    counts = WindowCounts({EARLY: PartCount(10), LATE: PartCount(20)})
    records = compute_oee({"m2": tl, "m1": tl}, {"m1": counts, "m2": counts}, 1.0, [EARLY, LATE])
    keys = [(r.machine, r.shift, r.good) for r in records]
    assert keys == [
        ("m1", "early", 10),
        ("m2", "early", 10),
        ("m1", "late", 20),
        ("m2", "late", 20),
    ]


def test_grouping_by_machine_alone_pools_the_windows() -> None:
    tl = timeline((at(6), RUN), (at(14), IDLE), end=at(22))
    counts = WindowCounts({EARLY: PartCount(10), LATE: PartCount(20)})
    [r] = compute_oee({"m1": tl}, {"m1": counts}, 1.0, [EARLY, LATE], group_by="machine")
    # 16 h together: APT 8 h, idle 8 h, so A = 0.5; the shifts differ, so no shift name
    assert (r.shift, r.window_start_ns, r.window_end_ns) == (None, at(6), at(22))
    assert (r.availability, r.good, r.idle_s) == (0.5, 30, 8 * 3600)


def test_a_line_pools_times_and_counts_before_taking_ratios() -> None:
    # press: runs 8 h, 2 s cycle, 12 000 good of 12 000 -> A 1, E 24 000/28 800, Q 1
    # drill: runs 4 h of 8 h, 1 s cycle, 9 000 good of 10 000 -> A .5, E 10 000/14 400, Q .9
    press = timeline((at(6), RUN), end=at(14))
    drill = timeline((at(6), RUN), (at(10), DOWN), end=at(14))
    counts = {
        "press": WindowCounts({EARLY: PartCount(12_000)}),
        "drill": WindowCounts({EARLY: PartCount(9_000, 1_000)}),
    }
    tls = {"press": press, "drill": drill}
    cycles = {"press": 2.0, "drill": 1.0}
    lines = {"press": "acme/p1/l1", "drill": "acme/p1/l1"}
    [line] = compute_oee(tls, counts, cycles, [EARLY], group_by=("line", "shift"), line_of=lines)
    drill_r, press_r = compute_oee(tls, counts, cycles, [EARLY], line_of=lines)
    # pooled: A = (28 800 + 14 400) / (28 800 + 28 800) = 0.75
    #         E = (2 x 12 000 + 1 x 10 000) / 43 200 = 34 000 / 43 200
    #         Q = 21 000 / 22 000
    assert (line.line, line.machine, line.machines) == ("acme/p1/l1", None, 2)
    assert line.availability == 0.75
    assert line.performance == pytest.approx(34_000 / 43_200)
    assert line.quality == pytest.approx(21_000 / 22_000)
    assert line.oee == pytest.approx(0.75 * 34_000 / 43_200 * 21_000 / 22_000)  # 0.5634
    # machine OEEs: press 24 000/28 800 = 0.8333, drill 0.5 x 0.6944 x 0.9 = 0.3125;
    # their plain mean 0.5729 is not the pooled line OEE
    assert press_r.oee == pytest.approx(24_000 / 28_800)
    assert drill_r.oee == pytest.approx(0.3125)
    assert drill_r.line == "acme/p1/l1"


def test_grouping_by_line_needs_every_machine_on_a_line() -> None:
    tl = timeline((at(6), RUN), end=at(14))
    counts = {"m1": WindowCounts({})}
    with pytest.raises(InputError, match="no line"):
        compute_oee({"m1": tl}, counts, 1.0, [EARLY], group_by=("line",), line_of={})


# -- edge cases --------------------------------------------------------------------------------


def test_no_planned_time_leaves_every_ratio_undefined() -> None:
    # planned stop all shift: PBT = 0, APT = 0, no parts
    r = one(timeline((at(6), PLANNED), end=at(14)), good=0)
    assert r.planned_busy_s == 0
    assert (r.availability, r.performance, r.quality, r.oee) == (None, None, None, None)


def test_an_empty_window_has_no_planned_time() -> None:
    empty = Window("none", at(6), at(6))
    r = one(timeline((at(6), RUN), end=at(14)), good=0, window=empty)
    assert (r.working_s, r.availability, r.oee) == (0, None, None)


def test_a_machine_that_never_ran_has_availability_and_oee_zero() -> None:
    # down all shift: A = 0 / 28 800 = 0; E and Q have zero denominators; a zero factor
    # makes OEE 0 whatever the undefined ones would be
    r = one(timeline((at(6), DOWN), end=at(14)), good=0)
    assert (r.availability, r.performance, r.quality, r.oee) == (0.0, None, None, 0.0)


def test_a_machine_that_ran_but_made_no_parts_has_performance_and_oee_zero() -> None:
    r = one(timeline((at(6), RUN), end=at(14)), good=0)
    assert (r.availability, r.performance, r.quality, r.oee) == (1.0, 0.0, None, 0.0)


def test_planned_stop_time_is_left_out_of_planned_busy_time() -> None:
    # 1 h planned maintenance, 7 h running, 25 200 parts at 1 s: A = E = Q = 1
    r = one(timeline((at(6), PLANNED), (at(7), RUN), end=at(14)), good=25_200)
    assert (r.planned_busy_s, r.availability, r.oee) == (7 * 3600, 1.0, 1.0)


def test_breaks_of_a_window_are_not_working_time() -> None:
    # a 30 min break 09:00-09:30; the machine idles through it, which is not counted
    shift = Window("early", at(6), at(14), breaks=((at(9), at(9, 30)),))
    r = one(
        timeline((at(6), RUN), (at(9), IDLE), (at(9, 30), RUN), end=at(14)), 27_000, window=shift
    )
    assert (r.working_s, r.planned_busy_s, r.idle_s) == (27_000, 27_000, 0)
    assert r.oee == 1.0


def test_time_without_state_data_is_unknown_and_stays_in_planned_busy_time() -> None:
    # state known only from 10:00: 4 h unknown, 4 h running -> A = 0.5
    r = one(timeline((at(10), RUN), end=at(14)), good=14_400)
    assert (r.unknown_s, r.losses["unknown_s"], r.availability) == (14_400, 14_400, 0.5)


def test_speed_loss_is_production_time_beyond_the_ideal_time_of_the_parts_made() -> None:
    # 1 h running, 2 s cycle, 1 500 parts: ideal 3 000 s, speed loss 3 600 - 3 000 = 600 s
    r = one(timeline((at(6), RUN), (at(7), IDLE), end=at(14)), good=1_500, cycle_s=2.0)
    assert r.losses["speed_loss_s"] == 600
    assert r.performance == pytest.approx(3_000 / 3_600)


def test_performance_above_one_is_reported_as_computed() -> None:
    # 2 000 parts x 2 s = 4 000 s in 3 600 s running: cycles begun in the shift before
    # completed in this one. E = 1.111, speed loss -400 s, not clipped
    r = one(timeline((at(6), RUN), (at(7), IDLE), end=at(14)), good=2_000, cycle_s=2.0)
    assert r.performance == pytest.approx(4_000 / 3_600)
    assert r.losses["speed_loss_s"] == -400


def test_scrap_loss_is_the_ideal_time_of_the_scrapped_parts() -> None:
    # 50 scrap parts at a 2 s cycle: 100 s lost
    r = one(timeline((at(6), RUN), end=at(14)), good=950, scrap=50, cycle_s=2.0)
    assert (r.losses["scrap_loss_s"], r.losses["scrap_count"], r.quality) == (100, 50, 0.95)


# -- counters ----------------------------------------------------------------------------------


def test_a_counter_decrease_is_taken_as_a_reset() -> None:
    # 100 -> 150 -> 200 -> reset -> 20 -> 70: increments 50 + 50 + 20 + 50 = 170
    counter = CounterSeries.of([0, 1, 2, 3, 4], [100, 150, 200, 20, 70])
    assert counter.count_in(0, 10) == 170


def test_counter_increments_belong_to_the_window_they_were_observed_in() -> None:
    # baseline 05:59; 08:00 +400; 13:59 +300; 14:01 +200 (a part finished after the change)
    good = CounterSeries.of([at(5, 59), at(8), at(13, 59), at(14, 1)], [1_000, 1_400, 1_700, 1_900])
    scrap = CounterSeries.of([at(5, 59), at(15)], [7, 10])
    counts = CounterCounts(good, scrap)
    assert counts.counts_in(EARLY) == PartCount(700, 0)
    assert counts.counts_in(LATE) == PartCount(200, 3)


def test_counters_feed_the_oee_of_each_window() -> None:
    good = CounterSeries.of([at(6), at(10), at(14), at(18)], [0, 14_400, 28_800, 43_200])
    tl = timeline((at(6), RUN), end=at(22))
    early, late = compute_oee({"m1": tl}, {"m1": CounterCounts(good)}, 1.0, [EARLY, LATE])
    # baseline at 06:00; +14 400 at 10:00 is early; +14 400 at 14:00 and +14 400 at 18:00
    # are late (a sample at the shift change belongs to the shift that starts then)
    assert (early.good, late.good) == (14_400, 28_800)


# -- input checks and output -------------------------------------------------------------------


def test_a_machine_without_counts_is_refused() -> None:
    with pytest.raises(InputError, match="no part counts"):
        compute_oee({"m1": timeline((at(6), RUN), end=at(14))}, {}, 1.0, [EARLY])


@pytest.mark.parametrize("cycle", [0.0, -1.0, float("nan")])
def test_an_ideal_cycle_time_must_be_positive(cycle: float) -> None:
    with pytest.raises(InputError, match="ideal cycle"):
        one(timeline((at(6), RUN), end=at(14)), good=1, cycle_s=cycle)


def test_an_unknown_group_key_is_refused() -> None:
    tl = timeline((at(6), RUN), end=at(14))
    with pytest.raises(InputError, match="group_by"):
        compute_oee({"m1": tl}, {"m1": WindowCounts({})}, 1.0, [EARLY], group_by=["cell"])  # type: ignore[list-item]


def test_a_record_serialises_to_json_and_to_a_flat_row() -> None:
    r = one(SHIFT, good=19_000, scrap=500)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["losses"]["downtime_s"] == {"jam": 1800.0}
    assert data["shift"] == "early"
    row = one(timeline((at(6), DOWN), end=at(14)), good=0).to_row()
    assert row["performance"] is None
    assert row[f"loss.downtime_s.{NO_REASON}"] == 28_800


# -- properties --------------------------------------------------------------------------------

states = st.sampled_from(list(MachineState))
steps = st.lists(st.tuples(st.integers(0, 28_800), states), min_size=1, max_size=30)


@given(steps, st.integers(0, 100_000), st.integers(0, 100_000), st.floats(0.1, 10.0))
def test_ratios_stay_within_zero_and_one_when_the_cycles_are_consistent(
    pairs: list[tuple[int, MachineState]], good: int, scrap: int, cycle_s: float
) -> None:
    tl = StateTimeline.from_transitions(
        [(at(6) + s * 1_000_000_000, state, None) for s, state in pairs], end_ns=at(14)
    )
    apt_s = tl.clip(at(6), at(14)).durations()[RUN] / 1e9
    # scale the counts down so that PRI x PQ <= APT: no cycle completes faster than ideal
    fit = min(1.0, apt_s / (cycle_s * max(good + scrap, 1)))
    r = one(tl, good=int(good * fit), scrap=int(scrap * fit), cycle_s=cycle_s)
    for ratio in (r.availability, r.performance, r.quality, r.oee):
        assert ratio is None or 0.0 <= ratio <= 1.0 + 1e-12
