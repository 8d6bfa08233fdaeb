"""Production planning and scheduling: the domain, file formats, rules and the CP-SAT solver.

The public names live here; modules are private to the package's users:

* :mod:`~shopfloor.plan.model`: :class:`Problem`, :class:`Job`, :class:`Machine`,
  :class:`Plan`, :class:`ScheduledOperation`, objectives and :func:`evaluate`;
* :mod:`~shopfloor.plan.calendars`: kernel calendars and maintenance as machine downtime;
* :mod:`~shopfloor.plan.jsonio`: shopfloor's problem and plan JSON files;
* :mod:`~shopfloor.plan.readers`: OR-Library ``jsp`` and Brandimarte ``fjs`` files;
* :mod:`~shopfloor.plan.check`: the independent feasibility checker;
* :mod:`~shopfloor.plan.rules`: dispatching rules (SPT, EDD, MWKR, ATC);
* :mod:`~shopfloor.plan.cpsat`: the CP-SAT solver;
* :mod:`~shopfloor.plan.errors`: :class:`PlanError` and its subclasses.
"""

from shopfloor.plan.calendars import downtime_from_calendar, merge_downtime, ticks_of
from shopfloor.plan.check import Violation, ViolationKind, assert_feasible, check_plan
from shopfloor.plan.cpsat import Progress, ProgressCallback, SolveOptions, solve
from shopfloor.plan.errors import NoPlanError, PlanError, PlanFormatError, ProblemError
from shopfloor.plan.jsonio import (
    plan_from_dict,
    plan_to_dict,
    problem_from_dict,
    problem_to_dict,
    read_plan,
    read_problem_json,
    write_json_atomic,
    write_plan,
    write_problem_json,
)
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    MachinePower,
    Objectives,
    ObjectiveWeights,
    Operation,
    Option,
    Plan,
    Problem,
    ScheduledOperation,
    Setup,
    SolverInfo,
    Tariff,
    TariffPeriod,
    energy_of,
    evaluate,
)
from shopfloor.plan.readers import ProblemFormat, read_fjs, read_jsp, read_problem
from shopfloor.plan.rules import Rule, best_rule_plan, dispatch

__all__ = [
    "Downtime",
    "Job",
    "Machine",
    "MachinePower",
    "NoPlanError",
    "ObjectiveWeights",
    "Objectives",
    "Operation",
    "Option",
    "Plan",
    "PlanError",
    "PlanFormatError",
    "Problem",
    "ProblemError",
    "ProblemFormat",
    "Progress",
    "ProgressCallback",
    "Rule",
    "ScheduledOperation",
    "Setup",
    "SolveOptions",
    "SolverInfo",
    "Tariff",
    "TariffPeriod",
    "Violation",
    "ViolationKind",
    "assert_feasible",
    "best_rule_plan",
    "check_plan",
    "dispatch",
    "downtime_from_calendar",
    "energy_of",
    "evaluate",
    "merge_downtime",
    "plan_from_dict",
    "plan_to_dict",
    "problem_from_dict",
    "problem_to_dict",
    "read_fjs",
    "read_jsp",
    "read_plan",
    "read_problem",
    "read_problem_json",
    "solve",
    "ticks_of",
    "write_json_atomic",
    "write_plan",
    "write_problem_json",
]
