"""Alarm-flood figures after ISA-18.2 (clause 16, table 5) from stored alarm events.

An alarm counts once per annunciation: each ``alarm.active`` event (returns from shelving
or suppression with the condition still present count, since the operator sees them
again). The figures are per 10-minute window, clock-aligned, over the period asked for.
ISA-18.2 states its benchmarks per operator position, over about 30 days, so pass the events
of one console's assets for a month to compare them.

>>> from shopfloor.model.event import Event
>>> minute = 60 * 10**9
>>> events = [Event.new(time_ns=i * minute, asset="a/m1", kind="alarm.active",
...                     payload={"alarm_id": "a/m1/temp:h"}) for i in range(12)]
>>> f = flood_figures(events, start_ns=0, end_ns=60 * minute)
>>> f.counts, f.peak, f.per_hour
((10, 2, 0, 0, 0, 0), 10, 12.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from shopfloor.model.clock import NS_PER_S
from shopfloor.model.event import Event

WINDOW_S = 600.0
FLOOD_THRESHOLD = 10
"""More than this many alarms in one 10-minute window is a flood (ISA-18.2)."""
CHATTER_COUNT = 3
CHATTER_WINDOW_S = 60.0
"""An alarm annunciated 3 or more times within a minute chatters (ISA-TR18.2.5)."""
TOP = 10


@dataclass(frozen=True)
class Benchmark:
    """One ISA-18.2 performance figure beside its target."""

    name: str
    value: float
    target: float
    met: bool
    meaning: str


@dataclass(frozen=True)
class FloodFigures:
    """Alarm load over a period, in 10-minute windows, with the ISA-18.2 figures."""

    start_ns: int
    end_ns: int
    window_s: float
    counts: tuple[int, ...]
    """Annunciated alarms in each window, oldest first."""
    total: int
    per_window: float
    per_hour: float
    per_day: float
    peak: int
    peak_start_ns: int | None
    flood_threshold: int
    flood_windows: int
    flood_share: float
    """Share of windows with more than ``flood_threshold`` alarms (0-1)."""
    top: tuple[tuple[str, int], ...]
    """The most frequent alarms and their counts, most frequent first (up to 10)."""
    top_share: float
    """Share of all alarms that the 10 most frequent ones make (0-1)."""
    chattering: tuple[str, ...]
    by_priority: dict[str, int]

    def benchmarks(self) -> tuple[Benchmark, ...]:
        """The figures beside ISA-18.2's "very likely acceptable" targets."""
        rows = (
            ("alarms per day", self.per_day, 150.0, "about 150; 300 is the most manageable"),
            ("alarms per hour", self.per_hour, 6.0, "about 6; 12 is the most manageable"),
            ("alarms per 10 minutes", self.per_window, 1.0, "about 1; 2 is the most manageable"),
            ("share of 10-minute windows in flood", self.flood_share, 0.01, "under 1 %"),
            ("most alarms in 10 minutes", float(self.peak), 10.0, "10 or fewer"),
            ("share of the 10 most frequent alarms", self.top_share, 0.05, "1 % to 5 % at most"),
            ("chattering alarms", float(len(self.chattering)), 0.0, "none"),
        )
        return tuple(Benchmark(n, v, t, v <= t, m) for n, v, t, m in rows)


def flood_figures(
    events: Iterable[Event],
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    window_s: float = WINDOW_S,
    flood_threshold: int = FLOOD_THRESHOLD,
) -> FloodFigures:
    """Alarm-flood figures of the ``alarm.active`` events in ``[start_ns, end_ns)``.

    Without a period, it runs from the window of the first alarm to the end of the window
    of the last one. Windows start at ``start_ns`` when given, else on multiples of
    ``window_s`` since the epoch (so 10-minute windows start at :00, :10, ...).
    """
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    width = round(window_s * NS_PER_S)
    active = sorted((e for e in events if e.kind == "alarm.active"), key=lambda e: e.time_ns)
    times = np.array([e.time_ns for e in active], np.int64)
    start = start_ns if start_ns is not None else _floor(times, width)
    end = end_ns if end_ns is not None else _ceil(times, width, start)
    if end < start:
        raise ValueError("the period ends before it starts")
    inside = (times >= start) & (times < end)
    chosen = [e for e, keep in zip(active, inside.tolist(), strict=True) if keep]
    windows = max(1, -(-(end - start) // width)) if end > start else 0
    counts = np.bincount((times[inside] - start) // width, minlength=windows)
    return _figures(chosen, counts, start, end, window_s, flood_threshold)


def _floor(times: np.ndarray, width: int) -> int:
    return int(times[0]) // width * width if len(times) else 0


def _ceil(times: np.ndarray, width: int, start: int) -> int:
    if not len(times):
        return start
    return start + (int(times[-1]) - start) // width * width + width


def _figures(
    active: list[Event],
    counts: np.ndarray,
    start: int,
    end: int,
    window_s: float,
    flood_threshold: int,
) -> FloodFigures:
    total = len(active)
    hours = (end - start) / (3600 * NS_PER_S)
    windows = len(counts)
    peak_at = int(np.argmax(counts)) if windows and counts.max() > 0 else None
    ids = Counter(_alarm_id(e) for e in active)
    top = tuple(ids.most_common(TOP))
    floods = int(np.count_nonzero(counts > flood_threshold))
    return FloodFigures(
        start_ns=start,
        end_ns=end,
        window_s=window_s,
        counts=tuple(int(c) for c in counts),
        total=total,
        per_window=total / windows if windows else 0.0,
        per_hour=total / hours if hours else 0.0,
        per_day=total / hours * 24 if hours else 0.0,
        peak=int(counts.max()) if windows else 0,
        peak_start_ns=None if peak_at is None else start + round(peak_at * window_s * NS_PER_S),
        flood_threshold=flood_threshold,
        flood_windows=floods,
        flood_share=floods / windows if windows else 0.0,
        top=top,
        top_share=sum(n for _, n in top) / total if total else 0.0,
        chattering=_chattering(active),
        by_priority=dict(Counter(str(e.payload.get("priority", "")) for e in active)),
    )


def _alarm_id(event: Event) -> str:
    return str(event.payload.get("alarm_id", event.asset))


def _chattering(active: list[Event]) -> tuple[str, ...]:
    """Alarms annunciated ``CHATTER_COUNT`` times within ``CHATTER_WINDOW_S``."""
    span = round(CHATTER_WINDOW_S * NS_PER_S)
    times: dict[str, list[int]] = {}
    for event in active:
        times.setdefault(_alarm_id(event), []).append(event.time_ns)
    found = []
    for alarm_id, ts in times.items():
        arr = np.asarray(ts, np.int64)
        n = CHATTER_COUNT - 1
        if len(arr) > n and bool(np.any(arr[n:] - arr[:-n] < span)):
            found.append(alarm_id)
    return tuple(sorted(found))
