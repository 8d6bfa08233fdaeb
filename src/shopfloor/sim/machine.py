"""One simulated machine: a SimPy process that takes parts, sets up, runs, wears and fails.

The machine keeps a log of its states (:class:`StateRecord`), each with the wear at that
moment and how fast wear grows in it, so the signal synthesiser can reconstruct every sensor
between events without the discrete-event simulation ever stepping once per sample.

Wear and random faults advance on *running* time only: a machine that waits does not wear.
Wear goes from 0 (new) to 1 (failure) over a life drawn per component; random faults come
after exponentially distributed running times. Either stops the machine mid-cycle, scraps
the part in hand, and starts a repair with a log-normal duration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import simpy

from shopfloor.model.sim_spec import MachineSimSpec
from shopfloor.model.states import MachineState

Proc = Generator[Any, Any, Any]


@dataclass(frozen=True)
class Part:
    """A part travelling down the line."""

    id: int
    order: str
    product: str
    stations: frozenset[str]
    cycle_factor: dict[str, float]


@dataclass(frozen=True)
class StateRecord:
    """From ``t`` on, the machine is in ``state``; wear is ``wear`` and grows at ``rate``/s."""

    t: float
    state: MachineState
    reason: str
    wear: float
    rate: float


@dataclass(frozen=True)
class Failure:
    """Ground truth of one stop for a failure or fault."""

    machine: str
    t: float
    kind: str  # "wear", "fault" or "injected"
    cause: str
    repair_s: float
    wear: float


@dataclass
class Completion:
    """A part leaving the machine: good, scrapped, or cut short by a failure."""

    t: float
    good: bool
    cycle_s: float
    complete: bool = True


def lognormal(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A log-normal draw with the given mean and coefficient of variation."""
    if mean <= 0:
        return 0.0
    if cv <= 0:
        return mean
    sigma2 = math.log1p(cv * cv)
    return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))


@dataclass(frozen=True)
class Note:
    """An event in the making: simulated time, asset, kind, severity and payload."""

    t: float
    asset: str
    kind: str
    severity: int
    payload: dict[str, object]


class Dispatch(Protocol):
    """Chooses the machines' work instead of the order book's queue and first-in-first-out
    buffers, e.g. to run a production plan (:mod:`shopfloor.plan.execute`).

    Machines are named as in the ``sim:`` stations. A machine that gets no part waits until
    :meth:`shopfloor.sim.Twin.redispatch` (or a new part in its buffer) lets it ask again.
    """

    def release(self, machine: str) -> Part | None:
        """The next part a machine of the first station starts, or None to wait."""

    def pick(self, machine: str, waiting: Sequence[Part]) -> Part | None:
        """Which of the parts waiting in its buffer (oldest first) a machine takes, or None."""

    def started(self, machine: str, part: Part) -> None:
        """A machine starts processing ``part`` (after any setup)."""

    def processed(self, machine: str, part: Part, good: bool) -> None:
        """A machine is done with ``part``: good, or scrapped (also by a failure)."""


class Buffer(simpy.FilterStore):
    """A buffer between stations: first in, first out unless a get names a filter."""

    def recheck(self) -> None:
        """Offer the waiting parts again to machines whose filters may have changed."""
        self._trigger_get(None)


@dataclass
class LineContext:
    """What machines share: working time, the order feeder and the ground-truth sink."""

    env: simpy.Environment
    working: bool = True
    resumed: simpy.Event | None = None
    failures: list[Failure] = field(default_factory=list)
    next_part: Callable[[], Part | None] | None = None
    on_lost: Callable[[Part], None] | None = None
    orders_changed: simpy.Event | None = None
    stop_reason: str = "no_shift"
    dispatch: Dispatch | None = None
    notes: list[Note] = field(default_factory=list)

    def lost(self, part: Part) -> None:
        """A part was scrapped and will not reach the end of the line."""
        if self.on_lost is not None:
            self.on_lost(part)

    def note(self, asset: str, kind: str, severity: int, payload: dict[str, object]) -> None:
        """Record something for the event stream, at the current simulated time."""
        self.notes.append(Note(float(self.env.now), asset, kind, severity, payload))

    def wait_resume(self) -> simpy.Event:
        if self.resumed is None or self.resumed.triggered:
            self.resumed = self.env.event()
        return self.resumed

    def wait_orders(self) -> simpy.Event:
        if self.orders_changed is None or self.orders_changed.triggered:
            self.orders_changed = self.env.event()
        return self.orders_changed


class MachineSim:
    """A machine of the twin. ``run`` is its SimPy process."""

    def __init__(
        self,
        *,
        name: str,
        path: str,
        station: str,
        params: MachineSimSpec,
        rng: np.random.Generator,
        line: LineContext,
        wear_acceleration: float,
        fault_acceleration: float,
    ) -> None:
        self.name, self.path, self.station = name, path, station
        self.p = params
        self.rng = rng
        self.line = line
        self.env = line.env
        self.wear_acc = wear_acceleration
        self.fault_acc = fault_acceleration
        self.log: list[StateRecord] = []
        self.completions: list[Completion] = []
        self.product_log: list[tuple[float, str, str]] = []
        self.good = 0
        self.scrap = 0
        self.product: str | None = None
        self.order: str | None = None
        self.tool_uses = 0
        self.waiting: MachineState | None = None
        self.routed_past = False
        self.pending_fault: tuple[str, float] | None = None
        self.time_in: dict[MachineState, float] = dict.fromkeys(MachineState, 0.0)
        self._new_life()
        self._fault_in = self._draw_fault()
        self._set(MachineState.IDLE, "start")

    # -- wear and faults ---------------------------------------------------------------
    def _new_life(self) -> None:
        wear = self.p.wear
        self.used = 0.0
        self.life = math.inf
        if wear is not None and wear.mean_life > 0:
            self.life = max(60.0, lognormal(self.rng, wear.mean_life / self.wear_acc, wear.life_cv))

    def _draw_fault(self) -> float:
        faults = self.p.faults
        if faults is None or faults.mtbf <= 0:
            return math.inf
        return float(self.rng.exponential(faults.mtbf / self.fault_acc))

    @property
    def wear(self) -> float:
        return 0.0 if math.isinf(self.life) else min(1.0, self.used / self.life)

    # -- state bookkeeping -------------------------------------------------------------
    @property
    def state(self) -> MachineState:
        return self.log[-1].state

    def _set(self, state: MachineState, reason: str = "") -> None:
        now = float(self.env.now)
        if self.log:
            last = self.log[-1]
            if last.state is state and last.reason == reason:
                return
            self.time_in[last.state] += now - last.t
        rate = 0.0 if state is not MachineState.RUNNING or math.isinf(self.life) else 1 / self.life
        if self.log and (state in _NOTABLE or self.log[-1].state in _NOTABLE):
            severity = 2 if state is MachineState.UNPLANNED_STOP else 0
            self.line.note(
                self.path,
                "state.change",
                severity,
                {
                    "from": self.log[-1].state.value,
                    "to": state.value,
                    "reason": reason,
                },
            )
        self.log.append(StateRecord(now, state, reason, self.wear, rate))

    def on_break(self, starting: bool) -> None:
        """Called by the line when a break starts or ends while the machine waits."""
        if self.waiting is None:
            return
        self._set(*self._waiting_as(self.waiting))

    # -- the process ---------------------------------------------------------------------
    def run(self, inbox: Buffer | None, outbox: simpy.Store) -> Proc:
        """Take, set up, process and pass on parts, forever."""
        while True:
            yield from self._await_working()
            part = yield from self._take(inbox)
            if part is None:
                continue
            yield from self._await_working()
            if self.station not in part.stations:
                # The current product skips this station: while such parts pass through,
                # the machine has no work planned, which is a planned stop, not starving.
                self.routed_past = True
                yield from self._give(outbox, part)
                continue
            self.routed_past = False
            yield from self._prepare(part)
            dispatch = self.line.dispatch
            if dispatch is not None:
                dispatch.started(self.name, part)
            done = yield from self._process(part)
            if dispatch is not None:
                dispatch.processed(self.name, part, done)
            if done:
                yield from self._give(outbox, part)

    def _await_working(self) -> Proc:
        while not self.line.working:
            self._set(MachineState.PLANNED_STOP, self.line.stop_reason)
            yield self.line.wait_resume()

    def _wait(self, state: MachineState, event: simpy.Event) -> Proc:
        if event.triggered:
            return (yield event)
        self.waiting = state
        self._set(*self._waiting_as(state))
        try:
            return (yield event)
        finally:
            self.waiting = None

    def _waiting_as(self, state: MachineState) -> tuple[MachineState, str]:
        """The state and reason shown while waiting to take (or give) a part."""
        if not self.line.working:
            return MachineState.PLANNED_STOP, self.line.stop_reason
        if state is MachineState.STARVED and self.routed_past:
            return MachineState.PLANNED_STOP, "not_routed"
        return state, _WAIT_REASON[state]

    def _take(self, inbox: Buffer | None) -> Proc:
        dispatch = self.line.dispatch
        if inbox is not None:
            if dispatch is None:
                return (yield from self._wait(MachineState.STARVED, inbox.get()))
            chosen = inbox.get(lambda part: part is dispatch.pick(self.name, inbox.items))
            return (yield from self._wait(MachineState.STARVED, chosen))
        assert self.line.next_part is not None
        part = self.line.next_part() if dispatch is None else dispatch.release(self.name)
        if part is None:
            yield from self._wait(MachineState.IDLE, self.line.wait_orders())
        return part

    def _give(self, outbox: simpy.Store, part: Part) -> Proc:
        yield from self._wait(MachineState.BLOCKED, outbox.put(part))

    def _prepare(self, part: Part) -> Proc:
        if self.pending_fault is not None:
            cause, repair = self.pending_fault
            self.pending_fault = None
            yield from self._fail("injected", cause, repair)
        if part.product != self.product:
            if self.product is not None:
                self._set(MachineState.SETUP, f"changeover_to_{part.product}")
                yield self.env.timeout(lognormal(self.rng, self.p.setup_time or 0.0, 0.15))
            self.product = part.product
            self.product_log.append((float(self.env.now), part.product, part.order))
        elif part.order != self.order:
            self.product_log.append((float(self.env.now), part.product, part.order))
        self.order = part.order
        tool = self.p.tool
        if tool is not None and self.tool_uses >= tool.life_parts:
            self._set(MachineState.SETUP, "tool_change")
            yield self.env.timeout(lognormal(self.rng, tool.change_time, 0.2))
            self.tool_uses = 0

    def _cycle_time(self, part: Part) -> float:
        ideal = (self.p.cycle_time or 1.0) * part.cycle_factor.get(self.station, 1.0)
        slow = 1.0 + (self.p.speed_loss or 0.0)
        return lognormal(self.rng, ideal * slow, self.p.cycle_cv or 0.0)

    def _process(self, part: Part) -> Proc:
        """Run one cycle; returns True when a good part leaves, False when it did not."""
        duration = self._cycle_time(part)
        to_wear = (self.life - self.used) if not math.isinf(self.life) else math.inf
        self._set(MachineState.RUNNING, "")
        until_stop = min(to_wear, self._fault_in)
        if until_stop < duration:
            yield self.env.timeout(until_stop)
            self.used += until_stop
            self._fault_in -= until_stop
            self.scrap += 1
            self.completions.append(Completion(float(self.env.now), False, until_stop, False))
            self.line.lost(part)
            if to_wear <= self._fault_in + until_stop:
                yield from self._wear_failure()
            else:
                yield from self._random_fault()
            return False
        yield self.env.timeout(duration)
        self.used += duration
        self._fault_in -= duration
        self.tool_uses += 1
        good = self.rng.random() >= self._scrap_probability()
        self.good += good
        self.scrap += not good
        self.completions.append(Completion(float(self.env.now), bool(good), duration))
        if not good:
            self.line.lost(part)
        return bool(good)

    def _scrap_probability(self) -> float:
        base = self.p.scrap or 0.0
        tool = self.p.tool
        if tool is not None:
            worn = min(1.0, self.tool_uses / tool.life_parts)
            base += tool.scrap_new + (tool.scrap_worn - tool.scrap_new) * worn**3
        return min(1.0, base + 0.05 * self.wear**4)

    def _wear_failure(self) -> Proc:
        wear = self.p.wear
        assert wear is not None
        yield from self._fail("wear", wear.cause, lognormal(self.rng, wear.repair, wear.repair_cv))

    def _random_fault(self) -> Proc:
        faults = self.p.faults
        assert faults is not None
        cause = faults.causes[int(self.rng.integers(len(faults.causes)))]
        yield from self._fail("fault", cause, lognormal(self.rng, faults.mttr, faults.repair_cv))

    def _fail(self, kind: str, cause: str, repair_s: float) -> Proc:
        failure = Failure(self.path, float(self.env.now), kind, cause, repair_s, self.wear)
        self.line.failures.append(failure)
        self.line.note(
            self.path,
            "sim.failure",
            3,
            {
                "kind": kind,
                "cause": cause,
                "repair_s": round(repair_s, 3),
                "wear": round(self.wear, 4),
            },
        )
        self._set(MachineState.UNPLANNED_STOP, cause)
        yield self.env.timeout(repair_s)
        # The repair renews what failed, before the machine is seen again.
        if kind == "wear":
            self._new_life()
        elif kind == "fault":
            self._fault_in = self._draw_fault()
        self._set(MachineState.IDLE, "repaired")


_WAIT_REASON = {
    MachineState.STARVED: "waiting_for_parts",
    MachineState.BLOCKED: "output_full",
    MachineState.IDLE: "no_order",
}

# Changes into or out of these states become events; running/starved/blocked flicker with
# every cycle and stay in the state tag only.
_NOTABLE = {
    MachineState.SETUP,
    MachineState.UNPLANNED_STOP,
    MachineState.PLANNED_STOP,
    MachineState.IDLE,
}
