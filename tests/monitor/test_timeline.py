"""Specification of machine-state timelines."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import shopfloor.monitor
import shopfloor.monitor.timeline
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import InputError
from shopfloor.model.states import MachineState
from shopfloor.monitor.timeline import NO_REASON, StateInterval, StateTimeline, Transition

RUN = MachineState.RUNNING
IDLE = MachineState.IDLE
DOWN = MachineState.UNPLANNED_STOP
SETUP = MachineState.SETUP
MIN = 60_000_000_000


def rows(tl: StateTimeline) -> list[tuple[str, int, int, str | None]]:
    return [(i.state.value, i.start_ns, i.end_ns, i.reason) for i in tl]


def test_a_state_holds_until_the_next_sample_and_the_last_until_the_given_end() -> None:
    tl = StateTimeline.from_samples([0, 10, 25], [RUN.code, IDLE.code, RUN.code], end_ns=40)
    assert rows(tl) == [
        ("running", 0, 10, None),
        ("idle", 10, 25, None),
        ("running", 25, 40, None),
    ]


def test_repeated_states_merge_into_one_interval() -> None:
    # 1 Hz sampling repeats the state every second; only changes start an interval
    codes = [1, 1, 1, 7, 7, 1, 1]
    tl = StateTimeline.from_samples(range(7), codes, end_ns=7)
    assert rows(tl) == [
        ("running", 0, 3, None),
        ("unplanned_stop", 3, 5, None),
        ("running", 5, 7, None),
    ]


def test_unsorted_samples_are_sorted_by_timestamp() -> None:
    tl = StateTimeline.from_samples([20, 0, 10], [1, 1, 7], end_ns=30)
    assert rows(tl) == [
        ("running", 0, 10, None),
        ("unplanned_stop", 10, 20, None),
        ("running", 20, 30, None),
    ]


def test_of_two_samples_at_one_timestamp_the_later_one_wins() -> None:
    tl = StateTimeline.from_samples([0, 10, 10], [1, 2, 7], end_ns=20)
    assert rows(tl) == [("running", 0, 10, None), ("unplanned_stop", 10, 20, None)]


def test_a_last_sample_at_the_end_gives_no_zero_length_interval() -> None:
    tl = StateTimeline.from_samples([0, 10], [1, 7], end_ns=10)
    assert rows(tl) == [("running", 0, 10, None)]


def test_an_end_before_the_last_sample_is_refused() -> None:
    with pytest.raises(InputError, match="before its last sample"):
        StateTimeline.from_samples([0, 10], [1, 7], end_ns=5)


@pytest.mark.parametrize("code", [0.0, 8.0, 1.5, float("nan")])
def test_a_value_that_is_no_state_code_is_refused(code: float) -> None:
    with pytest.raises(InputError):
        StateTimeline.from_samples([0, 1], [1.0, code], end_ns=2)


def test_no_samples_give_an_empty_timeline() -> None:
    tl = StateTimeline.from_samples([], [], end_ns=10)
    assert len(tl) == 0
    assert tl.span is None
    assert sum(tl.durations().values()) == 0


def test_a_reason_applies_to_the_interval_starting_at_its_time_or_after_it() -> None:
    # fault at 10 with its reason at 10; fault at 30 with the reason sent earlier, at 25,
    # while the machine was still running (so the running interval 20-30 is split at 25).
    tl = StateTimeline.from_samples(
        [0, 10, 20, 30],
        [1, 7, 1, 7],
        end_ns=40,
        reason_ns=[10, 25],
        reasons=["jam", "no air"],
    )
    assert rows(tl) == [
        ("running", 0, 10, None),
        ("unplanned_stop", 10, 20, "jam"),
        ("running", 20, 25, "jam"),
        ("running", 25, 30, "no air"),
        ("unplanned_stop", 30, 40, "no air"),
    ]


def test_a_reason_change_during_a_stop_splits_the_stop() -> None:
    tl = StateTimeline.from_samples(
        [0, 10], [7, 1], end_ns=20, reason_ns=[0, 4], reasons=["jam", "waiting for fitter"]
    )
    assert tl.durations_by_reason([DOWN]) == {"jam": 4, "waiting for fitter": 6}


def test_a_blank_reason_clears_the_reason() -> None:
    tl = StateTimeline.from_samples(
        [0, 10], [7, 7], end_ns=20, reason_ns=[0, 10], reasons=["jam", ""]
    )
    assert tl.durations_by_reason([DOWN]) == {"jam": 10, NO_REASON: 10}


def test_periodic_and_change_only_state_streams_give_the_same_timeline() -> None:
    reason_ns, reasons = [3, 6], ["jam", "motor"]
    change_only = StateTimeline.from_samples(
        [0, 3, 8], [1, 7, 1], end_ns=10, reason_ns=reason_ns, reasons=reasons
    )
    periodic = StateTimeline.from_samples(
        range(10),
        [1, 1, 1, 7, 7, 7, 7, 7, 1, 1],
        end_ns=10,
        reason_ns=reason_ns,
        reasons=reasons,
    )
    # fault 3-8 split where the reason changes at 6: jam 3-6, motor 6-8
    assert rows(change_only) == rows(periodic)
    assert periodic.durations_by_reason([DOWN]) == {"jam": 3, "motor": 2}


def test_transitions_build_the_same_timeline_as_samples() -> None:
    tl = StateTimeline.from_transitions(
        [Transition(0, RUN), Transition(10, DOWN, "jam"), (20, RUN, None)], end_ns=30
    )
    assert rows(tl) == [
        ("running", 0, 10, None),
        ("unplanned_stop", 10, 20, "jam"),
        ("running", 20, 30, None),
    ]


def test_explicit_intervals_may_leave_gaps_of_unknown_state() -> None:
    tl = StateTimeline.from_intervals(
        [StateInterval(IDLE, 20, 30), StateInterval(RUN, 0, 10), StateInterval(RUN, 10, 15)]
    )
    assert rows(tl) == [("running", 0, 15, None), ("idle", 20, 30, None)]
    assert tl.state_at(17) is None
    assert tl.state_at(20) is IDLE


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(InputError, match="overlap"):
        StateTimeline.from_intervals([StateInterval(RUN, 0, 10), StateInterval(IDLE, 5, 15)])


def test_clip_cuts_intervals_at_the_window_bounds() -> None:
    # a fault 13:50-14:20 and a shift change at 14:00: 10 min early, 20 min late
    tl = StateTimeline.from_transitions(
        [(0, RUN, None), (50 * MIN, DOWN, None), (80 * MIN, RUN, None)], end_ns=120 * MIN
    )
    early, late = tl.clip(0, 60 * MIN), tl.clip(60 * MIN, 120 * MIN)
    assert early.durations()[DOWN] == 10 * MIN
    assert late.durations()[DOWN] == 20 * MIN
    assert rows(late)[0] == ("unplanned_stop", 60 * MIN, 80 * MIN, None)


def test_clip_outside_the_timeline_is_empty() -> None:
    tl = StateTimeline.from_samples([0], [1], end_ns=10)
    assert len(tl.clip(10, 20)) == 0
    assert len(tl.clip(5, 5)) == 0


def test_durations_report_every_state_in_nanoseconds() -> None:
    tl = StateTimeline.from_samples([0, 30, 40], [1, 5, 1], end_ns=100)
    # running 0-30 and 40-100 = 90, setup 30-40 = 10, every other state 0
    assert tl.durations() == {s: {RUN: 90, SETUP: 10}.get(s, 0) for s in MachineState}


def test_durations_by_reason_counts_only_the_asked_states() -> None:
    tl = StateTimeline.from_transitions(
        [(0, DOWN, "jam"), (10, SETUP, "jam"), (15, DOWN, None), (18, RUN, None)], end_ns=20
    )
    # down: jam 0-10, no reason 15-18; setup 10-15 is not asked for
    assert tl.durations_by_reason([DOWN]) == {"jam": 10, NO_REASON: 3}
    assert tl.durations_by_reason([DOWN, SETUP]) == {"jam": 15, NO_REASON: 3}


def test_a_timeline_reads_state_and_reason_batches() -> None:
    states = SampleBatch.of("acme/p1/l1/press/state", [10, 0], [7.0, 1.0])
    reasons = TextBatch.of("acme/p1/l1/press/reason", [10], ["jam"])
    tl = StateTimeline.from_batches(states, end_ns=30, reasons=reasons)
    assert rows(tl) == [("running", 0, 10, None), ("unplanned_stop", 10, 30, "jam")]


def test_a_machine_week_at_one_hertz_builds_and_sums() -> None:
    n = 7 * 24 * 3600  # 604 800 samples, one per second
    rng = np.random.default_rng(7)
    codes = rng.choice([1, 1, 1, 2, 7], size=n).astype(np.float64)
    ts = np.arange(n, dtype=np.int64) * 1_000_000_000
    tl = StateTimeline.from_samples(ts, codes, end_ns=n * 1_000_000_000)
    assert sum(tl.durations().values()) == n * 1_000_000_000


def test_the_module_examples_run() -> None:
    for module in (shopfloor.monitor, shopfloor.monitor.timeline):
        assert doctest.testmod(module).failed == 0


# -- properties -------------------------------------------------------------------------------

codes = st.sampled_from([s.code for s in MachineState])
samples = st.lists(st.tuples(st.integers(0, 1000), codes), min_size=1, max_size=60)


def naive_state_at(pairs: list[tuple[int, int]], t: int) -> int:
    """Reference: the code of the last sample (in input order) at or before ``t``."""
    latest = max(ts for ts, _ in pairs if ts <= t)
    return [c for ts, c in pairs if ts == latest][-1]


@given(samples, st.integers(0, 200))
def test_the_timeline_agrees_with_a_naive_reading_of_the_samples(
    pairs: list[tuple[int, int]], extra: int
) -> None:
    end = max(ts for ts, _ in pairs) + extra
    tl = StateTimeline.from_samples([p[0] for p in pairs], [p[1] for p in pairs], end_ns=end)
    first = min(ts for ts, _ in pairs)
    got = [tl.state_at(t) for t in range(first, end)]
    assert got == [MachineState.from_code(naive_state_at(pairs, t)) for t in range(first, end)]


@given(samples, st.integers(0, 1000), st.integers(0, 1000))
def test_a_clipped_timeline_covering_the_window_sums_to_the_window_length(
    pairs: list[tuple[int, int]], a: int, b: int
) -> None:
    first = min(ts for ts, _ in pairs)
    tl = StateTimeline.from_samples(
        [p[0] for p in pairs], [p[1] for p in pairs], end_ns=first + 2000
    )
    lo, hi = first + min(a, b), first + max(a, b)
    assert sum(tl.clip(lo, hi).durations().values()) == hi - lo


@given(samples)
def test_a_built_timeline_has_no_touching_intervals_with_equal_state(
    pairs: list[tuple[int, int]],
) -> None:
    tl = StateTimeline.from_samples([p[0] for p in pairs], [p[1] for p in pairs], end_ns=2000)
    touching = tl.start_ns[1:] == tl.end_ns[:-1]
    assert not np.any(touching & (tl.codes[1:] == tl.codes[:-1]))
