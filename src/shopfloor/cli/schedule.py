"""``shopfloor schedule``: production scheduling from the command line.

This module creates the ``schedule`` sub-app and its ``solve`` command. Other modules add
their commands to the same sub-app by importing it::

    from shopfloor.cli.schedule import schedule_app

    @schedule_app.command("gantt")
    def gantt(...) -> None: ...

and are imported by :mod:`shopfloor.cli.commands` so that they register.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from shopfloor.cli.app import app, console, err_console
from shopfloor.plan import (
    Plan,
    Problem,
    ProblemFormat,
    Rule,
    SolveOptions,
    assert_feasible,
    dispatch,
    read_problem,
    solve,
    write_plan,
)
from shopfloor.plan import Progress as SolverProgress

__all__ = ["schedule_app", "solve_progress", "summary"]

schedule_app = typer.Typer(
    help="Production scheduling: solve problems into plans (JSON), and work with plans.",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")


def solve_progress() -> Progress:
    """A one-line progress display on standard error (hidden when it is not a terminal)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def summary(plan: Plan, out: Path) -> str:
    """One line about a written plan: size, objectives and how it was made."""
    problem, objectives, solver = plan.problem, plan.objectives, plan.solver
    parts = [
        f"{out}: {len(plan.operations)} operations of {len(problem.jobs)} jobs "
        f"on {len(problem.machines)} machines",
        f"makespan {objectives.makespan}",
    ]
    if any(job.due is not None for job in problem.jobs):
        late = sum(plan.is_late(job.id) for job in problem.jobs)
        parts.append(f"weighted tardiness {objectives.total_weighted_tardiness:g} ({late} late)")
    if problem.tariff is not None:
        parts.append(f"energy cost {objectives.energy_cost:.2f}")
    how = f"{solver.method} {solver.status} in {solver.seconds:.1f} s"
    if solver.bound is not None:
        how += f", bound {solver.bound:g}"
    parts.append(how)
    return ", ".join(parts)


@schedule_app.command("solve")
def solve_command(
    file: Path = typer.Argument(..., help="The problem: jsp, fjs or shopfloor JSON."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the plan (JSON)."),
    fmt: ProblemFormat | None = typer.Option(
        None, "--format", help="Input format (default: json for .json, else from the file)."
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", min=0.1, help="Seconds to search."),
    workers: int = typer.Option(2, "--workers", min=1, help="Solver threads."),
    rule: Rule | None = typer.Option(
        None, "--rule", help="Plan with this dispatching rule only (no solver): fast, any size."
    ),
    seed: int = typer.Option(0, "--seed", help="Solver random seed."),
) -> None:
    """Plan a problem: CP-SAT warm-started by the best dispatching rule, or a rule alone."""
    problem = read_problem(file, fmt)
    if rule is not None:
        plan = dispatch(problem, rule)
    else:
        plan = _solve_with_progress(problem, SolveOptions(time_limit, workers, seed))
    assert_feasible(plan)
    write_plan(plan, out)
    console.print(summary(plan, out), markup=False, highlight=False, soft_wrap=True)


def _solve_with_progress(problem: Problem, options: SolveOptions) -> Plan:
    began = time.perf_counter()
    with solve_progress() as display:
        task = display.add_task(f"solving (limit {options.time_limit:g} s)", total=None)

        def improved(event: SolverProgress) -> None:
            """Show the better plan on the progress line."""
            gap = _gap(event.objective, event.bound)
            display.update(
                task,
                description=f"best {event.objective:g}, bound {event.bound:g}{gap}, "
                f"{event.solutions} plans in {time.perf_counter() - began:.1f} s",
            )

        return solve(problem, options, improved)


def _gap(objective: float, bound: float) -> str:
    if objective <= 0:
        return ""
    return f" (gap {100 * (objective - bound) / objective:.1f} %)"
