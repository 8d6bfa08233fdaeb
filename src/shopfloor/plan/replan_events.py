"""Disruption events as JSON (documented in ``docs/replanning.md``).

An event file holds one event object or a list of them::

    {"type": "breakdown", "machine": "cnc1", "start": "2026-11-26T09:05:00Z", "repair": "2h"}
    {"type": "rush_order", "order": "RUSH-1", "like": "PO-003", "quantity": 20,
     "release": "2026-11-26T09:10:00Z", "due": "2026-11-26T14:00:00Z", "weight": 5}
    {"type": "material_delay", "order": "PO-004", "available": "2026-11-26T13:00:00Z"}

Machines are named by id (as numbered in the plan) or name; jobs by id or order name. A
time is a tick number or, for a plan with an epoch, an ISO 8601 time (UTC unless it has an
offset); a duration is a number of ticks or a duration with a unit (``90s``, ``2h``, one
tick per second). A rush order gives its operations as in a problem file
(``"operations": [{"machines": [{"machine": 0, "time": 600}], "name": "cut"}]``) or copies
them from an existing order with ``like``, its times scaled to its ``quantity``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shopfloor.model.calendar import datetime_to_ns
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.durations import parse_duration
from shopfloor.model.errors import InputError
from shopfloor.model.times import parse_time
from shopfloor.plan.errors import PlanFormatError
from shopfloor.plan.jsonio import read_json_file
from shopfloor.plan.model import Job, Operation, Option, Problem
from shopfloor.plan.replan import Breakdown, Disruption, MaterialDelay, RushOrder

__all__ = ["events_from_json", "parse_tick", "read_events"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _BreakdownDoc(_Doc):
    type: Literal["breakdown"]
    machine: int | str
    start: int | str
    repair: int | float | str


class _OptionDoc(_Doc):
    machine: int | str
    time: int = Field(ge=0)


class _OperationDoc(_Doc):
    machines: list[_OptionDoc] = Field(min_length=1)
    name: str = ""


class _RushDoc(_Doc):
    type: Literal["rush_order"]
    order: str
    id: int | None = None
    like: int | str | None = None
    operations: list[_OperationDoc] | None = None
    product: str = ""
    family: str = ""
    quantity: int | None = Field(None, gt=0)
    release: int | str = 0
    due: int | str | None = None
    weight: float = Field(1.0, ge=0)


class _DelayDoc(_Doc):
    type: Literal["material_delay"]
    order: str | None = None
    job: int | None = None
    available: int | str


_Event = Annotated[_BreakdownDoc | _RushDoc | _DelayDoc, Field(discriminator="type")]
_EVENT: TypeAdapter[_Event] = TypeAdapter(_Event)
_BRANCHES = {"breakdown", "rush_order", "material_delay", "int", "float", "str"}
"""Location parts that name a union's branch, not a field."""


def parse_tick(text: str | int, problem: Problem, *, now_ns: int, what: str = "time") -> int:
    """A time as a tick: a plain number is a tick; other text is a time as the command line
    takes it (ISO 8601, ``now``, ``-1h``), which needs the problem's epoch."""
    if isinstance(text, int):
        return text
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    if problem.epoch is None:
        raise InputError(f"{what} {text!r}: this plan has no epoch, give a tick number")
    t_ns = parse_time(value, now_ns=now_ns, what=what)
    return math.floor((t_ns - datetime_to_ns(problem.epoch)) / NS_PER_S)


def _duration(value: int | float | str, what: str) -> int:
    try:
        return math.ceil(parse_duration(value))
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None


class _Reader:
    def __init__(self, problem: Problem, now_ns: int) -> None:
        self.problem, self.now_ns = problem, now_ns
        self.next_id = max(job.id for job in problem.jobs) + 1

    def tick(self, value: int | str, what: str) -> int:
        return parse_tick(value, self.problem, now_ns=self.now_ns, what=what)

    def machine(self, ref: int | str) -> int:
        for m in self.problem.machines:
            if m.id == ref or (m.name and m.name == ref) or str(m.id) == ref:
                return m.id
        raise InputError(f"no machine {ref!r} in the plan")

    def job(self, ref: int | str) -> Job:
        for job in self.problem.jobs:
            if job.id == ref or (job.order and job.order == ref) or str(job.id) == ref:
                return job
        raise InputError(f"no job or order {ref!r} in the plan")

    def event(self, doc: _BreakdownDoc | _RushDoc | _DelayDoc) -> Disruption:
        if isinstance(doc, _BreakdownDoc):
            start = self.tick(doc.start, "breakdown start")
            return Breakdown(self.machine(doc.machine), start, _duration(doc.repair, "repair"))
        if isinstance(doc, _DelayDoc):
            ref = doc.order if doc.order is not None else doc.job
            if ref is None:
                raise InputError("material_delay: name the 'order' or the 'job'")
            return MaterialDelay(self.job(ref).id, self.tick(doc.available, "available"))
        return RushOrder(self.rush(doc))

    def rush(self, doc: _RushDoc) -> Job:
        if (doc.like is None) == (doc.operations is None):
            raise InputError(f"rush order {doc.order}: give either 'like' or 'operations'")
        template = None if doc.like is None else self.job(doc.like)
        if template is not None:
            scale = (doc.quantity or template.quantity) / template.quantity
            operations = tuple(
                Operation(tuple(Option(o.machine, math.ceil(o.time * scale)) for o in op.options),
                          op.name)
                for op in template.operations
            )  # fmt: skip
        else:
            assert doc.operations is not None
            operations = tuple(
                Operation(tuple(Option(self.machine(o.machine), o.time) for o in op.machines),
                          op.name)
                for op in doc.operations
            )  # fmt: skip
        job_id = doc.id if doc.id is not None else self.next_id
        self.next_id = max(self.next_id, job_id + 1)
        return Job(
            job_id,
            operations,
            order=doc.order,
            product=doc.product or (template.product if template else ""),
            family=doc.family or (template.family if template else ""),
            quantity=doc.quantity or (template.quantity if template else 1),
            release=self.tick(doc.release, "release"),
            due=None if doc.due is None else self.tick(doc.due, "due"),
            weight=doc.weight,
        )


def events_from_json(
    data: Any, problem: Problem, *, now_ns: int = 0, source: str = "events"
) -> list[Disruption]:
    """The events in a parsed event document, resolved against ``problem`` (names to ids,
    times to ticks); relative times (``now``, ``-1h``) count from ``now_ns``."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise PlanFormatError(f"{source}: no events")
    docs = []
    for number, item in enumerate(items, start=1):
        try:
            docs.append(_EVENT.validate_python(item))
        except ValidationError as exc:
            where = f"event {number}: " if isinstance(data, list) else ""
            raise PlanFormatError(f"{source}: {where}{_problem_of(exc)}") from exc
    reader = _Reader(problem, now_ns)
    try:
        return [reader.event(doc) for doc in docs]
    except InputError as exc:
        raise PlanFormatError(f"{source}: {exc}") from exc


def _problem_of(error: ValidationError) -> str:
    """The first validation error, located by field (union branches left out)."""
    first = error.errors()[0]
    where = [
        str(part)
        for part in first["loc"]
        if part not in _BRANCHES and not str(part).startswith("tagged-union")
    ]
    if first["type"] == "union_tag_invalid":
        return (
            f"unknown event type {first['input'].get('type')!r} "
            "(breakdown, rush_order or material_delay)"
        )
    if first["type"] == "union_tag_not_found":
        return "an event needs a 'type' (breakdown, rush_order or material_delay)"
    if first["type"] == "model_attributes_type":
        return "an event is a JSON object with a 'type'"
    return f"{'.'.join(where) or 'event'}: {first['msg']}"


def read_events(path: Path, problem: Problem, *, now_ns: int = 0) -> list[Disruption]:
    """Read an event file (see the module docstring)."""
    return events_from_json(read_json_file(path), problem, now_ns=now_ns, source=str(path))
