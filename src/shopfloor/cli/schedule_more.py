"""``shopfloor schedule gantt`` and ``shopfloor schedule replan``: look at a plan, mend it.

``gantt`` writes an interactive, self-contained HTML Gantt chart of a plan file. ``replan``
reads a plan in execution, a disruption event file (``docs/replanning.md``) and the time
``--now``, writes the new plan and prints the KPIs before and after as a table.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from shopfloor.cli.app import console, wall_now_s
from shopfloor.cli.schedule import schedule_app, solve_progress, summary
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.durations import format_duration
from shopfloor.model.errors import InputError
from shopfloor.model.times import duration_ns
from shopfloor.plan import Objectives, Plan, read_plan, write_plan
from shopfloor.plan.gantt import write_gantt
from shopfloor.plan.replan import Interrupted, Moves, Replan, ReplanOptions, replan
from shopfloor.plan.replan_events import parse_tick, read_events


@schedule_app.command("gantt")
def gantt(
    plan_file: Path = typer.Argument(..., help="A plan file (shopfloor.plan JSON)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the chart (HTML)."),
    title: str = typer.Option("", "--title", help="Chart title (default: the problem's name)."),
) -> None:
    """An interactive Gantt chart by machine, orders coloured, late ones marked.

    One self-contained HTML file (plotly embedded) that opens offline.
    """
    plan = read_plan(plan_file)
    write_gantt(plan, out, title=title or None)
    late = sum(plan.is_late(job.id) for job in plan.problem.jobs) if plan.operations else 0
    console.print(
        f"{out}: {len(plan.operations)} operations of {len(plan.problem.jobs)} jobs on "
        f"{len(plan.problem.machines)} machines, {late} late",
        markup=False,
        highlight=False,
    )


@schedule_app.command("replan")
def replan_command(
    plan_file: Path = typer.Argument(..., help="The plan in execution (shopfloor.plan JSON)."),
    event: Path = typer.Option(..., "--event", help="The disruption(s): an event JSON file."),
    now: str = typer.Option(
        ...,
        "--now",
        help="The time of replanning: a tick number or an ISO time (plans with an epoch).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the new plan."),
    frozen: str = typer.Option(
        "0", "--frozen", help="Frozen horizon: work planned to start this soon stays (90s, 1h)."
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", min=0.1, help="Solver seconds."),
    workers: int = typer.Option(2, "--workers", min=1, help="CP-SAT workers."),
    interrupted: Interrupted = typer.Option(
        Interrupted.RESTART,
        "--interrupted",
        help="An operation a breakdown interrupts: restart it in full, or resume its rest.",
    ),
    move_cost: float | None = typer.Option(
        None,
        "--move-cost",
        min=0,
        help="Objective a moved operation must gain (default: stability strictly second).",
    ),
) -> None:
    """Replan after a breakdown, rush order or material delay; print the KPIs.

    Keeps what ran, respects the frozen horizon and changes as little as needed.
    """
    plan = read_plan(plan_file)
    wall = wall_now_s()
    at = parse_tick(now, plan.problem, now_ns=wall, what="--now")
    events = read_events(event, plan.problem, now_ns=wall)
    options = ReplanOptions(
        frozen=_ticks(frozen),
        time_limit=time_limit,
        workers=workers,
        interrupted=interrupted,
        move_cost=move_cost,
    )
    with solve_progress() as display:
        display.add_task(f"replanning (limit {time_limit:g} s)", total=None)
        result = replan(plan, at, events, options)
    write_plan(result.plan, out)
    console.print(_kpi_table(result))
    console.print(_kept_line(result), markup=False, highlight=False)
    if result.note:
        console.print(f"note: {result.note}", markup=False, highlight=False)
    console.print(summary(result.plan, out), markup=False, highlight=False)


def _ticks(text: str) -> int:
    ns = duration_ns(text, what="--frozen")
    if ns < 0:
        raise InputError(f"--frozen must not be negative, not {text!r}")
    return ns // NS_PER_S


def _kpi_table(result: Replan) -> Table:
    table = Table(title=f"replanned at {_when(result.plan, result.now)}")
    table.add_column("KPI")
    for name in ("before", "right shift", "after"):
        table.add_column(name, justify="right")
    plans = (result.before, result.right_shift, result.after)
    epoch = result.plan.problem.epoch is not None
    table.add_row("makespan", *(_makespan(o, epoch) for o in plans))
    table.add_row("total weighted tardiness", *(f"{o.total_weighted_tardiness:g}" for o in plans))
    if any(o.energy_cost for o in plans):
        table.add_row("energy cost", *(f"{o.energy_cost:.2f}" for o in plans))
    moves = (Moves(0, 0, 0), result.right_shift_moved, result.moved)
    table.add_row("operations moved", *(str(m.total) for m in moves))
    table.add_row("  start changed", *(str(m.start) for m in moves))
    table.add_row("  machine changed", *(str(m.machine) for m in moves))
    return table


def _makespan(objectives: Objectives, epoch: bool) -> str:
    if not epoch:
        return str(objectives.makespan)
    return f"{objectives.makespan} ({format_duration(objectives.makespan)})"


def _when(plan: Plan, tick: int) -> str:
    moment = plan.problem.tick_time(tick)
    return f"tick {tick}" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC (tick {tick})"


def _kept_line(result: Replan) -> str:
    parts = [
        f"kept: {result.finished} finished, {result.running} running, "
        f"{result.frozen_kept} frozen ({result.frozen_released} frozen released)"
    ]
    if result.interrupted:
        listed = ", ".join(f"job {j} operation {o}" for j, o in result.interrupted)
        parts.append(f"interrupted: {listed}")
    return "; ".join(parts)
