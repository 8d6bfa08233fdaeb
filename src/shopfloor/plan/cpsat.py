"""The CP-SAT scheduler: near-optimal plans within a time limit.

The model, and why each part is there:

* **Operations** are interval variables with a start, an end and (for a choice of machines)
  a size variable; each eligible machine gets an *optional* fixed-size interval on the same
  start, and exactly one of them is present. Options whose processing time can never fit
  in the horizon are left out.
* **Machines** run one interval at a time (``add_no_overlap``); their unavailable spans
  (off shift, breaks, holidays, maintenance) are fixed intervals in the same constraint, so
  an operation never spans one (non-preemptive, like the rules and the checker).
* **Setups** use a circuit per machine whose jobs have changeovers: an arc from ``a`` to
  ``b`` means ``b`` follows ``a`` directly and forces ``start(b) >= end(a) + setup``; the
  setup itself is an interval right before ``b`` that must avoid unavailable time too.
* **Objectives** are makespan, per-job tardiness (``T >= C - due``) and energy cost
  (:mod:`shopfloor.plan.cpsat_energy`), combined with the problem's weights; a makespan-only
  problem keeps an integer objective, which CP-SAT handles best.
* **Bounds that help the search**: the best dispatching rule gives a complete solution hint
  (warm start) and, for a makespan-only problem, a tight horizon; a static lower bound on the
  makespan (longest job, busiest machine with the smallest head and tail) starts the proof;
  with machine choice, a redundant cumulative over all operations (capacity: the number of
  machines) tightens the bound when machines are shared.
* **Two phases**: the full CP-SAT portfolio first, for a tenth of the time, proves small
  instances optimal and gives the bound; then every worker does large neighbourhood search
  (``use_lns_only``) from the best plan so far, with the horizon cut to its makespan. On
  two workers the portfolio spends one thread on the proof and interleaves thirteen
  subsolvers on the other; all-LNS improves plans faster (see ``docs/scheduling.md``).
  With machine choice, the LNS phase leaves out options slower than ``slow_option_ratio``
  times the operation's fastest (keeping its ``keep_fastest_options`` fastest and whatever
  the best plan uses): good plans rarely need them, and the search space shrinks.
* **Replanning hooks**: ``fixed`` operations keep their machine and start, others start at
  or after ``not_before``; with a ``reference`` plan, each operation that leaves its place
  costs ``stability_weight``.

Progress is reported through a callback each time a better plan is found. The model itself
is :mod:`shopfloor.plan.cpsat_model`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from shopfloor.plan.cpsat_model import Replanning, ScheduleModel
from shopfloor.plan.errors import NoPlanError
from shopfloor.plan.model import Plan, Problem, ScheduledOperation, SolverInfo
from shopfloor.plan.rules import best_rule_plan

__all__ = ["Progress", "ProgressCallback", "SolveOptions", "solve"]


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """How to solve: wall-clock ``time_limit`` in seconds (rules included), CP-SAT
    ``workers``, a ``seed``, an optional warm start (``hint``) and replanning inputs, the
    share of the time for the proving phase, and raw CP-SAT ``parameters`` (for
    experiments; they apply to both phases)."""

    time_limit: float = 10.0
    workers: int = 2
    seed: int = 0
    hint: Plan | None = None
    fixed: tuple[ScheduledOperation, ...] = ()
    not_before: int = 0
    reference: tuple[ScheduledOperation, ...] = ()
    stability_weight: float = 0.0
    log: bool = False
    proof_share: float = 0.1
    slow_option_ratio: float | None = 1.5
    keep_fastest_options: int = 2
    parameters: dict[str, float | int | bool | str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress:
    """A better plan was found: its weighted ``objective``, the proven ``bound``, the
    ``seconds`` since the solve began and how many improving ``solutions`` so far."""

    objective: float
    bound: float
    seconds: float
    solutions: int


ProgressCallback = Callable[[Progress], None]


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Passes each strictly better plan on, across both phases."""

    def __init__(self, callback: ProgressCallback | None, began: float) -> None:
        super().__init__()
        self.callback, self.began, self.count = callback, began, 0
        self.best = float("inf")
        self.bound = float("-inf")

    def on_solution_callback(self) -> None:
        """Called by CP-SAT for each solution; reports only improvements."""
        value = self.objective_value
        if value >= self.best - 1e-9:
            return
        self.best, self.count = value, self.count + 1
        self.bound = max(self.bound, self.best_objective_bound)
        if self.callback is not None:
            seconds = time.perf_counter() - self.began
            self.callback(Progress(value, self.bound, seconds, self.count))


def _only_makespan(problem: Problem, inputs: Replanning) -> bool:
    weights = problem.objective
    plain = not inputs.fixed and not inputs.reference and inputs.not_before <= 0
    return plain and weights.total_weighted_tardiness == 0 and weights.energy_cost == 0


def _horizon(problem: Problem, inputs: Replanning, hint: Plan | None) -> int:
    """The latest end the model allows.

    A makespan-only problem without replanning inputs needs nothing beyond the warm start's
    makespan (a better plan ends sooner); otherwise leave room to delay work (into cheap
    hours, behind fixed operations).
    """
    if problem.horizon is not None:
        return problem.horizon
    if hint is not None and _only_makespan(problem, inputs):
        return hint.objectives.makespan
    work = sum(max(o.time for o in op.options) for job in problem.jobs for op in job.operations)
    setups = max((s.time for s in problem.setups), default=0) * problem.operation_count
    ends = [d.end for m in problem.machines for d in m.unavailable]
    ends += [job.due for job in problem.jobs if job.due is not None]
    ends += [op.end for op in inputs.fixed] + [job.release for job in problem.jobs]
    ends += [inputs.not_before] + ([hint.objectives.makespan] if hint is not None else [])
    cycle = problem.tariff.cycle or 0 if problem.tariff is not None else 0
    return max(ends) + work + setups + cycle


def _warm_start(problem: Problem, options: SolveOptions) -> Plan | None:
    if options.hint is not None:
        return options.hint
    try:
        return best_rule_plan(problem)
    except NoPlanError:
        return None


def _inputs(options: SolveOptions) -> Replanning:
    return Replanning(
        options.fixed, options.not_before, options.reference, options.stability_weight
    )


@dataclass(slots=True)
class _Outcome:
    """What the phases found so far."""

    plan: Plan | None = None
    optimal: bool = False
    bound: float | None = None


class _Run:
    """One solve: the warm start, then the proving phase, then the LNS phase."""

    def __init__(self, problem: Problem, options: SolveOptions, progress: ProgressCallback | None):
        self.problem, self.options = problem, options
        self.inputs = _inputs(options)
        self.began = time.perf_counter()
        self.reporter = _Reporter(progress, self.began)
        self.outcome = _Outcome()

    def left(self) -> float:
        """Seconds left of the time limit."""
        return self.options.time_limit - (time.perf_counter() - self.began)

    def phase(self, start: Plan | None, seconds: float, lns_only: bool) -> None:
        """Solve for ``seconds`` from ``start``; keep the plan if it is better."""
        problem = self.problem
        ratio = self.options.slow_option_ratio
        if lns_only and ratio is not None and start is not None:
            fastest = self.options.keep_fastest_options
            problem = without_slow_options(problem, ratio, start.operations, fastest)
        model = ScheduleModel(problem, self.inputs, _horizon(problem, self.inputs, start))
        model.build()
        model.objective()
        bound = self.outcome.bound
        if lns_only and bound is not None and _only_makespan(self.problem, self.inputs):
            # The proven bound lets the search stop (optimal) as soon as a plan reaches it.
            model.model.add(model.makespan >= math.ceil(bound - 1e-6))
        if start is not None:
            model.hint(start)
        solver = cp_model.CpSolver()
        self._parameters(solver, seconds, lns_only)
        status = solver.solve(model.model, self.reporter)
        if status == cp_model.MODEL_INVALID:
            raise NoPlanError(f"internal model error: {model.model.validate()}")
        if status == cp_model.INFEASIBLE and self.outcome.plan is None:
            raise NoPlanError("no feasible plan exists (check horizon, calendars and fixed work)")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        if not lns_only:
            self.outcome.bound = solver.best_objective_bound
        info = SolverInfo("cpsat", "feasible", 0.0, None, self.options.workers)
        found = model.plan(solver, info)
        found = Plan(self.problem, found.operations, found.objectives, info)
        if self.outcome.plan is None or _worse(self.outcome.plan, found, self.problem):
            self.outcome.plan = found
        reached = bound is not None and found.objectives.weighted(problem.objective) <= bound
        proven = status == cp_model.OPTIMAL and (problem is self.problem or reached)
        self.outcome.optimal = self.outcome.optimal or proven

    def _parameters(self, solver: cp_model.CpSolver, seconds: float, lns_only: bool) -> None:
        params = solver.parameters
        params.max_time_in_seconds = max(0.05, seconds)
        params.num_workers = max(1, self.options.workers)
        params.random_seed = self.options.seed
        params.log_search_progress = self.options.log
        params.use_lns_only = lns_only
        for name, value in self.options.parameters.items():
            if isinstance(value, list):
                getattr(params, name).extend(value)
            else:
                setattr(params, name, value)


def without_slow_options(
    problem: Problem, ratio: float, keep: Sequence[ScheduledOperation], keep_fastest: int = 1
) -> Problem:
    """``problem`` without the machine options slower than ``ratio`` times the operation's
    fastest, except the ``keep_fastest`` fastest and those ``keep`` uses: a smaller search
    space for improving a plan (good plans rarely put work on a much slower machine), never
    used to prove optimality."""
    used = {(op.job, op.operation, op.machine) for op in keep}
    jobs = []
    for job in problem.jobs:
        operations = []
        for index, operation in enumerate(job.operations):
            times = sorted(o.time for o in operation.options)
            limit = max(ratio * times[0], times[min(len(times), keep_fastest) - 1])
            options = tuple(
                o
                for o in operation.options
                if o.time <= limit or (job.id, index, o.machine) in used
            )
            operations.append(dataclasses.replace(operation, options=options))
        jobs.append(dataclasses.replace(job, operations=tuple(operations)))
    return dataclasses.replace(problem, jobs=tuple(jobs))


def solve(
    problem: Problem, options: SolveOptions | None = None, progress: ProgressCallback | None = None
) -> Plan:
    """The best plan CP-SAT finds within the time limit, warm-started from the best
    dispatching rule (or ``options.hint``); never worse than that starting plan.

    Raises :class:`NoPlanError` when the problem is infeasible or nothing was found in time.
    """
    run = _Run(problem, options or SolveOptions(), progress)
    options = run.options
    warm = _warm_start(problem, options)
    proving = max(0.05, min(run.left(), options.proof_share * options.time_limit))
    run.phase(warm, proving, lns_only=False)
    outcome = run.outcome
    if not outcome.optimal and run.left() > 0.1:
        run.phase(outcome.plan or warm, run.left(), lns_only=True)
    seconds = time.perf_counter() - run.began
    method = warm.solver.method if warm is not None else "none"
    if warm is not None and not _keeps_replanning_inputs(warm, options):
        warm = None
    if outcome.plan is None or (warm is not None and _worse(outcome.plan, warm, problem)):
        if warm is None:
            raise NoPlanError(f"no plan found within {options.time_limit:g} s")
        return _fallback(warm, seconds, options)
    status = "optimal" if outcome.optimal else "feasible"
    bound = outcome.bound
    if outcome.optimal:
        bound = outcome.plan.objectives.weighted(problem.objective)
    details: dict[str, str | int | float | bool] = {
        "solutions": run.reporter.count,
        "warm_start": method,
    }
    info = SolverInfo("cpsat", status, seconds, bound, options.workers, details)
    return Plan(problem, outcome.plan.operations, outcome.plan.objectives, info)


def _keeps_replanning_inputs(plan: Plan, options: SolveOptions) -> bool:
    """True when ``plan`` keeps the fixed operations and starts the rest at or after
    ``not_before``: only then may it stand in for the solver's plan."""
    fixed = set(options.fixed)
    if not fixed.issubset(plan.operations):
        return False
    return all(op.start >= options.not_before for op in plan.operations if op not in fixed)


def _worse(plan: Plan, other: Plan, problem: Problem) -> bool:
    weights = problem.objective
    return plan.objectives.weighted(weights) > other.objectives.weighted(weights) + 1e-9


def _fallback(warm: Plan, seconds: float, options: SolveOptions) -> Plan:
    info = SolverInfo(
        "cpsat", "heuristic", seconds, None, options.workers, {"warm_start": warm.solver.method}
    )
    return Plan(warm.problem, warm.operations, warm.objectives, info)
