"""The twin runs a plan of its own line, and a breakdown in the twin replans it.

Eight orders of the default plant (stamping, two machining centres, welding, washing,
painting, curing, assembly, testing) are planned by CP-SAT and run on the twin, seed 1, on
simulated time. In the disrupted run ``cnc1`` fails two hours in and is repaired for two
hours; the twin's own faults go on as usual (one of them, on ``cnc2``, lasts long enough
to replan too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import pytest

from shopfloor.model.clock import NS_PER_S
from shopfloor.plan.check import check_plan
from shopfloor.plan.cpsat import SolveOptions, solve
from shopfloor.plan.errors import PlanError
from shopfloor.plan.execute import PlanExecution, planned_completion
from shopfloor.plan.model import Plan
from shopfloor.plan.orderbook import line_problem, sample_order_book
from shopfloor.plan.replan import ReplanOptions
from shopfloor.sim import Twin, default_plant

# 2026-11-26 08:00 UTC, 09:00 in Berlin: the early shift's break (09:30-10:00) comes first.
START_NS = 1_795_680_000 * NS_PER_S
HOUR = 3600.0
QUICK = ReplanOptions(time_limit=30.0, workers=1, deterministic_time=1.0)
FAILED = "acme/stuttgart/fabrication/line1/cnc1"


@pytest.fixture(scope="module")
def plan() -> Plan:
    plant = default_plant()
    orders = sample_order_book(plant, start_ns=START_NS, count=8, seed=1, slack=1.2)
    problem = line_problem(plant, orders, start_ns=START_NS, horizon_s=3 * 86_400)
    deterministic = {"max_deterministic_time": 2.0}
    return solve(problem, SolveOptions(time_limit=30.0, workers=1, parameters=deterministic))


@pytest.fixture(scope="module")
def undisturbed(plan: Plan) -> PlanExecution:
    """The plan on the twin, no replanning (min_repair_s infinite)."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    execution = PlanExecution(twin, plan, options=QUICK, min_repair_s=float("inf"))
    execution.run(until_s=2 * 86_400)
    return execution


@pytest.fixture(scope="module")
def disrupted(plan: Plan) -> PlanExecution:
    """The plan on the twin; cnc1 fails after two hours and is repaired for two hours."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    execution = PlanExecution(twin, plan, options=QUICK)
    execution.run(until_s=2 * HOUR)
    twin.inject_fault("cnc1", "spindle_crash", 2 * HOUR)
    execution.run(until_s=2 * 86_400)
    return execution


@pytest.fixture(scope="module")
def own_faults(plan: Plan) -> PlanExecution:
    """The plan on the twin, replanning for every fault of a minute or more."""
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    execution = PlanExecution(twin, plan, options=QUICK, min_repair_s=60)
    execution.run(until_s=2 * 86_400)
    return execution


def lot_machines(plan: Plan) -> dict[tuple[str, str], str]:
    problem = plan.problem
    return {
        (problem.job(op.job).order, problem.job(op.job).operations[op.operation].name):
            problem.machine(op.machine).name
        for op in plan.operations
    }  # fmt: skip


def runs(sequence: list[str]) -> list[str]:
    """The sequence without repeats in a row."""
    return [x for i, x in enumerate(sequence) if i == 0 or sequence[i - 1] != x]


def test_the_plan_itself_is_feasible(plan: Plan) -> None:
    assert check_plan(plan) == []


def test_every_part_is_made_on_the_machine_the_plan_gives_its_lot(
    undisturbed: PlanExecution, plan: Plan
) -> None:
    planned = lot_machines(plan)
    assert all(planned[(p.order, p.station)] == p.machine for p in undisturbed.log)


def test_the_first_station_starts_the_orders_in_the_plans_sequence(
    undisturbed: PlanExecution, plan: Plan
) -> None:
    pressed = runs([p.order for p in undisturbed.log if p.machine == "press1"])
    sequence = [plan.problem.job(op.job).order for op in plan.by_machine()[0]]
    assert pressed == sequence


def test_no_order_starts_before_its_release(undisturbed: PlanExecution, plan: Plan) -> None:
    for job in plan.problem.jobs:
        first = min(p.t for p in undisturbed.log if p.order == job.order)
        assert first >= job.release


def test_the_plan_runs_to_the_end_without_replanning(undisturbed: PlanExecution) -> None:
    assert undisturbed.done
    assert undisturbed.replannings == []


def test_the_twins_breakdown_triggers_a_replanning(disrupted: PlanExecution) -> None:
    first = disrupted.replannings[0]
    assert (first.failure.machine, first.failure.kind) == (FAILED, "injected")
    assert first.at_s - first.failure.t <= 60  # noticed within the twin step


def test_every_replanned_schedule_passes_the_independent_checker(
    disrupted: PlanExecution,
) -> None:
    assert [check_plan(r.plan) for r in disrupted.replannings] == [[]] * len(disrupted.replannings)


def test_the_replanned_schedule_keeps_the_failed_machine_idle_for_its_repair(
    disrupted: PlanExecution,
) -> None:
    first = disrupted.replannings[0]
    repaired = first.failure.t + first.failure.repair_s
    cnc1 = next(m.id for m in first.plan.problem.machines if m.name == "cnc1")
    on_cnc1 = [op for op in first.plan.operations if op.machine == cnc1]
    assert all(op.start - op.setup >= repaired or op.end <= first.failure.t for op in on_cnc1)


def test_replanning_starts_nothing_before_now(disrupted: PlanExecution) -> None:
    for record in disrupted.replannings:
        assert min(op.start - op.setup for op in record.plan.operations) >= record.at_s


def test_lots_in_progress_on_working_machines_continue_there(disrupted: PlanExecution) -> None:
    first = disrupted.replannings[0]
    assert first.fixed >= 1
    before = lot_machines(disrupted.original)
    after = lot_machines(first.plan)
    busy = {
        lot: machine
        for lot, machine in before.items()
        if machine != "cnc1" and was_running(disrupted, lot, first.at_s)
    }
    assert busy
    assert all(after[lot] == machine for lot, machine in busy.items() if lot in after)


def was_running(execution: PlanExecution, lot: tuple[str, str], t: float) -> bool:
    parts = [p.t for p in execution.log if (p.order, p.station) == lot]
    return bool(parts) and min(parts) < t < max(parts)


def test_the_other_machines_keep_producing_during_the_repair(disrupted: PlanExecution) -> None:
    failure = disrupted.replannings[0].failure
    during = Counter(
        p.machine
        for p in disrupted.log
        if failure.t < p.t < failure.t + failure.repair_s and p.good
    )  # a part finished at the failure's instant was made before it (faults end the cycle)
    assert during["cnc1"] == 0
    assert during["cnc2"] >= 100  # 41 s a part: most of the two hours
    assert during["test1"] >= 100  # the line still ships


def test_every_order_is_finished_despite_the_breakdown(disrupted: PlanExecution) -> None:
    assert disrupted.done
    assert sorted(disrupted.completed) == sorted(disrupted.orders)


def test_the_twins_own_faults_trigger_replanning_too(own_faults: PlanExecution) -> None:
    faults = [f for f in own_faults.twin.truth.failures if f.repair_s >= 60]
    assert faults  # the twin failed on its own during the run
    assert [r.failure for r in own_faults.replannings] == faults
    assert all(check_plan(r.plan) == [] for r in own_faults.replannings)
    assert own_faults.done


def test_a_fault_shorter_than_the_threshold_leaves_the_plan_alone(
    disrupted: PlanExecution,
) -> None:
    failures = disrupted.twin.truth.failures
    assert any(f.repair_s < 900 for f in failures)  # the twin's own cnc2 fault of 14 min
    assert [r.failure for r in disrupted.replannings] == [f for f in failures if f.repair_s >= 900]


def test_the_line_finishes_close_to_the_replanned_makespan(disrupted: PlanExecution) -> None:
    actual = max(disrupted.completed.values())
    planned = max(planned_completion(disrupted.plan).values())
    assert actual <= 1.1 * planned


def test_a_plan_for_another_start_is_refused(plan: Plan) -> None:
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS + NS_PER_S)
    with pytest.raises(PlanError, match="epoch"):
        PlanExecution(twin, plan)


def test_a_plan_with_a_shifted_epoch_is_refused(plan: Plan) -> None:
    moved = dataclasses.replace(plan.problem, epoch=dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC))
    twin = Twin.from_plant(default_plant(), seed=1, start_ns=START_NS)
    with pytest.raises(PlanError, match="epoch"):
        PlanExecution(twin, dataclasses.replace(plan, problem=moved))
