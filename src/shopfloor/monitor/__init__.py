"""Watching machines: state timelines and OEE (ISO 22400-2).

Analytics here are plain functions and classes over numpy arrays, with no I/O: callers
read state and counter history, pass it in, and get records back.

>>> from shopfloor.monitor import StateTimeline, Window, WindowCounts, PartCount, compute_oee
>>> hour = 3_600_000_000_000
>>> tl = StateTimeline.from_samples([0], [1], end_ns=hour)   # running the whole hour
>>> w = Window("early", 0, hour)
>>> [r] = compute_oee({"m1": tl}, {"m1": WindowCounts({w: PartCount(3000, 0)})}, 1.2, [w])
>>> round(r.oee, 3)
1.0
"""

from shopfloor.monitor.oee import (
    CounterCounts,
    CounterSeries,
    GroupKey,
    OeeRecord,
    PartCount,
    PartCounts,
    Window,
    WindowCounts,
    compute_oee,
)
from shopfloor.monitor.timeline import NO_REASON, StateInterval, StateTimeline, Transition

__all__ = [
    "NO_REASON",
    "CounterCounts",
    "CounterSeries",
    "GroupKey",
    "OeeRecord",
    "PartCount",
    "PartCounts",
    "StateInterval",
    "StateTimeline",
    "Transition",
    "Window",
    "WindowCounts",
    "compute_oee",
]
