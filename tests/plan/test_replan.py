"""Replanning: the past stays, the frozen horizon holds, the rest changes as little as needed.

The plan in execution (ticks)::

    saw    | A 0-10 | B 10-25 | C 25-35 |
    mill   |        | A 10-30 |         C 35-65     |
    mill2  |                  B 25-45 |
    paint  |                  A 30-40 | B 45-55 |   C 65-80 |

Every new plan is verified by the independent checker.
"""

from __future__ import annotations

import dataclasses

import pytest

from shopfloor.plan.check import check_plan
from shopfloor.plan.errors import PlanError
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    ObjectiveWeights,
    Operation,
    Option,
    Plan,
    Problem,
    ScheduledOperation,
    Setup,
    SolverInfo,
    evaluate,
)
from shopfloor.plan.replan import (
    Breakdown,
    Interrupted,
    MaterialDelay,
    Replan,
    ReplanOptions,
    RushOrder,
    count_moves,
    replan,
    with_downtime,
)

SAW, MILL, MILL2, PAINT = 0, 1, 2, 3
FAST = ReplanOptions(time_limit=30.0, workers=1, deterministic_time=1.0)


def ops(*steps: dict[int, int]) -> tuple[Operation, ...]:
    return tuple(Operation(tuple(Option(m, t) for m, t in step.items())) for step in steps)


def the_plan(setups: tuple[Setup, ...] = ()) -> Plan:
    jobs = (
        Job(0, ops({SAW: 10}, {MILL: 20, MILL2: 25}, {PAINT: 10}), "A", product="a", due=60),
        Job(1, ops({SAW: 15}, {MILL: 20, MILL2: 20}, {PAINT: 10}), "B", product="a", due=80),
        Job(2, ops({SAW: 10}, {MILL: 30, MILL2: 30}, {PAINT: 15}), "C", product="a", due=120,
            weight=2),
    )  # fmt: skip
    machines = (Machine(SAW, "saw"), Machine(MILL, "mill"), Machine(MILL2, "mill2"),
                Machine(PAINT, "paint", (Downtime(90, 100, "break"),)))  # fmt: skip
    weights = ObjectiveWeights(makespan=1, total_weighted_tardiness=1)
    problem = Problem(jobs=jobs, machines=machines, setups=setups, objective=weights, horizon=400)
    planned = (
        ScheduledOperation(0, 0, SAW, 0, 10),
        ScheduledOperation(1, 0, SAW, 10, 25),
        ScheduledOperation(2, 0, SAW, 25, 35),
        ScheduledOperation(0, 1, MILL, 10, 30),
        ScheduledOperation(2, 1, MILL, 35, 65),
        ScheduledOperation(1, 1, MILL2, 25, 45),
        ScheduledOperation(0, 2, PAINT, 30, 40),
        ScheduledOperation(1, 2, PAINT, 45, 55),
        ScheduledOperation(2, 2, PAINT, 65, 80),
    )
    plan = Plan(problem, planned, evaluate(problem, planned), SolverInfo("hand", "feasible"))
    assert check_plan(plan) == []
    return plan


def where(plan: Plan, job: int, index: int) -> tuple[int, int, int]:
    op = plan.operation(job, index)
    return op.machine, op.start, op.end


@pytest.fixture(scope="module")
def mill_breaks() -> Replan:
    """The mill breaks at 15 for 30 ticks (A's milling is interrupted); replanned at 20."""
    return replan(the_plan(), 20, [Breakdown(MILL, 15, 30)], FAST)


def test_a_replanned_plan_passes_the_independent_checker(mill_breaks: Replan) -> None:
    assert check_plan(mill_breaks.plan) == []


def test_finished_operations_keep_machine_start_and_end(mill_breaks: Replan) -> None:
    assert where(mill_breaks.plan, 0, 0) == (SAW, 0, 10)
    assert mill_breaks.finished == 1


def test_running_operations_keep_machine_start_and_end(mill_breaks: Replan) -> None:
    assert where(mill_breaks.plan, 1, 0) == (SAW, 10, 25)
    assert mill_breaks.running == 1


def test_the_breakdown_is_downtime_of_the_broken_machine(mill_breaks: Replan) -> None:
    downs = mill_breaks.plan.problem.machine(MILL).unavailable
    assert Downtime(15, 45, "breakdown") in downs


def test_the_interrupted_operation_restarts_in_full_after_now(mill_breaks: Replan) -> None:
    machine, start, end = where(mill_breaks.plan, 0, 1)
    assert mill_breaks.interrupted == ((0, 1),)
    assert start >= 20
    assert end - start == {MILL: 20, MILL2: 25}[machine]
    assert machine == MILL2 or start >= 45


def test_nothing_new_starts_before_now(mill_breaks: Replan) -> None:
    kept = {(0, 0), (1, 0)}
    moved = [op for op in mill_breaks.plan.operations if (op.job, op.operation) not in kept]
    assert min(op.start - op.setup for op in moved) >= 20


def test_the_kpis_before_are_the_old_plans_and_after_the_new_plans(mill_breaks: Replan) -> None:
    assert mill_breaks.before == the_plan().objectives
    assert mill_breaks.after == mill_breaks.plan.objectives
    assert mill_breaks.moved == count_moves(the_plan().operations, mill_breaks.plan.operations)


def test_replanning_is_never_worse_than_the_right_shift(mill_breaks: Replan) -> None:
    weights = mill_breaks.plan.problem.objective
    assert mill_breaks.after.weighted(weights) <= mill_breaks.right_shift.weighted(weights)


def test_the_new_plan_says_it_is_a_replanning_at_now(mill_breaks: Replan) -> None:
    solver = mill_breaks.plan.solver
    assert (solver.method, solver.details["now"], solver.details["events"]) == (
        "replan",
        20,
        "breakdown",
    )


def test_operations_in_the_frozen_horizon_keep_their_place() -> None:
    result = replan(the_plan(), 20, [Breakdown(MILL, 15, 30)], dataclasses.replace(FAST, frozen=10))
    assert check_plan(result.plan) == []
    assert where(result.plan, 2, 0) == (SAW, 25, 35)  # C's sawing starts at 25 < 20 + 10
    assert where(result.plan, 1, 1) == (MILL2, 25, 45)  # and so does B's milling
    assert result.frozen_kept == 2


def test_a_frozen_operation_on_the_broken_machine_is_released() -> None:
    # The mill breaks at 30 for 40: C's milling (35-65) cannot stay although frozen.
    result = replan(the_plan(), 30, [Breakdown(MILL, 30, 40)], dataclasses.replace(FAST, frozen=20))
    assert check_plan(result.plan) == []
    assert where(result.plan, 2, 1) != (MILL, 35, 65)
    assert result.frozen_released >= 1


def test_a_frozen_operation_whose_predecessor_moved_is_released() -> None:
    # A's painting (30-40) follows A's interrupted milling, so it cannot stay at 30.
    result = replan(the_plan(), 20, [Breakdown(MILL, 15, 30)], dataclasses.replace(FAST, frozen=20))
    assert check_plan(result.plan) == []
    assert result.plan.operation(0, 2).start >= result.plan.operation(0, 1).end


def test_resume_plans_only_the_interrupted_operations_unfinished_share() -> None:
    options = dataclasses.replace(FAST, interrupted=Interrupted.RESUME)
    result = replan(the_plan(), 20, [Breakdown(MILL, 15, 30)], options)
    assert check_plan(result.plan) == []
    resumed = result.plan.problem.job(0).operations[1]
    assert (resumed.time_on(MILL), resumed.time_on(MILL2)) == (15, 19)  # 15 of 20 ticks left


def test_a_rush_order_is_planned_from_now_and_its_release() -> None:
    rush = Job(7, ops({SAW: 5}, {MILL: 5, MILL2: 5}, {PAINT: 5}), "RUSH", product="a",
               release=22, due=50, weight=10)  # fmt: skip
    result = replan(the_plan(), 20, [RushOrder(rush)], FAST)
    assert check_plan(result.plan) == []
    assert result.plan.operation(7, 0).start >= 22
    assert result.plan.completion(7) <= 50  # worth ten times the others: on time


def test_a_rush_order_does_not_count_as_a_moved_operation() -> None:
    rush = Job(7, ops({SAW: 5}, {MILL: 5}, {PAINT: 5}), "RUSH", product="a", release=200)
    result = replan(the_plan(), 20, [RushOrder(rush)], FAST)
    assert result.moved.total == 0
    assert result.plan.operation(7, 0).start >= 200


def test_a_material_delay_holds_the_order_back_until_the_material_is_there() -> None:
    result = replan(the_plan(), 20, [MaterialDelay(2, 50)], FAST)
    assert check_plan(result.plan) == []
    assert result.plan.problem.job(2).release == 50
    assert result.plan.operation(2, 0).start >= 50


def test_a_material_delay_for_an_order_in_production_is_an_error() -> None:
    with pytest.raises(PlanError, match="order B is already in production"):
        replan(the_plan(), 20, [MaterialDelay(1, 50)], FAST)


def test_an_event_that_touches_no_work_moves_nothing() -> None:
    # Paint is idle from 55 to 65 in the plan, and the plan cannot end sooner than 80 (C).
    result = replan(the_plan(), 50, [Breakdown(PAINT, 56, 5)], FAST)
    assert result.moved.total == 0
    assert result.after == result.before


def test_stability_comes_second_to_the_objective() -> None:
    # Moving B's painting and C's everything earlier cannot shorten the plan below C's
    # chain: with the objective unchanged, no operation moves for nothing.
    result = replan(the_plan(), 30, [Breakdown(MILL2, 200, 10)], FAST)
    assert (result.after.makespan, result.moved.total) == (80, 0)


def test_a_move_cost_trades_objective_for_fewer_moves() -> None:
    lexicographic = replan(the_plan(), 20, [Breakdown(MILL, 15, 30)], FAST)
    costly = replan(the_plan(), 20, [Breakdown(MILL, 15, 30)],
                    dataclasses.replace(FAST, move_cost=1000))  # fmt: skip
    assert check_plan(costly.plan) == []
    assert costly.moved.total <= lexicographic.moved.total
    weights = costly.plan.problem.objective
    assert costly.after.weighted(weights) >= lexicographic.after.weighted(weights)


def test_changeovers_are_planned_after_a_breakdown() -> None:
    setups = (Setup(SAW, "a", "b", 4), Setup(SAW, "b", "a", 4))
    plan = the_plan(setups)
    rush = Job(7, ops({SAW: 5}, {MILL: 5, MILL2: 5}, {PAINT: 5}), "RUSH", product="b",
               release=20, due=60, weight=3)  # fmt: skip
    result = replan(plan, 20, [Breakdown(MILL, 15, 30), RushOrder(rush)], FAST)
    assert check_plan(result.plan) == []
    assert any(op.setup == 4 for op in result.plan.operations if op.machine == SAW)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (Breakdown(9, 0, 10), "unknown machine 9"),
        (Breakdown(MILL, 0, -1), "negative repair"),
        (MaterialDelay(9, 10), "unknown job 9"),
        (RushOrder(Job(1, ops({SAW: 1}))), "job id 1 is taken"),
    ],
)
def test_bad_events_are_plan_errors(
    event: Breakdown | MaterialDelay | RushOrder, message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        replan(the_plan(), 20, [event], FAST)


def test_a_breakdown_across_a_break_is_planned_around() -> None:
    # Paint's break is 90-100; it breaks at 70 for 40 ticks: C's painting (65-80) waits.
    result = replan(the_plan(), 70, [Breakdown(PAINT, 70, 40)], FAST)
    assert check_plan(result.plan) == []
    assert result.plan.operation(2, 2).start >= 110


def test_new_downtime_adds_only_the_time_no_other_downtime_covers() -> None:
    machine = Machine(PAINT, "paint", (Downtime(90, 100, "break"),))
    widened = with_downtime(machine, Downtime(70, 110, "breakdown"))
    assert widened.unavailable == (
        Downtime(70, 90, "breakdown"),
        Downtime(90, 100, "break"),
        Downtime(100, 110, "breakdown"),
    )


def test_nothing_new_nor_its_changeover_is_planned_in_the_past() -> None:
    setups = (Setup(SAW, "a", "b", 4), Setup(SAW, "b", "a", 4))
    rush = Job(7, ops({SAW: 5}, {MILL: 5, MILL2: 5}, {PAINT: 5}), "RUSH", product="b",
               release=0, due=60, weight=3)  # fmt: skip
    result = replan(the_plan(setups), 40, [RushOrder(rush)], FAST)
    assert check_plan(result.plan) == []
    first = result.plan.operation(7, 0)
    assert first.start - first.setup >= 40
