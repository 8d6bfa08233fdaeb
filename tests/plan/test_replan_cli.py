"""``shopfloor schedule replan``: a plan file, an event file and now in; a new plan and KPIs out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from shopfloor.plan import Plan, read_plan, write_plan
from shopfloor.plan.check import check_plan
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    ObjectiveWeights,
    Operation,
    Option,
    Problem,
    ScheduledOperation,
    SolverInfo,
    evaluate,
)

EPOCH = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def a_plan(epoch: dt.datetime | None = EPOCH) -> Plan:
    """Two orders through a saw, two mills and a paint booth (ticks are seconds)."""

    def ops(*steps: dict[int, int]) -> tuple[Operation, ...]:
        return tuple(Operation(tuple(Option(m, t) for m, t in step.items())) for step in steps)

    jobs = (
        Job(0, ops({0: 600}, {1: 1200, 2: 1500}, {3: 600}), "PO-1", product="a", due=3600),
        Job(1, ops({0: 900}, {1: 1200, 2: 1200}, {3: 600}), "PO-2", product="a", due=4800),
    )
    machines = (Machine(0, "saw"), Machine(1, "mill"), Machine(2, "mill2"),
                Machine(3, "paint", (Downtime(5400, 7200, "break"),)))  # fmt: skip
    weights = ObjectiveWeights(makespan=1, total_weighted_tardiness=1)
    problem = Problem(jobs=jobs, machines=machines, objective=weights, epoch=epoch, name="two")
    planned = (
        ScheduledOperation(0, 0, 0, 0, 600),
        ScheduledOperation(1, 0, 0, 600, 1500),
        ScheduledOperation(0, 1, 1, 600, 1800),
        ScheduledOperation(1, 1, 2, 1500, 2700),
        ScheduledOperation(0, 2, 3, 1800, 2400),
        ScheduledOperation(1, 2, 3, 2700, 3300),
    )
    return Plan(problem, planned, evaluate(problem, planned), SolverInfo("hand", "feasible"))


@pytest.fixture
def shopfloor(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The command line in ``tmp_path`` with a plan file ``plan.json`` there."""
    write_plan(a_plan(), tmp_path / "plan.json")
    return cli


def write_event(path: Path, event: object) -> str:
    path.write_text(json.dumps(event), encoding="utf-8")
    return str(path)


BREAKDOWN = {"type": "breakdown", "machine": "mill", "start": "2026-11-26T08:15:00Z",
             "repair": "1h"}  # fmt: skip


def test_replan_writes_a_feasible_plan_and_prints_the_kpis(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = write_event(tmp_path / "event.json", BREAKDOWN)
    ran = shopfloor("schedule", "replan", "plan.json", "--event", event,
                    "--now", "2026-11-26T08:20:00Z", "--out", "new.json",
                    "--time-limit", "5", "--workers", "1")  # fmt: skip
    assert ran.code == 0, ran.err
    new = read_plan(tmp_path / "new.json")
    assert check_plan(new) == []
    for row in ("makespan", "total weighted tardiness", "operations moved", "machine changed"):
        assert row in ran.out
    assert "before" in ran.out
    assert "after" in ran.out
    assert "interrupted: job 0 operation 1" in ran.out
    assert new.solver.details["now"] == 1200


def test_now_may_be_a_tick_number(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = write_event(tmp_path / "event.json", BREAKDOWN)
    ran = shopfloor("schedule", "replan", "plan.json", "--event", event, "--now", "1200",
                    "--out", "new.json", "--workers", "1")  # fmt: skip
    assert ran.code == 0, ran.err
    assert read_plan(tmp_path / "new.json").solver.details["now"] == 1200


def test_the_frozen_horizon_is_a_duration(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    event = write_event(tmp_path / "event.json", BREAKDOWN)
    ran = shopfloor("schedule", "replan", "plan.json", "--event", event, "--now", "1200",
                    "--frozen", "10m", "--out", "new.json", "--workers", "1")  # fmt: skip
    assert ran.code == 0, ran.err
    new = read_plan(tmp_path / "new.json")
    assert new.operation(1, 1).start == 1500  # PO-2's milling starts within ten minutes
    assert "1 frozen" in ran.out


def test_a_rush_order_like_another_order_is_fitted_in(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rush = {"type": "rush_order", "order": "RUSH", "like": "PO-1", "release": "2026-11-26T08:30Z",
            "due": "2026-11-26T10:00Z", "weight": 5}  # fmt: skip
    event = write_event(tmp_path / "rush.json", [rush])
    ran = shopfloor("schedule", "replan", "plan.json", "--event", event, "--now", "1800",
                    "--out", "new.json", "--workers", "1")  # fmt: skip
    assert ran.code == 0, ran.err
    new = read_plan(tmp_path / "new.json")
    assert check_plan(new) == []
    assert new.problem.job(2).order == "RUSH"


@pytest.mark.parametrize(
    ("event", "now", "message"),
    [
        ({"type": "breakdown", "machine": "lathe", "start": 0, "repair": 60}, "1200",
         "no machine 'lathe'"),
        ({"type": "breakdown", "machine": "mill", "start": 0, "repair": "soon"}, "1200",
         "repair: 'soon' is not a duration"),
        ({"type": "strike"}, "1200", "event.json: unknown event type 'strike'"),
        ({"type": "material_delay", "order": "PO-9", "available": 0}, "1200", "no job or order"),
        (BREAKDOWN, "lunchtime", "--now 'lunchtime' is not a time"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_status_2(  # type: ignore[no-untyped-def]
    shopfloor, tmp_path: Path, event: object, now: str, message: str
) -> None:
    path = write_event(tmp_path / "event.json", event)
    ran = shopfloor("schedule", "replan", "plan.json", "--event", path, "--now", now,
                    "--out", "new.json")  # fmt: skip
    assert ran.code == 2
    assert ran.err.startswith("error: ")
    assert message in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert not (tmp_path / "new.json").exists()


def test_an_iso_time_needs_a_plan_with_an_epoch(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_plan(a_plan(epoch=None), tmp_path / "plan.json")
    event = write_event(tmp_path / "event.json", {"type": "breakdown", "machine": 1, "start": 900,
                                                  "repair": 600})  # fmt: skip
    ran = shopfloor("schedule", "replan", "plan.json", "--event", event,
                    "--now", "2026-11-26T08:20:00Z", "--out", "new.json")  # fmt: skip
    assert ran.code == 2
    assert "no epoch" in ran.err
