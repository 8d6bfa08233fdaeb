"""The scheduling errors, a branch of the shopfloor tree.

::

    InputError (shopfloor.model.errors)
     +-- PlanError                 root of everything the plan package raises on purpose
          +-- ProblemError         a problem is invalid; names the order and the operation
          +-- PlanFormatError      a problem or plan file cannot be read; names file and line
          +-- NoPlanError          the solver found no feasible plan (infeasible or out of time)

They derive from :class:`~shopfloor.model.errors.InputError` because each is about what the
user gave (a problem, a file, a time limit), so the command line prints one line and exits 2.
"""

from __future__ import annotations

from shopfloor.model.errors import InputError

__all__ = ["NoPlanError", "PlanError", "PlanFormatError", "ProblemError"]


class PlanError(InputError):
    """Root of the scheduling errors."""

    code = "plan"


class ProblemError(PlanError):
    """A scheduling problem is invalid.

    ``order`` and ``operation`` name the job (its order name, else ``job <id>``) and the
    operation index at fault, where there is one.
    """

    code = "plan.problem"

    def __init__(self, message: str, *, order: str | None = None, operation: int | None = None):
        super().__init__(message)
        self.order = order
        self.operation = operation


class PlanFormatError(PlanError):
    """A problem or plan file cannot be read; the message starts with ``file:line:``."""

    code = "plan.format"


class NoPlanError(PlanError):
    """No feasible plan was found: the problem is infeasible or the time limit too short."""

    code = "plan.none"
