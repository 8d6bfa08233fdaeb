"""An independent feasibility checker for plans.

Written apart from the solver and the rules on purpose: it shares no constraint code with
them and reads the problem's raw fields (its own setup table, its own price integral), so a
modelling slip in the solver shows up here instead of being confirmed by the same mistake.
It finds every violation rather than stopping at the first.

>>> from shopfloor.plan.model import (
...     Job, Machine, Objectives, Operation, Option, Plan, Problem, ScheduledOperation,
...     SolverInfo)
>>> problem = Problem(jobs=(Job(0, (Operation((Option(0, 3),)),)),), machines=(Machine(0),))
>>> plan = Plan(problem, (ScheduledOperation(0, 0, 0, 0, 2),), Objectives(2, 0.0, 0.0),
...             SolverInfo("hand", "feasible"))
>>> [v.kind.value for v in check_plan(plan)]
['duration']
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from shopfloor.plan.errors import PlanError
from shopfloor.plan.model import Plan, Problem, ScheduledOperation, Tariff

__all__ = ["Violation", "ViolationKind", "assert_feasible", "check_plan"]


class ViolationKind(StrEnum):
    """What a plan got wrong."""

    MISSING = "missing"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown"
    ELIGIBILITY = "eligibility"
    DURATION = "duration"
    PRECEDENCE = "precedence"
    RELEASE = "release"
    OVERLAP = "overlap"
    SETUP = "setup"
    UNAVAILABLE = "unavailable"
    HORIZON = "horizon"
    OBJECTIVE = "objective"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, said in words."""

    kind: ViolationKind
    message: str


def assert_feasible(plan: Plan) -> None:
    """Raise :class:`PlanError` listing the violations when the plan breaks a rule."""
    found = check_plan(plan)
    if found:
        listed = "; ".join(v.message for v in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise PlanError(f"infeasible plan: {listed}{more}")


def check_plan(plan: Plan, *, tolerance: float = 1e-6) -> list[Violation]:
    """Every rule the plan breaks; an empty list means feasible with correct objectives."""
    problem = plan.problem
    found: list[Violation] = []
    placed = _index(plan.operations, problem, found)
    if any(v.kind in (ViolationKind.UNKNOWN, ViolationKind.DUPLICATE) for v in found):
        return found
    _check_jobs(problem, placed, found)
    _check_machines(problem, plan.operations, found)
    if not any(v.kind is ViolationKind.MISSING for v in found):
        _check_objectives(plan, found, tolerance)
    return found


def _add(found: list[Violation], kind: ViolationKind, message: str) -> None:
    found.append(Violation(kind, message))


def _name(op: ScheduledOperation) -> str:
    return f"job {op.job} operation {op.operation}"


def _index(
    operations: tuple[ScheduledOperation, ...], problem: Problem, found: list[Violation]
) -> dict[tuple[int, int], ScheduledOperation]:
    placed: dict[tuple[int, int], ScheduledOperation] = {}
    jobs = {job.id: job for job in problem.jobs}
    machines = {machine.id for machine in problem.machines}
    for op in operations:
        job = jobs.get(op.job)
        if job is None or not 0 <= op.operation < len(job.operations):
            _add(found, ViolationKind.UNKNOWN, f"{_name(op)} is not in the problem")
        elif op.machine not in machines:
            _add(found, ViolationKind.UNKNOWN, f"{_name(op)} on unknown machine {op.machine}")
        elif (op.job, op.operation) in placed:
            _add(found, ViolationKind.DUPLICATE, f"{_name(op)} is planned twice")
        else:
            placed[(op.job, op.operation)] = op
    return placed


def _check_jobs(
    problem: Problem, placed: dict[tuple[int, int], ScheduledOperation], found: list[Violation]
) -> None:
    for job in problem.jobs:
        previous: ScheduledOperation | None = None
        for index, operation in enumerate(job.operations):
            op = placed.get((job.id, index))
            if op is None:
                _add(found, ViolationKind.MISSING, f"job {job.id} operation {index} is not planned")
                previous = None
                continue
            times = {option.machine: option.time for option in operation.options}
            if op.machine not in times:
                _add(found, ViolationKind.ELIGIBILITY, f"{_name(op)} on machine {op.machine}")
            elif op.end - op.start != times[op.machine]:
                _add(
                    found,
                    ViolationKind.DURATION,
                    f"{_name(op)} lasts {op.end - op.start}, needs {times[op.machine]}",
                )
            if index == 0 and op.start < job.release:
                _add(found, ViolationKind.RELEASE, f"{_name(op)} starts before {job.release}")
            if previous is not None and op.start < previous.end:
                _add(
                    found,
                    ViolationKind.PRECEDENCE,
                    f"{_name(op)} starts at {op.start} before operation {index - 1} ends "
                    f"({previous.end})",
                )
            previous = op


def _check_machines(
    problem: Problem, operations: tuple[ScheduledOperation, ...], found: list[Violation]
) -> None:
    family = {job.id: job.family or job.product for job in problem.jobs}
    changeover = {(s.machine, s.source, s.to): s.time for s in problem.setups}
    lanes: dict[int, list[ScheduledOperation]] = defaultdict(list)
    for op in operations:
        lanes[op.machine].append(op)
    for machine in problem.machines:
        lane = sorted(lanes[machine.id], key=lambda o: (o.start - o.setup, o.start, o.end))
        before: ScheduledOperation | None = None
        latest: ScheduledOperation | None = None
        for op in lane:
            need = 0
            if before is not None:
                need = changeover.get((machine.id, family[before.job], family[op.job]), 0)
            if op.setup != need:
                _add(
                    found,
                    ViolationKind.SETUP,
                    f"{_name(op)} on machine {machine.id} has setup {op.setup}, needs {need}",
                )
            if latest is not None and op.start - op.setup < latest.end:
                _add(
                    found,
                    ViolationKind.OVERLAP,
                    f"{_name(op)} and {_name(latest)} overlap on machine {machine.id}",
                )
            _check_time(problem, op, found)
            before = op
            if latest is None or op.end > latest.end:
                latest = op


def _check_time(problem: Problem, op: ScheduledOperation, found: list[Violation]) -> None:
    begin = op.start - op.setup
    if begin < 0 or op.end < op.start:
        _add(found, ViolationKind.HORIZON, f"{_name(op)} occupies [{begin}, {op.end})")
    if problem.horizon is not None and op.end > problem.horizon:
        _add(found, ViolationKind.HORIZON, f"{_name(op)} ends after the horizon")
    for down in problem.machine(op.machine).unavailable:
        if begin < down.end and down.start < op.end and begin < op.end:
            _add(
                found,
                ViolationKind.UNAVAILABLE,
                f"{_name(op)} on machine {op.machine} meets unavailable "
                f"[{down.start}, {down.end}) ({down.reason})",
            )


def _check_objectives(plan: Plan, found: list[Violation], tolerance: float) -> None:
    problem = plan.problem
    makespan = max((op.end for op in plan.operations), default=0)
    ends: dict[int, int] = {}
    for op in plan.operations:
        ends[op.job] = max(ends.get(op.job, op.end), op.end)
    tardiness = sum(
        job.weight * max(0, ends[job.id] - job.due) for job in problem.jobs if job.due is not None
    )
    energy = sum(_energy(problem, op) for op in plan.operations)
    claimed = plan.objectives
    pairs = (
        ("makespan", float(makespan), float(claimed.makespan)),
        ("total_weighted_tardiness", tardiness, claimed.total_weighted_tardiness),
        ("energy_cost", energy, claimed.energy_cost),
    )
    for name, true, said in pairs:
        if not math.isclose(true, said, rel_tol=tolerance, abs_tol=tolerance):
            _add(found, ViolationKind.OBJECTIVE, f"{name} is {true:g}, the plan says {said:g}")


def _energy(problem: Problem, op: ScheduledOperation) -> float:
    power = problem.machine(op.machine).power
    tariff = problem.tariff
    if power is None or tariff is None:
        return 0.0
    kw_ticks = power.running * _price_sum(tariff, op.start, op.end)
    kw_ticks += power.setup * _price_sum(tariff, op.start - op.setup, op.start)
    return kw_ticks / 3600.0


def _price_sum(tariff: Tariff, start: int, end: int) -> float:
    """Price integrated over ``[start, end)``, walking from one price change to the next."""
    total, t = 0.0, start
    while t < end:
        step_end = min(end, _next_change(tariff, t))
        total += _price(tariff, t) * (step_end - t)
        t = step_end
    return total


def _price(tariff: Tariff, t: int) -> float:
    local = t % tariff.cycle if tariff.cycle else t
    matching = [p.price for p in tariff.periods if p.start <= local < p.end]
    return matching[0] if matching else tariff.price


def _next_change(tariff: Tariff, t: int) -> int:
    """The first tick after ``t`` where a period starts or ends (or far away if none)."""
    if tariff.cycle:
        base, local = divmod(t, tariff.cycle)
        edges = [e for p in tariff.periods for e in (p.start, p.end) if e > local]
        nearest = min(edges, default=tariff.cycle)
        return base * tariff.cycle + min(nearest, tariff.cycle)
    later = [e for p in tariff.periods for e in (p.start, p.end) if e > t]
    return min(later, default=2**62)
