"""Machine-state timelines: what one machine was doing, interval by interval.

A :class:`StateTimeline` is a sorted sequence of non-overlapping state intervals
``[start_ns, end_ns)``, each with a :class:`~shopfloor.model.states.MachineState` and an
optional reason text (why the machine stopped). It is stored column by column in numpy
arrays, so a machine-week of 1 Hz state samples (about 600 000 rows) is cheap to build, clip
and sum.

A timeline is built from

* a numeric state sample stream (values are :attr:`MachineState.code`): a state holds from
  its sample until the next sample, the last one until an explicit ``end_ns``;
* optionally a reason text stream: the reason with the same or the nearest earlier timestamp
  applies to the interval starting at a given time;
* or a list of explicit :class:`Transition` values or :class:`StateInterval` values.

Every constructor sorts its input (samples arrive out of order), lets the last sample win
where two share a timestamp, drops zero-length intervals and merges consecutive intervals
with the same state and reason, so the result does not depend on whether the machine
reports its state on change only or periodically.

>>> tl = StateTimeline.from_samples([0, 10, 20, 30], [1, 1, 7, 1], end_ns=40)
>>> [(i.state.value, i.start_ns, i.end_ns) for i in tl]
[('running', 0, 20), ('unplanned_stop', 20, 30), ('running', 30, 40)]
>>> tl.clip(15, 25).durations()[MachineState.UNPLANNED_STOP]
5
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import InputError
from shopfloor.model.states import MachineState

Int8s = npt.NDArray[np.int8]
Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]

NO_REASON = "(unspecified)"
"""The key under which :meth:`StateTimeline.durations_by_reason` reports time without a reason."""

_MAX_CODE = max(s.code for s in MachineState)
_VALID_CODE = np.zeros(_MAX_CODE + 1, dtype=bool)
_VALID_CODE[[s.code for s in MachineState]] = True


@dataclass(frozen=True, slots=True)
class StateInterval:
    """One machine state held over ``[start_ns, end_ns)``, with an optional reason."""

    state: MachineState
    start_ns: int
    end_ns: int
    reason: str | None = None

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


class Transition(NamedTuple):
    """The machine entered ``state`` at ``at_ns`` (for the given reason, if any)."""

    at_ns: int
    state: MachineState
    reason: str | None = None


@dataclass(frozen=True, eq=False)
class StateTimeline:
    """Sorted, non-overlapping state intervals of one machine, stored column by column.

    ``codes`` holds :attr:`MachineState.code` per interval; ``reason_index`` indexes into
    ``reasons`` (``-1``: no reason), as a dictionary-encoded column does. Gaps between
    intervals are allowed and mean "state unknown". Build timelines with the ``from_*``
    constructors, which normalise their input; the constructor itself only checks it.
    """

    codes: Int8s
    start_ns: Int64s
    end_ns: Int64s
    reason_index: Int32s
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.codes)
        if not len(self.start_ns) == len(self.end_ns) == len(self.reason_index) == n:
            raise InputError("timeline columns must have the same length")
        if n == 0:
            return
        if not np.all(self.start_ns < self.end_ns):
            raise InputError("timeline intervals must have positive length")
        if not np.all(self.start_ns[1:] >= self.end_ns[:-1]):
            raise InputError("timeline intervals must be sorted and must not overlap")
        _check_codes(self.codes)
        if int(self.reason_index.min()) < -1 or int(self.reason_index.max()) >= len(self.reasons):
            raise InputError("timeline reason index out of range of its reasons")

    # -- constructors -----------------------------------------------------------------------

    @classmethod
    def empty(cls) -> StateTimeline:
        """A timeline with no intervals: every instant is of unknown state."""
        none = np.zeros(0, np.int64)
        return cls(np.zeros(0, np.int8), none, none, np.zeros(0, np.int32))

    @classmethod
    def from_samples(
        cls,
        timestamps_ns: Iterable[int] | npt.NDArray[Any],
        codes: Iterable[float] | npt.NDArray[Any],
        *,
        end_ns: int,
        reason_ns: Iterable[int] | npt.NDArray[Any] | None = None,
        reasons: Iterable[str | None] | npt.NDArray[Any] | None = None,
    ) -> StateTimeline:
        """Build a timeline from state samples, each holding until the next one.

        ``codes`` are :attr:`MachineState.code` values (floats are accepted, as a numeric
        tag carries them, but must be whole numbers). The last state holds until ``end_ns``,
        which must not be before the last sample. Where two samples share a timestamp the
        later one in the input wins.

        ``reason_ns`` / ``reasons`` is an optional text stream. The interval starting at time
        ``t`` gets the reason whose timestamp is ``t`` or the nearest before it; an empty
        text or ``None`` clears the reason. A reason sample that falls inside a state also
        starts a new interval (same state, new reason), so a periodically sampled and a
        change-only state stream give the same timeline.
        """
        ts = _int64(timestamps_ns, "state timestamps")
        values = _codes_of(codes, len(ts))
        if len(ts) == 0:
            return cls.empty()
        order = np.argsort(ts, kind="stable")
        ts, values = ts[order], values[order]
        _check_end(int(ts[-1]), end_ns)
        cuts, last = _last_of_runs(ts)
        state_at = values[last]
        names: tuple[str, ...] = ()
        reason_at = np.full(len(cuts), -1, np.int32)
        if reason_ns is not None or reasons is not None:
            rts, ridx, names = _reason_stream(reason_ns, reasons)
            inside = rts[(rts > ts[0]) & (rts < end_ns)]
            cuts, _ = _last_of_runs(np.sort(np.concatenate((cuts, inside))))
            state_at = values[np.searchsorted(ts, cuts, side="right") - 1]
            reason_at = _latest(rts, ridx, cuts)
        ends = np.append(cuts[1:], np.int64(end_ns))
        return cls._normalised(state_at, cuts, ends, reason_at, names)

    @classmethod
    def from_batches(
        cls, states: SampleBatch, *, end_ns: int, reasons: TextBatch | None = None
    ) -> StateTimeline:
        """Build a timeline from one machine's state tag and optional reason tag batches.

        Uses the source timestamps. Each batch must hold a single tag; filter first with
        :meth:`SampleBatch.filter`.
        """
        for batch in (states, reasons):
            if batch is not None and len(batch.paths) > 1:
                raise InputError(f"a timeline takes one tag per batch, got {batch.paths}")
        if reasons is None:
            return cls.from_samples(states.source_ns, states.value, end_ns=end_ns)
        return cls.from_samples(
            states.source_ns,
            states.value,
            end_ns=end_ns,
            reason_ns=reasons.source_ns,
            reasons=reasons.value,
        )

    @classmethod
    def from_transitions(
        cls,
        transitions: Iterable[Transition | tuple[int, MachineState, str | None]],
        *,
        end_ns: int,
    ) -> StateTimeline:
        """Build a timeline from explicit transitions; the last holds until ``end_ns``.

        Each transition carries its own reason. Where two share a timestamp, the later one
        in the input wins.
        """
        rows = [Transition(*t) for t in transitions]
        if not rows:
            return cls.empty()
        ts = np.array([r.at_ns for r in rows], np.int64)
        codes = np.array([MachineState(r.state).code for r in rows], np.int8)
        ridx, names = _encode_reasons([r.reason for r in rows])
        order = np.argsort(ts, kind="stable")
        ts, codes, ridx = ts[order], codes[order], ridx[order]
        _check_end(int(ts[-1]), end_ns)
        cuts, last = _last_of_runs(ts)
        ends = np.append(cuts[1:], np.int64(end_ns))
        return cls._normalised(codes[last], cuts, ends, ridx[last], names)

    @classmethod
    def from_intervals(cls, intervals: Iterable[StateInterval]) -> StateTimeline:
        """Build a timeline from explicit intervals (any order; gaps allowed, overlaps not)."""
        rows = sorted(intervals, key=lambda i: (i.start_ns, i.end_ns))
        if not rows:
            return cls.empty()
        starts = np.array([r.start_ns for r in rows], np.int64)
        ends = np.array([r.end_ns for r in rows], np.int64)
        if np.any(ends < starts):
            raise InputError("a state interval must not end before it starts")
        kept = starts < ends
        if np.any(starts[kept][1:] < ends[kept][:-1]):
            raise InputError("state intervals must not overlap")
        codes = np.array([MachineState(r.state).code for r in rows], np.int8)
        ridx, names = _encode_reasons([r.reason for r in rows])
        return cls._normalised(codes, starts, ends, ridx, names)

    @classmethod
    def _normalised(
        cls,
        codes: Int8s,
        starts: Int64s,
        ends: Int64s,
        reason_index: Int32s,
        reasons: tuple[str, ...],
    ) -> StateTimeline:
        """Drop zero-length intervals and merge touching runs of the same state and reason."""
        keep = starts < ends
        codes, starts, ends, reason_index = (
            codes[keep],
            starts[keep],
            ends[keep],
            reason_index[keep],
        )
        if len(codes) == 0:
            return cls.empty()
        new_run = np.ones(len(codes), dtype=bool)
        new_run[1:] = (
            (codes[1:] != codes[:-1])
            | (reason_index[1:] != reason_index[:-1])
            | (starts[1:] != ends[:-1])
        )
        first = np.flatnonzero(new_run)
        last = np.append(first[1:] - 1, len(codes) - 1)
        return cls(
            codes[first].astype(np.int8),
            starts[first],
            ends[last],
            reason_index[first].astype(np.int32),
            reasons,
        )

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[StateInterval]:
        """The intervals as objects (convenience, not for hot paths)."""
        for i in range(len(self)):
            r = int(self.reason_index[i])
            yield StateInterval(
                MachineState.from_code(int(self.codes[i])),
                int(self.start_ns[i]),
                int(self.end_ns[i]),
                self.reasons[r] if r >= 0 else None,
            )

    @property
    def span(self) -> tuple[int, int] | None:
        """``(start of the first interval, end of the last)``, or None when empty."""
        if len(self) == 0:
            return None
        return int(self.start_ns[0]), int(self.end_ns[-1])

    def state_at(self, t_ns: int) -> MachineState | None:
        """The state at ``t_ns``, or None where it is unknown."""
        i = int(np.searchsorted(self.start_ns, t_ns, side="right")) - 1
        if i < 0 or t_ns >= int(self.end_ns[i]):
            return None
        return MachineState.from_code(int(self.codes[i]))

    # -- operations -------------------------------------------------------------------------

    def clip(self, start_ns: int, end_ns: int) -> StateTimeline:
        """The part of the timeline inside ``[start_ns, end_ns)``; intervals crossing a
        bound are cut at it, so a fault from 13:50 to 14:20 clipped to a shift ending at
        14:00 keeps 10 minutes."""
        if end_ns <= start_ns:
            return StateTimeline.empty()
        # Intervals are sorted and disjoint, so both end and start columns are sorted and
        # the overlapping ones are one contiguous slice: O(log n), no full-array mask.
        i0 = int(np.searchsorted(self.end_ns, start_ns, side="right"))
        i1 = int(np.searchsorted(self.start_ns, end_ns, side="left"))
        if i1 <= i0:
            return StateTimeline.empty()
        starts = np.maximum(self.start_ns[i0:i1], np.int64(start_ns))
        ends = np.minimum(self.end_ns[i0:i1], np.int64(end_ns))
        return StateTimeline(
            self.codes[i0:i1], starts, ends, self.reason_index[i0:i1], self.reasons
        )

    def lengths_ns(self) -> Int64s:
        """The duration of every interval, in ns."""
        return self.end_ns - self.start_ns

    def durations(self) -> dict[MachineState, int]:
        """Total time in each state in ns; every state is a key, zero when absent."""
        lengths = self.lengths_ns()
        # One masked integer sum per state (seven passes) stays exact in int64, where a
        # weighted bincount would round through float64 beyond ~104 days of nanoseconds.
        return {s: int(lengths[self.codes == s.code].sum()) for s in MachineState}

    def durations_by_reason(self, states: Iterable[MachineState]) -> dict[str, int]:
        """Time in ns spent in any of ``states``, by reason; time without a reason is
        reported under :data:`NO_REASON`. Reasons with no time are left out."""
        wanted = np.array([MachineState(s).code for s in states], np.int8)
        mask = np.isin(self.codes, wanted)
        totals = np.zeros(len(self.reasons) + 1, np.int64)
        np.add.at(totals, self.reason_index[mask] + 1, self.lengths_ns()[mask])
        names = (NO_REASON, *self.reasons)
        return {names[i]: int(totals[i]) for i in np.flatnonzero(totals)}


# -- helpers ---------------------------------------------------------------------------------


def _int64(values: Iterable[int] | npt.NDArray[Any], what: str) -> Int64s:
    arr = np.asarray(values if isinstance(values, np.ndarray) else list(values))
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{what} must be integer nanoseconds, got {arr.dtype}")
    return arr.astype(np.int64, copy=False).reshape(-1)


def _codes_of(values: Iterable[float] | npt.NDArray[Any], n: int) -> Int8s:
    arr = np.asarray(values if isinstance(values, np.ndarray) else list(values), np.float64)
    if len(arr) != n:
        raise InputError(f"state stream has {n} timestamps but {len(arr)} values")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise InputError("machine state codes must be whole numbers")
    out_of_range = (arr < 0) | (arr > _MAX_CODE)
    if np.any(out_of_range):
        raise InputError(f"unknown machine state codes: {sorted(set(arr[out_of_range]))}")
    codes = arr.astype(np.int8)
    _check_codes(codes)
    return codes


def _check_codes(codes: Int8s) -> None:
    in_range = (codes >= 0) & (codes <= _MAX_CODE)
    valid = np.zeros(len(codes), dtype=bool)
    valid[in_range] = _VALID_CODE[codes[in_range]]
    if not np.all(valid):
        bad = sorted({int(c) for c in codes[~valid]})
        raise InputError(f"unknown machine state codes: {bad}")


def _check_end(last_ns: int, end_ns: int) -> None:
    if end_ns < last_ns:
        raise InputError(f"timeline end {end_ns} is before its last sample at {last_ns}")


def _encode_reasons(texts: Sequence[Any] | npt.NDArray[Any]) -> tuple[Int32s, tuple[str, ...]]:
    """Dictionary-encode reason texts; None and blank texts become -1 (no reason)."""
    index: dict[str, int] = {}

    def code(text: Any) -> int:
        if text is None or not str(text).strip():
            return -1
        return index.setdefault(str(text), len(index))

    return np.fromiter((code(t) for t in texts), np.int32, len(texts)), tuple(index)


def _reason_stream(
    reason_ns: Iterable[int] | npt.NDArray[Any] | None,
    reasons: Iterable[str | None] | npt.NDArray[Any] | None,
) -> tuple[Int64s, Int32s, tuple[str, ...]]:
    """The reason stream sorted by time (stable, so the later sample wins a tie)."""
    if reason_ns is None or reasons is None:
        raise InputError("give both reason timestamps and reason texts, or neither")
    rts = _int64(reason_ns, "reason timestamps")
    texts = reasons if isinstance(reasons, np.ndarray) else list(reasons)
    if len(texts) != len(rts):
        raise InputError(f"reason stream has {len(rts)} timestamps but {len(texts)} texts")
    ridx, names = _encode_reasons(texts)
    order = np.argsort(rts, kind="stable")
    return rts[order], ridx[order], names


def _last_of_runs(sorted_ts: Int64s) -> tuple[Int64s, npt.NDArray[np.intp]]:
    """The distinct timestamps of a sorted column and the index of the last row of each.

    Cheaper than ``np.unique``, which hashes; the input is already sorted.
    """
    last = np.flatnonzero(np.append(sorted_ts[1:] != sorted_ts[:-1], True))
    return sorted_ts[last], last


def _latest(ts: Int64s, values: Int32s, at: Int64s) -> Int32s:
    """For each time in ``at``, the value with the same or nearest earlier timestamp, or -1."""
    i = np.searchsorted(ts, at, side="right") - 1
    out = np.full(len(at), -1, np.int32)
    found = i >= 0
    out[found] = values[i[found]]
    return out
