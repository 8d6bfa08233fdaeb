"""Overall equipment effectiveness (OEE) and its losses, after ISO 22400-2.

The time model, per work unit (machine) and window (a shift, a day, any range):

=============================  ===============================  =============================
ISO 22400-2 element            shopfloor                        field of :class:`OeeRecord`
=============================  ===============================  =============================
POT  planned operation time    window minus its breaks          ``working_s``
PDOT planned down time         ``planned_stop`` inside POT      ``planned_stop_s``
PBT  planned busy time         POT - PDOT                       ``planned_busy_s``
APT  actual production time    ``running``                      ``production_s``
ASUT actual unit setup time    ``setup``                        ``setup_s``
ADOT actual unit down time     ``unplanned_stop``               ``down_s``
ADET actual unit delay time    ``idle`` + ``starved`` +         ``waiting_s`` (and each part)
                               ``blocked``
PRI  planned runtime per item  ``ideal_cycle_s``                (input)
GQ / SQ / PQ                   good / scrap / good + scrap      ``good`` / ``scrap`` /
                                                                ``produced``
=============================  ===============================  =============================

Availability = APT / PBT, effectiveness (performance) = PRI x PQ / APT, quality rate =
GQ / PQ, OEE = availability x effectiveness x quality rate.

Conventions (see docs/oee.md):

* A ratio whose denominator is zero is ``None``, never NaN and never an invented 0 or 1.
  OEE is ``None`` when any factor is ``None``, except that a product with a factor of
  exactly 0 is 0: a machine that never ran (A = 0, E undefined) or ran but made nothing
  (E = 0, Q undefined) during planned busy time has OEE 0.
* Effectiveness is not clipped at 1: a cycle begun in an earlier window may complete, and be
  counted, in this one. It is reported as computed, and so is a negative speed loss.
* Time in the window that no state interval covers is ``unknown_s``; it stays in PBT, so
  missing state data lowers availability instead of silently raising it.
* Part counts are attributed to the window in which the count increment was observed.
* Pooled groups (a line, all machines of a shift, several windows) sum the times, PRI x PQ,
  GQ and PQ over their members and then take the ratios, so big machines and long windows
  weigh more than a plain mean of the members' OEE would let them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch
from shopfloor.model.errors import InputError
from shopfloor.model.states import MachineState
from shopfloor.monitor.timeline import StateTimeline

Int64s = npt.NDArray[np.int64]
GroupKey = Literal["machine", "line", "shift"]
LossValue = float | Mapping[str, float]

_GROUP_KEYS: tuple[GroupKey, ...] = ("machine", "line", "shift")
_NS_PER_S = 1_000_000_000
_WAITING = (MachineState.IDLE, MachineState.STARVED, MachineState.BLOCKED)
_K = TypeVar("_K")
_T = TypeVar("_T")


# -- windows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of working time ``[start_ns, end_ns)``, such as one shift on one day.

    ``breaks`` are ``(start_ns, end_ns)`` pairs inside the window that are not working time
    (they are not planned, so they are left out of PBT altogether rather than counted as
    planned stops). Breaks are clipped to the window, sorted and merged on construction.
    Time outside the windows a caller gives is not planned and is never looked at.
    """

    name: str
    start_ns: int
    end_ns: int
    breaks: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.end_ns < self.start_ns:
            raise InputError(f"window {self.name!r} ends before it starts")
        object.__setattr__(self, "breaks", _merge_spans(self.breaks, self.start_ns, self.end_ns))

    @property
    def working_spans(self) -> tuple[tuple[int, int], ...]:
        """The window minus its breaks, as sorted ``(start_ns, end_ns)`` pairs."""
        spans, cursor = [], self.start_ns
        for b0, b1 in self.breaks:
            if b0 > cursor:
                spans.append((cursor, b0))
            cursor = b1
        if cursor < self.end_ns:
            spans.append((cursor, self.end_ns))
        return tuple(spans)

    @property
    def working_ns(self) -> int:
        """Working time in the window (ISO 22400-2 planned operation time), in ns."""
        return sum(e - s for s, e in self.working_spans)


def _merge_spans(spans: Iterable[tuple[int, int]], lo: int, hi: int) -> tuple[tuple[int, int], ...]:
    clipped = sorted((max(int(s), lo), min(int(e), hi)) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for s, e in clipped:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


# -- part counts -----------------------------------------------------------------------------


class PartCount(NamedTuple):
    """Parts made in a window: good (GQ) and scrap (SQ)."""

    good: int
    scrap: int = 0

    @property
    def produced(self) -> int:
        """Produced quantity PQ = good + scrap."""
        return self.good + self.scrap


class PartCounts(Protocol):
    """Where part counts come from: anything that can say how many parts a window saw."""

    def counts_in(self, window: Window) -> PartCount:
        """Good and scrap parts observed in ``window``."""
        ...


@dataclass(frozen=True, eq=False)
class CounterSeries:
    """Samples of a cumulative part counter, with resets.

    The counter only grows, except that it drops back towards 0 when it rolls over or the
    controller restarts. A decrease is taken as such a reset: the increment at that sample
    is the new value itself (counted up from 0). The first sample is the baseline and adds
    nothing, so give the last sample before the first window to count from its start.
    A reset followed by counting past the old value between two samples cannot be seen.
    """

    timestamps_ns: Int64s
    values: Int64s
    _increment_ns: Int64s = field(init=False, repr=False)
    _cumulative: Int64s = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ts = np.asarray(self.timestamps_ns, np.int64).reshape(-1)
        vals = np.asarray(self.values, np.float64).reshape(-1)
        if len(ts) != len(vals):
            raise InputError(f"counter has {len(ts)} timestamps but {len(vals)} values")
        if not np.all(np.isfinite(vals)) or np.any(vals < 0) or np.any(vals != np.round(vals)):
            raise InputError("counter values must be whole numbers >= 0")
        order = np.argsort(ts, kind="stable")
        ts, ints = ts[order], vals[order].astype(np.int64)
        step = np.diff(ints)
        increments = np.where(step >= 0, step, ints[1:])
        object.__setattr__(self, "timestamps_ns", ts)
        object.__setattr__(self, "values", ints)
        object.__setattr__(self, "_increment_ns", ts[1:])
        object.__setattr__(self, "_cumulative", np.concatenate(([0], np.cumsum(increments))))

    @classmethod
    def of(cls, timestamps_ns: Iterable[int], values: Iterable[float]) -> CounterSeries:
        """A counter from plain sequences."""
        return cls(np.array(list(timestamps_ns), np.int64), np.array(list(values), np.float64))

    @classmethod
    def from_batch(cls, batch: SampleBatch) -> CounterSeries:
        """A counter from a batch of one counter tag (source timestamps)."""
        if len(batch.paths) > 1:
            raise InputError(f"a counter takes one tag, got {batch.paths}")
        return cls(batch.source_ns, batch.value.astype(np.int64))

    def increments(self) -> tuple[Int64s, Int64s]:
        """``(timestamps, increments)``: the count added at each sample after the first."""
        return self._increment_ns, np.diff(self._cumulative)

    def count_in(self, start_ns: int, end_ns: int) -> int:
        """Parts counted by samples with timestamps in ``[start_ns, end_ns)``."""
        i0, i1 = np.searchsorted(self._increment_ns, [start_ns, end_ns], side="left")
        return int(self._cumulative[i1] - self._cumulative[i0])


@dataclass(frozen=True)
class CounterCounts:
    """Part counts from cumulative good and (optional) scrap counters."""

    good: CounterSeries
    scrap: CounterSeries | None = None

    def counts_in(self, window: Window) -> PartCount:
        """Increments observed in the window (its breaks included: parts are parts)."""
        scrap = 0 if self.scrap is None else self.scrap.count_in(window.start_ns, window.end_ns)
        return PartCount(self.good.count_in(window.start_ns, window.end_ns), scrap)


@dataclass(frozen=True)
class WindowCounts:
    """Part counts given explicitly per window; a window not listed made no parts."""

    by_window: Mapping[Window, PartCount]

    def __post_init__(self) -> None:
        for window, count in self.by_window.items():
            if count.good < 0 or count.scrap < 0:
                raise InputError(f"negative part count for window {window.name!r}")

    def counts_in(self, window: Window) -> PartCount:
        """The count given for ``window``, or none."""
        return self.by_window.get(window, PartCount(0, 0))


# -- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OeeRecord:
    """OEE of one group (a machine, a line, a shift, or a pool of them) over its window(s).

    Key fields not in the grouping are filled when every member shares one value and
    ``None`` otherwise. Times are in seconds; ``machines`` counts the pooled machines.
    ``losses`` holds ``downtime_s`` (a mapping reason -> seconds of ADOT), ``setup_s``,
    ``idle_s``, ``starved_s``, ``blocked_s``, ``unknown_s``, ``speed_loss_s``
    (APT - PRI x PQ), ``scrap_loss_s`` (PRI x SQ) and ``scrap_count``. Together they add
    up to PBT - PRI x GQ, the planned busy time not spent making good parts at ideal speed.
    """

    machine: str | None
    line: str | None
    shift: str | None
    window_start_ns: int
    window_end_ns: int
    machines: int
    working_s: float
    planned_stop_s: float
    planned_busy_s: float
    production_s: float
    setup_s: float
    down_s: float
    idle_s: float
    starved_s: float
    blocked_s: float
    waiting_s: float
    unknown_s: float
    good: int
    scrap: int
    produced: int
    ideal_output_s: float
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    losses: Mapping[str, LossValue]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``None`` stays ``None``, losses nested)."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["losses"] = {
            k: dict(v) if isinstance(v, Mapping) else v for k, v in self.losses.items()
        }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OeeRecord:
        """The record that :meth:`to_dict` wrote (for answers read back from the API)."""
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name != "losses"}
        losses = MappingProxyType(dict(data.get("losses", {})))
        return cls(**fields, losses=losses)

    def to_row(self) -> dict[str, Any]:
        """A flat dict for CSV: losses become ``loss.<name>`` and ``loss.downtime_s.<reason>``
        columns (reasons differ between records; collect the union of keys for a header)."""
        out = {k: v for k, v in self.to_dict().items() if k != "losses"}
        for name, value in self.losses.items():
            if isinstance(value, Mapping):
                out.update({f"loss.{name}.{reason}": s for reason, s in value.items()})
            else:
                out[f"loss.{name}"] = value
        return out


# -- accumulating one machine in one window ---------------------------------------------------


@dataclass(frozen=True)
class _Tally:
    """Additive quantities of one machine in one window, or of a pool of them."""

    machines: frozenset[str]
    lines: frozenset[str | None]
    shifts: frozenset[str]
    start_ns: int
    end_ns: int
    working_ns: int
    state_ns: Mapping[MachineState, int]
    downtime_ns: Mapping[str, int]
    good: int
    scrap: int
    ideal_output_s: float
    scrap_loss_s: float

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            self.machines | other.machines,
            self.lines | other.lines,
            self.shifts | other.shifts,
            min(self.start_ns, other.start_ns),
            max(self.end_ns, other.end_ns),
            self.working_ns + other.working_ns,
            _add(self.state_ns, other.state_ns),
            _add(self.downtime_ns, other.downtime_ns),
            self.good + other.good,
            self.scrap + other.scrap,
            self.ideal_output_s + other.ideal_output_s,
            self.scrap_loss_s + other.scrap_loss_s,
        )


def _add(a: Mapping[_K, int], b: Mapping[_K, int]) -> dict[_K, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _tally(
    machine: str,
    line: str | None,
    timeline: StateTimeline,
    counts: PartCount,
    ideal_cycle_s: float,
    window: Window,
) -> _Tally:
    state_ns: dict[MachineState, int] = {}
    downtime_ns: dict[str, int] = {}
    for start, end in window.working_spans:
        part = timeline.clip(start, end)
        state_ns = _add(state_ns, part.durations())
        downtime_ns = _add(downtime_ns, part.durations_by_reason([MachineState.UNPLANNED_STOP]))
    return _Tally(
        frozenset([machine]),
        frozenset([line]),
        frozenset([window.name]),
        window.start_ns,
        window.end_ns,
        window.working_ns,
        state_ns,
        downtime_ns,
        counts.good,
        counts.scrap,
        ideal_cycle_s * counts.produced,
        ideal_cycle_s * counts.scrap,
    )


# -- from tallies to records -------------------------------------------------------------------


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def _oee(a: float | None, e: float | None, q: float | None) -> float | None:
    if a is None:
        return None
    if a == 0 or e == 0:
        # A zero factor decides the product whatever the undefined one would be: the
        # machine never ran, or ran and made nothing, during planned busy time.
        return 0.0
    if e is None or q is None:
        return None
    return a * e * q


def _only(values: Collection[_T]) -> _T | None:
    return next(iter(values)) if len(values) == 1 else None


def _losses(t: _Tally, sec: Mapping[MachineState, float], unknown_s: float) -> dict[str, LossValue]:
    """The six big losses on ISO times: breakdowns by reason, setup, waiting (small stops
    and idling), unknown, reduced speed, and scrap."""
    return {
        "downtime_s": MappingProxyType({r: ns / _NS_PER_S for r, ns in t.downtime_ns.items()}),
        "setup_s": sec[MachineState.SETUP],
        **{f"{s.value}_s": sec[s] for s in _WAITING},
        "unknown_s": unknown_s,
        "speed_loss_s": sec[MachineState.RUNNING] - t.ideal_output_s,
        "scrap_loss_s": t.scrap_loss_s,
        "scrap_count": t.scrap,
    }


def _record(t: _Tally) -> OeeRecord:
    sec = {s: t.state_ns.get(s, 0) / _NS_PER_S for s in MachineState}
    # Subtract in integer ns before converting, so that PBT and unknown time are exact.
    pbt = (t.working_ns - t.state_ns.get(MachineState.PLANNED_STOP, 0)) / _NS_PER_S
    unknown_s = (t.working_ns - sum(t.state_ns.values())) / _NS_PER_S
    apt = sec[MachineState.RUNNING]
    produced = t.good + t.scrap
    a = _ratio(apt, pbt)
    e = _ratio(t.ideal_output_s, apt)
    q = _ratio(t.good, produced)
    return OeeRecord(
        machine=_only(t.machines),
        line=_only(t.lines),
        shift=_only(t.shifts),
        window_start_ns=t.start_ns,
        window_end_ns=t.end_ns,
        machines=len(t.machines),
        working_s=t.working_ns / _NS_PER_S,
        planned_stop_s=sec[MachineState.PLANNED_STOP],
        planned_busy_s=pbt,
        production_s=apt,
        setup_s=sec[MachineState.SETUP],
        down_s=sec[MachineState.UNPLANNED_STOP],
        idle_s=sec[MachineState.IDLE],
        starved_s=sec[MachineState.STARVED],
        blocked_s=sec[MachineState.BLOCKED],
        waiting_s=sum(sec[s] for s in _WAITING),
        unknown_s=unknown_s,
        good=t.good,
        scrap=t.scrap,
        produced=produced,
        ideal_output_s=t.ideal_output_s,
        availability=a,
        performance=e,
        quality=q,
        oee=_oee(a, e, q),
        losses=MappingProxyType(_losses(t, sec, unknown_s)),
    )


# -- the public entry point ---------------------------------------------------------------------


def compute_oee(
    timelines: Mapping[str, StateTimeline],
    counts: Mapping[str, PartCounts],
    ideal_cycle_s: Mapping[str, float] | float,
    windows: Sequence[Window],
    *,
    group_by: Iterable[GroupKey] | GroupKey = ("machine", "shift"),
    line_of: Mapping[str, str] | None = None,
) -> list[OeeRecord]:
    """OEE records for the machines in ``timelines`` over ``windows``, grouped as asked.

    ``timelines`` and ``counts`` are keyed by machine path; every machine with a timeline
    needs counts (other count entries are ignored). ``ideal_cycle_s`` is the planned runtime
    per item (PRI) in seconds, one for all machines or one per machine. ``group_by`` names
    the keys that split records; everything not named is pooled:

    * ``("machine", "shift")`` (default): one record per machine per window;
    * ``("line", "shift")``: per line per window, machines of a line pooled (needs
      ``line_of``, machine path -> line path);
    * ``("shift",)``: per window, all machines pooled;
    * ``("machine",)``, ``("line",)``, ``()``: as above with all windows pooled
      (a week's total, say).

    Pooled windows should not overlap, or the overlap is counted twice. Records come in
    the order of the first window and then the machine path they contain.
    """
    keys = _group_keys(group_by)
    lines = dict(line_of or {})
    groups: dict[tuple[object, ...], _Tally] = {}
    for w_index, window in enumerate(windows):
        for machine in sorted(timelines):
            line = _line(machine, lines, "line" in keys)
            tally = _tally(
                machine,
                line,
                timelines[machine],
                _counts_for(machine, counts).counts_in(window),
                _cycle_for(machine, ideal_cycle_s),
                window,
            )
            key = _key(keys, machine, line, w_index)
            groups[key] = groups[key] + tally if key in groups else tally
    return [_record(t) for t in groups.values()]


def _group_keys(group_by: Iterable[GroupKey] | GroupKey) -> frozenset[GroupKey]:
    keys: tuple[str, ...] = (group_by,) if isinstance(group_by, str) else tuple(group_by)
    unknown = [k for k in keys if k not in _GROUP_KEYS]
    if unknown:
        raise InputError(f"group_by takes {', '.join(_GROUP_KEYS)}, not {unknown}")
    return frozenset(k for k in _GROUP_KEYS if k in keys)


def _key(
    keys: frozenset[GroupKey], machine: str, line: str | None, window: int
) -> tuple[object, ...]:
    return (
        machine if "machine" in keys else None,
        line if "line" in keys else None,
        window if "shift" in keys else None,
    )


def _line(machine: str, line_of: Mapping[str, str], required: bool) -> str | None:
    if required and machine not in line_of:
        raise InputError(f"machine {machine!r} has no line in line_of")
    return line_of.get(machine)


def _counts_for(machine: str, counts: Mapping[str, PartCounts]) -> PartCounts:
    try:
        return counts[machine]
    except KeyError:
        raise InputError(f"no part counts for machine {machine!r}") from None


def _cycle_for(machine: str, ideal_cycle_s: Mapping[str, float] | float) -> float:
    if isinstance(ideal_cycle_s, Mapping):
        if machine not in ideal_cycle_s:
            raise InputError(f"no ideal cycle time for machine {machine!r}")
        value = float(ideal_cycle_s[machine])
    else:
        value = float(ideal_cycle_s)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"ideal cycle time of {machine!r} must be > 0 s, not {value}")
    return value
