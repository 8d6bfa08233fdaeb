"""The CP-SAT solver: optimal on small problems with hand-computed optima (calendars,
setups, tardiness, energy, weighted objectives), checked by the independent checker, warm
started, reporting progress, and honouring the replanning inputs."""

from __future__ import annotations

import pytest

from shopfloor.plan import (
    Downtime,
    Job,
    Machine,
    MachinePower,
    NoPlanError,
    ObjectiveWeights,
    Plan,
    Problem,
    Progress,
    ScheduledOperation,
    Setup,
    SolveOptions,
    Tariff,
    TariffPeriod,
    best_rule_plan,
    check_plan,
    read_fjs,
    read_jsp,
    solve,
)
from shopfloor.plan.cpsat import without_slow_options
from tests.plan.problems import FT06, MK01, op, random_shop, two_by_two

QUICK = SolveOptions(time_limit=5.0, workers=2)


def solved(problem: Problem, options: SolveOptions = QUICK) -> Plan:
    plan = solve(problem, options)
    assert check_plan(plan) == []
    return plan


def test_ft06_is_solved_to_its_optimum_55_within_seconds() -> None:
    plan = solved(read_jsp(FT06), SolveOptions(time_limit=10.0))

    assert plan.objectives.makespan == 55
    assert plan.solver.status == "optimal"
    assert plan.solver.seconds < 10


def test_mk01_flexible_job_shop_reaches_its_optimum_40() -> None:
    plan = solved(read_fjs(MK01), SolveOptions(time_limit=10.0))

    assert plan.objectives.makespan == 40


def test_two_by_two_is_solved_to_seven() -> None:
    assert solved(two_by_two()).objectives.makespan == 7


def test_a_break_is_worked_around_without_splitting_an_operation() -> None:
    # Job 0: 4 on m0. Job 1: 2 on m0, then 3 on m1. m0 breaks during [4, 6).
    # Job 0 first: 0-4, job 1 waits for the break: 6-8, 8-11 -> 11.
    # Job 1 first: 0-2 (then m1 2-5), job 0 cannot run 2-6 across the break: 6-10 -> 10.
    problem = Problem(
        jobs=(Job(0, (op((0, 4)),)), Job(1, (op((0, 2)), op((1, 3))))),
        machines=(Machine(0, unavailable=(Downtime(4, 6, "break"),)), Machine(1)),
    )

    plan = solved(problem)

    assert plan.objectives.makespan == 10
    assert (plan.operation(0, 0).start, plan.operation(0, 0).end) == (6, 10)


def family_jobs(down: tuple[Downtime, ...] = (), setup: int = 5) -> Problem:
    jobs = tuple(Job(i, (op((0, 2)),), family="ab"[i % 2]) for i in range(4))
    return Problem(
        jobs=jobs,
        machines=(Machine(0, unavailable=down),),
        setups=(Setup(0, "a", "b", setup), Setup(0, "b", "a", setup)),
    )


def test_setups_group_families_to_change_over_once() -> None:
    # a a (setup 5) b b: 2 + 2 + 5 + 2 + 2 = 13; alternating would cost three setups (23).
    plan = solved(family_jobs())

    assert plan.objectives.makespan == 13
    assert sorted(o.setup for o in plan.operations) == [0, 0, 0, 5]


def test_a_setup_must_not_run_through_a_break() -> None:
    # Break [3, 4), setup 1 right before its operation: a 0-2, a 4-6 (after the break),
    # setup 6-7, b 7-9, b 9-11 -> 11. Setting up during the break would give 10.
    plan = solved(family_jobs(down=(Downtime(3, 4, "break"),), setup=1))

    assert plan.objectives.makespan == 11


def test_weighted_tardiness_is_minimised() -> None:
    # Times 4, 1, 2; due 4, 1, 3; weights 1, 10, 1. Best: job 1 (ends 1), job 2 (ends 3),
    # job 0 (ends 7, 3 late): 3. Job 0 before job 2 would cost 1 + 4 = 5.
    problem = Problem(
        jobs=(
            Job(0, (op((0, 4)),), due=4),
            Job(1, (op((0, 1)),), due=1, weight=10.0),
            Job(2, (op((0, 2)),), due=3),
        ),
        machines=(Machine(0),),
        objective=ObjectiveWeights(makespan=0.0, total_weighted_tardiness=1.0),
    )

    plan = solved(problem)

    assert plan.objectives.total_weighted_tardiness == pytest.approx(3.0)
    assert [o.job for o in sorted(plan.operations, key=lambda o: o.start)] == [1, 2, 0]


def energy_problem(weights: ObjectiveWeights) -> Problem:
    """3600 kW, so one tick costs its price. Cheap (0.1) during [0, 6) of each 24; else 0.4.
    Two jobs of 4 ticks, released at 2."""
    return Problem(
        jobs=(Job(0, (op((0, 4)),), release=2), Job(1, (op((0, 4)),), release=2)),
        machines=(Machine(0, power=MachinePower(running=3600.0)),),
        tariff=Tariff(0.4, (TariffPeriod(0, 6, 0.1),), cycle=24),
        objective=weights,
    )


def test_energy_cost_alone_moves_work_into_cheap_hours() -> None:
    # One job 2-6 (0.4), the other in the next cheap window [24, 30) (0.4): 0.8.
    plan = solved(energy_problem(ObjectiveWeights(0.0, 0.0, 1.0)))

    first, second = sorted(plan.operations, key=lambda o: o.start)
    assert plan.objectives.energy_cost == pytest.approx(0.8)
    assert (first.start, first.end) == (2, 6)
    assert second.start >= 24
    assert second.end <= 30


def test_makespan_and_energy_combine_by_their_weights() -> None:
    # Back to back 2-6, 6-10: makespan 10, energy 0.4 + 1.6 -> 10 + 10 * 2.0 = 30.
    # Waiting for the cheap window: 28 + 10 * 0.8 = 36. So back to back wins.
    plan = solved(energy_problem(ObjectiveWeights(1.0, 0.0, 10.0)))

    assert plan.objectives.makespan == 10
    assert plan.objectives.energy_cost == pytest.approx(2.0)


def test_the_solver_starts_from_the_best_rule_and_is_never_worse() -> None:
    problem = random_shop(8, 4, choices=2, seed=5)

    plan = solved(problem, SolveOptions(time_limit=3.0))

    rule = best_rule_plan(problem)
    assert plan.objectives.makespan <= rule.objectives.makespan
    assert str(plan.solver.details["warm_start"]).startswith("rule:")


def test_progress_is_reported_as_plans_improve() -> None:
    events: list[Progress] = []

    solve(read_jsp(FT06), SolveOptions(time_limit=10.0), events.append)

    assert events
    assert events[-1].objective == 55
    objectives = [e.objective for e in events]
    assert objectives == sorted(objectives, reverse=True)


def test_fixed_operations_stay_and_the_rest_start_after_not_before() -> None:
    problem = two_by_two()
    fixed = (ScheduledOperation(1, 0, 1, 0, 2),)

    plan = solved(problem, SolveOptions(time_limit=5.0, fixed=fixed, not_before=4))

    assert plan.operation(1, 0) == fixed[0]
    assert all(o.start >= 4 for o in plan.operations if (o.job, o.operation) != (1, 0))


def test_overlapping_downtime_of_one_machine_is_planned_around_as_one_span() -> None:
    down = (Downtime(0, 10, "break"), Downtime(5, 20, "breakdown"), Downtime(20, 22, "break"))
    problem = Problem(jobs=(Job(0, (op((0, 3)),)),), machines=(Machine(0, unavailable=down),))

    plan = solved(problem)

    assert plan.operation(0, 0).start == 22


def test_a_changeover_after_not_before_is_not_planned_in_the_past() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 10)),), family="a"), Job(1, (op((0, 4)),), family="b")),
        machines=(Machine(0),),
        setups=(Setup(0, "a", "b", 5),),
    )
    fixed = (ScheduledOperation(0, 0, 0, 0, 10),)

    plan = solved(problem, SolveOptions(time_limit=5.0, fixed=fixed, not_before=12))

    assert plan.operation(1, 0).start == 17


def test_with_a_reference_an_equally_good_plan_moves_nothing() -> None:
    problem = Problem(jobs=(Job(0, (op((0, 2), (1, 2)),)),), machines=(Machine(0), Machine(1)))
    reference = (ScheduledOperation(0, 0, 1, 0, 2),)

    plan = solved(problem, SolveOptions(reference=reference, stability_weight=0.5))

    assert plan.operations == reference


def test_an_impossible_horizon_is_reported_as_no_plan() -> None:
    problem = Problem(jobs=(Job(0, (op((0, 3)), op((0, 3)))),), machines=(Machine(0),), horizon=5)

    with pytest.raises(NoPlanError):
        solve(problem, QUICK)


def test_the_search_phase_may_leave_out_much_slower_machines_but_not_used_ones() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 2), (1, 3), (2, 9)), op((0, 4), (2, 8)))),),
        machines=(Machine(0), Machine(1), Machine(2)),
    )
    used = (ScheduledOperation(0, 1, 2, 2, 10),)

    lean = without_slow_options(problem, 1.5, used)
    two = without_slow_options(problem, 1.0, (), keep_fastest=2)

    assert [o.machines for o in lean.job(0).operations] == [(0, 1), (0, 2)]
    assert [o.machines for o in two.job(0).operations] == [(0, 1), (0, 2)]
    assert without_slow_options(problem, 1.0, ()).job(0).operations[0].machines == (0,)
