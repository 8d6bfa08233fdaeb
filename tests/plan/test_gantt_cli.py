"""``shopfloor schedule gantt``: a plan file in, an offline HTML chart out."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.plan import (
    Job,
    Machine,
    Operation,
    Option,
    Plan,
    Problem,
    ScheduledOperation,
    SolverInfo,
    evaluate,
    write_plan,
)


def a_plan() -> Plan:
    """Two orders on a saw and a mill; PO-2 is due before it is done."""
    jobs = (
        Job(0, (Operation((Option(0, 60),)), Operation((Option(1, 60),))), "PO-1", due=500),
        Job(1, (Operation((Option(0, 60),)), Operation((Option(1, 60),))), "PO-2", due=100),
    )
    problem = Problem(jobs=jobs, machines=(Machine(0, "saw"), Machine(1, "mill")))
    ops = (
        ScheduledOperation(0, 0, 0, 0, 60),
        ScheduledOperation(0, 1, 1, 60, 120),
        ScheduledOperation(1, 0, 0, 60, 120),
        ScheduledOperation(1, 1, 1, 120, 180),
    )
    return Plan(problem, ops, evaluate(problem, ops), SolverInfo("hand", "feasible"))


@pytest.fixture
def shopfloor(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The command line in ``tmp_path`` with a plan file ``plan.json`` there."""
    write_plan(a_plan(), tmp_path / "plan.json")
    return cli


def test_gantt_writes_an_offline_chart_and_says_how_many_orders_are_late(
    shopfloor, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ran = shopfloor("schedule", "gantt", "plan.json", "--out", "gantt.html")
    assert ran.code == 0, ran.err
    html = (tmp_path / "gantt.html").read_text(encoding="utf-8")
    assert "PO-2 (late)" in html
    assert "4 operations of 2 jobs on 2 machines, 1 late" in ran.out


def test_gantt_of_a_missing_plan_is_an_error(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ran = shopfloor("schedule", "gantt", "nothing.json", "--out", "gantt.html")
    assert ran.code == 2
    assert "nothing.json: no such file" in ran.err
    assert not (tmp_path / "gantt.html").exists()
