"""OEE from stored history: read each machine's state and counters, then compute.

A machine takes part when the historian holds its ``state`` tag (a
:class:`~shopfloor.model.states.MachineState` code), with ``state_reason`` (text) for
downtime reasons and cumulative ``good_count`` / ``scrap_count`` counters. Discrete tags are
written on change and repeated at least every ``lookback_ns`` (the twin's heartbeat), so
reading from ``start - lookback_ns`` finds the state in force at the window's start and a
counter baseline.

Windows come from the plant calendar: per shift instance for ``by="shift"``, otherwise one
window over the whole range whose non-working time (between shifts, breaks, holidays) is
left out of planned time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from shopfloor.historian.base import Historian
from shopfloor.model.calendar import Calendar
from shopfloor.model.errors import InputError
from shopfloor.monitor.oee import (
    CounterCounts,
    CounterSeries,
    GroupKey,
    OeeRecord,
    PartCounts,
    Window,
    compute_oee,
)
from shopfloor.monitor.timeline import StateTimeline

By = Literal["machine", "line", "shift"]
DEFAULT_LOOKBACK_NS = 120 * 1_000_000_000


def shift_windows(calendar: Calendar, start_ns: int, end_ns: int) -> list[Window]:
    """One window per shift instance overlapping the range, clipped to it."""
    windows = []
    for shift in calendar.shifts(start_ns, end_ns):
        lo, hi = max(shift.interval.start_ns, start_ns), min(shift.interval.end_ns, end_ns)
        if hi > lo:
            breaks = tuple((b.start_ns, b.end_ns) for b in shift.breaks)
            windows.append(Window(f"{shift.name} {shift.date.isoformat()}", lo, hi, breaks))
    return windows


def range_window(calendar: Calendar, start_ns: int, end_ns: int) -> Window:
    """The whole range as one window, with non-working time as breaks."""
    off = calendar.non_working_intervals(start_ns, end_ns)
    return Window("range", start_ns, end_ns, tuple((i.start_ns, i.end_ns) for i in off))


def machines_with_states(historian: Historian, machines: Sequence[str]) -> list[str]:
    """The machines among ``machines`` whose state tag the historian holds."""
    stored = set(historian.paths("#"))
    return [m for m in machines if f"{m}/state" in stored]


def read_machine(
    historian: Historian, machine: str, start_ns: int, end_ns: int, lookback_ns: int
) -> tuple[StateTimeline, PartCounts]:
    """A machine's state timeline within the range and its part counters."""
    since = start_ns - lookback_ns
    states = historian.raw(f"{machine}/state", since, end_ns)
    reasons = historian.raw_text(f"{machine}/state_reason", since, end_ns)
    timeline = StateTimeline.from_batches(
        states, end_ns=end_ns, reasons=reasons if len(reasons) else None
    ).clip(start_ns, end_ns)
    good = CounterSeries.from_batch(historian.raw(f"{machine}/good_count", since, end_ns))
    scrap_batch = historian.raw(f"{machine}/scrap_count", since, end_ns)
    scrap = CounterSeries.from_batch(scrap_batch) if len(scrap_batch) else None
    return timeline, CounterCounts(good, scrap)


def oee_from_history(
    historian: Historian,
    *,
    machines: Sequence[str],
    ideal_cycle_s: Mapping[str, float],
    line_of: Mapping[str, str],
    calendar: Calendar,
    start_ns: int,
    end_ns: int,
    by: By = "machine",
    lookback_ns: int = DEFAULT_LOOKBACK_NS,
) -> list[OeeRecord]:
    """OEE and losses of ``machines`` over ``[start_ns, end_ns)``, grouped ``by``."""
    if end_ns <= start_ns:
        raise InputError("the OEE range must end after it starts")
    present = machines_with_states(historian, machines)
    if not present:
        raise InputError("no machine state history in this database for the plant's machines")
    timelines: dict[str, StateTimeline] = {}
    counts: dict[str, PartCounts] = {}
    for machine in present:
        timelines[machine], counts[machine] = read_machine(
            historian, machine, start_ns, end_ns, lookback_ns
        )
    if by == "shift":
        windows = shift_windows(calendar, start_ns, end_ns)
        group: tuple[GroupKey, ...] = ("shift",)
    else:
        windows = [range_window(calendar, start_ns, end_ns)]
        group = (by,)
    ideal = {m: ideal_cycle_s[m] for m in present}
    return compute_oee(timelines, counts, ideal, windows, group_by=group, line_of=line_of)
