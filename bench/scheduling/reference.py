"""The straightforward CP-SAT model the benchmark compares against.

As ``docs/BENCHMARKS.md`` describes it: interval variables, one no-overlap per machine,
minimise the makespan, default parameters (only the time limit and worker count are set).
For flexible job shop each eligible machine gets an optional interval on the operation's
start and end, and exactly one is present. No hint, no tuned horizon (the sum of the longest
processing times), no redundant constraints: it is the yardstick, kept deliberately plain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from shopfloor.plan.model import Problem

__all__ = ["ReferenceResult", "solve_reference"]


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    """The makespan found (None when none), the proven bound, the status and the seconds."""

    makespan: int | None
    bound: float
    status: str
    seconds: float


def solve_reference(problem: Problem, time_limit: float, workers: int) -> ReferenceResult:
    """Minimise the makespan of ``problem`` with the plain model."""
    began = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(max(o.time for o in op.options) for job in problem.jobs for op in job.operations)
    on_machine: dict[int, list[cp_model.IntervalVar]] = {m.id: [] for m in problem.machines}
    ends: list[cp_model.IntVar] = []
    for job in problem.jobs:
        previous_end = None
        for k, op in enumerate(job.operations):
            start = model.new_int_var(0, horizon, f"s{job.id}_{k}")
            end = model.new_int_var(0, horizon, f"e{job.id}_{k}")
            if len(op.options) == 1:
                option = op.options[0]
                interval = model.new_interval_var(start, option.time, end, f"i{job.id}_{k}")
                on_machine[option.machine].append(interval)
            else:
                presences = []
                for option in op.options:
                    present = model.new_bool_var(f"p{job.id}_{k}_{option.machine}")
                    alt = model.new_optional_interval_var(
                        start, option.time, end, present, f"a{job.id}_{k}_{option.machine}"
                    )
                    on_machine[option.machine].append(alt)
                    presences.append(present)
                model.add_exactly_one(presences)
            if previous_end is not None:
                model.add(start >= previous_end)
            previous_end = end
        ends.append(end)
    for intervals in on_machine.values():
        if intervals:
            model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return ReferenceResult(
        int(solver.value(makespan)) if found else None,
        solver.best_objective_bound,
        solver.status_name(status).lower(),
        time.perf_counter() - began,
    )
