"""The twin runs a plan, and a breakdown in the twin replans from what really happened.

:class:`PlanExecution` is the :class:`~shopfloor.sim.Dispatch` the twin consults instead
of its own order book, for a plan of the twin's line (:mod:`shopfloor.plan.orderbook`):

* The first station releases the orders in the plan's sequence, each not before its
  release; the next order waits until the one before it is released in full.
* Every other machine takes, from the parts waiting in its buffer, only those of the
  orders the plan gives it at its station, the one planned to start earliest first (parts
  of a product that skips the station pass through). So every part is made on its planned
  machine and the plan's sequence is the priority; a machine never waits for a planned
  part while another planned part waits, which would let finite buffers deadlock.

The plan's operations are lots (an order at a station), and the line moves parts one by
one, so a lot downstream starts while the one upstream is still running and the twin
usually finishes sooner than the plan, whose lots move as a whole. The plan is the
sequence and the machine assignment; the twin supplies the times.

**Replanning.** When a machine of the twin fails (its own wear failures and faults, or
``inject_fault``) for at least ``min_repair_s``, :meth:`PlanExecution.run` replans at once
from the twin's state: each lot's remaining parts (processed parts, and parts scrapped
upstream, no longer count) become the operations of a new problem with the failed machine
down for its repair time (as recorded by the twin, standing in for the technician's
estimate). A lot in progress on a working machine continues there first (fixed, chained
after the lot before it in its order); the lot on the failed machine may move; the rest is
planned by :func:`~shopfloor.plan.replan.solve_committed`, close to the old plan. Finished
lots are history, not operations. The twin continues with the new plan at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from shopfloor.model.calendar import datetime_to_ns
from shopfloor.model.sim_spec import OrderSpec
from shopfloor.plan.errors import PlanError
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    Objectives,
    Operation,
    Option,
    Plan,
    Problem,
    ScheduledOperation,
)
from shopfloor.plan.replan import (
    Moves,
    ReplanOptions,
    count_moves,
    solve_committed,
    with_downtime,
)
from shopfloor.sim import Part, Twin
from shopfloor.sim.machine import Failure

__all__ = [
    "Lot",
    "PlanExecution",
    "Processed",
    "Replanning",
    "planned_completion",
    "residual_problem",
]

Key = tuple[int, int]
LotKey = tuple[str, str]
"""(order, station)"""


@dataclass
class Lot:
    """An order at a station, as the twin made it: parts done there (or scrapped before
    they got there), parts in process, the machine that last started one, and the times of
    the first start and of the last part (twin seconds)."""

    quantity: int
    handled: int = 0
    in_hand: int = 0
    machine: str | None = None
    first_start: float | None = None
    last_end: float | None = None

    @property
    def remaining(self) -> int:
        """Parts still to process here (a part in hand counts until it is done)."""
        return self.quantity - self.handled


@dataclass(frozen=True)
class Replanning:
    """One replanning in the twin: when, why, and the plans and KPIs around it."""

    at_s: float
    failure: Failure
    plan: Plan
    previous: Objectives
    right_shift: Objectives
    after: Objectives
    moved: Moves
    fixed: int


@dataclass(frozen=True)
class Processed:
    """A part done at a machine (twin seconds), good or scrapped."""

    t: float
    machine: str
    order: str
    station: str
    good: bool


@dataclass
class _Dispatching:
    """The current plan, read for dispatching."""

    machine_of: dict[LotKey, str] = field(default_factory=dict)
    start_of: dict[LotKey, int] = field(default_factory=dict)
    sequence: list[str] = field(default_factory=list)


class PlanExecution:
    """Runs ``plan`` (of ``problem``, built by :func:`~shopfloor.plan.orderbook.line_problem`
    for the twin's plant and start) on ``twin`` and replans on breakdowns."""

    def __init__(
        self,
        twin: Twin,
        plan: Plan,
        *,
        options: ReplanOptions | None = None,
        min_repair_s: float = 900.0,
    ) -> None:
        problem = plan.problem
        if problem.epoch is None or datetime_to_ns(problem.epoch) != twin.start_ns:
            raise PlanError("the plan's epoch must be the twin's start")
        self.twin, self.problem, self.plan = twin, problem, plan
        self.original = plan
        self.options = options or ReplanOptions(time_limit=5.0)
        self.min_repair_s = min_repair_s
        self.station_of = {m: s.name for s in twin.spec.stations for m in s.machines}
        self.first_station = twin.spec.stations[0].name
        self.routing = {p.name: list(p.routing) for p in twin.spec.products}
        self.lots: dict[LotKey, Lot] = {}
        self.orders: dict[str, OrderSpec] = {}
        self.released: dict[str, int] = {}
        self.completed: dict[str, float] = {}
        self.current: dict[str, LotKey] = {}
        self.log: list[Processed] = []
        self.replannings: list[Replanning] = []
        self._seen_failures = len(twin.truth.failures)
        self._wakes: set[float] = set()
        for job in problem.jobs:
            self.orders[job.order] = OrderSpec(id=job.order, product=job.product,
                                               quantity=job.quantity)  # fmt: skip
            self.released[job.order] = 0
            for op in job.operations:
                self.lots[(job.order, op.name)] = Lot(job.quantity)
        self._dispatching = self._read(plan)
        twin.dispatch_by(self)

    # -- reading a plan --------------------------------------------------------------------
    def _lot(self, problem: Problem, op: ScheduledOperation) -> LotKey:
        job = problem.job(op.job)
        return job.order, job.operations[op.operation].name

    def _read(self, plan: Plan) -> _Dispatching:
        reading = _Dispatching()
        firsts: dict[str, int] = {}
        for op in plan.operations:
            lot = self._lot(plan.problem, op)
            reading.machine_of[lot] = plan.problem.machine(op.machine).name
            reading.start_of[lot] = op.start
            firsts[lot[0]] = min(firsts.get(lot[0], op.start), op.start)
        reading.sequence = sorted(firsts, key=lambda order: (firsts[order], order))
        return reading

    # -- the twin's Dispatch ---------------------------------------------------------------
    def release(self, machine: str) -> Part | None:
        """The next part of the next order in the plan's sequence, once it is released."""
        for order in self._dispatching.sequence:
            spec = self.orders[order]
            if self.released[order] >= spec.quantity:
                continue
            lot = (order, self.first_station)
            if lot in self.lots and self._dispatching.machine_of.get(lot, machine) != machine:
                return None
            release = self._release_s(order)
            if release > self.twin.env.now:
                self._wake_at(release)
                return None
            self.released[order] += 1
            return self.twin.orders.part_of(spec)
        return None

    def _release_s(self, order: str) -> float:
        job = next(j for j in self.plan.problem.jobs if j.order == order)
        return float(job.release)

    def _wake_at(self, t: float) -> None:
        if t in self._wakes:
            return
        self._wakes.add(t)
        timer = self.twin.env.timeout(t - self.twin.env.now)
        timer.callbacks.append(lambda _event: self.twin.redispatch())

    def pick(self, machine: str, waiting: Sequence[Part]) -> Part | None:
        """The waiting part planned earliest on ``machine`` (or one passing through)."""
        station = self.station_of[machine]
        best: Part | None = None
        best_key = math.inf
        for part in waiting:
            if station not in part.stations:
                return part
            lot = (part.order, station)
            if self._dispatching.machine_of.get(lot, machine) != machine:
                continue
            key = self._dispatching.start_of.get(lot, math.inf)
            if best is None or key < best_key:
                best, best_key = part, key
        return best

    def started(self, machine: str, part: Part) -> None:
        """A part starts on a machine: its lot is in progress there."""
        key = (part.order, self.station_of[machine])
        lot = self.lots[key]
        lot.machine, lot.in_hand = machine, lot.in_hand + 1
        if lot.first_start is None:
            lot.first_start = float(self.twin.env.now)
        self.current[machine] = key

    def processed(self, machine: str, part: Part, good: bool) -> None:
        """A part is done: it counts at this station, and if scrapped at the later ones."""
        now = float(self.twin.env.now)
        station = self.station_of[machine]
        self.log.append(Processed(now, machine, part.order, station, good))
        self.lots[(part.order, station)].in_hand -= 1
        route = self.routing[part.product]
        later = route[route.index(station) :] if not good else [station]
        for name in later:
            lot = self.lots[(part.order, name)]
            lot.handled += 1
            if lot.remaining == 0:
                lot.last_end = now
        if self.lots[(part.order, route[-1])].remaining == 0:
            self.completed.setdefault(part.order, now)

    # -- running and replanning ------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Every order has left the line."""
        return len(self.completed) == len(self.orders)

    def run(self, *, until_s: float, step_s: float = 60.0) -> None:
        """Advance the twin in steps until every order is done or ``until_s`` (twin seconds
        after its start), replanning after each step that saw a long enough failure."""
        while not self.done and self.twin.env.now < until_s:
            self.twin.advance(min(step_s, until_s - float(self.twin.env.now)))
            failures = self.twin.truth.failures[self._seen_failures :]
            self._seen_failures = len(self.twin.truth.failures)
            for failure in failures:
                if failure.repair_s >= self.min_repair_s and not self.done:
                    self.replan(failure)

    def replan(self, failure: Failure) -> Replanning:
        """Replan from the twin's state now, the failed machine down for its repair."""
        now = math.ceil(float(self.twin.env.now))
        broken = failure.machine.rsplit("/", 1)[-1]
        problem, keys = residual_problem(self, now, broken, failure)
        fixed = self._fixed(problem, keys, now, broken)
        old = {self._lot(self.plan.problem, op): op for op in self.plan.operations}
        reference = [
            ScheduledOperation(key[0], key[1], ref.machine, ref.start, ref.end, ref.setup)
            for key, lot in keys.items()
            if (ref := old.get(lot)) is not None
        ]
        pinned = {(op.job, op.operation) for op in fixed}
        order = sorted(
            (old[lot].start if lot in old else math.inf, key)
            for key, lot in keys.items()
            if key not in pinned
        )
        free = [(key, old[keys[key]].machine if keys[key] in old else None) for _, key in order]
        new, repaired = solve_committed(
            problem, fixed=fixed, order=free, reference=reference, now=now, options=self.options
        )
        record = Replanning(
            float(self.twin.env.now),
            failure,
            new,
            self.plan.objectives,
            repaired.objectives,
            new.objectives,
            count_moves(reference, new.operations),
            len(fixed),
        )
        self.replannings.append(record)
        self.plan = new
        self._dispatching = self._read(new)
        self.twin.redispatch()
        return record

    def _fixed(
        self, problem: Problem, keys: dict[Key, LotKey], now: int, broken: str
    ) -> list[ScheduledOperation]:
        """Lots in progress on working machines, each first there, chained in its order."""
        fixed: list[ScheduledOperation] = []
        by_job: dict[int, list[Key]] = {}
        for key in sorted(keys):
            by_job.setdefault(key[0], []).append(key)
        ids = {m.name: m.id for m in problem.machines}
        for job_id, job_keys in by_job.items():
            ready = max(now, problem.job(job_id).release)
            for key in job_keys:
                lot = self.lots[keys[key]]
                machine = lot.machine
                if machine is None or machine == broken or self.current.get(machine) != keys[key]:
                    break
                duration = problem.job(job_id).operations[key[1]].time_on(ids[machine]) or 0
                placed = _fit(problem.machine(ids[machine]), ready, duration)
                fixed.append(
                    ScheduledOperation(key[0], key[1], ids[machine], placed, placed + duration)
                )
                ready = placed + duration
        return fixed


def _fit(machine: Machine, ready: int, duration: int) -> int:
    """The first start at or after ``ready`` where ``duration`` fits between downtimes."""
    start = ready
    for down in sorted(machine.unavailable):
        if down.end <= start:
            continue
        if down.start >= start + duration:
            break
        start = down.end
    return start


def residual_problem(
    execution: PlanExecution, now: int, broken: str, failure: Failure
) -> tuple[Problem, dict[Key, LotKey]]:
    """The work left at tick ``now``: per order, the lots with parts still to process, each
    an operation for its remaining share of the original lot time; ``broken`` is down from
    the failure for its repair. Returns the problem and each operation's lot."""
    base = execution.problem
    keys: dict[Key, LotKey] = {}
    jobs: list[Job] = []
    for job in base.jobs:
        operations: list[Operation] = []
        for op in job.operations:
            lot = execution.lots[(job.order, op.name)]
            if lot.remaining <= 0:
                continue
            share = lot.remaining / lot.quantity
            options = tuple(Option(o.machine, math.ceil(o.time * share)) for o in op.options)
            keys[(job.id, len(operations))] = (job.order, op.name)
            operations.append(Operation(options, op.name))
        if operations:
            jobs.append(
                Job(job.id, tuple(operations), job.order, job.product, job.family, job.quantity,
                    job.release, job.due, job.weight)
            )  # fmt: skip
    if not jobs:
        raise PlanError("nothing is left to plan: every order is done")
    start = math.floor(failure.t)
    end = math.ceil(failure.t + failure.repair_s)
    machines = tuple(
        with_downtime(m, Downtime(start, end, "breakdown")) if m.name == broken else m
        for m in base.machines
    )
    problem = Problem(
        jobs=tuple(jobs),
        machines=machines,
        setups=base.setups,
        tariff=base.tariff,
        objective=base.objective,
        name=base.name,
        epoch=base.epoch,
        horizon=base.horizon,
        numbering=base.numbering,
    )
    return problem, keys


def planned_completion(plan: Plan) -> dict[str, int]:
    """Each order's planned completion tick in ``plan``."""
    return {plan.problem.job(op.job).order: plan.completion(op.job) for op in plan.operations}
