"""The Gantt chart: machine lanes, orders coloured, late orders marked, offline HTML."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from shopfloor.plan.errors import PlanFormatError
from shopfloor.plan.gantt import gantt_figure, gantt_html, write_gantt
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    Objectives,
    Operation,
    Option,
    Plan,
    Problem,
    ScheduledOperation,
    SolverInfo,
    evaluate,
)

EPOCH = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def two_orders(epoch: dt.datetime | None = EPOCH) -> Plan:
    """PO-1 on time, PO-2 late (due 100, done at 190), with a setup and a break."""
    jobs = (
        Job(0, (Operation((Option(0, 60),), "cut"), Operation((Option(1, 40),), "weld")), "PO-1",
            product="a", due=200),
        Job(1, (Operation((Option(0, 50),), "cut"), Operation((Option(1, 30),), "weld")), "PO-2",
            product="b", due=100),
    )  # fmt: skip
    machines = (Machine(0, "press"), Machine(1, "welder", (Downtime(100, 110, "break"),)))
    problem = Problem(jobs=jobs, machines=machines, epoch=epoch, name="two orders")
    ops = (
        ScheduledOperation(0, 0, 0, 0, 60),
        ScheduledOperation(0, 1, 1, 60, 100),
        ScheduledOperation(1, 0, 0, 70, 120, setup=10),
        ScheduledOperation(1, 1, 1, 160, 190),
    )
    return Plan(problem, ops, evaluate(problem, ops), SolverInfo("hand", "feasible"))


def bars(plan: Plan, name: str):  # type: ignore[no-untyped-def]
    return next(trace for trace in gantt_figure(plan).data if trace.name == name)


def test_each_order_is_one_legend_entry_with_its_own_colour() -> None:
    figure = gantt_figure(two_orders())
    names = [t.name for t in figure.data]
    assert "PO-1" in names
    assert "PO-2 (late)" in names
    colours = {t.marker.color for t in figure.data if t.name.startswith("PO-")}
    assert len(colours) == 2


def test_operations_sit_in_their_machines_lane() -> None:
    assert list(bars(two_orders(), "PO-1").y) == ["press", "welder"]


def test_a_late_order_has_a_red_outline_and_a_hatch_and_a_legend_entry_says_so() -> None:
    plan = two_orders()
    late = bars(plan, "PO-2 (late)")
    on_time = bars(plan, "PO-1")
    assert late.marker.pattern.shape == "/"
    assert late.marker.line.width > 0
    assert on_time.marker.pattern.shape is None
    assert any(t.name.startswith("late:") for t in gantt_figure(plan).data)


def test_times_are_dates_after_the_epoch() -> None:
    figure = gantt_figure(two_orders())
    po1 = bars(two_orders(), "PO-1")
    assert figure.layout.xaxis.type == "date"
    assert po1.base[1] == EPOCH + dt.timedelta(seconds=60)
    assert po1.x[1] == 40_000  # a date axis measures bar lengths in milliseconds


def test_without_an_epoch_times_are_ticks() -> None:
    plan = two_orders(epoch=None)
    po1 = bars(plan, "PO-1")
    assert list(po1.base) == [0, 60]
    assert list(po1.x) == [60, 40]
    assert gantt_figure(plan).layout.xaxis.type != "date"


def test_hover_names_order_job_operation_start_end_and_due() -> None:
    late = bars(two_orders(), "PO-2 (late)")
    first = list(late.customdata[0])
    assert first[:3] == ["PO-2 - late", 1, 0]
    assert "cut on press" in first[3]
    assert first[4] == "2026-11-25 08:01:10 UTC"
    assert first[5] == "2026-11-25 08:02:00 UTC"
    assert first[7] == "2026-11-25 08:01:40 UTC"
    assert "due" in late.hovertemplate


def test_setups_and_downtime_are_drawn_on_their_lanes() -> None:
    plan = two_orders(epoch=None)
    setup = bars(plan, "setup")
    down = bars(plan, "unavailable")
    assert (list(setup.y), list(setup.base), list(setup.x)) == (["press"], [60], [10])
    assert (list(down.y), list(down.base), list(down.x)) == (["welder"], [100], [10])


def test_a_replanned_plans_now_is_marked() -> None:
    plan = two_orders(epoch=None)
    replanned = Plan(plan.problem, plan.operations, plan.objectives,
                     SolverInfo("replan", "feasible", details={"now": 75}))  # fmt: skip
    figure = gantt_figure(replanned)
    assert [shape.x0 for shape in figure.layout.shapes] == [75]
    assert gantt_figure(plan).layout.shapes == ()


def test_the_html_embeds_plotly_and_loads_nothing_from_the_network() -> None:
    html = gantt_html(two_orders())
    assert len(html) > 1_000_000  # plotly.js itself
    assert "PO-2 (late)" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert "cdn.plot.ly/plotly" not in html


def test_the_chart_is_written_in_one_piece(tmp_path: Path) -> None:
    out = tmp_path / "gantt.html"
    write_gantt(two_orders(), out)
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in tmp_path.iterdir()] == ["gantt.html"]


def test_an_unwritable_place_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanFormatError, match="cannot write"):
        write_gantt(two_orders(), tmp_path / "missing" / "gantt.html")


def test_an_empty_plan_draws_an_empty_chart() -> None:
    plan = two_orders()
    empty = Plan(plan.problem, (), Objectives(0, 0.0, 0.0), plan.solver)
    assert [t.name for t in gantt_figure(empty).data] == []
