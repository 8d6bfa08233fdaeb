"""The scheduling domain: a problem (orders as jobs, machines, setups, tariff, objective) and
a plan (when and where each operation runs).

Times are integer *ticks*. For a real plan one tick is one second after the problem's
``epoch`` (an aware UTC datetime); benchmark problems have no epoch and unitless ticks.
Intervals are half-open ``[start, end)``.

Rules every plan must keep (checked independently by :mod:`shopfloor.plan.check`):

* the operations of a job run in order, the first not before the job's ``release``;
* each operation runs on one of its eligible machines for that machine's processing time,
  without interruption (non-preemptive);
* a machine runs one operation at a time; when it switches from a job of family ``a`` to one
  of family ``b`` it first spends the setup time ``setup(machine, a, b)`` immediately before
  the second operation (the first operation on a machine needs no setup);
* no operation and no setup overlaps one of its machine's unavailable intervals (off shift,
  breaks, holidays, planned maintenance), and nothing ends after the problem's ``horizon``.

Objectives: makespan (the last end), total weighted tardiness (sum over jobs of
``weight * max(0, completion - due)``) and energy cost (running power over each operation and
setup power over each setup, priced by the time-of-use tariff, a tick counted as one second),
combined by :class:`ObjectiveWeights`.

Jobs and machines keep the numbering of the file they came from (0-based for OR-Library job
shop files, 1-based for Brandimarte files); :attr:`Problem.numbering` records the base.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shopfloor.model.sim_spec import PowerSpec
from shopfloor.plan.errors import ProblemError

__all__ = [
    "Downtime",
    "Job",
    "Machine",
    "MachinePower",
    "ObjectiveWeights",
    "Objectives",
    "Operation",
    "Option",
    "Plan",
    "Problem",
    "ScheduledOperation",
    "Setup",
    "SolverInfo",
    "Tariff",
    "TariffPeriod",
    "energy_of",
    "evaluate",
    "with_setups",
]

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class Option:
    """One way to run an operation: on ``machine`` (its id) for ``time`` ticks."""

    machine: int
    time: int


@dataclass(frozen=True, slots=True)
class Operation:
    """A step of a job: its eligible machines, each with its own processing time."""

    options: tuple[Option, ...]
    name: str = ""

    def time_on(self, machine: int) -> int | None:
        """Processing time on ``machine``, or None when the machine is not eligible."""
        for option in self.options:
            if option.machine == machine:
                return option.time
        return None

    @property
    def machines(self) -> tuple[int, ...]:
        """The eligible machine ids, in the order given."""
        return tuple(option.machine for option in self.options)


@dataclass(frozen=True, slots=True)
class Job:
    """An order to produce: its operations in processing order and its dates.

    ``id`` is the job number of the input; ``order`` the order's name (empty for benchmark
    files); ``family`` groups jobs whose changeovers cost the same (default: the product).
    ``due`` None means no due date (never tardy).
    """

    id: int
    operations: tuple[Operation, ...]
    order: str = ""
    product: str = ""
    family: str = ""
    quantity: int = 1
    release: int = 0
    due: int | None = None
    weight: float = 1.0

    @property
    def label(self) -> str:
        """How messages name the job: its order name, else ``job <id>``."""
        return f"order {self.order}" if self.order else f"job {self.id}"

    @property
    def setup_family(self) -> str:
        """The family used to look up setup times."""
        return self.family or self.product


@dataclass(frozen=True, slots=True, order=True)
class Downtime:
    """A span ``[start, end)`` when a machine cannot work, and why (``break``, ``off_shift``,
    ``holiday``, ``maintenance``, ``breakdown``...)."""

    start: int
    end: int
    reason: str = "unavailable"


@dataclass(frozen=True, slots=True)
class MachinePower:
    """Electrical power drawn per state, in kW (as the plant file's ``power:``)."""

    running: float = 0.0
    idle: float = 0.0
    setup: float = 0.0
    stopped: float = 0.0

    @classmethod
    def from_spec(cls, spec: PowerSpec) -> MachinePower:
        """The power of a plant file's machine (its ``sim.machines.<name>.power``)."""
        return cls(spec.running, spec.idle, spec.setup, spec.stopped)


@dataclass(frozen=True, slots=True)
class Machine:
    """A resource that runs one operation at a time."""

    id: int
    name: str = ""
    unavailable: tuple[Downtime, ...] = ()
    power: MachinePower | None = None

    @property
    def label(self) -> str:
        """How messages name the machine."""
        return f"machine {self.name or self.id}"


@dataclass(frozen=True, slots=True)
class Setup:
    """Changeover time on ``machine`` when a job of family ``to`` follows one of ``source``."""

    machine: int
    source: str
    to: str
    time: int


@dataclass(frozen=True, slots=True)
class TariffPeriod:
    """Price per kWh during ``[start, end)`` (ticks, within the tariff's cycle if it has one)."""

    start: int
    end: int
    price: float


@dataclass(frozen=True, slots=True)
class Tariff:
    """A time-of-use electricity tariff: ``price`` per kWh outside the periods.

    With a ``cycle`` (86400 for a daily tariff with the epoch at midnight), period times are
    taken modulo the cycle.
    """

    price: float = 0.0
    periods: tuple[TariffPeriod, ...] = ()
    cycle: int | None = None

    def price_at(self, t: int) -> float:
        """The price per kWh at tick ``t``."""
        local = t % self.cycle if self.cycle else t
        for period in self.periods:
            if period.start <= local < period.end:
                return period.price
        return self.price

    def breakpoints(self, start: int, end: int) -> list[int]:
        """Ticks in ``(start, end)`` where the price may change, sorted."""
        edges = sorted({p.start for p in self.periods} | {p.end for p in self.periods})
        if not self.cycle:
            return [e for e in edges if start < e < end]
        points: set[int] = set()
        base = start - start % self.cycle
        while base < end:
            points.update(base + e for e in edges if start < base + e < end)
            base += self.cycle
        return sorted(points)

    def price_ticks(self, start: int, end: int) -> float:
        """The integral of the price over ``[start, end)``: price times ticks."""
        cuts = [start, *self.breakpoints(start, end), end]
        return sum(self.price_at(a) * (b - a) for a, b in itertools.pairwise(cuts))


@dataclass(frozen=True, slots=True)
class ObjectiveWeights:
    """How the objectives are combined: ``sum(weight * value)`` is minimised."""

    makespan: float = 1.0
    total_weighted_tardiness: float = 0.0
    energy_cost: float = 0.0


def _check(condition: bool, message: str, job: Job | None = None, op: int | None = None) -> None:
    if condition:
        return
    where = "" if job is None else job.label + ("" if op is None else f", operation {op}")
    text = f"{where}: {message}" if where else message
    order = None if job is None else (job.order or f"job {job.id}")
    raise ProblemError(text, order=order, operation=op)


@dataclass(frozen=True, slots=True)
class Problem:
    """A scheduling problem; constructing one validates it (raises :class:`ProblemError`).

    >>> job = Job(0, (Operation((Option(0, 3),)), Operation((Option(1, 2),))))
    >>> problem = Problem(jobs=(job,), machines=(Machine(0), Machine(1)))
    >>> problem.job(0).operations[1].time_on(1)
    2
    """

    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    setups: tuple[Setup, ...] = ()
    tariff: Tariff | None = None
    objective: ObjectiveWeights = field(default_factory=ObjectiveWeights)
    name: str = ""
    epoch: dt.datetime | None = None
    horizon: int | None = None
    numbering: int = 0
    _jobs: dict[int, Job] = field(init=False, repr=False, compare=False)
    _machines: dict[int, Machine] = field(init=False, repr=False, compare=False)
    _setups: dict[tuple[int, str, str], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_machines", _index_machines(self.machines))
        object.__setattr__(self, "_jobs", _index_jobs(self.jobs))
        for job in self.jobs:
            _validate_job(job, self._machines, self.horizon)
        object.__setattr__(self, "_setups", _index_setups(self.setups, self._machines))
        _validate_rest(self)

    def job(self, job_id: int) -> Job:
        """The job with id ``job_id``."""
        return self._jobs[job_id]

    def machine(self, machine_id: int) -> Machine:
        """The machine with id ``machine_id``."""
        return self._machines[machine_id]

    def has_job(self, job_id: int) -> bool:
        """True when a job has id ``job_id``."""
        return job_id in self._jobs

    def has_machine(self, machine_id: int) -> bool:
        """True when a machine has id ``machine_id``."""
        return machine_id in self._machines

    def setup_time(self, machine: int, source: str, to: str) -> int:
        """Setup ticks on ``machine`` from family ``source`` to family ``to`` (0 if none)."""
        return self._setups.get((machine, source, to), 0)

    @property
    def has_setups(self) -> bool:
        """True when some changeover takes time."""
        return any(s.time > 0 for s in self.setups)

    @property
    def operation_count(self) -> int:
        """Number of operations over all jobs."""
        return sum(len(job.operations) for job in self.jobs)

    def tick_time(self, tick: int) -> dt.datetime | None:
        """The UTC time of ``tick``, or None for a problem without an epoch."""
        return None if self.epoch is None else self.epoch + dt.timedelta(seconds=tick)


def _index_machines(machines: Sequence[Machine]) -> dict[int, Machine]:
    index: dict[int, Machine] = {}
    for machine in machines:
        _check(machine.id not in index, f"machine id {machine.id} appears twice")
        for down in machine.unavailable:
            _check(
                0 <= down.start <= down.end,
                f"{machine.label}: unavailable interval [{down.start}, {down.end}) must have "
                "0 <= start <= end",
            )
        index[machine.id] = machine
    return index


def _index_jobs(jobs: Sequence[Job]) -> dict[int, Job]:
    index: dict[int, Job] = {}
    for job in jobs:
        _check(job.id not in index, f"job id {job.id} appears twice")
        index[job.id] = job
    return index


def _validate_job(job: Job, machines: Mapping[int, Machine], horizon: int | None) -> None:
    _check(bool(job.operations), "has no operations", job)
    _check(job.release >= 0, f"negative release date {job.release}", job)
    if job.due is not None:
        _check(job.due >= job.release, f"due date {job.due} is before release {job.release}", job)
    _check(job.weight >= 0, f"negative weight {job.weight}", job)
    _check(job.quantity > 0, f"quantity must be positive, not {job.quantity}", job)
    for index, op in enumerate(job.operations):
        _check(bool(op.options), "has no eligible machine", job, index)
        seen: set[int] = set()
        for option in op.options:
            _check(option.machine in machines, f"unknown machine {option.machine}", job, index)
            _check(option.machine not in seen, f"machine {option.machine} twice", job, index)
            _check(option.time >= 0, f"negative processing time {option.time}", job, index)
            seen.add(option.machine)
    if horizon is not None:
        _check(job.release <= horizon, f"released after the horizon {horizon}", job)


def _index_setups(
    setups: Iterable[Setup], machines: Mapping[int, Machine]
) -> dict[tuple[int, str, str], int]:
    index: dict[tuple[int, str, str], int] = {}
    for setup in setups:
        _check(setup.machine in machines, f"setup on unknown machine {setup.machine}")
        _check(setup.time >= 0, f"negative setup time {setup.time} on machine {setup.machine}")
        index[(setup.machine, setup.source, setup.to)] = setup.time
    return index


def _validate_rest(problem: Problem) -> None:
    _check(bool(problem.jobs), "a problem needs at least one job")
    _check(problem.numbering in (0, 1), f"numbering must be 0 or 1, not {problem.numbering}")
    if problem.horizon is not None:
        _check(problem.horizon >= 0, f"negative horizon {problem.horizon}")
    if problem.epoch is not None:
        _check(problem.epoch.utcoffset() is not None, "the epoch needs a time zone (UTC)")
    weights = problem.objective
    values = (weights.makespan, weights.total_weighted_tardiness, weights.energy_cost)
    _check(all(w >= 0 for w in values), "objective weights must not be negative")
    _check(any(w > 0 for w in values), "at least one objective weight must be positive")
    if problem.tariff is not None:
        for period in problem.tariff.periods:
            _check(0 <= period.start <= period.end, "tariff periods need 0 <= start <= end")


@dataclass(frozen=True, slots=True, order=True)
class ScheduledOperation:
    """Operation ``operation`` of job ``job`` runs on ``machine`` during ``[start, end)``,
    after a setup of ``setup`` ticks during ``[start - setup, start)``."""

    job: int
    operation: int
    machine: int
    start: int
    end: int
    setup: int = 0


@dataclass(frozen=True, slots=True)
class Objectives:
    """A plan's objective values."""

    makespan: int
    total_weighted_tardiness: float
    energy_cost: float

    def weighted(self, weights: ObjectiveWeights) -> float:
        """The combined objective ``sum(weight * value)``."""
        return (
            weights.makespan * self.makespan
            + weights.total_weighted_tardiness * self.total_weighted_tardiness
            + weights.energy_cost * self.energy_cost
        )


@dataclass(frozen=True, slots=True)
class SolverInfo:
    """How a plan was made: ``method`` (``cpsat``, ``rule:SPT``...), ``status``
    (``optimal``, ``feasible``, ``heuristic``, ``fixed``), wall ``seconds``, the best proven
    lower ``bound`` on the weighted objective (None when unknown) and free-form ``details``."""

    method: str
    status: str
    seconds: float = 0.0
    bound: float | None = None
    workers: int | None = None
    details: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """A schedule for ``problem``: every operation once, with its objective values."""

    problem: Problem
    operations: tuple[ScheduledOperation, ...]
    objectives: Objectives
    solver: SolverInfo

    def operation(self, job: int, index: int) -> ScheduledOperation:
        """Where and when operation ``index`` of job ``job`` runs."""
        for op in self.operations:
            if op.job == job and op.operation == index:
                return op
        raise KeyError((job, index))

    def by_machine(self) -> dict[int, list[ScheduledOperation]]:
        """Each machine's operations in start order (machines without work map to [])."""
        lanes: dict[int, list[ScheduledOperation]] = {m.id: [] for m in self.problem.machines}
        for op in sorted(self.operations, key=lambda o: (o.start, o.end)):
            lanes.setdefault(op.machine, []).append(op)
        return lanes

    def completion(self, job: int) -> int:
        """The end of the job's last operation."""
        return max(op.end for op in self.operations if op.job == job)

    def is_late(self, job: int) -> bool:
        """True when the job completes after its due date."""
        due = self.problem.job(job).due
        return due is not None and self.completion(job) > due


def energy_of(problem: Problem, op: ScheduledOperation) -> float:
    """Energy cost of one scheduled operation: running power over ``[start, end)`` and setup
    power over the setup before it, priced by the tariff (0 without a tariff or power)."""
    tariff, power = problem.tariff, problem.machine(op.machine).power
    if tariff is None or power is None:
        return 0.0
    running = power.running * tariff.price_ticks(op.start, op.end)
    setup = power.setup * tariff.price_ticks(op.start - op.setup, op.start) if op.setup else 0.0
    return (running + setup) / SECONDS_PER_HOUR


def evaluate(problem: Problem, operations: Iterable[ScheduledOperation]) -> Objectives:
    """The objective values of a schedule (it is not checked for feasibility here).

    >>> job = Job(0, (Operation((Option(0, 3),)),), due=2, weight=2.0)
    >>> problem = Problem(jobs=(job,), machines=(Machine(0),))
    >>> evaluate(problem, [ScheduledOperation(0, 0, 0, 1, 4)])
    Objectives(makespan=4, total_weighted_tardiness=4.0, energy_cost=0.0)
    """
    ops = list(operations)
    completion: dict[int, int] = {}
    for op in ops:
        completion[op.job] = max(completion.get(op.job, op.end), op.end)
    tardiness = 0.0
    for job_id, end in completion.items():
        job = problem.job(job_id)
        if job.due is not None:
            tardiness += job.weight * max(0, end - job.due)
    return Objectives(
        makespan=max((op.end for op in ops), default=0),
        total_weighted_tardiness=tardiness,
        energy_cost=sum(energy_of(problem, op) for op in ops),
    )


def with_setups(
    problem: Problem, operations: Iterable[ScheduledOperation]
) -> list[ScheduledOperation]:
    """Each operation with the changeover its machine needs after the one before it, in
    machine order (by machine, then start)."""
    result: list[ScheduledOperation] = []
    last: dict[int, str] = {}
    for op in sorted(operations, key=lambda o: (o.machine, o.start, o.end)):
        family = problem.job(op.job).setup_family
        before = last.get(op.machine)
        setup = 0 if before is None else problem.setup_time(op.machine, before, family)
        result.append(ScheduledOperation(op.job, op.operation, op.machine, op.start, op.end, setup))
        last[op.machine] = family
    return result
