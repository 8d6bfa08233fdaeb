"""The plant file's ``sim:`` section: how the factory twin's line behaves.

The twin simulates one discrete production line of the plant's asset tree: stations in flow
order, each with one or more machines working in parallel, joined by finite buffers;
products with routings through the stations; an order book; and for every machine its
cycle time, setups, energy use, wear, random faults, repairs and tool wear. Every parameter
has a default taken from the machine's ``kind`` (see :mod:`shopfloor.sim.kinds`), so a plant
file names only what differs.

.. code-block:: yaml

    sim:
      line: acme/plant1/body/line1
      stations:
        - {name: stamping, machines: [press1], buffer: 12}
        - {name: machining, machines: [cnc1, cnc2], buffer: 8}
      products:
        - {name: bracket-a, routing: [stamping, machining]}
      orders: {quantity: [40, 200]}
      wear_acceleration: 1
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopfloor.model.spec_types import NonNegativeDuration as Seconds

Fraction = Annotated[float, Field(ge=0, le=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PowerSpec(_Spec):
    """Electrical power drawn per state, in kW."""

    running: float = Field(ge=0)
    idle: float = Field(ge=0)
    setup: float = Field(ge=0)
    stopped: float = Field(ge=0)


class WearSpec(_Spec):
    """Progressive wear to failure: vibration and temperature rise as wear grows."""

    mean_life: Seconds = Field(description="Mean running time from new to failure.")
    life_cv: float = Field(
        0.3, ge=0, le=2, description="Spread of life (coefficient of variation)."
    )
    repair: Seconds = Field(description="Mean repair time after a wear failure.")
    repair_cv: float = Field(0.5, ge=0, le=3)
    cause: str = Field(description="The failing component, e.g. spindle_bearing.")


class FaultSpec(_Spec):
    """Random faults (jams, sensor faults, e-stops), independent of wear."""

    mtbf: Seconds = Field(description="Mean running time between faults.")
    mttr: Seconds = Field(description="Mean time to repair a fault.")
    repair_cv: float = Field(1.0, ge=0, le=3)
    causes: list[str] = Field(default_factory=lambda: ["jam", "sensor_fault", "e_stop"])


class ToolSpec(_Spec):
    """A cutting or forming tool whose wear raises scrap until it is changed."""

    life_parts: int = Field(gt=0)
    change_time: Seconds
    scrap_new: Fraction = 0.005
    scrap_worn: Fraction = 0.08


class MachineSimSpec(_Spec):
    """How one machine behaves; unset fields come from its kind's defaults."""

    kind: str | None = None
    cycle_time: Seconds | None = None
    cycle_cv: float | None = Field(None, ge=0, le=1)
    speed_loss: float | None = Field(None, ge=0, le=1, description="Mean slowdown vs ideal.")
    setup_time: Seconds | None = None
    scrap: Fraction | None = None
    power: PowerSpec | None = None
    wear: WearSpec | None = None
    faults: FaultSpec | None = None
    tool: ToolSpec | None = None


class StationSpec(_Spec):
    """A step of the line: machines in parallel, then a buffer of ``buffer`` parts."""

    name: str
    machines: list[str] = Field(min_length=1)
    buffer: int = Field(10, ge=1, description="Capacity of the buffer after this station.")


class ProductSpec(_Spec):
    """A product variant and the stations it visits, in order."""

    name: str
    routing: list[str] = Field(min_length=1)
    cycle_factor: dict[str, float] = Field(
        default_factory=dict, description="Cycle time multiplier per station name."
    )
    share: float = Field(1.0, gt=0, description="Relative share in generated orders.")


class OrderSpec(_Spec):
    """One explicit production order."""

    id: str
    product: str
    quantity: int = Field(gt=0)


class OrderBookSpec(_Spec):
    """Where the line's orders come from: an explicit list, then generated ones."""

    explicit: list[OrderSpec] = Field(default_factory=list)
    generate: bool = True
    quantity: tuple[int, int] = (40, 200)

    @field_validator("quantity")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 < value[0] <= value[1]:
            raise ValueError("quantity must be [low, high] with 0 < low <= high")
        return value


class SimSpec(_Spec):
    """The twin of one production line."""

    line: str = Field(description="Asset path of the simulated line.")
    stations: list[StationSpec] = Field(min_length=1)
    products: list[ProductSpec] = Field(min_length=1)
    machines: dict[str, MachineSimSpec] = Field(default_factory=dict)
    orders: OrderBookSpec = Field(default_factory=OrderBookSpec)
    sample_period: Seconds = Field(1.0, gt=0)
    heartbeat: Seconds = Field(60.0, gt=0, description="Discrete tags are repeated this often.")
    wear_acceleration: float = Field(1.0, gt=0, description="Divides every wear life.")
    fault_acceleration: float = Field(1.0, gt=0, description="Divides every MTBF.")
    ambient_temperature: float = 22.0

    @model_validator(mode="after")
    def _consistent(self) -> SimSpec:
        stations = [s.name for s in self.stations]
        _unique(stations, "station")
        _unique([m for s in self.stations for m in s.machines], "machine in stations")
        _unique([p.name for p in self.products], "product")
        for product in self.products:
            unknown = [s for s in product.routing if s not in stations]
            if unknown:
                raise ValueError(
                    f"product {product.name!r} routes through unknown station(s) {unknown}"
                )
            order = [stations.index(s) for s in product.routing]
            if order != sorted(order) or len(set(order)) != len(order):
                raise ValueError(f"product {product.name!r}: routing must follow the station order")
        products = {p.name for p in self.products}
        for order_spec in self.orders.explicit:
            if order_spec.product not in products:
                raise ValueError(
                    f"order {order_spec.id!r} names unknown product {order_spec.product!r}"
                )
        placed = {m for s in self.stations for m in s.machines}
        stray = sorted(set(self.machines) - placed)
        if stray:
            raise ValueError(f"machines {stray} have settings but are in no station")
        return self


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} name {name!r}")
        seen.add(name)
