"""Energy cost under a time-of-use tariff, as CP-SAT terms.

The cost of running an operation for ``p`` ticks from ``s`` on a machine drawing ``P`` kW is
``P / 3600 * integral of price over [s, s + p)``. As a function of ``s`` it is piecewise
linear: it bends where ``s`` or ``s + p`` crosses a price change. Each operation-machine
pair gets one literal per linear piece (exactly one when the pair is chosen) and an integer
cost in millionths of the currency that follows the piece's line. With a flat tariff the
cost depends on the machine choice only and is a plain linear term.

Setup energy is not modelled here (the plan's reported energy includes it, computed
exactly); it is small next to running energy and would tie the setup sequence to the clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from shopfloor.plan.model import SECONDS_PER_HOUR, Problem, Tariff

__all__ = ["EnergyItem", "EnergyModel", "add_energy_cost", "cost_pieces"]

_MICRO = 1_000_000


@dataclass(frozen=True, slots=True)
class EnergyItem:
    """One way to run an operation: its key, machine, start variable, presence and time."""

    key: tuple[int, int]
    machine: int
    start: cp_model.IntVar
    present: cp_model.IntVar | int
    time: int


@dataclass(frozen=True, slots=True)
class _Piece:
    lo: int
    hi: int
    value: int
    slope: int


@dataclass(slots=True)
class EnergyModel:
    """The energy terms (coefficient in currency, variable) and what hinting needs."""

    terms: list[tuple[float, cp_model.IntVar]] = field(default_factory=list)
    pieces: dict[tuple[tuple[int, int], int], list[tuple[_Piece, cp_model.IntVar]]] = field(
        default_factory=dict
    )
    costs: dict[tuple[tuple[int, int], int], cp_model.IntVar] = field(default_factory=dict)

    def hint(self, model: cp_model.CpModel, key: tuple[int, int], machine: int, start: int) -> None:
        """Hint the piece literals and cost of ``key`` on ``machine`` starting at ``start``
        (and zero for its other machines)."""
        for (other_key, other_machine), pieces in self.pieces.items():
            if other_key != key:
                continue
            chosen = other_machine == machine
            cost = 0
            for piece, lit in pieces:
                inside = chosen and piece.lo <= start < piece.hi
                model.add_hint(lit, inside)
                if inside:
                    cost = piece.value + piece.slope * (start - piece.lo)
            model.add_hint(self.costs[(other_key, other_machine)], cost)


def cost_pieces(tariff: Tariff, power_kw: float, time: int, latest: int) -> list[_Piece]:
    """The running cost of a ``time``-tick operation as a function of its start in
    ``[0, latest]``, as linear pieces in millionths of the currency."""
    edges = tariff.breakpoints(-time - 1, latest + time + 1)
    cuts = sorted({0, latest + 1} | {e for b in edges for e in (b, b - time) if 0 < e <= latest})
    pieces = []
    for lo, hi in itertools.pairwise(cuts):
        value = power_kw * tariff.price_ticks(lo, lo + time) / SECONDS_PER_HOUR
        slope = power_kw * (tariff.price_at(lo + time) - tariff.price_at(lo)) / SECONDS_PER_HOUR
        pieces.append(_Piece(lo, hi, round(value * _MICRO), round(slope * _MICRO)))
    return pieces


def add_energy_cost(
    model: cp_model.CpModel, problem: Problem, items: Sequence[EnergyItem], horizon: int
) -> EnergyModel:
    """Add the running energy cost of ``items`` to ``model``; returns its terms."""
    energy = EnergyModel()
    tariff = problem.tariff
    if tariff is None:
        return energy
    for item in items:
        power = problem.machine(item.machine).power
        if power is None or power.running <= 0 or item.time == 0:
            continue
        latest = max(0, horizon - item.time)
        pieces = cost_pieces(tariff, power.running, item.time, latest)
        _add_item(model, energy, item, pieces)
    return energy


def _add_item(
    model: cp_model.CpModel, energy: EnergyModel, item: EnergyItem, pieces: list[_Piece]
) -> None:
    ends = [p.value + p.slope * (p.hi - 1 - p.lo) for p in pieces]
    top = max([p.value for p in pieces] + ends + [0])
    bottom = min([p.value for p in pieces] + ends + [0])
    cost = model.new_int_var(bottom, top, f"energy_{item.key}_{item.machine}")
    literals = []
    for piece in pieces:
        lit = model.new_bool_var(f"piece_{item.key}_{item.machine}_{piece.lo}")
        model.add(item.start >= piece.lo).only_enforce_if(lit)
        model.add(item.start <= piece.hi - 1).only_enforce_if(lit)
        model.add(cost == piece.value + piece.slope * (item.start - piece.lo)).only_enforce_if(lit)
        literals.append(lit)
    if isinstance(item.present, int):
        model.add_exactly_one(literals)
    else:
        model.add(sum(literals) == item.present)
        model.add(cost == 0).only_enforce_if(~item.present)
    energy.pieces[(item.key, item.machine)] = list(zip(pieces, literals, strict=True))
    energy.costs[(item.key, item.machine)] = cost
    energy.terms.append((1 / _MICRO, cost))
