"""What every protocol face of the twin offers.

A face makes the twin look like real equipment on a wire: it takes each chunk the twin
produces (:class:`~shopfloor.sim.twin.TwinOutput`) and serves or publishes it the way such
equipment would, and it describes how a shopfloor connector reaches it
(:meth:`TwinFace.connector_spec`), so ``shopfloor demo --protocol ...`` can run the twin
behind the real protocol end to end.
"""

from __future__ import annotations

from typing import Protocol

from shopfloor.model.connectors import AnyConnectorSpec
from shopfloor.sim.twin import TwinOutput


class TwinFace(Protocol):
    """A protocol server or publisher in front of the twin."""

    async def start(self) -> None:
        """Open the server or connect to the broker."""

    async def publish(self, out: TwinOutput) -> None:
        """Serve or send one chunk of the twin's output."""

    async def stop(self) -> None:
        """Close cleanly (a Sparkplug edge node sends its deaths)."""

    def connector_spec(self, name: str) -> AnyConnectorSpec:
        """How a shopfloor connector named ``name`` reaches this face."""
        ...
