"""The independent checker finds every kind of broken plan (and passes a good one)."""

from __future__ import annotations

import dataclasses

import pytest

from shopfloor.plan import (
    Downtime,
    Job,
    Machine,
    MachinePower,
    Objectives,
    Plan,
    PlanError,
    Problem,
    ScheduledOperation,
    Setup,
    SolverInfo,
    Tariff,
    TariffPeriod,
    ViolationKind,
    assert_feasible,
    check_plan,
    evaluate,
)
from tests.plan.problems import op, two_by_two

GOOD = (
    ScheduledOperation(0, 0, 0, 0, 3),
    ScheduledOperation(1, 0, 1, 0, 2),
    ScheduledOperation(0, 1, 1, 3, 5),
    ScheduledOperation(1, 1, 0, 3, 7),
)


def plan_of(problem: Problem, operations: tuple[ScheduledOperation, ...]) -> Plan:
    """A plan whose objective values are right for its (known) operations."""
    known = [o for o in operations if problem.has_job(o.job)]
    return Plan(problem, operations, evaluate(problem, known), SolverInfo("test", "feasible"))


def kinds(plan: Plan) -> set[ViolationKind]:
    return {v.kind for v in check_plan(plan)}


def replaced(index: int, **changes: int) -> tuple[ScheduledOperation, ...]:
    ops = list(GOOD)
    ops[index] = dataclasses.replace(ops[index], **changes)
    return tuple(ops)


def test_a_good_plan_has_no_violations() -> None:
    plan = plan_of(two_by_two(), GOOD)

    assert check_plan(plan) == []
    assert_feasible(plan)


@pytest.mark.parametrize(
    ("operations", "kind"),
    [
        (GOOD[:3], ViolationKind.MISSING),
        ((*GOOD, GOOD[0]), ViolationKind.DUPLICATE),
        ((*GOOD, ScheduledOperation(7, 0, 0, 10, 11)), ViolationKind.UNKNOWN),
        (replaced(0, machine=1, start=5, end=8), ViolationKind.ELIGIBILITY),
        (replaced(0, end=2), ViolationKind.DURATION),
        (replaced(2, start=2, end=4), ViolationKind.PRECEDENCE),
        (replaced(3, start=2, end=6), ViolationKind.OVERLAP),
    ],
)
def test_each_broken_rule_is_found(
    operations: tuple[ScheduledOperation, ...], kind: ViolationKind
) -> None:
    plan = plan_of(two_by_two(), operations)

    assert kind in kinds(plan)
    with pytest.raises(PlanError, match="infeasible plan"):
        assert_feasible(plan)


def test_an_overlap_hidden_behind_a_short_operation_is_found() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 10)),)), Job(1, (op((0, 1)),)), Job(2, (op((0, 1)),))),
        machines=(Machine(0),),
    )
    ops = (
        ScheduledOperation(0, 0, 0, 0, 10),
        ScheduledOperation(1, 0, 0, 2, 3),
        ScheduledOperation(2, 0, 0, 5, 6),
    )

    found = [v for v in check_plan(plan_of(problem, ops)) if v.kind is ViolationKind.OVERLAP]

    assert len(found) == 2


def test_starting_before_release_is_found() -> None:
    problem = Problem(jobs=(Job(0, (op((0, 2)),), release=5),), machines=(Machine(0),))

    assert kinds(plan_of(problem, (ScheduledOperation(0, 0, 0, 4, 6),))) == {ViolationKind.RELEASE}


def test_running_into_unavailable_time_is_found_and_touching_it_is_fine() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 2)),)),), machines=(Machine(0, unavailable=(Downtime(3, 5),)),)
    )

    assert kinds(plan_of(problem, (ScheduledOperation(0, 0, 0, 2, 4),))) == {
        ViolationKind.UNAVAILABLE
    }
    assert kinds(plan_of(problem, (ScheduledOperation(0, 0, 0, 1, 3),))) == set()
    assert kinds(plan_of(problem, (ScheduledOperation(0, 0, 0, 5, 7),))) == set()


def setup_problem(down: tuple[Downtime, ...] = ()) -> Problem:
    return Problem(
        jobs=(Job(0, (op((0, 2)),), family="a"), Job(1, (op((0, 2)),), family="b")),
        machines=(Machine(0, unavailable=down),),
        setups=(Setup(0, "a", "b", 3),),
    )


def test_a_missing_or_wrong_setup_is_found() -> None:
    no_setup = (ScheduledOperation(0, 0, 0, 0, 2), ScheduledOperation(1, 0, 0, 2, 4))
    short_gap = (ScheduledOperation(0, 0, 0, 0, 2), ScheduledOperation(1, 0, 0, 4, 6, setup=3))
    right = (ScheduledOperation(0, 0, 0, 0, 2), ScheduledOperation(1, 0, 0, 5, 7, setup=3))

    assert kinds(plan_of(setup_problem(), no_setup)) == {ViolationKind.SETUP}
    assert kinds(plan_of(setup_problem(), short_gap)) == {ViolationKind.OVERLAP}
    assert kinds(plan_of(setup_problem(), right)) == set()


def test_a_setup_during_a_break_is_found() -> None:
    ops = (ScheduledOperation(0, 0, 0, 0, 2), ScheduledOperation(1, 0, 0, 5, 7, setup=3))

    assert kinds(plan_of(setup_problem((Downtime(3, 4, "break"),)), ops)) == {
        ViolationKind.UNAVAILABLE
    }


def test_ending_after_the_horizon_is_found() -> None:
    problem = Problem(jobs=(Job(0, (op((0, 2)),)),), machines=(Machine(0),), horizon=5)

    assert kinds(plan_of(problem, (ScheduledOperation(0, 0, 0, 4, 6),))) == {ViolationKind.HORIZON}


def test_wrong_objective_values_are_found() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 3600)),), due=0),),
        machines=(Machine(0, power=MachinePower(running=1.0)),),
        tariff=Tariff(1.0, (TariffPeriod(0, 1800, 0.5),)),
    )
    ops = (ScheduledOperation(0, 0, 0, 0, 3600),)
    info = SolverInfo("test", "feasible")

    right = Plan(problem, ops, Objectives(3600, 3600.0, 0.75), info)
    wrong = [
        Plan(problem, ops, Objectives(3599, 3600.0, 0.75), info),
        Plan(problem, ops, Objectives(3600, 0.0, 0.75), info),
        Plan(problem, ops, Objectives(3600, 3600.0, 1.0), info),
    ]

    assert check_plan(right) == []
    assert [kinds(p) for p in wrong] == [{ViolationKind.OBJECTIVE}] * 3
