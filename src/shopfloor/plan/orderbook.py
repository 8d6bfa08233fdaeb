"""Production orders for the twin's line, as a scheduling problem.

An order book lists what the line must make: a product, a quantity, when the material is
there (release) and when the customer wants it (due). :func:`line_problem` turns it into a
:class:`~shopfloor.plan.model.Problem` from the plant file alone:

* machines are the ``sim:`` stations' machines in flow order (ids from 0, named as in the
  plant), each with the plant's calendar (shifts, breaks, holidays) as downtime and its
  kind's power per state;
* each order is a job with one operation per station of its product's routing (the
  operation's ``name`` is the station); every machine of the station is eligible, for the
  machine's ideal cycle time times the product's ``cycle_factor`` times the quantity,
  rounded up to whole seconds (the order moves through a station as one lot);
* a changeover to another product costs the machine's ``setup_time`` (same product: none).

Ticks are seconds after ``start_ns``.

>>> from shopfloor.sim import default_plant
>>> plant = default_plant()
>>> orders = sample_order_book(plant, start_ns=1_795_680_000 * 10**9, count=3, seed=1)
>>> problem = line_problem(plant, orders, start_ns=1_795_680_000 * 10**9)
>>> [m.name for m in problem.machines][:3], len(problem.jobs)
(['press1', 'cnc1', 'cnc2'], 3)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shopfloor.model.assets import AssetLevel
from shopfloor.model.calendar import Calendar
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.errors import ConfigError
from shopfloor.model.plant import Plant
from shopfloor.model.sim_spec import MachineSimSpec, SimSpec
from shopfloor.plan.calendars import downtime_from_calendar
from shopfloor.plan.model import (
    Downtime,
    Job,
    Machine,
    MachinePower,
    ObjectiveWeights,
    Operation,
    Option,
    Problem,
    Setup,
)
from shopfloor.sim.kinds import kind_of, resolve

__all__ = ["LineMachine", "ProductionOrder", "line_machines", "line_problem", "sample_order_book"]

WEEK_S = 7 * 86_400


@dataclass(frozen=True, slots=True)
class ProductionOrder:
    """An order for the line: ``quantity`` parts of ``product``, released at ``release_ns``
    and due at ``due_ns`` (UTC nanoseconds), with a tardiness ``weight``."""

    id: str
    product: str
    quantity: int
    release_ns: int
    due_ns: int | None = None
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class LineMachine:
    """A machine of the twin's line as the planner sees it."""

    id: int
    name: str
    station: str
    params: MachineSimSpec


def _sim(plant: Plant) -> SimSpec:
    if plant.sim is None:
        raise ConfigError(f"{plant.source}: the plant file has no 'sim:' section")
    return plant.sim


def line_machines(plant: Plant) -> list[LineMachine]:
    """The line's machines in flow order with their resolved twin settings."""
    spec = _sim(plant)
    line = plant.find_asset(spec.line)
    if line is None:
        raise ConfigError(f"sim: line {spec.line!r} is not an asset of the plant")
    assets = {a.name: a for a in line.walk() if a.level is AssetLevel.MACHINE}
    machines: list[LineMachine] = []
    for station in spec.stations:
        for name in station.machines:
            settings = spec.machines.get(name)
            asset = assets.get(name)
            kind = (settings.kind if settings and settings.kind else None) or (
                asset.kind if asset else ""
            )
            try:
                params = resolve(kind_of(kind), settings)
            except ValueError as exc:
                raise ConfigError(f"sim: machine {name!r}: {exc}") from None
            if asset is not None and asset.ideal_cycle_s:
                params = params.model_copy(update={"cycle_time": asset.ideal_cycle_s})
            machines.append(LineMachine(len(machines), name, station.name, params))
    return machines


def sample_order_book(
    plant: Plant,
    *,
    start_ns: int,
    count: int = 8,
    seed: int = 0,
    quantity: tuple[int, int] = (20, 60),
    spacing_s: float = 1800.0,
    slack: float = 1.5,
) -> list[ProductionOrder]:
    """A reproducible order book for the plant's line: ``count`` orders, products drawn by
    their ``share``, quantities uniform in ``quantity``, one released every ``spacing_s``
    from ``start_ns``, weights 1 to 3. An order is due ``slack`` times its own flow time (its
    lot through every station in turn) plus the bottleneck's work on the orders before it
    after its release."""
    spec = _sim(plant)
    rng = np.random.default_rng(seed)
    shares = np.array([p.share for p in spec.products], dtype=np.float64)
    machines = line_machines(plant)
    orders: list[ProductionOrder] = []
    backlog = 0.0
    for index in range(count):
        product = spec.products[int(rng.choice(len(spec.products), p=shares / shares.sum()))]
        amount = int(rng.integers(quantity[0], quantity[1] + 1))
        release = start_ns + round(index * spacing_s * NS_PER_S)
        flow = _flow_s(plant, machines, product.name, amount)
        due = release + round(slack * (flow + backlog) * NS_PER_S)
        backlog += _bottleneck_s(plant, machines, product.name, amount)
        weight = float(rng.integers(1, 4))
        orders.append(
            ProductionOrder(f"PO-{index + 1:03d}", product.name, amount, release, due, weight)
        )
    return orders


def _bottleneck_s(plant: Plant, machines: Sequence[LineMachine], product: str, qty: int) -> float:
    """The longest station time of ``qty`` parts (parallel machines share the station)."""
    spec = _sim(plant)
    routing = next(p for p in spec.products if p.name == product)
    longest = 0.0
    for station in routing.routing:
        here = [m for m in machines if m.station == station]
        per_part = min(_cycle(m, routing.cycle_factor) for m in here) / len(here)
        longest = max(longest, per_part * qty)
    return longest


def _flow_s(plant: Plant, machines: Sequence[LineMachine], product: str, qty: int) -> float:
    """The time ``qty`` parts take through the routing, station after station, as one lot."""
    routing = next(p for p in _sim(plant).products if p.name == product)
    return sum(
        min(_cycle(m, routing.cycle_factor) for m in machines if m.station == station) * qty
        for station in routing.routing
    )


def _cycle(machine: LineMachine, factors: dict[str, float]) -> float:
    return (machine.params.cycle_time or 1.0) * factors.get(machine.station, 1.0)


def line_problem(
    plant: Plant,
    orders: Sequence[ProductionOrder],
    *,
    start_ns: int,
    horizon_s: int = 2 * WEEK_S,
    objective: ObjectiveWeights | None = None,
) -> Problem:
    """The scheduling problem of ``orders`` on the plant's line (see the module docstring),
    in seconds after ``start_ns``, up to ``horizon_s``."""
    spec = _sim(plant)
    # The epoch is a whole second (plan files store it so); ticks count from it.
    epoch = dt.datetime.fromtimestamp(start_ns // NS_PER_S, dt.UTC)
    origin = start_ns // NS_PER_S * NS_PER_S
    machines = line_machines(plant)
    calendar = Calendar(plant.calendar) if plant.calendar is not None else Calendar()
    downtime = tuple(downtime_from_calendar(calendar, epoch, horizon_s))
    products = {p.name: p for p in spec.products}
    jobs = []
    for index, order in enumerate(orders):
        product = products.get(order.product)
        if product is None:
            raise ConfigError(f"order {order.id!r} names unknown product {order.product!r}")
        operations = tuple(
            Operation(
                tuple(
                    Option(m.id, math.ceil(_cycle(m, product.cycle_factor) * order.quantity))
                    for m in machines
                    if m.station == station
                ),
                station,
            )
            for station in product.routing
        )
        jobs.append(
            Job(
                index,
                operations,
                order=order.id,
                product=order.product,
                quantity=order.quantity,
                release=max(0, _tick(order.release_ns, origin)),
                due=None if order.due_ns is None else max(0, _tick(order.due_ns, origin)),
                weight=order.weight,
            )
        )
    return Problem(
        jobs=tuple(jobs),
        machines=tuple(_machine(m, downtime) for m in machines),
        setups=_setups(machines, list(products)),
        objective=objective or ObjectiveWeights(makespan=1.0, total_weighted_tardiness=1.0),
        name=f"{spec.line} orders",
        epoch=epoch,
        horizon=horizon_s,
    )


def _tick(t_ns: int, start_ns: int) -> int:
    return math.ceil((t_ns - start_ns) / NS_PER_S)


def _machine(machine: LineMachine, downtime: tuple[Downtime, ...]) -> Machine:
    power = machine.params.power
    watts = None
    if power is not None:
        watts = MachinePower(power.running, power.idle, power.setup, power.stopped)
    return Machine(machine.id, machine.name, downtime, watts)


def _setups(machines: Sequence[LineMachine], products: Sequence[str]) -> tuple[Setup, ...]:
    return tuple(
        Setup(m.id, a, b, math.ceil(m.params.setup_time or 0))
        for m in machines
        if m.params.setup_time
        for a in products
        for b in products
        if a != b
    )
