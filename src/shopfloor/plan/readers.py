"""Readers for benchmark scheduling files and the format choice of ``schedule solve``.

* OR-Library job shop (``jsp``): a line ``jobs machines``, then one line per job of
  ``machine time`` pairs in processing order, machines numbered from 0.
* Brandimarte flexible job shop (``fjs``): a line ``jobs machines [x]`` (the third number
  is not reliably the mean flexibility and is ignored), then per job its number of operations
  and, for each operation, ``k`` followed by ``k`` pairs ``machine time``; numbered from 1.
  Machines declared but never used are kept (idle).
* shopfloor's JSON problem (``json``), see :mod:`shopfloor.plan.jsonio`.

Lines starting with ``#`` and blank lines are skipped. Errors name the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shopfloor.plan.errors import PlanFormatError, ProblemError
from shopfloor.plan.jsonio import read_problem_json
from shopfloor.plan.model import Job, Machine, Operation, Option, Problem

__all__ = ["ProblemFormat", "guess_format", "read_fjs", "read_jsp", "read_problem"]


class ProblemFormat(StrEnum):
    """The problem file formats ``schedule solve`` reads."""

    JSP = "jsp"
    FJS = "fjs"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    values: list[str]


def _lines(path: Path) -> Iterator[_Line]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFormatError(f"{path}: cannot read ({exc})") from exc
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            yield _Line(number, stripped.split())


def _ints(path: Path, line: _Line, values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        bad = next(v for v in values if not v.lstrip("-").isdigit())
        raise PlanFormatError(
            f"{path}:{line.number}: expected whole numbers, found {bad!r}"
        ) from None


def _fail(path: Path, line: _Line | None, message: str) -> PlanFormatError:
    where = f"{path}:{line.number}" if line is not None else f"{path}"
    return PlanFormatError(f"{where}: {message}")


def _header(path: Path, lines: Iterator[_Line], extra_allowed: bool) -> tuple[int, int]:
    line = next(lines, None)
    if line is None:
        raise _fail(path, None, "empty file (expected 'jobs machines')")
    count = len(line.values)
    if count < 2 or count > (3 if extra_allowed else 2):
        raise _fail(path, line, f"expected 'jobs machines', found {' '.join(line.values)!r}")
    jobs, machines = _ints(path, line, line.values[:2])
    if jobs <= 0 or machines <= 0:
        raise _fail(path, line, "the numbers of jobs and machines must be positive")
    return jobs, machines


def _problem(path: Path, jobs: list[Job], machines: int, base: int) -> Problem:
    try:
        return Problem(
            jobs=tuple(jobs),
            machines=tuple(Machine(base + m) for m in range(machines)),
            name=path.stem,
            numbering=base,
        )
    except ProblemError as exc:
        raise ProblemError(f"{path}: {exc}", order=exc.order, operation=exc.operation) from exc


def read_jsp(path: Path) -> Problem:
    """Read an OR-Library job shop file; jobs and machines are numbered from 0."""
    lines = _lines(path)
    job_count, machine_count = _header(path, lines, extra_allowed=False)
    jobs: list[Job] = []
    for job_id in range(job_count):
        line = next(lines, None)
        if line is None:
            raise _fail(path, None, f"ends after {job_id} of {job_count} jobs")
        values = _ints(path, line, line.values)
        if len(values) % 2:
            raise _fail(path, line, "expected 'machine time' pairs (an odd count of numbers)")
        ops = []
        for machine, time in zip(values[::2], values[1::2], strict=True):
            if not 0 <= machine < machine_count:
                raise _fail(path, line, f"machine {machine} outside 0..{machine_count - 1}")
            if time < 0:
                raise _fail(path, line, f"negative processing time {time}")
            ops.append(Operation((Option(machine, time),)))
        if not ops:
            raise _fail(path, line, f"job {job_id} has no operations")
        jobs.append(Job(job_id, tuple(ops)))
    _expect_end(path, lines)
    return _problem(path, jobs, machine_count, 0)


def read_fjs(path: Path) -> Problem:
    """Read a Brandimarte flexible job shop file; jobs and machines are numbered from 1."""
    lines = _lines(path)
    job_count, machine_count = _header(path, lines, extra_allowed=True)
    jobs: list[Job] = []
    for index in range(job_count):
        line = next(lines, None)
        if line is None:
            raise _fail(path, None, f"ends after {index} of {job_count} jobs")
        ops = _fjs_operations(path, line, _ints(path, line, line.values), machine_count)
        jobs.append(Job(index + 1, ops))
    _expect_end(path, lines)
    return _problem(path, jobs, machine_count, 1)


def _fjs_operations(
    path: Path, line: _Line, values: list[int], machines: int
) -> tuple[Operation, ...]:
    if not values or values[0] <= 0:
        raise _fail(path, line, "a job line starts with its number of operations (positive)")
    cursor, ops = 1, []
    for op in range(values[0]):
        if cursor >= len(values):
            raise _fail(path, line, f"operation {op}: line ends early")
        k = values[cursor]
        pairs = values[cursor + 1 : cursor + 1 + 2 * k]
        if k <= 0 or len(pairs) != 2 * k:
            raise _fail(path, line, f"operation {op}: expected {k} 'machine time' pairs")
        options = []
        for machine, time in zip(pairs[::2], pairs[1::2], strict=True):
            if not 1 <= machine <= machines:
                raise _fail(path, line, f"operation {op}: machine {machine} outside 1..{machines}")
            if time < 0:
                raise _fail(path, line, f"operation {op}: negative processing time {time}")
            options.append(Option(machine, time))
        ops.append(Operation(tuple(options)))
        cursor += 1 + 2 * k
    if cursor != len(values):
        raise _fail(path, line, f"{len(values) - cursor} numbers left after the last operation")
    return tuple(ops)


def _expect_end(path: Path, lines: Iterator[_Line]) -> None:
    extra = next(lines, None)
    if extra is not None:
        raise _fail(path, extra, "more job lines than the header declares")


def guess_format(path: Path) -> ProblemFormat:
    """The format of ``path``: ``json`` by suffix, else ``fjs`` when the first line has a
    third number, else ``jsp``."""
    if path.suffix.lower() == ".json":
        return ProblemFormat.JSON
    first = next(_lines(path), None)
    if first is not None and len(first.values) == 3:
        return ProblemFormat.FJS
    return ProblemFormat.JSP


def read_problem(path: Path, fmt: ProblemFormat | None = None) -> Problem:
    """Read a problem file in ``fmt`` (guessed from the file when None)."""
    chosen = fmt if fmt is not None else guess_format(path)
    if chosen is ProblemFormat.JSON:
        return read_problem_json(path)
    if chosen is ProblemFormat.FJS:
        return read_fjs(path)
    return read_jsp(path)
