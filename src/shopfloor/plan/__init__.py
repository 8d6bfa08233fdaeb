"""Production planning and scheduling: the domain, file formats, rules and the CP-SAT solver.

The public names live here; modules are private to the package's users:

* :mod:`~shopfloor.plan.model`: :class:`Problem`, :class:`Job`, :class:`Machine`,
  :class:`Plan`, :class:`ScheduledOperation`, objectives and :func:`evaluate`;
* :mod:`~shopfloor.plan.calendars`: kernel calendars and maintenance as machine downtime;
* :mod:`~shopfloor.plan.jsonio`: shopfloor's problem and plan JSON files;
* :mod:`~shopfloor.plan.errors`: :class:`PlanError` and its subclasses.
"""

from shopfloor.plan.calendars import downtime_from_calendar, merge_downtime, ticks_of
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
    "ScheduledOperation",
    "Setup",
    "SolverInfo",
    "Tariff",
    "TariffPeriod",
    "downtime_from_calendar",
    "energy_of",
    "evaluate",
    "merge_downtime",
    "plan_from_dict",
    "plan_to_dict",
    "problem_from_dict",
    "problem_to_dict",
    "read_plan",
    "read_problem_json",
    "ticks_of",
    "write_json_atomic",
    "write_plan",
    "write_problem_json",
]
