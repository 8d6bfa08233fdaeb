"""The right-shift repair: the classic way to mend a plan without re-optimising it.

Kept operations stay where they are. Every other operation keeps its machine and its place
in the machine's sequence and is pushed later only as far as it must be: not before
``now``, after its job's previous operation, after the machine's previous operation plus
the changeover, outside downtime, and leaving room before the next kept operation for its
changeover. Operations without a machine (a rush order's) go to the eligible machine that
finishes them first, after everything else.

It is the replanning's baseline (what the line gets without a solver) and its warm start.

>>> from shopfloor.plan.model import Job, Machine, Operation, Option, Problem
>>> problem = Problem(jobs=(Job(0, (Operation((Option(0, 5),)),)),), machines=(Machine(0),))
>>> [(op.start, op.end) for op in right_shift(problem, [], [((0, 0), 0)], now=3).operations]
[(3, 8)]
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from shopfloor.plan.errors import NoPlanError
from shopfloor.plan.model import (
    Machine,
    Plan,
    Problem,
    ScheduledOperation,
    SolverInfo,
    evaluate,
    with_setups,
)

__all__ = ["right_shift"]

Key = tuple[int, int]


class _Lane:
    """One machine: its downtime, its kept operations still ahead, where it is free."""

    def __init__(self, problem: Problem, machine: Machine, kept: list[ScheduledOperation]):
        self.problem, self.id = problem, machine.id
        spans = sorted((d.start, d.end) for d in machine.unavailable if d.end > d.start)
        self.down: list[tuple[int, int]] = []
        for span in spans:
            if self.down and span[0] <= self.down[-1][1]:
                self.down[-1] = (self.down[-1][0], max(self.down[-1][1], span[1]))
            else:
                self.down.append(span)
        self.starts = [d[0] for d in self.down]
        self.ahead = sorted(kept, key=lambda o: (o.start, o.end))
        self.free = 0
        self.family: str | None = None

    def _clear(self, begin: int, end: int) -> bool:
        """No downtime meets ``[begin, end)``."""
        index = max(0, bisect.bisect_right(self.starts, begin) - 1)
        for start, stop in self.down[index:]:
            if start >= end:
                return True
            if stop > begin and start < end:
                return False
        return True

    def _fit(self, start: int, setup: int, duration: int) -> int:
        """The first start at or after ``start`` whose setup and run avoid downtime."""
        index = max(0, bisect.bisect_right(self.starts, start - setup) - 1)
        while index < len(self.down):
            down_start, down_end = self.down[index]
            if down_end <= start - setup:
                index += 1
                continue
            if down_start >= start + duration:
                break
            start = down_end + setup
            index += 1
        return start

    def _setup(self, source: str | None, to: str) -> int:
        return 0 if source is None else self.problem.setup_time(self.id, source, to)

    def earliest(self, ready: int, family: str, duration: int) -> tuple[int, int]:
        """(start, how many kept operations it comes after) for an operation."""
        free, last, passed = self.free, self.family, 0
        while True:
            setup = self._setup(last, family)
            start = self._fit(max(ready, free + setup), setup, duration)
            if passed == len(self.ahead) or self._before(start + duration, family, passed):
                return start, passed
            kept = self.ahead[passed]
            free, last = max(free, kept.end), self.problem.job(kept.job).setup_family
            passed += 1

    def _before(self, end: int, family: str, index: int) -> bool:
        """An operation ending at ``end`` leaves room for the next kept one's changeover."""
        kept = self.ahead[index]
        setup = self._setup(family, self.problem.job(kept.job).setup_family)
        return end + setup <= kept.start and self._clear(kept.start - setup, kept.start)

    def commit(self, start: int, end: int, family: str, passed: int) -> None:
        for kept in self.ahead[:passed]:
            self.free = max(self.free, kept.end)
        del self.ahead[:passed]
        self.free, self.family = end, family


def right_shift(
    problem: Problem,
    kept: Sequence[ScheduledOperation],
    order: Sequence[tuple[Key, int | None]],
    now: int,
) -> Plan:
    """Keep ``kept``; place each operation of ``order`` (key and machine, None: the one
    finishing first) after the ones before it, not before ``now``. Raises
    :class:`NoPlanError` when an operation cannot end by the problem's horizon."""
    lanes = {
        m.id: _Lane(problem, m, [op for op in kept if op.machine == m.id]) for m in problem.machines
    }
    ends = {(op.job, op.operation): op.end for op in kept}
    placed: list[ScheduledOperation] = []
    for (job_id, index), machine in order:
        job = problem.job(job_id)
        ready = max(now, job.release if index == 0 else ends[(job_id, index - 1)])
        operation = job.operations[index]
        machines = operation.machines if machine is None else (machine,)
        best: tuple[int, int, int, int] | None = None
        for candidate in machines:
            duration = operation.time_on(candidate) or 0
            start, passed = lanes[candidate].earliest(ready, job.setup_family, duration)
            if best is None or start + duration < best[1] + best[0]:
                best = (start, duration, candidate, passed)
        assert best is not None
        start, duration, chosen, passed = best
        if problem.horizon is not None and start + duration > problem.horizon:
            raise NoPlanError(f"{job.label}, operation {index} cannot end by the horizon")
        lanes[chosen].commit(start, start + duration, job.setup_family, passed)
        ends[(job_id, index)] = start + duration
        placed.append(ScheduledOperation(job_id, index, chosen, start, start + duration))
    operations = tuple(sorted(with_setups(problem, [*kept, *placed])))
    info = SolverInfo("right-shift", "heuristic")
    return Plan(problem, operations, evaluate(problem, operations), info)
