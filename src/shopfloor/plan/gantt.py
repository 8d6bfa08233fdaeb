"""An interactive Gantt chart of a plan: one lane per machine, one colour per order.

The chart is a plotly figure written as one self-contained HTML file (plotly.js embedded
from the installed package, no CDN), so it opens offline and can be mailed as it is.

* Each job is a trace (its legend entry toggles it), coloured from a qualitative palette.
* Late jobs (completed after their due date) get a red outline and a hatch, and the legend
  has a "late" entry explaining the marking.
* Setups are grey bars right before their operation; machine downtime (breaks, shifts off,
  maintenance, breakdowns) is shaded on the lane; a replanned plan shows its ``now``.
* Hovering an operation shows its order, job, operation (and its name), machine, start, end,
  setup and the job's due date; times are dates (UTC) when the plan has an epoch, else ticks.

>>> from shopfloor.plan.model import (
...     Job, Machine, Objectives, Operation, Option, Plan, Problem, ScheduledOperation,
...     SolverInfo)
>>> problem = Problem(jobs=(Job(0, (Operation((Option(0, 3),)),), due=2),),
...                   machines=(Machine(0),))
>>> plan = Plan(problem, (ScheduledOperation(0, 0, 0, 0, 3),), Objectives(3, 1.0, 0.0),
...             SolverInfo("hand", "feasible"))
>>> figure = gantt_figure(plan)
>>> [trace.name for trace in figure.data]
['job 0 (late)', 'late: red outline, hatched']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.colors import qualitative  # type: ignore[import-untyped]

from shopfloor.model.durations import format_duration
from shopfloor.plan.jsonio import write_text_atomic
from shopfloor.plan.model import Job, Plan, Problem, ScheduledOperation

__all__ = ["gantt_figure", "gantt_html", "write_gantt"]

_PALETTE = qualitative.Dark24 + qualitative.Light24
_LATE = "#d62728"
_SETUP = "#7f7f7f"
_DOWN = "rgba(120, 120, 120, 0.18)"
_HOVER = (
    "<b>%{customdata[0]}</b><br>job %{customdata[1]}, operation %{customdata[2]}<br>"
    "%{customdata[3]}<br>start %{customdata[4]}<br>end %{customdata[5]}<br>"
    "setup %{customdata[6]}<br>due %{customdata[7]}<extra></extra>"
)


@dataclass(frozen=True, slots=True)
class _Axis:
    """Ticks to chart coordinates: dates after the epoch, or plain ticks."""

    epoch: dt.datetime | None

    def at(self, tick: int) -> dt.datetime | int:
        return tick if self.epoch is None else self.epoch + dt.timedelta(seconds=tick)

    def span(self, ticks: int) -> int:
        # A date axis measures bar lengths in milliseconds.
        return ticks if self.epoch is None else ticks * 1000

    def text(self, tick: int | None) -> str:
        if tick is None:
            return "none"
        if self.epoch is None:
            return str(tick)
        return (self.epoch + dt.timedelta(seconds=tick)).strftime("%Y-%m-%d %H:%M:%S UTC")


def _lane(problem: Problem, machine: int) -> str:
    name = problem.machine(machine).name
    return name or f"machine {machine}"


def _job_name(job: Job) -> str:
    return job.order or f"job {job.id}"


def gantt_figure(plan: Plan, *, title: str | None = None, now: int | None = None) -> go.Figure:
    """The plan's Gantt chart as a plotly figure (see the module docstring). ``now`` (a
    tick) draws a line; by default a replanned plan's ``now`` from its solver details."""
    problem = plan.problem
    axis = _Axis(problem.epoch)
    figure = go.Figure()
    end = max((op.end for op in plan.operations), default=0)
    _add_downtime(figure, problem, axis, end)
    _add_setups(figure, plan, axis)
    by_job: dict[int, list[ScheduledOperation]] = {}
    for op in sorted(plan.operations):
        by_job.setdefault(op.job, []).append(op)
    late_jobs = {job_id for job_id in by_job if plan.is_late(job_id)}
    for index, job in enumerate(problem.jobs):
        if job.id in by_job:
            color = _PALETTE[index % len(_PALETTE)]
            figure.add_trace(_job_trace(problem, job, by_job[job.id], axis, color, late_jobs))
    if late_jobs:
        figure.add_trace(_late_legend(problem, axis))
    _layout(figure, plan, axis, title, _now_of(plan, now))
    return figure


def _job_trace(
    problem: Problem,
    job: Job,
    ops: Sequence[ScheduledOperation],
    axis: _Axis,
    color: str,
    late_jobs: set[int],
) -> go.Bar:
    late = job.id in late_jobs
    name = _job_name(job) + (" (late)" if late else "")
    marker: dict[str, object] = {"color": color}
    if late:
        marker["line"] = {"color": _LATE, "width": 2.5}
        marker["pattern"] = {"shape": "/", "fgcolor": _LATE, "size": 6, "solidity": 0.25}
    custom = [
        [
            _job_name(job) + (" - late" if late else ""),
            job.id,
            op.operation,
            " ".join(
                filter(None, [job.operations[op.operation].name, "on", _lane(problem, op.machine)])
            ),
            axis.text(op.start),
            axis.text(op.end),
            f"{op.setup} s" if problem.epoch is not None else str(op.setup),
            axis.text(job.due),
        ]
        for op in ops
    ]
    return go.Bar(
        name=name,
        legendgroup=f"job{job.id}",
        orientation="h",
        y=[_lane(problem, op.machine) for op in ops],
        base=[axis.at(op.start) for op in ops],
        x=[axis.span(op.end - op.start) for op in ops],
        marker=marker,
        customdata=custom,
        hovertemplate=_HOVER,
    )


def _late_legend(problem: Problem, axis: _Axis) -> go.Bar:
    """An empty trace whose legend entry explains the late marking."""
    lane = _lane(problem, problem.machines[0].id)
    return go.Bar(
        name="late: red outline, hatched",
        orientation="h",
        y=[lane],
        base=[axis.at(0)],
        x=[0],
        marker={
            "color": "white",
            "line": {"color": _LATE, "width": 2.5},
            "pattern": {"shape": "/", "fgcolor": _LATE, "size": 6, "solidity": 0.25},
        },
        hoverinfo="skip",
    )


def _add_setups(figure: go.Figure, plan: Plan, axis: _Axis) -> None:
    setups = [op for op in plan.operations if op.setup > 0]
    if not setups:
        return
    problem = plan.problem
    figure.add_trace(
        go.Bar(
            name="setup",
            orientation="h",
            y=[_lane(problem, op.machine) for op in setups],
            base=[axis.at(op.start - op.setup) for op in setups],
            x=[axis.span(op.setup) for op in setups],
            marker={"color": _SETUP},
            hovertemplate="setup %{customdata}<extra></extra>",
            customdata=[
                f"{axis.text(op.start - op.setup)} - {axis.text(op.start)}" for op in setups
            ],
        )
    )


def _add_downtime(figure: go.Figure, problem: Problem, axis: _Axis, until: int) -> None:
    lanes, bases, widths, why = [], [], [], []
    for machine in problem.machines:
        for down in machine.unavailable:
            if down.start >= until or down.end <= down.start:
                continue
            lanes.append(_lane(problem, machine.id))
            bases.append(axis.at(down.start))
            widths.append(axis.span(min(down.end, until) - down.start))
            why.append(f"{down.reason}: {axis.text(down.start)} - {axis.text(down.end)}")
    if not lanes:
        return
    figure.add_trace(
        go.Bar(
            name="unavailable",
            orientation="h",
            y=lanes,
            base=bases,
            x=widths,
            marker={"color": _DOWN, "line": {"width": 0}},
            customdata=why,
            hovertemplate="%{customdata}<extra></extra>",
        )
    )


def _now_of(plan: Plan, now: int | None) -> int | None:
    if now is not None:
        return now
    value = plan.solver.details.get("now")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _layout(figure: go.Figure, plan: Plan, axis: _Axis, title: str | None, now: int | None) -> None:
    problem = plan.problem
    objectives = plan.objectives
    heading = title or problem.name or "plan"
    span = str(objectives.makespan)
    if axis.epoch is not None:
        span = f"{format_duration(objectives.makespan)} (ends {axis.text(objectives.makespan)})"
    summary = (
        f"makespan {span}, "
        f"total weighted tardiness {objectives.total_weighted_tardiness:g}, "
        f"{plan.solver.method} ({plan.solver.status})"
    )
    lanes = [_lane(problem, m.id) for m in problem.machines]
    figure.update_layout(
        title={"text": f"{heading}<br><sup>{summary}</sup>"},
        barmode="overlay",
        bargap=0.25,
        height=max(320, 120 + 34 * len(lanes)),
        legend={"title": {"text": "orders"}, "groupclick": "toggleitem"},
        hoverlabel={"align": "left"},
        template="plotly_white",
    )
    figure.update_yaxes(
        categoryorder="array", categoryarray=lanes, autorange="reversed", title="machine"
    )
    if axis.epoch is not None:
        figure.update_xaxes(type="date", title="time (UTC)")
    else:
        figure.update_xaxes(title="time (ticks)")
    if now is not None:
        figure.add_vline(x=axis.at(now), line={"color": "black", "dash": "dash", "width": 1.5})
        figure.add_annotation(
            x=axis.at(now), y=1.02, yref="paper", text="now", showarrow=False, xanchor="left"
        )


def gantt_html(plan: Plan, *, title: str | None = None, now: int | None = None) -> str:
    """The chart as a complete HTML page with plotly.js embedded (works offline)."""
    figure = gantt_figure(plan, title=title, now=now)
    html: str = figure.to_html(
        include_plotlyjs=True,
        full_html=True,
        config={"displaylogo": False, "responsive": True},
    )
    return html


def write_gantt(
    plan: Plan, path: Path, *, title: str | None = None, now: int | None = None
) -> None:
    """Write the chart to ``path`` atomically (a temporary file renamed into place)."""
    write_text_atomic(path, gantt_html(plan, title=title, now=now))
