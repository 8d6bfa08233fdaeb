"""Sensor signals of a simulated machine, synthesised from its state log in whole chunks.

The discrete-event simulation only records when states change. For a chunk of time this
module finds the state and wear at every sample instant with ``searchsorted`` and computes
each sensor for all instants at once: per-state levels, the rise with wear, the thermal lag
of temperatures (a first-order filter whose state carries over between chunks) and noise
that depends only on the sample's index (:mod:`shopfloor.sim.noise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from shopfloor.model.states import MachineState
from shopfloor.sim.kinds import Kind, SignalModel
from shopfloor.sim.machine import MachineSim
from shopfloor.sim.noise import NoiseField

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_CODES = np.array([0] + [s.code for s in MachineState], dtype=np.int64)
_WAITING = {MachineState.IDLE, MachineState.STARVED, MachineState.BLOCKED, MachineState.SETUP}
_STOPPED = {MachineState.PLANNED_STOP, MachineState.UNPLANNED_STOP}
_MJ_PER_KWH = 3.6e9


@dataclass
class Series:
    """Samples of one tag in a chunk: sample times (s since start) and values."""

    t: F64
    values: F64 | list[str]


@dataclass
class ChunkSignals:
    numeric: dict[str, Series] = field(default_factory=dict)
    text: dict[str, Series] = field(default_factory=dict)


def numeric_tags(kind: Kind) -> list[SignalModel]:
    """The analog sensors plus the tags every machine has."""
    return [*kind.signals, *COMMON]


COMMON = (
    SignalModel("power", "kW", 0, 500, 0, 0, 0, 0, description="Electrical power drawn."),
    SignalModel("energy", "kWh", 0, 1e12, 0, 0, 0, 0, description="Energy used since start."),
    SignalModel("state", "1", 1, 7, 0, 0, 0, 0, description="Machine state code."),
    SignalModel("good_count", "1", 0, 1e12, 0, 0, 0, 0, description="Good parts since start."),
    SignalModel("scrap_count", "1", 0, 1e12, 0, 0, 0, 0, description="Scrapped parts."),
    SignalModel("cycle_time", "s", 0, 3600, 0, 0, 0, 0, description="Last cycle's duration."),
)
TEXT_TAGS = ("state_reason", "product", "order")


class MachineSignals:
    """Keeps the continuous state (thermal lags, energy, counters) of one machine's sensors."""

    def __init__(
        self,
        machine: MachineSim,
        kind: Kind,
        *,
        seed: int,
        index: int,
        period: float,
        heartbeat: float,
        ambient: float,
    ) -> None:
        self.m = machine
        self.kind = kind
        self.period = period
        self.heartbeat = heartbeat
        self.ambient = ambient
        self.noise = [NoiseField(seed, (index, j)) for j in range(len(kind.signals) + 1)]
        self.lag: dict[int, float] = {}
        self.energy_mj = 0
        self.good_seen = 0
        self.scrap_seen = 0

    def chunk(self, a: float, b: float) -> ChunkSignals:
        """Every sample of this machine with ``a <= t < b`` (seconds since the start)."""
        out = ChunkSignals()
        k0, k1 = math.ceil(a / self.period - 1e-9), math.ceil(b / self.period - 1e-9)
        grid = np.arange(k0, k1, dtype=np.int64)
        t: F64 = grid.astype(np.float64) * self.period
        rec = self._records(a)
        idx = np.searchsorted(rec.t, t, side="right") - 1
        state = rec.state[idx]
        wear = rec.wear[idx] + rec.rate[idx] * (t - rec.t[idx])
        for j, model in enumerate(self.kind.signals):
            out.numeric[model.name] = Series(t, self._signal(j, model, k0, state, wear))
        power = self._power(k0, state, wear)
        out.numeric["power"] = Series(t, power)
        self._discrete(out, a, b, rec, power, t)
        self._prune(b)
        return out

    # -- analog --------------------------------------------------------------------------
    def _signal(self, j: int, s: SignalModel, k0: int, state: I64, wear: F64) -> F64:
        running = state == MachineState.RUNNING.code
        waiting = np.isin(state, [m.code for m in _WAITING])
        base = np.where(running, s.running, np.where(waiting, s.waiting, s.stopped))
        value = base * (1.0 + s.wear_gain * np.power(wear, s.wear_power))
        noise = s.noise * self.noise[j].normal(k0, len(value))
        if s.tau > 0:
            value = self._lagged(j, value + self.ambient, s.tau)
        else:
            # A level of zero is a sensor reading nothing (a stopped spindle, no arc, the
            # drive off): it reads zero, not the positive half of the noise.
            noise = np.where(base == 0.0, 0.0, noise)
        value = value + noise
        return np.clip(value, s.low, s.high)

    def _lagged(self, j: int, target: F64, tau: float) -> F64:
        if len(target) == 0:
            return target
        alpha = 1.0 - math.exp(-self.period / tau)
        previous = self.lag.get(j, float(target[0]))
        y, _ = lfilter([alpha], [1.0, alpha - 1.0], target, zi=[(1.0 - alpha) * previous])
        result: F64 = np.asarray(y, dtype=np.float64)
        self.lag[j] = float(result[-1])
        return result

    def _power(self, k0: int, state: I64, wear: F64) -> F64:
        p = self.m.p.power
        if p is None:
            return np.zeros(len(state))
        levels = np.zeros(len(_CODES))
        for st in MachineState:
            levels[st.code] = (
                p.running
                if st is MachineState.RUNNING
                else p.setup
                if st is MachineState.SETUP
                else p.stopped
                if st in _STOPPED
                else p.idle
            )
        power = levels[state] * (1.0 + 0.1 * wear**2 * (state == MachineState.RUNNING.code))
        noise = self.noise[-1].normal(k0, len(power))
        result: F64 = np.maximum(power * (1.0 + 0.01 * noise), 0.0)
        return result

    # -- discrete ------------------------------------------------------------------------
    def _discrete(
        self, out: ChunkSignals, a: float, b: float, rec: _Records, power: F64, t: F64
    ) -> None:
        beats = np.arange(math.ceil(a / self.heartbeat - 1e-9) * self.heartbeat, b, self.heartbeat)
        changes = rec.t[(rec.t >= a) & (rec.t < b)]
        when = np.unique(np.concatenate([changes, beats]))
        at = np.searchsorted(rec.t, when, side="right") - 1
        out.numeric["state"] = Series(when, rec.state[at].astype(np.float64))
        out.text["state_reason"] = Series(when, [rec.reason[i] for i in at.tolist()])
        self._counts(out, a, b, beats)
        self._energy(out, power, t, beats)
        self._products(out, a, b, beats)

    def _counts(self, out: ChunkSignals, a: float, b: float, beats: F64) -> None:
        done = [c for c in self.m.completions if a <= c.t < b]
        ct = np.array([c.t for c in done], dtype=np.float64)
        good = self.good_seen + np.cumsum([c.good for c in done], dtype=np.float64)
        scrap = self.scrap_seen + np.cumsum([not c.good for c in done], dtype=np.float64)
        pos = np.searchsorted(ct, beats, side="right")
        good_beats = np.concatenate([[self.good_seen], good])[pos]
        scrap_beats = np.concatenate([[self.scrap_seen], scrap])[pos]
        out.numeric["good_count"] = _merge(ct, good, beats, good_beats)
        out.numeric["scrap_count"] = _merge(ct, scrap, beats, scrap_beats)
        full = [c for c in done if c.complete]
        out.numeric["cycle_time"] = Series(
            np.array([c.t for c in full]), np.array([c.cycle_s for c in full])
        )
        if done:
            self.good_seen, self.scrap_seen = int(good[-1]), int(scrap[-1])

    def _energy(self, out: ChunkSignals, power: F64, t: F64, beats: F64) -> None:
        # Sum whole millijoules in integers: a float running sum would round differently
        # depending on where chunks start, and the history must not depend on chunk sizes.
        mj = np.round(power * (self.period * 1e6)).astype(np.int64)
        cumulative = self.energy_mj + np.cumsum(mj)
        pos = np.searchsorted(t, beats, side="left")
        values = np.concatenate([[self.energy_mj], cumulative])[pos] / _MJ_PER_KWH
        out.numeric["energy"] = Series(beats, values)
        if len(cumulative):
            self.energy_mj = int(cumulative[-1])

    def _products(self, out: ChunkSignals, a: float, b: float, beats: F64) -> None:
        log = self.m.product_log
        times = np.array([entry[0] for entry in log], dtype=np.float64)
        changes = times[(times >= a) & (times < b)]
        when = np.unique(np.concatenate([changes, beats]))
        at = np.searchsorted(times, when, side="right") - 1
        valid = at >= 0
        when, at = when[valid], at[valid]
        out.text["product"] = Series(when, [log[i][1] for i in at.tolist()])
        out.text["order"] = Series(when, [log[i][2] for i in at.tolist()])

    # -- bookkeeping ---------------------------------------------------------------------
    def _records(self, a: float) -> _Records:
        log = self.m.log
        return _Records(
            np.array([r.t for r in log]),
            np.array([r.state.code for r in log], dtype=np.int64),
            np.array([r.wear for r in log]),
            np.array([r.rate for r in log]),
            [r.reason for r in log],
        )

    def _prune(self, b: float) -> None:
        """Forget what lies before ``b`` except the record in force there."""
        log = self.m.log
        keep = max(0, _last_at_or_before(log, b))
        if keep:
            del log[:keep]
        self.m.completions = [c for c in self.m.completions if c.t >= b]
        products = self.m.product_log
        keep_p = max(0, _last_at_or_before(products, b))
        if keep_p:
            del products[:keep_p]


@dataclass
class _Records:
    t: F64
    state: I64
    wear: F64
    rate: F64
    reason: list[str]


def _last_at_or_before(log: list, b: float) -> int:  # type: ignore[type-arg]
    """Index of the last entry whose time is at or before ``b``, or -1."""
    lo, hi = 0, len(log)
    while lo < hi:
        mid = (lo + hi) // 2
        t = log[mid].t if hasattr(log[mid], "t") else log[mid][0]
        if t <= b:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def _merge(t1: F64, v1: F64, t2: F64, v2: F64) -> Series:
    t = np.concatenate([t1, t2])
    v = np.concatenate([v1, v2])
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    keep = np.ones(len(t), dtype=bool)
    keep[:-1] = t[1:] != t[:-1]
    return Series(t[keep], v[keep])
