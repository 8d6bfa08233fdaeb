"""From scored rows to anomalies: the sustained rule, rate-limited events and the alarm flag.

A row is *hot* when a detector's score reaches its threshold; its *excess* is how far past
(the score's odds over the threshold's odds, so 1 at the threshold). Single hot rows are
the false-alarm budget at work and make no event. An **anomaly** starts when at least
``share`` of the last ``window_rows`` rows are hot, and ends when ``end_rows`` rows in a row
are not; in between it holds (hysteresis), so an anomaly that flickers stays one anomaly.
While it lasts, ``update_ns`` of data time pass between updates. It reaches **alarm** level
when ``share`` of the window's rows have an excess of at least ``severity``; it stays there
until it ends. Each change of level is one sample of the machine's derived flag tag: 0
normal, 1 anomaly, 2 alarm level.

Everything is vectorised over a batch's rows (rolling counts by cumulative sums, the held
state by a running maximum of deciding rows); Python runs once per event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.model.event import Event, Severity

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

START = "anomaly.start"
UPDATE = "anomaly.update"
END = "anomaly.end"
TOP_TAGS = 3


@dataclass(frozen=True)
class ScoredRows:
    """One batch of a machine's scored rows.

    ``excess`` is the largest excess over the detectors, ``score`` and ``threshold`` those of
    the detector that had it, ``detector`` its index into ``names``, and ``weights`` (rows x
    tags) how much each tag contributed to each row's excess (zero on rows that are not hot).
    """

    times: Int64s
    excess: Floats
    score: Floats
    threshold: Floats
    detector: npt.NDArray[np.intp]
    weights: Floats


@dataclass(frozen=True)
class Rule:
    """The sustained rule in rows, and the update interval in ns."""

    window_rows: int
    share: float
    end_rows: int
    severity: float | None
    update_ns: int

    @property
    def needed(self) -> int:
        """Hot rows in a window that start an anomaly."""
        return max(1, math.ceil(self.share * self.window_rows - 1e-9))

    @property
    def memory(self) -> int:
        """Rows of the past that the rolling counts need."""
        return max(self.window_rows, self.end_rows)


class Episodes:
    """The anomaly state of one machine, carried from batch to batch (see the module text)."""

    def __init__(self, machine: str, tags: Sequence[str], names: Sequence[str], rule: Rule):
        self.machine, self.tags, self.names, self.rule = machine, tuple(tags), tuple(names), rule
        self.hot = np.zeros(rule.memory, bool)
        self.severe_rows = np.zeros(rule.memory, bool)
        self.active = False
        self.alarm = False
        self.since_ns: int | None = None
        self.next_update_ns: int | None = None
        self.peak = 0.0
        self.pending = np.zeros(len(self.tags))
        self.best: tuple[float, float, float, int] = (0.0, 0.0, 1.0, 0)

    @property
    def flag(self) -> int:
        """The derived tag's value now: 0 normal, 1 anomaly, 2 alarm level."""
        return 2 if self.alarm else 1 if self.active else 0

    def step(self, rows: ScoredRows) -> tuple[list[Event], Int64s, Floats]:
        """The events of ``rows``, and the derived tag's samples (times, values) where it moved."""
        n = len(rows.times)
        if n == 0:
            return [], np.zeros(0, np.int64), np.zeros(0)
        hot = rows.excess >= 1.0
        severity = self.rule.severity
        severe = hot if severity is None else rows.excess >= severity
        active = self._held(hot)
        alarm = self._latched(active, self._count(self.severe_rows, severe, self.rule.window_rows))
        flags = np.where(alarm, 2, np.where(active, 1, 0))
        moved = np.flatnonzero(flags != np.concatenate(([self.flag], flags[:-1])))
        events = self._events(rows, hot, active, alarm)
        self.hot = np.concatenate((self.hot, hot))[-self.rule.memory :]
        self.severe_rows = np.concatenate((self.severe_rows, severe))[-self.rule.memory :]
        self.active, self.alarm = bool(active[-1]), bool(alarm[-1])
        if not self.active:  # hot rows that made no anomaly are not part of the next one
            self.pending, self.best = np.zeros(len(self.tags)), (0.0, 0.0, 1.0, 0)
        return events, rows.times[moved], flags[moved].astype(np.float64)

    # -- the rule ----------------------------------------------------------------------------
    def _count(self, past: Bools, new: Bools, width: int) -> Int64s:
        """For each new row, how many of the last ``width`` rows (itself included) are set."""
        full = np.concatenate((past, new))
        sums = np.concatenate(([0], np.cumsum(full, dtype=np.int64)))
        end = np.arange(len(past), len(full)) + 1
        return np.asarray(sums[end] - sums[np.maximum(end - width, 0)], dtype=np.int64)

    def _held(self, hot: Bools) -> Bools:
        starts = self._count(self.hot, hot, self.rule.window_rows) >= self.rule.needed
        ends = self._count(self.hot, hot, self.rule.end_rows) == 0
        decided = np.where(starts | ends, np.arange(len(hot)), -1)
        np.maximum.accumulate(decided, out=decided)
        held: Bools = np.where(decided >= 0, starts[np.maximum(decided, 0)], self.active)
        return held

    def _latched(self, active: Bools, severe_count: Int64s) -> Bools:
        """Alarm level: reached within the current anomaly, kept until the anomaly ends."""
        index = np.arange(len(active))
        began = active & ~np.concatenate(([self.active], active[:-1]))
        start_at = np.maximum.accumulate(np.where(began, index, -1))
        reached = active & (severe_count >= self.rule.needed)
        reached_at = np.maximum.accumulate(np.where(reached, index, -1))
        within = (reached_at >= 0) & (reached_at >= start_at)
        carried = (start_at < 0) & self.alarm
        latched: Bools = active & (within | carried)
        return latched

    # -- events ------------------------------------------------------------------------------
    def _events(self, rows: ScoredRows, hot: Bools, active: Bools, alarm: Bools) -> list[Event]:
        before_active = np.concatenate(([self.active], active[:-1]))
        before_alarm = np.concatenate(([self.alarm], alarm[:-1]))
        marks = {int(i): START for i in np.flatnonzero(active & ~before_active)}
        for i in np.flatnonzero(~active & before_active).tolist():
            marks[int(i)] = END
        for i in np.flatnonzero(alarm & ~before_alarm).tolist():
            marks.setdefault(int(i), UPDATE)
        cumulative = np.cumsum(rows.weights, axis=0)
        events: list[Event] = []
        last = -1
        for i in self._update_rows(rows.times, active, marks):
            kind = marks.get(i, UPDATE)
            self._absorb(rows, hot, cumulative, last, i)
            events.append(self._event(kind, rows, i, bool(alarm[i])))
            last = i
        self._absorb(rows, hot, cumulative, last, len(rows.times) - 1)
        return events

    def _update_rows(self, times: Int64s, active: Bools, marks: Mapping[int, str]) -> list[int]:
        """The rows with an event: the marked ones and the periodic updates between them."""
        out: list[int] = []
        ordered = sorted(marks)
        active_rows = np.flatnonzero(active)
        due, position, m = self.next_update_ns, 0, 0
        while True:
            mark = ordered[m] if m < len(ordered) else None
            update = None
            if due is not None:
                first = max(position, int(np.searchsorted(times, due, side="left")))
                k = int(np.searchsorted(active_rows, first, side="left"))
                update = int(active_rows[k]) if k < len(active_rows) else None
            if mark is None and update is None:
                break
            if mark is not None and (update is None or mark <= update):
                row, m = mark, m + 1
                due = None if marks[row] == END else int(times[row]) + self.rule.update_ns
            else:
                assert update is not None
                row, due = update, int(times[update]) + self.rule.update_ns
            out.append(row)
            position = row + 1
        self.next_update_ns = due
        return out

    def _absorb(
        self, rows: ScoredRows, hot: Bools, cumulative: Floats, last: int, upto: int
    ) -> None:
        """Fold rows ``last + 1 .. upto`` into the pending weights and the best row."""
        if upto <= last:
            return
        before = cumulative[last] if last >= 0 else 0.0
        self.pending = self.pending + (cumulative[upto] - before)
        part = slice(last + 1, upto + 1)
        chunk = rows.excess[part]
        if len(chunk) and float(chunk.max()) > self.best[0]:
            k = last + 1 + int(np.argmax(chunk))
            self.best = (
                float(rows.excess[k]),
                float(rows.score[k]),
                float(rows.threshold[k]),
                int(rows.detector[k]),
            )
        self.peak = max(self.peak, self.best[0])

    def _event(self, kind: str, rows: ScoredRows, i: int, alarm: bool) -> Event:
        t = int(rows.times[i])
        if kind == START:
            self.since_ns = t
        excess, score, threshold, detector = self.best
        payload: dict[str, Any] = {
            "score": round(score, 6),
            "threshold": round(threshold, 6),
            "severity": round(excess, 3),
            "peak_severity": round(self.peak, 3),
            "detector": self.names[detector] if self.names else "",
            "tags": self._top_tags(),
            "since_ns": self.since_ns,
            "alarm": alarm,
        }
        if kind == END:
            payload["duration_s"] = round((t - (self.since_ns or t)) / 1e9, 3)
        level = Severity.INFO if kind == END else Severity.MEDIUM if alarm else Severity.LOW
        if kind == END:
            self.since_ns, self.peak = None, 0.0
        self.pending = np.zeros(len(self.tags))
        self.best = (0.0, 0.0, 1.0, 0)
        return Event.new(
            time_ns=t,
            asset=self.machine,
            kind=kind,
            severity=level,
            payload=payload,
            actor="detector:anomaly",
        )

    def _top_tags(self) -> list[dict[str, Any]]:
        total = float(self.pending.sum())
        if total <= 0:
            return []
        order = np.argsort(-self.pending, kind="stable")[:TOP_TAGS]
        return [
            {"tag": self.tags[k], "share": round(float(self.pending[k]) / total, 3)}
            for k in order.tolist()
            if self.pending[k] > 0
        ]

    # -- saving ------------------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """The carried rows and the anomaly in progress, as JSON-compatible data."""
        return {
            "hot": np.flatnonzero(self.hot).tolist(),
            "severe": np.flatnonzero(self.severe_rows).tolist(),
            "active": self.active,
            "alarm": self.alarm,
            "since_ns": self.since_ns,
            "next_update_ns": self.next_update_ns,
            "peak": self.peak,
            "pending": self.pending.tolist(),
            "best": list(self.best),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`save_state` output."""
        self.hot = np.zeros(self.rule.memory, bool)
        self.hot[np.asarray(state["hot"], dtype=np.intp)] = True
        self.severe_rows = np.zeros(self.rule.memory, bool)
        self.severe_rows[np.asarray(state["severe"], dtype=np.intp)] = True
        self.active, self.alarm = bool(state["active"]), bool(state["alarm"])
        self.since_ns = state["since_ns"]
        self.next_update_ns = state["next_update_ns"]
        self.peak = float(state["peak"])
        self.pending = np.asarray(state["pending"], dtype=np.float64)
        excess, score, threshold, detector = state["best"]
        self.best = (float(excess), float(score), float(threshold), int(detector))
