"""Replanning: a new plan when the day goes wrong, changing as little as needed.

Given the plan in execution, the time ``now`` and disruptions (a machine breakdown with an
expected repair time, a rush order, a material delay), :func:`replan` returns a new plan
and the KPIs before and after. The rules, in the order they are applied:

1. **The past stays.** An operation is *finished* when it ended by ``now`` and *running*
   when its setup or processing had begun by ``now``; both keep machine, start and end.
   Causality holds: an operation counts as begun only if its job's previous operation was
   finished by its start, and nothing begins on a broken machine after the breakdown.
2. **A breakdown** adds ``[start, start + repair)`` as downtime (reason ``breakdown``) to
   the machine. The operation it interrupts (running at the breakdown's start) is not kept:
   with the ``restart`` policy (the default) it is planned again in full, on any eligible
   machine (after the repair on the broken one), because the work in hand is lost or must be
   redone; with ``resume`` only its unfinished share is planned again (processing times
   scaled by the share left), for lots whose finished parts are good.
3. **A rush order** is a new job (the next free id), planned from ``max(now, release)``.
4. **A material delay** moves an unstarted job's release to when the material arrives; a
   job already in production has its material, so a delay for it is an error.
5. **The frozen horizon.** Unstarted operations planned to start before ``now + frozen``
   keep their machine and start, unless that became impossible: the machine is down then,
   the job's previous operation is no longer where it was, or the job is released later.
   When the kept operations leave no feasible plan (a changeover that no longer fits in
   front of one), the frozen operations are released and the reason reported.
6. **Everything else** may move, starting at or after ``now``.

**Objective.** The problem's own objective (makespan, weighted tardiness, energy) comes
first; *stability* second: each operation that changes its start or machine costs
``move_cost``. By default the move cost is below the objective's smallest step (its
smallest weight divided by one more than the number of operations), so no number of kept
operations can outweigh one tick of makespan or tardiness: the order is lexicographic
(exactly so when the weights are integers), the plan is as good as replanning from scratch
could find in the time, and among equally good plans it keeps the most operations in place.
Counting moves, rather than summing how far operations move, matches what a change costs on
the shop floor: every changed operation must be re-announced, however far it moves. A
positive ``move_cost`` trades instead: a move must gain that much objective.

The CP-SAT model is :func:`shopfloor.plan.cpsat.solve` with its replanning inputs (fixed
operations, a ``not_before``, a reference plan with a stability weight), warm-started from
the *right-shift* repair: the old sequence on the old machines, each operation pushed later
only as far as the disruption forces, the rush order last. That repair is also reported, as
what the line would get without re-optimising.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shopfloor.plan.check import check_plan
from shopfloor.plan.cpsat import SolveOptions, solve
from shopfloor.plan.errors import NoPlanError, PlanError
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
    SolverInfo,
    evaluate,
)
from shopfloor.plan.replan_shift import right_shift

__all__ = [
    "Breakdown",
    "Disruption",
    "Interrupted",
    "MaterialDelay",
    "Moves",
    "Replan",
    "ReplanOptions",
    "RushOrder",
    "count_moves",
    "replan",
    "solve_committed",
    "with_downtime",
]

Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """``machine`` stops at ``start`` for an expected ``repair`` ticks."""

    machine: int
    start: int
    repair: int


@dataclass(frozen=True, slots=True)
class RushOrder:
    """A new job to fit in (its id must be new)."""

    job: Job


@dataclass(frozen=True, slots=True)
class MaterialDelay:
    """Job ``job`` cannot start before ``available``."""

    job: int
    available: int


Disruption = Breakdown | RushOrder | MaterialDelay


class Interrupted(StrEnum):
    """What happens to the operation a breakdown interrupts."""

    RESTART = "restart"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class ReplanOptions:
    """``frozen`` ticks after now stay as planned; CP-SAT gets ``time_limit`` seconds and
    ``workers``; ``move_cost`` None means stability strictly second (see the module). A
    ``deterministic_time`` limit (CP-SAT's own work units) with one worker makes the result
    the same on any machine, for tests and reproducible runs."""

    frozen: int = 0
    time_limit: float = 10.0
    workers: int = 2
    seed: int = 0
    interrupted: Interrupted = Interrupted.RESTART
    move_cost: float | None = None
    deterministic_time: float | None = None


@dataclass(frozen=True, slots=True)
class Moves:
    """How many operations of the old plan changed: start, machine, and either."""

    start: int
    machine: int
    total: int


@dataclass(frozen=True, slots=True)
class Replan:
    """A replanning's result: the new plan, the KPIs before (the plan in execution), of the
    right-shift repair and after, and what was kept."""

    plan: Plan
    before: Objectives
    right_shift: Objectives
    after: Objectives
    moved: Moves
    right_shift_moved: Moves
    now: int
    finished: int
    running: int
    frozen_kept: int
    frozen_released: int
    interrupted: tuple[Key, ...]
    note: str = ""


def count_moves(old: Iterable[ScheduledOperation], new: Iterable[ScheduledOperation]) -> Moves:
    """Operations of ``old`` whose start or machine differs in ``new`` (new ones not counted)."""
    placed = {(op.job, op.operation): op for op in new}
    start = machine = either = 0
    for op in old:
        now = placed.get((op.job, op.operation))
        if now is None:
            continue
        start += now.start != op.start
        machine += now.machine != op.machine
        either += (now.start, now.machine) != (op.start, op.machine)
    return Moves(start, machine, either)


# -- the state at now ------------------------------------------------------------------------
@dataclass
class _State:
    kept: dict[Key, ScheduledOperation]
    running: set[Key]
    interrupted: list[Key]
    shares: dict[Key, float]


def _classify(plan: Plan, now: int, breakdowns: Sequence[Breakdown]) -> _State:
    state = _State({}, set(), [], {})
    placed = {(op.job, op.operation): op for op in plan.operations}
    for job in plan.problem.jobs:
        ready: int | None = job.release
        for index in range(len(job.operations)):
            op = placed[(job.id, index)]
            begin = op.start - op.setup
            hit = _first_hit(op, breakdowns)
            began = ready is not None and begin <= now and ready <= op.start
            if began and hit is not None and hit.start <= begin:
                began = False  # the machine was already down
            if not began:
                ready = None
                continue
            if hit is not None:
                state.interrupted.append((job.id, index))
                state.shares[(job.id, index)] = (op.end - max(hit.start, op.start)) / max(
                    1, op.end - op.start
                )
                ready = None
                continue
            state.kept[(job.id, index)] = op
            if op.end > now:
                state.running.add((job.id, index))
            ready = op.end if op.end <= now else None
    return state


def _first_hit(op: ScheduledOperation, breakdowns: Sequence[Breakdown]) -> Breakdown | None:
    """The earliest breakdown of the op's machine that overlaps its setup or run."""
    hits = [
        b
        for b in breakdowns
        if b.machine == op.machine and b.start < op.end and op.start - op.setup < b.start + b.repair
    ]
    return min(hits, key=lambda b: b.start) if hits else None


# -- the disrupted problem -------------------------------------------------------------------
def _disrupted(
    plan: Plan, events: Sequence[Disruption], state: _State, options: ReplanOptions
) -> Problem:
    problem = plan.problem
    machines = {m.id: m for m in problem.machines}
    releases: dict[int, int] = {}
    jobs = list(problem.jobs)
    for event in events:
        if isinstance(event, Breakdown):
            down = Downtime(max(0, event.start), event.start + event.repair, "breakdown")
            machines[event.machine] = with_downtime(machines[event.machine], down)
        elif isinstance(event, MaterialDelay):
            if any(key[0] == event.job for key in state.kept):
                raise PlanError(
                    f"{problem.job(event.job).label} is already in production; a material "
                    "delay concerns orders not yet started"
                )
            releases[event.job] = max(releases.get(event.job, 0), event.available)
        else:
            jobs.append(event.job)
    jobs = [
        dataclasses.replace(j, release=max(j.release, releases[j.id])) if j.id in releases else j
        for j in jobs
    ]
    if options.interrupted is Interrupted.RESUME:
        jobs = [_resumed(job, state.shares) for job in jobs]
    return dataclasses.replace(problem, jobs=tuple(jobs), machines=tuple(machines.values()))


def with_downtime(machine: Machine, down: Downtime) -> Machine:
    """``machine`` also unavailable during ``down``: only the parts of it that no existing
    downtime covers are added (each span keeps its reason, and no two spans overlap, as
    the solver's no-overlap constraint needs)."""
    pieces = [(down.start, down.end)]
    for old in machine.unavailable:
        pieces = [
            part
            for start, end in pieces
            for part in ((start, min(end, old.start)), (max(start, old.end), end))
            if part[1] > part[0]
        ]
    added = tuple(Downtime(start, end, down.reason) for start, end in pieces)
    return dataclasses.replace(machine, unavailable=tuple(sorted(machine.unavailable + added)))


def _resumed(job: Job, shares: Mapping[Key, float]) -> Job:
    if not any(key[0] == job.id for key in shares):
        return job
    operations = tuple(
        op
        if (job.id, index) not in shares
        else Operation(
            tuple(
                Option(o.machine, math.ceil(o.time * shares[(job.id, index)])) for o in op.options
            ),
            op.name,
        )
        for index, op in enumerate(job.operations)
    )
    return dataclasses.replace(job, operations=operations)


def _frozen(
    plan: Plan, problem: Problem, now: int, frozen: int, state: _State
) -> dict[Key, ScheduledOperation]:
    """Unstarted operations that start before ``now + frozen`` and can keep their place."""
    kept: dict[Key, ScheduledOperation] = {}
    if frozen <= 0:
        return kept
    placed = {(op.job, op.operation): op for op in plan.operations}
    for job in plan.problem.jobs:
        for index in range(len(job.operations)):
            key = (job.id, index)
            op = placed[key]
            if key in state.kept or key in state.interrupted:
                continue
            if not now <= op.start - op.setup or op.start >= now + frozen:
                continue
            before = (job.id, index - 1)
            if index > 0 and before not in state.kept and before not in kept:
                continue
            if index == 0 and op.start < problem.job(job.id).release:
                continue
            if _meets_downtime(problem.machine(op.machine), op):
                continue
            kept[key] = op
    return kept


def _meets_downtime(machine: Machine, op: ScheduledOperation) -> bool:
    begin = op.start - op.setup
    return any(d.start < op.end and begin < d.end for d in machine.unavailable)


# -- solving with commitments ----------------------------------------------------------------
def _stability_weight(problem: Problem, moves: int, move_cost: float | None) -> float:
    if move_cost is not None:
        return move_cost
    weights = problem.objective
    steps = [weights.makespan] + [
        weights.total_weighted_tardiness * job.weight for job in problem.jobs if job.due is not None
    ]
    step = min((s for s in steps if s > 0), default=1.0)
    return step / (moves + 1)


def solve_committed(
    problem: Problem,
    *,
    fixed: Sequence[ScheduledOperation],
    order: Sequence[tuple[Key, int | None]],
    reference: Sequence[ScheduledOperation],
    now: int,
    options: ReplanOptions,
) -> tuple[Plan, Plan]:
    """Plan ``problem`` keeping ``fixed`` operations, every other one (and its changeover)
    at or after ``now``, close to ``reference``; returns (the plan, its right-shift warm
    start). The plans' problem marks each machine's time before ``now`` that no kept
    operation uses as downtime (reason ``past``).

    ``order`` lists the free operations in the order the right shift places them, each with
    its machine (None: the eligible machine that finishes it first). Raises
    :class:`NoPlanError` when the fixed operations leave no room.
    """
    problem = _with_past(problem, fixed, now)
    repaired = right_shift(problem, fixed, order, now)
    if check_plan(repaired):
        raise NoPlanError("the kept operations leave no feasible plan")
    weight = _stability_weight(problem, len(reference), options.move_cost)
    settings = SolveOptions(
        time_limit=options.time_limit,
        workers=options.workers,
        seed=options.seed,
        hint=repaired,
        fixed=tuple(fixed),
        not_before=now,
        reference=tuple(reference),
        stability_weight=weight if reference else 0.0,
        parameters={}
        if options.deterministic_time is None
        else {"max_deterministic_time": options.deterministic_time},
    )
    try:
        found = solve(problem, settings)
    except NoPlanError:
        found = repaired
    if not _keeps(found, fixed, now) or check_plan(found):
        found = repaired
    return found, repaired


def _with_past(problem: Problem, fixed: Sequence[ScheduledOperation], now: int) -> Problem:
    """Each machine closed from its last operation begun before ``now`` until ``now``: new
    work and its changeover cannot happen in the past (reason ``past``)."""
    machines = []
    for machine in problem.machines:
        ends = [op.end for op in fixed if op.machine == machine.id and op.start - op.setup < now]
        since = max(ends, default=0)
        if since >= now:
            machines.append(machine)
            continue
        machines.append(with_downtime(machine, Downtime(since, now, "past")))
    return dataclasses.replace(problem, machines=tuple(machines))


def _keeps(plan: Plan, fixed: Sequence[ScheduledOperation], now: int) -> bool:
    """The plan keeps every fixed operation and starts the others at or after ``now``."""
    pinned = {(f.job, f.operation): (f.machine, f.start) for f in fixed}
    for op in plan.operations:
        want = pinned.get((op.job, op.operation))
        if want is None and op.start - op.setup < now:
            return False
        if want is not None and (op.machine, op.start) != want:
            return False
    return True


# -- replanning a plan -----------------------------------------------------------------------
def replan(
    plan: Plan,
    now: int,
    events: Sequence[Disruption],
    options: ReplanOptions | None = None,
) -> Replan:
    """Replan ``plan`` at tick ``now`` after ``events`` (see the module docstring)."""
    options = options or ReplanOptions()
    _validate(plan, now, events)
    breakdowns = [e for e in events if isinstance(e, Breakdown)]
    state = _classify(plan, now, breakdowns)
    problem = _disrupted(plan, events, state, options)
    frozen = _frozen(plan, problem, now, options.frozen, state)
    note = ""
    try:
        new, repaired = _solve(plan, problem, state, frozen, now, options)
    except NoPlanError:
        if not frozen:
            raise
        note = f"{len(frozen)} frozen operations released: keeping them left no feasible plan"
        released, frozen = len(frozen), {}
        new, repaired = _solve(plan, problem, state, frozen, now, options)
    else:
        released = _frozen_candidates(plan, state, now, options.frozen) - len(frozen)
    return Replan(
        plan=_stamped(new, plan, now, events, options),
        before=plan.objectives,
        right_shift=repaired.objectives,
        after=new.objectives,
        moved=count_moves(plan.operations, new.operations),
        right_shift_moved=count_moves(plan.operations, repaired.operations),
        now=now,
        finished=len(state.kept) - len(state.running),
        running=len(state.running),
        frozen_kept=len(frozen),
        frozen_released=released,
        interrupted=tuple(state.interrupted),
        note=note,
    )


def _solve(
    plan: Plan,
    problem: Problem,
    state: _State,
    frozen: Mapping[Key, ScheduledOperation],
    now: int,
    options: ReplanOptions,
) -> tuple[Plan, Plan]:
    fixed = [*state.kept.values(), *frozen.values()]
    pinned = {(op.job, op.operation) for op in fixed}
    old = sorted(plan.operations, key=lambda o: (o.start, o.job, o.operation))
    order: list[tuple[Key, int | None]] = [
        ((op.job, op.operation), op.machine) for op in old if (op.job, op.operation) not in pinned
    ]
    known = {job.id for job in plan.problem.jobs}
    for job in problem.jobs:
        if job.id not in known:
            order += [((job.id, index), None) for index in range(len(job.operations))]
    return solve_committed(
        problem, fixed=fixed, order=order, reference=plan.operations, now=now, options=options
    )


def _frozen_candidates(plan: Plan, state: _State, now: int, frozen: int) -> int:
    return sum(
        1
        for op in plan.operations
        if (op.job, op.operation) not in state.kept
        and now <= op.start - op.setup
        and op.start < now + frozen
    )


def _validate(plan: Plan, now: int, events: Sequence[Disruption]) -> None:
    problem = plan.problem
    if now < 0:
        raise PlanError(f"now must not be negative, not {now}")
    for event in events:
        if isinstance(event, Breakdown):
            if not problem.has_machine(event.machine):
                raise PlanError(f"breakdown of unknown machine {event.machine}")
            if event.repair < 0:
                raise PlanError(f"breakdown of machine {event.machine}: negative repair time")
        elif isinstance(event, MaterialDelay):
            if not problem.has_job(event.job):
                raise PlanError(f"material delay for unknown job {event.job}")
        elif problem.has_job(event.job.id):
            raise PlanError(f"rush order: job id {event.job.id} is taken")


def _stamped(
    new: Plan, old: Plan, now: int, events: Sequence[Disruption], options: ReplanOptions
) -> Plan:
    """The new plan, its solver info saying it is a replanning and of what."""
    kinds = ",".join(sorted({type(e).__name__.lower() for e in events}))
    details: dict[str, str | int | float | bool] = dict(new.solver.details)
    details.update(
        now=now,
        frozen=options.frozen,
        events=kinds or "none",
        replanned=old.solver.method,
        search=new.solver.method,
    )
    info = SolverInfo(
        "replan", new.solver.status, new.solver.seconds, None, options.workers, details
    )
    return Plan(new.problem, new.operations, evaluate(new.problem, new.operations), info)
