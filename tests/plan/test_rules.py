"""Dispatching rules: each builds feasible plans (calendars, setups, releases, machine
choice included), orders work as its name says, and stays fast on big shops."""

from __future__ import annotations

import time

import pytest

from shopfloor.plan import (
    Downtime,
    Job,
    Machine,
    NoPlanError,
    Problem,
    Rule,
    Setup,
    best_rule_plan,
    check_plan,
    dispatch,
    read_fjs,
    read_jsp,
)
from tests.plan.problems import FT06, MK01, op, random_shop


def calendar_and_setup_shop() -> Problem:
    """Three machines with breaks and changeovers, releases and two-machine choices."""
    down = (Downtime(5, 7, "break"), Downtime(20, 30, "maintenance"))
    jobs = tuple(
        Job(
            i,
            (op((0, 3 + i), (1, 4)), op((2, 2 + i % 3)), op((1, 3), (2, 5))),
            family="ab"[i % 2],
            release=i,
            due=15 + 2 * i,
        )
        for i in range(6)
    )
    setups = tuple(Setup(m, a, b, 2) for m in range(3) for a, b in (("a", "b"), ("b", "a")))
    return Problem(
        jobs=jobs,
        machines=(Machine(0, unavailable=down), Machine(1), Machine(2, unavailable=down[:1])),
        setups=setups,
    )


PROBLEMS = {
    "ft06": lambda: read_jsp(FT06),
    "mk01": lambda: read_fjs(MK01),
    "random flexible": lambda: random_shop(10, 5, choices=2, seed=3),
    "calendars and setups": calendar_and_setup_shop,
}


@pytest.mark.parametrize("rule", list(Rule))
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_every_rule_builds_a_feasible_plan(rule: Rule, name: str) -> None:
    plan = dispatch(PROBLEMS[name](), rule)

    assert check_plan(plan) == []
    assert plan.solver.method == f"rule:{rule.value}"


def starts(problem: Problem, rule: Rule) -> list[int]:
    """Job ids in the order the rule started them."""
    plan = dispatch(problem, rule)
    return [o.job for o in sorted(plan.operations, key=lambda o: o.start) if o.operation == 0]


def one_machine(times: list[int], dues: list[int | None], weights: list[float]) -> Problem:
    jobs = tuple(
        Job(i, (op((0, t)),), due=d, weight=w)
        for i, (t, d, w) in enumerate(zip(times, dues, weights, strict=True))
    )
    return Problem(jobs=jobs, machines=(Machine(0),))


def test_spt_starts_the_shortest_operation_first() -> None:
    assert starts(one_machine([3, 1, 2], [None] * 3, [1.0] * 3), Rule.SPT) == [1, 2, 0]


def test_edd_starts_the_earliest_due_date_first() -> None:
    assert starts(one_machine([1, 1, 1], [9, 5, 1], [1.0] * 3), Rule.EDD) == [2, 1, 0]


def test_mwkr_starts_the_job_with_most_work_left_first() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 2)), op((1, 10)))), Job(1, (op((0, 1)),))),
        machines=(Machine(0), Machine(1)),
    )

    assert starts(problem, Rule.MWKR) == [0, 1]
    assert starts(problem, Rule.SPT) == [1, 0]


def test_atc_starts_the_heavy_urgent_job_first() -> None:
    problem = one_machine([2, 2], [100, 2], [1.0, 5.0])

    assert starts(problem, Rule.ATC) == [1, 0]


def test_rules_wait_for_releases_and_work_around_breaks() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 3)),), release=2),),
        machines=(Machine(0, unavailable=(Downtime(4, 6),)),),
    )

    placed = dispatch(problem, Rule.SPT).operations[0]

    assert (placed.start, placed.end) == (6, 9)


def test_a_rule_that_cannot_meet_the_horizon_says_so() -> None:
    problem = Problem(jobs=(Job(0, (op((0, 3)), op((0, 3)))),), machines=(Machine(0),), horizon=5)

    with pytest.raises(NoPlanError, match="job 0, operation 1 cannot end by the horizon"):
        dispatch(problem, Rule.SPT)


def test_the_best_rule_plan_is_the_lowest_of_all_rules() -> None:
    problem = read_jsp(FT06)

    best = best_rule_plan(problem)

    assert best.objectives.makespan == min(dispatch(problem, r).objectives.makespan for r in Rule)


@pytest.mark.parametrize("choices", [1, 3])
def test_rules_plan_100_jobs_on_20_machines_in_seconds(choices: int) -> None:
    problem = random_shop(100, 20, choices=choices, seed=1)

    began = time.perf_counter()
    plans = [dispatch(problem, rule) for rule in Rule]
    seconds = time.perf_counter() - began

    assert seconds < 12, f"four rules took {seconds:.1f} s"
    assert all(len(p.operations) == 2000 for p in plans)
    assert check_plan(plans[0]) == []
