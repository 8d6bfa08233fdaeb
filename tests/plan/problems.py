"""Small problems for the plan tests, and where the benchmark files are."""

from __future__ import annotations

import random
from pathlib import Path

from shopfloor.plan import Job, Machine, Operation, Option, Problem

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
FT06 = DATA / "jssp" / "ft06.txt"
MK01 = DATA / "fjsp" / "mk01.txt"


def op(*options: tuple[int, int]) -> Operation:
    """An operation from ``(machine, time)`` pairs."""
    return Operation(tuple(Option(m, t) for m, t in options))


def two_by_two() -> Problem:
    """Two jobs, two machines: job 0 runs m0 (3) then m1 (2), job 1 runs m1 (2) then m0 (4).

    The optimal makespan is 7: job 1 first on m1 (0-2), job 0 on m0 (0-3); job 0 on m1
    (3-5), job 1 on m0 (3-7).
    """
    return Problem(
        jobs=(
            Job(0, (op((0, 3)), op((1, 2)))),
            Job(1, (op((1, 2)), op((0, 4)))),
        ),
        machines=(Machine(0), Machine(1)),
    )


def random_shop(jobs: int, machines: int, *, choices: int = 1, seed: int = 0) -> Problem:
    """A random (flexible) job shop: each job visits every machine once in a random order;
    each operation may also run on ``choices - 1`` other machines, a little slower. Due dates
    and weights are set so that tardiness rules have something to work with."""
    rng = random.Random(seed)
    built = []
    for job_id in range(jobs):
        order = rng.sample(range(machines), machines)
        ops = []
        for machine in order:
            time = rng.randint(1, 99)
            others = rng.sample([m for m in range(machines) if m != machine], choices - 1)
            options = [(machine, time), *((m, time + rng.randint(0, 20)) for m in others)]
            ops.append(op(*options))
        due = rng.randint(50 * machines, 100 * machines)
        built.append(Job(job_id, tuple(ops), due=due, weight=float(rng.randint(1, 3))))
    return Problem(jobs=tuple(built), machines=tuple(Machine(m) for m in range(machines)))
