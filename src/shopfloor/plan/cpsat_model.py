"""The CP-SAT model behind :func:`shopfloor.plan.cpsat.solve` (see its docstring for why
each part is there): operations as (optional) intervals, machines as no-overlaps with their
downtime, setups as circuits, the weighted objective, the warm-start hint, and reading a
plan back from a solution."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from shopfloor.plan.cpsat_energy import EnergyItem, EnergyModel, add_energy_cost
from shopfloor.plan.errors import NoPlanError
from shopfloor.plan.model import (
    Downtime,
    Plan,
    Problem,
    ScheduledOperation,
    SolverInfo,
    evaluate,
    with_setups,
)

__all__ = ["Replanning", "ScheduleModel", "makespan_lower_bound"]


@dataclass(frozen=True, slots=True)
class Replanning:
    """What a replan keeps: ``fixed`` operations stay, the rest start at or after
    ``not_before``; leaving a ``reference`` operation's machine or start costs
    ``stability_weight``."""

    fixed: tuple[ScheduledOperation, ...] = ()
    not_before: int = 0
    reference: tuple[ScheduledOperation, ...] = ()
    stability_weight: float = 0.0


@dataclass(slots=True)
class _OpVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    interval: cp_model.IntervalVar
    size: cp_model.IntVar
    choices: dict[int, tuple[cp_model.IntervalVar, cp_model.IntVar | int]]
    """machine -> (interval on that machine, presence literal or 1 when it is the only one)"""


class ScheduleModel:
    """The CP-SAT model of one problem, with ``horizon`` as the latest end."""

    def __init__(self, problem: Problem, inputs: Replanning, horizon: int) -> None:
        self.problem, self.inputs, self.horizon = problem, inputs, horizon
        self.model = cp_model.CpModel()
        self.ops: dict[tuple[int, int], _OpVars] = {}
        self.makespan = self.model.new_int_var(0, horizon, "makespan")
        self.tardiness: dict[int, cp_model.IntVar] = {}
        self.arcs: dict[int, dict[tuple[int, int], cp_model.IntVar]] = {}
        self.moved: dict[tuple[int, int], cp_model.IntVar] = {}
        self.setups: dict[tuple[int, tuple[int, int]], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        self.energy = EnergyModel()
        self._fixed = {(o.job, o.operation) for o in inputs.fixed}

    def build(self) -> None:
        """Add the operations, job chains, machines and redundant constraints."""
        fixed = {(op.job, op.operation): op for op in self.inputs.fixed}
        for job in self.problem.jobs:
            for index in range(len(job.operations)):
                self._operation(job.id, index, fixed.get((job.id, index)))
            self._job_chain(job.id)
        self._machines()
        self._redundant()

    def _operation(self, job_id: int, index: int, fixed: ScheduledOperation | None) -> None:
        model, job = self.model, self.problem.job(job_id)
        options = [o for o in job.operations[index].options if o.time <= self.horizon]
        if fixed is not None:
            options = [o for o in options if o.machine == fixed.machine]
        if not options:
            raise NoPlanError(f"{job.label}, operation {index}: no machine fits the horizon")
        name = f"j{job_id}o{index}"
        earliest = 0 if fixed is not None else max(self.inputs.not_before, 0)
        start = model.new_int_var(earliest, self.horizon, f"s_{name}")
        end = model.new_int_var(earliest, self.horizon, f"e_{name}")
        if fixed is not None:
            model.add(start == fixed.start)
        times = sorted({o.time for o in options})
        size = model.new_int_var_from_domain(cp_model.Domain.from_values(times), f"d_{name}")
        interval = model.new_interval_var(start, size, end, f"i_{name}")
        choices: dict[int, tuple[cp_model.IntervalVar, cp_model.IntVar | int]] = {}
        if len(options) == 1:
            model.add(size == options[0].time)
            choices[options[0].machine] = (interval, 1)
        else:
            literals = []
            for option in options:
                present = model.new_bool_var(f"x_{name}m{option.machine}")
                alt = model.new_optional_fixed_size_interval_var(
                    start, option.time, present, f"i_{name}m{option.machine}"
                )
                choices[option.machine] = (alt, present)
                literals.append(present)
            model.add_exactly_one(literals)
            model.add(size == sum(o.time * lit for o, lit in zip(options, literals, strict=True)))
        self.ops[(job_id, index)] = _OpVars(start, end, interval, size, choices)

    def _job_chain(self, job_id: int) -> None:
        job = self.problem.job(job_id)
        first = self.ops[(job_id, 0)]
        self.model.add(first.start >= job.release)
        for index in range(1, len(job.operations)):
            self.model.add(self.ops[(job_id, index)].start >= self.ops[(job_id, index - 1)].end)
        last = self.ops[(job_id, len(job.operations) - 1)]
        self.model.add(self.makespan >= last.end)
        if job.due is not None and self._weights_tardiness():
            late = self.model.new_int_var(0, self.horizon, f"T_j{job_id}")
            self.model.add(late >= last.end - job.due)
            self.tardiness[job_id] = late

    def _weights_tardiness(self) -> bool:
        return self.problem.objective.total_weighted_tardiness > 0

    def _machines(self) -> None:
        for machine in self.problem.machines:
            users = [
                (key, *op.choices[machine.id])
                for key, op in self.ops.items()
                if machine.id in op.choices
            ]
            if not users:
                continue
            downtime = [
                self.model.new_fixed_size_interval_var(start, end - start, f"down{machine.id}")
                for start, end in _merged(machine.unavailable)
                if start < self.horizon
            ]
            self.model.add_no_overlap([u[1] for u in users] + downtime)
            if self._has_changeovers(machine.id, [u[0][0] for u in users]):
                self._circuit(machine.id, users, downtime)

    def _has_changeovers(self, machine: int, job_ids: Sequence[int]) -> bool:
        families = {self.problem.job(j).setup_family for j in job_ids}
        return any(self.problem.setup_time(machine, a, b) > 0 for a in families for b in families)

    def _circuit(
        self,
        machine: int,
        users: Sequence[tuple[tuple[int, int], cp_model.IntervalVar, cp_model.IntVar | int]],
        downtime: Sequence[cp_model.IntervalVar],
    ) -> None:
        """Sequence the machine's operations with a circuit; arcs carry the setup times."""
        model, problem = self.model, self.problem
        families = [problem.job(key[0]).setup_family for key, _, _ in users]
        arcs: list[tuple[int, int, cp_model.IntVar]] = []
        chosen: dict[tuple[int, int], cp_model.IntVar] = {}
        empty = model.new_bool_var(f"empty_m{machine}")
        arcs.append((0, 0, empty))
        chosen[(0, 0)] = empty
        incoming: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
        for i, (key, _, present) in enumerate(users, start=1):
            first = model.new_bool_var(f"first_m{machine}_{i}")
            last = model.new_bool_var(f"last_m{machine}_{i}")
            arcs += [(0, i, first), (i, 0, last)]
            chosen[(0, i)], chosen[(i, 0)] = first, last
            incoming.setdefault(i, []).append((first, 0))
            if isinstance(present, int):
                model.add_implication(empty, ~first)
            else:
                skip = model.new_bool_var(f"skip_m{machine}_{i}")
                model.add(skip + present == 1)
                arcs.append((i, i, skip))
                chosen[(i, i)] = skip
            for j, (other, _, _) in enumerate(users, start=1):
                if i == j:
                    continue
                lit = model.new_bool_var(f"arc_m{machine}_{i}_{j}")
                setup = problem.setup_time(machine, families[i - 1], families[j - 1])
                model.add(self.ops[other].start >= self.ops[key].end + setup).only_enforce_if(lit)
                if setup and self.inputs.not_before > 0 and other not in self._fixed:
                    # the changeover is new work too: it cannot happen before not_before
                    # (with not_before 0 the arc's own constraint implies this already)
                    begin = self.inputs.not_before + setup
                    model.add(self.ops[other].start >= begin).only_enforce_if(lit)
                arcs.append((i, j, lit))
                chosen[(i, j)] = lit
                incoming.setdefault(j, []).append((lit, setup))
        model.add_circuit(arcs)
        self.arcs[machine] = chosen
        if downtime:
            self._setup_intervals(machine, users, incoming, downtime)

    def _setup_intervals(
        self,
        machine: int,
        users: Sequence[tuple[tuple[int, int], cp_model.IntervalVar, cp_model.IntVar | int]],
        incoming: dict[int, list[tuple[cp_model.IntVar, int]]],
        downtime: Sequence[cp_model.IntervalVar],
    ) -> None:
        """Setups happen right before their operation and, like it, outside downtime."""
        model, spans = self.model, []
        for i, (key, _, present) in enumerate(users, start=1):
            longest = max(t for _, t in incoming[i])
            if longest == 0:
                continue
            size = model.new_int_var(0, longest, f"setup_m{machine}_{i}")
            model.add(size == sum(t * lit for lit, t in incoming[i]))
            start = self.ops[key].start
            begin = model.new_int_var(0, self.horizon, f"setup_begin_m{machine}_{i}")
            if isinstance(present, int):
                spans.append(model.new_interval_var(begin, size, start, f"su{i}"))
            else:
                spans.append(model.new_optional_interval_var(begin, size, start, present, f"su{i}"))
            self.setups[(machine, key)] = (size, begin)
        if spans:
            model.add_no_overlap([*spans, *downtime])

    def _redundant(self) -> None:
        self.model.add(self.makespan >= makespan_lower_bound(self.problem))
        flexible = any(len(op.choices) > 1 for op in self.ops.values())
        if flexible:
            used = {m for op in self.ops.values() for m in op.choices}
            intervals = [op.interval for op in self.ops.values()]
            self.model.add_cumulative(intervals, [1] * len(intervals), len(used))

    def objective(self) -> None:
        """Minimise the weighted objectives (integer coefficients when possible)."""
        weights, terms = self.problem.objective, []
        if weights.makespan > 0:
            terms.append((weights.makespan, self.makespan))
        for job_id, late in self.tardiness.items():
            terms.append((weights.total_weighted_tardiness * self.problem.job(job_id).weight, late))
        if weights.energy_cost > 0:
            self.energy = add_energy_cost(
                self.model, self.problem, self._energy_items(), self.horizon
            )
            terms += [(weights.energy_cost * c, v) for c, v in self.energy.terms]
        self._stability(terms)
        if all(float(c).is_integer() for c, _ in terms):
            self.model.minimize(sum(int(c) * v for c, v in terms))
        else:
            self.model.minimize(sum(c * v for c, v in terms))

    def _energy_items(self) -> list[EnergyItem]:
        return [
            EnergyItem(key, machine, op.start, present, op_time)
            for key, op in self.ops.items()
            for machine, (_, present) in op.choices.items()
            for op_time in [self._time(key, machine)]
        ]

    def _time(self, key: tuple[int, int], machine: int) -> int:
        return self.problem.job(key[0]).operations[key[1]].time_on(machine) or 0

    def _stability(self, terms: list[tuple[float, cp_model.IntVar]]) -> None:
        """Each operation that leaves its reference machine or start costs the weight."""
        weight = self.inputs.stability_weight
        if weight <= 0:
            return
        for ref in self.inputs.reference:
            op = self.ops.get((ref.job, ref.operation))
            if op is None or ref.machine not in op.choices:
                continue
            moved = self.model.new_bool_var(f"moved_j{ref.job}o{ref.operation}")
            present = op.choices[ref.machine][1]
            self.model.add(op.start == ref.start).only_enforce_if(~moved)
            if not isinstance(present, int):
                self.model.add_implication(~moved, present)
            self.moved[(ref.job, ref.operation)] = moved
            terms.append((weight, moved))

    def hint(self, plan: Plan) -> None:
        """Give CP-SAT the whole of ``plan`` as its first solution to improve on."""
        model, placed = self.model, {(o.job, o.operation): o for o in plan.operations}
        for key, op in self.ops.items():
            chosen = placed.get(key)
            if chosen is None:
                continue
            model.add_hint(op.start, chosen.start)
            model.add_hint(op.end, chosen.end)
            model.add_hint(op.size, chosen.end - chosen.start)
            for machine, (_, present) in op.choices.items():
                if not isinstance(present, int):
                    model.add_hint(present, machine == chosen.machine)
            if self.energy.pieces:
                self.energy.hint(model, key, chosen.machine, chosen.start)
        model.add_hint(self.makespan, plan.objectives.makespan)
        for job_id, late in self.tardiness.items():
            due = self.problem.job(job_id).due or 0
            model.add_hint(late, max(0, plan.completion(job_id) - due))
        for key, moved in self.moved.items():
            ref = next(r for r in self.inputs.reference if (r.job, r.operation) == key)
            now = placed.get(key)
            same = now is not None and (now.machine, now.start) == (ref.machine, ref.start)
            model.add_hint(moved, not same)
        self._hint_arcs(plan)
        for (machine, key), (size, begin) in self.setups.items():
            chosen = placed.get(key)
            setup = chosen.setup if chosen is not None and chosen.machine == machine else 0
            start = chosen.start if chosen is not None else 0
            model.add_hint(size, setup)
            model.add_hint(begin, max(0, start - setup))

    def _hint_arcs(self, plan: Plan) -> None:
        lanes = plan.by_machine()
        for machine, arcs in self.arcs.items():
            order = [(o.job, o.operation) for o in lanes.get(machine, [])]
            users = [key for key, op in self.ops.items() if machine in op.choices]
            node = {key: i for i, key in enumerate(users, start=1)}
            sequence = [0, *(node[k] for k in order if k in node), 0]
            used = set(itertools.pairwise(sequence))
            if len(sequence) == 2:
                used = {(0, 0)}
            used |= {(i, i) for i in range(1, len(users) + 1) if i not in sequence}
            for arc, lit in arcs.items():
                self.model.add_hint(lit, arc in used)

    def plan(self, solver: cp_model.CpSolver, info: SolverInfo) -> Plan:
        """The solver's current solution as a plan (setups from each machine's order)."""
        operations = []
        for (job_id, index), op in self.ops.items():
            machine = next(
                m
                for m, (_, present) in op.choices.items()
                if isinstance(present, int) or solver.boolean_value(present)
            )
            start = solver.value(op.start)
            end = start + self._time((job_id, index), machine)
            operations.append(ScheduledOperation(job_id, index, machine, start, end))
        planned = tuple(with_setups(self.problem, operations))
        return Plan(self.problem, planned, evaluate(self.problem, planned), info)


def makespan_lower_bound(problem: Problem) -> int:
    """A static lower bound on the makespan: the longest job (release plus its shortest
    processing times) and, per machine, the work only it can do plus the smallest head
    before and tail after that work."""
    bound = 0
    heads: dict[int, list[int]] = {}
    tails: dict[int, list[int]] = {}
    load: dict[int, int] = {}
    for job in problem.jobs:
        shortest = [min(o.time for o in op.options) for op in job.operations]
        bound = max(bound, job.release + sum(shortest))
        for index, op in enumerate(job.operations):
            if len(op.options) != 1:
                continue
            machine = op.options[0].machine
            load[machine] = load.get(machine, 0) + op.options[0].time
            heads.setdefault(machine, []).append(job.release + sum(shortest[:index]))
            tails.setdefault(machine, []).append(sum(shortest[index + 1 :]))
    for machine, work in load.items():
        bound = max(bound, min(heads[machine]) + work + min(tails[machine]))
    return bound


def _merged(spans: Sequence[Downtime]) -> list[tuple[int, int]]:
    """Downtime spans as disjoint ``(start, end)`` pairs: overlapping spans (a breakdown
    during a break, say) would otherwise be two fixed intervals that a no-overlap refuses."""
    merged: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda d: (d.start, d.end)):
        if span.end <= span.start:
            continue
        if merged and span.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span.end))
        else:
            merged.append((span.start, span.end))
    return merged
