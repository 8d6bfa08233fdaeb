"""The plant file's ``maintenance:`` section: health and remaining useful life per machine.

Every machine the ``select`` pattern matches gets a health index and a remaining-useful-life
estimate with a 90 % interval every ``interval`` of data time, from its running behaviour
relative to its as-new self (see ``docs/rul.md``). A ``maintenance.warning`` event is raised
when the estimate (by default its lower bound) falls below ``horizon``. Without the section
every machine is estimated with the built-in models, learnt on the factory twin.

.. code-block:: yaml

    maintenance:
      select: acme/+/+/line1/+
      model: models/line1-rul.json        # from `shopfloor rul train --format csv`
      health_model: models/line1-health.json
      horizon: 3d
      warn_on: lower
      interval: 1h
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from shopfloor.model.namespace import Pattern
from shopfloor.model.spec_types import Duration, Name
from shopfloor.model.states import MachineState


def _state(value: object) -> object:
    return MachineState.parse(value) if isinstance(value, str) else value


class MaintenanceSpec(BaseModel):
    """The ``maintenance:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: no health or RUL estimates")
    select: str = Field("#", description="asset pattern of the machines estimated")
    model: str | None = Field(
        None,
        description="RUL model file (shopfloor rul train), relative to the plant file; "
        "default: the built-in model learnt on the twin",
    )
    health_model: str | None = Field(
        None, description="health-index model file; default: the built-in twin model"
    )
    interval: Duration = Field(3600.0, description="how often each machine is estimated (1h)")
    horizon: Duration = Field(
        3 * 86_400.0, description="warn when the remaining useful life falls below this"
    )
    warn_on: Literal["lower", "rul"] = Field(
        "lower", description="compare the interval's lower bound (default) or the estimate"
    )
    baseline: Duration = Field(
        8 * 3600.0, description="running time after a renewal that defines as-new (8h)"
    )
    states: tuple[Annotated[MachineState, BeforeValidator(_state)], ...] = Field(
        (MachineState.RUNNING,), min_length=1, description="states whose rows count as running"
    )
    state_tag: Name = Field("state", description="the machine's tag that holds its state")

    @field_validator("select")
    @classmethod
    def _pattern(cls, value: str) -> str:
        Pattern(value)  # raises ValueError with the reason
        return value

    def watches(self, machine: str) -> bool:
        """Whether the machine at path ``machine`` is estimated."""
        return self.enabled and Pattern(self.select).matches(machine)


__all__ = ["MaintenanceSpec"]
