"""The scheduling domain: validation that names the order and operation at fault, the
objective values, and the problem and plan JSON files."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from shopfloor.model.calendar import Calendar
from shopfloor.model.calendar_spec import BreakSpec, CalendarSpec, ShiftSpec
from shopfloor.model.errors import InputError
from shopfloor.model.sim_spec import PowerSpec
from shopfloor.plan import (
    Downtime,
    Job,
    Machine,
    MachinePower,
    ObjectiveWeights,
    Operation,
    Plan,
    PlanFormatError,
    Problem,
    ProblemError,
    ScheduledOperation,
    Setup,
    SolverInfo,
    Tariff,
    TariffPeriod,
    downtime_from_calendar,
    evaluate,
    plan_from_dict,
    plan_to_dict,
    problem_from_dict,
    problem_to_dict,
    read_plan,
    read_problem_json,
    write_plan,
)
from tests.plan.problems import op, two_by_two


def test_an_operation_without_eligible_machine_names_the_order_and_operation() -> None:
    job = Job(3, (op((0, 2)), Operation(())), order="A-17")

    with pytest.raises(
        ProblemError, match=r"order A-17, operation 1: has no eligible machine"
    ) as e:
        Problem(jobs=(job,), machines=(Machine(0),))

    assert (e.value.order, e.value.operation) == ("A-17", 1)


def test_a_due_date_before_release_names_the_order() -> None:
    job = Job(0, (op((0, 2)),), order="B-2", release=10, due=5)

    with pytest.raises(ProblemError, match=r"order B-2: due date 5 is before release 10"):
        Problem(jobs=(job,), machines=(Machine(0),))


def test_an_unknown_machine_and_a_negative_time_name_job_and_operation() -> None:
    with pytest.raises(ProblemError, match=r"job 4, operation 0: unknown machine 9"):
        Problem(jobs=(Job(4, (op((9, 2)),)),), machines=(Machine(0),))
    with pytest.raises(ProblemError, match=r"job 4, operation 1: negative processing time -1"):
        Problem(jobs=(Job(4, (op((0, 2)), op((0, -1)))),), machines=(Machine(0),))


def test_problem_errors_are_input_errors_so_the_command_line_exits_2() -> None:
    assert issubclass(ProblemError, InputError)
    assert issubclass(PlanFormatError, InputError)


def test_objectives_are_makespan_weighted_tardiness_and_priced_energy() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 3600)),), due=1800, weight=2.0),),
        machines=(Machine(0, power=MachinePower(running=10.0, setup=4.0)),),
        tariff=Tariff(0.30, (TariffPeriod(0, 1800, 0.10),), cycle=86_400),
    )

    values = evaluate(problem, [ScheduledOperation(0, 0, 0, 0, 3600)])

    # 10 kW for half an hour at 0.10 and half an hour at 0.30: 0.5 + 1.5.
    assert values.makespan == 3600
    assert values.total_weighted_tardiness == pytest.approx(3600.0)
    assert values.energy_cost == pytest.approx(2.0)


def test_a_daily_tariff_repeats_every_cycle() -> None:
    tariff = Tariff(0.3, (TariffPeriod(0, 10, 0.1),), cycle=100)

    assert tariff.price_at(105) == pytest.approx(0.1)
    assert tariff.price_at(150) == pytest.approx(0.3)
    assert tariff.price_ticks(95, 115) == pytest.approx(5 * 0.3 + 10 * 0.1 + 5 * 0.3)


def test_the_kernel_calendar_becomes_machine_downtime_in_ticks() -> None:
    spec = CalendarSpec(
        timezone="Europe/Berlin",
        shifts=[ShiftSpec(name="early", start="06:00", end="14:00", days=["mon"])],
        breaks=[BreakSpec(shift="early", start="09:00", end="09:30")],
    )
    epoch = dt.datetime(2026, 3, 2, 5, tzinfo=dt.UTC)  # Monday 06:00 in Berlin

    spans = downtime_from_calendar(Calendar(spec), epoch, 24 * 3600)

    assert [(d.start, d.end, d.reason) for d in spans] == [
        (3 * 3600, 3 * 3600 + 1800, "break"),
        (8 * 3600, 24 * 3600, "off_shift"),
    ]


def rich_problem() -> Problem:
    return Problem(
        jobs=(
            Job(1, (op((1, 3), (2, 4)), op((2, 2))), order="A-1", product="bracket", due=9),
            Job(2, (op((2, 5)),), order="A-2", family="x", release=1, weight=3.0),
        ),
        machines=(
            Machine(1, "press", (Downtime(4, 5, "break"),), MachinePower(5.0, 1.0, 2.0, 0.0)),
            Machine(2, "cnc"),
        ),
        setups=(Setup(2, "bracket", "x", 2),),
        tariff=Tariff(0.2, (TariffPeriod(0, 6, 0.1),), cycle=24),
        objective=ObjectiveWeights(1.0, 0.5, 2.0),
        name="rich",
        epoch=dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC),
        horizon=100,
        numbering=1,
    )


def test_a_problem_survives_its_json_round_trip() -> None:
    problem = rich_problem()

    document = json.loads(json.dumps(problem_to_dict(problem)))

    assert document["format"] == "shopfloor.problem"
    assert document["epoch"] == "2026-03-02T06:00:00Z"
    assert problem_from_dict(document) == problem


def test_a_plan_file_is_replaced_whole_with_the_permissions_of_any_new_file(
    tmp_path: Path,
) -> None:
    problem = two_by_two()
    operations = (ScheduledOperation(0, 0, 0, 0, 3),)
    plan = Plan(problem, operations, evaluate(problem, operations), SolverInfo("hand", "x"))
    path = tmp_path / "plan.json"
    path.write_text("old")
    umask = os.umask(0o022)
    try:
        write_plan(plan, path)
    finally:
        os.umask(umask)

    assert json.loads(path.read_text())["format"] == "shopfloor.plan"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_plan_file_holds_the_whole_problem_operations_and_objectives(tmp_path: Path) -> None:
    problem = two_by_two()
    operations = (
        ScheduledOperation(0, 0, 0, 0, 3),
        ScheduledOperation(1, 0, 1, 0, 2),
        ScheduledOperation(0, 1, 1, 3, 5),
        ScheduledOperation(1, 1, 0, 3, 7),
    )
    plan = Plan(problem, operations, evaluate(problem, operations), SolverInfo("hand", "optimal"))
    path = tmp_path / "plan.json"

    write_plan(plan, path)
    document = json.loads(path.read_text())
    again = read_plan(path)

    assert document["format"] == "shopfloor.plan"
    assert document["version"] == 1
    assert document["operations"][0] == {
        "job": 0,
        "operation": 0,
        "machine": 0,
        "start": 0,
        "end": 3,
    }
    assert document["objectives"]["makespan"] == 7
    assert document["solver"]["method"] == "hand"
    assert again.problem == problem
    assert sorted(again.operations) == sorted(operations)
    assert read_problem_json(path) == problem


def test_plan_rows_name_the_order_and_mark_late_jobs() -> None:
    problem = Problem(
        jobs=(Job(0, (op((0, 5)),), order="R-1", due=3), Job(1, (op((0, 1)),), due=9)),
        machines=(Machine(0),),
    )
    operations = (ScheduledOperation(0, 0, 0, 0, 5), ScheduledOperation(1, 0, 0, 5, 6))
    plan = Plan(problem, operations, evaluate(problem, operations), SolverInfo("hand", "feasible"))

    rows = plan_to_dict(plan)["operations"]

    assert rows[0]["order"] == "R-1"
    assert rows[0]["late"] is True
    assert "late" not in rows[1]
    assert plan_from_dict(plan_to_dict(plan)).operations == operations


def test_a_broken_json_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text('{\n "format": "shopfloor.problem",\n "jobs": [,]\n}\n')

    with pytest.raises(PlanFormatError, match=r"problem\.json:3: invalid JSON"):
        read_problem_json(path)


def test_a_json_problem_with_a_bad_field_names_where(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps({"machines": [{"id": 0}], "jobs": [{"id": 0, "operations": "x"}]}))

    with pytest.raises(PlanFormatError, match=r"problem\.json: jobs\.0\.operations"):
        read_problem_json(path)


def test_a_json_problem_that_breaks_a_rule_names_the_file_and_order(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    job = {"id": 0, "order": "C-3", "operations": [{"machines": [{"machine": 5, "time": 1}]}]}
    path.write_text(json.dumps({"machines": [{"id": 0}], "jobs": [job]}))

    with pytest.raises(
        ProblemError, match=r"problem\.json: order C-3, operation 0: unknown machine 5"
    ):
        read_problem_json(path)


def test_the_problem_example_in_the_docs_is_a_valid_problem() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "scheduling.md"
    example = docs.read_text().split("```json\n")[1].split("```")[0]

    problem = problem_from_dict(json.loads(example))

    assert problem.name == "week 12"
    assert problem.job(0).operations[1].time_on(1) == 5400


def test_machine_power_comes_from_the_plant_files_power_per_state() -> None:
    spec = PowerSpec(running=22.0, idle=3.0, setup=5.0, stopped=0.5)

    assert MachinePower.from_spec(spec) == MachinePower(22.0, 3.0, 5.0, 0.5)
