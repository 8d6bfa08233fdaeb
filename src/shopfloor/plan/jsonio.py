"""shopfloor's problem and plan JSON files (documented in ``docs/scheduling.md``).

A problem file is ``{"format": "shopfloor.problem", "version": 1, ...}``; a plan file is
``{"format": "shopfloor.plan", "version": 1, "problem": {...}, "operations": [...],
"objectives": {...}, "solver": {...}}`` and carries its whole problem, so a plan file alone
is enough to replan. Files are written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopfloor import files
from shopfloor.plan.errors import PlanFormatError, ProblemError
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
)

__all__ = [
    "PLAN_FORMAT",
    "PROBLEM_FORMAT",
    "plan_from_dict",
    "plan_to_dict",
    "problem_from_dict",
    "problem_to_dict",
    "read_json_file",
    "read_plan",
    "read_problem_json",
    "write_json_atomic",
    "write_plan",
    "write_problem_json",
]

PROBLEM_FORMAT = "shopfloor.problem"
PLAN_FORMAT = "shopfloor.plan"
VERSION = 1
_Model = TypeVar("_Model", bound=BaseModel)
_LINE = 100


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OptionDoc(_Doc):
    machine: int
    time: int


class _OperationDoc(_Doc):
    machines: list[_OptionDoc]
    name: str = ""


class _JobDoc(_Doc):
    id: int
    operations: list[_OperationDoc]
    order: str = ""
    product: str = ""
    family: str = ""
    quantity: int = 1
    release: int = 0
    due: int | None = None
    weight: float = 1.0


class _DowntimeDoc(_Doc):
    start: int
    end: int
    reason: str = "unavailable"


class _PowerDoc(_Doc):
    running: float = 0.0
    idle: float = 0.0
    setup: float = 0.0
    stopped: float = 0.0


class _MachineDoc(_Doc):
    id: int
    name: str = ""
    unavailable: list[_DowntimeDoc] = Field(default_factory=list)
    power: _PowerDoc | None = None


class _SetupDoc(_Doc):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    machine: int
    source: str = Field(alias="from")
    to: str
    time: int


class _PeriodDoc(_Doc):
    start: int
    end: int
    price: float


class _TariffDoc(_Doc):
    price: float = 0.0
    periods: list[_PeriodDoc] = Field(default_factory=list)
    cycle: int | None = None


class _WeightsDoc(_Doc):
    makespan: float = 1.0
    total_weighted_tardiness: float = 0.0
    energy_cost: float = 0.0


class _ProblemDoc(_Doc):
    format: Literal["shopfloor.problem"] = "shopfloor.problem"
    version: Literal[1] = 1
    name: str = ""
    epoch: dt.datetime | None = None
    horizon: int | None = None
    numbering: int = 0
    machines: list[_MachineDoc]
    jobs: list[_JobDoc]
    setups: list[_SetupDoc] = Field(default_factory=list)
    tariff: _TariffDoc | None = None
    objective: _WeightsDoc = Field(default_factory=_WeightsDoc)


def _problem_of(doc: _ProblemDoc) -> Problem:
    epoch = doc.epoch
    if epoch is not None and epoch.utcoffset() is None:
        epoch = epoch.replace(tzinfo=dt.UTC)
    return Problem(
        jobs=tuple(_job_of(j) for j in doc.jobs),
        machines=tuple(_machine_of(m) for m in doc.machines),
        setups=tuple(Setup(s.machine, s.source, s.to, s.time) for s in doc.setups),
        tariff=None if doc.tariff is None else _tariff_of(doc.tariff),
        objective=ObjectiveWeights(**doc.objective.model_dump()),
        name=doc.name,
        epoch=None if epoch is None else epoch.astimezone(dt.UTC),
        horizon=doc.horizon,
        numbering=doc.numbering,
    )


def _job_of(doc: _JobDoc) -> Job:
    operations = tuple(
        Operation(tuple(Option(o.machine, o.time) for o in op.machines), op.name)
        for op in doc.operations
    )
    fields = doc.model_dump(exclude={"id", "operations"})
    return Job(doc.id, operations, **fields)


def _machine_of(doc: _MachineDoc) -> Machine:
    downs = tuple(Downtime(d.start, d.end, d.reason) for d in doc.unavailable)
    power = None if doc.power is None else MachinePower(**doc.power.model_dump())
    return Machine(doc.id, doc.name, downs, power)


def _tariff_of(doc: _TariffDoc) -> Tariff:
    periods = tuple(TariffPeriod(p.start, p.end, p.price) for p in doc.periods)
    return Tariff(doc.price, periods, doc.cycle)


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem as shopfloor's problem JSON document."""
    doc: dict[str, Any] = {"format": PROBLEM_FORMAT, "version": VERSION, "name": problem.name}
    if problem.epoch is not None:
        doc["epoch"] = problem.epoch.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if problem.horizon is not None:
        doc["horizon"] = problem.horizon
    doc["numbering"] = problem.numbering
    doc["machines"] = [_machine_dict(m) for m in problem.machines]
    doc["jobs"] = [_job_dict(j) for j in problem.jobs]
    if problem.setups:
        doc["setups"] = [
            {"machine": s.machine, "from": s.source, "to": s.to, "time": s.time}
            for s in problem.setups
        ]
    if problem.tariff is not None:
        doc["tariff"] = _tariff_dict(problem.tariff)
    weights = problem.objective
    doc["objective"] = {
        "makespan": weights.makespan,
        "total_weighted_tardiness": weights.total_weighted_tardiness,
        "energy_cost": weights.energy_cost,
    }
    return doc


def _machine_dict(machine: Machine) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": machine.id}
    if machine.name:
        doc["name"] = machine.name
    if machine.unavailable:
        doc["unavailable"] = [
            {"start": d.start, "end": d.end, "reason": d.reason} for d in machine.unavailable
        ]
    if machine.power is not None:
        p = machine.power
        doc["power"] = {
            "running": p.running,
            "idle": p.idle,
            "setup": p.setup,
            "stopped": p.stopped,
        }
    return doc


def _job_dict(job: Job) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": job.id}
    defaults = Job(0, ())
    for name in ("order", "product", "family", "quantity", "release", "due", "weight"):
        value = getattr(job, name)
        if value != getattr(defaults, name):
            doc[name] = value
    doc["operations"] = [_operation_dict(op) for op in job.operations]
    return doc


def _operation_dict(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"machines": [{"machine": o.machine, "time": o.time} for o in op.options]}
    if op.name:
        doc["name"] = op.name
    return doc


def _tariff_dict(tariff: Tariff) -> dict[str, Any]:
    doc: dict[str, Any] = {"price": tariff.price}
    doc["periods"] = [{"start": p.start, "end": p.end, "price": p.price} for p in tariff.periods]
    if tariff.cycle is not None:
        doc["cycle"] = tariff.cycle
    return doc


def problem_from_dict(data: Mapping[str, Any], source: str = "problem") -> Problem:
    """A problem from its JSON document; raises :class:`PlanFormatError` naming ``source``."""
    return _problem_in(_parse(_ProblemDoc, data, source), source)


def _problem_in(doc: _ProblemDoc, source: str) -> Problem:
    try:
        return _problem_of(doc)
    except ProblemError as exc:
        raise ProblemError(f"{source}: {exc}", order=exc.order, operation=exc.operation) from exc


class _ScheduledDoc(_Doc):
    model_config = ConfigDict(extra="ignore", frozen=True)

    job: int
    operation: int
    machine: int
    start: int
    end: int
    setup: int = 0


class _ObjectivesDoc(_Doc):
    makespan: int
    total_weighted_tardiness: float = 0.0
    energy_cost: float = 0.0


class _SolverDoc(_Doc):
    model_config = ConfigDict(extra="allow", frozen=True)

    method: str
    status: str
    seconds: float = 0.0
    bound: float | None = None
    workers: int | None = None


class _PlanDoc(_Doc):
    format: Literal["shopfloor.plan"]
    version: Literal[1]
    problem: _ProblemDoc
    operations: list[_ScheduledDoc]
    objectives: _ObjectivesDoc
    solver: _SolverDoc


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as shopfloor's plan JSON document (operations sorted by machine, start)."""
    problem = plan.problem
    late = {job.id for job in problem.jobs if plan.is_late(job.id)} if plan.operations else set()
    operations = []
    for op in sorted(plan.operations, key=lambda o: (o.machine, o.start, o.job)):
        job = problem.job(op.job)
        row: dict[str, Any] = {
            "job": op.job,
            "operation": op.operation,
            "machine": op.machine,
            "start": op.start,
            "end": op.end,
        }
        if op.setup:
            row["setup"] = op.setup
        if job.order:
            row["order"] = job.order
        if op.job in late:
            row["late"] = True
        operations.append(row)
    solver = plan.solver
    solver_doc: dict[str, Any] = {
        "method": solver.method,
        "status": solver.status,
        "seconds": round(solver.seconds, 3),
        "bound": solver.bound,
        "workers": solver.workers,
        **dict(solver.details),
    }
    return {
        "format": PLAN_FORMAT,
        "version": VERSION,
        "problem": problem_to_dict(problem),
        "operations": operations,
        "objectives": {
            "makespan": plan.objectives.makespan,
            "total_weighted_tardiness": plan.objectives.total_weighted_tardiness,
            "energy_cost": round(plan.objectives.energy_cost, 6),
        },
        "solver": solver_doc,
    }


def plan_from_dict(data: Mapping[str, Any], source: str = "plan") -> Plan:
    """A plan from its JSON document; raises :class:`PlanFormatError` naming ``source``."""
    doc = _parse(_PlanDoc, data, source)
    problem = _problem_in(doc.problem, source)
    operations = tuple(
        ScheduledOperation(o.job, o.operation, o.machine, o.start, o.end, o.setup)
        for o in doc.operations
    )
    extra = {
        k: v
        for k, v in (doc.solver.model_extra or {}).items()
        if isinstance(v, str | int | float | bool)
    }
    solver = SolverInfo(
        doc.solver.method,
        doc.solver.status,
        doc.solver.seconds,
        doc.solver.bound,
        doc.solver.workers,
        extra,
    )
    objectives = Objectives(
        doc.objectives.makespan, doc.objectives.total_weighted_tardiness, doc.objectives.energy_cost
    )
    return Plan(problem, operations, objectives, solver)


def _parse(model: type[_Model], data: Mapping[str, Any], source: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise PlanFormatError(f"{source}: {where}: {first['msg']}") from exc


def read_json_file(path: Path) -> Any:
    """Parse a JSON file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise PlanFormatError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise PlanFormatError(f"{path}: not UTF-8 text") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc


def _object_of(path: Path) -> Mapping[str, Any]:
    data = read_json_file(path)
    if not isinstance(data, dict):
        raise PlanFormatError(f"{path}:1: expected a JSON object")
    return data


def read_problem_json(path: Path) -> Problem:
    """Read a problem file (or the problem inside a plan file)."""
    data = _object_of(path)
    if data.get("format") == PLAN_FORMAT and isinstance(data.get("problem"), dict):
        data = data["problem"]
    return problem_from_dict(data, str(path))


def read_plan(path: Path) -> Plan:
    """Read a plan file."""
    return plan_from_dict(_object_of(path), str(path))


def write_json_atomic(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` as JSON to ``path`` atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, dumps_compact(document) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (see :mod:`shopfloor.files.atomic`)."""
    try:
        files.write_text_atomic(path, text)
    except OSError as exc:
        raise PlanFormatError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def dumps_compact(value: Any, indent: str = "") -> str:
    """JSON with each small object or list on one line (an operation per line, say) and
    larger ones spread out: readable and diff-friendly without being huge."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + len(indent) <= _LINE or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + " "
    if isinstance(value, list):
        items = [inner + dumps_compact(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    fields = [
        f"{inner}{json.dumps(key)}: {dumps_compact(item, inner)}" for key, item in value.items()
    ]
    return "{\n" + ",\n".join(fields) + "\n" + indent + "}"


def write_plan(plan: Plan, path: Path) -> None:
    """Write a plan file atomically."""
    write_json_atomic(path, plan_to_dict(plan))


def write_problem_json(problem: Problem, path: Path) -> None:
    """Write a problem file atomically."""
    write_json_atomic(path, problem_to_dict(problem))
