"""The twin behind a real protocol, read back through the matching connector.

:class:`ProtocolFace` puts one of the twin's faces (a Sparkplug B edge node, an OPC UA
server, a Modbus TCP server) in front of the twin and the connector that the face describes
behind it, so data travels twin -> wire -> connector -> bus exactly as it would from real
equipment. The twin's events (states, failures, orders) are what a MES would report; they go
to the bus directly.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from shopfloor.bus.base import Bus
from shopfloor.connect.base import Connector, ConnectorState
from shopfloor.connect.deadletter import EventDeadLetters
from shopfloor.connect.registry import build_connector
from shopfloor.runtime.twin_runner import Emit, TwinClock
from shopfloor.sim.faces.base import TwinFace
from shopfloor.sim.twin import Twin, TwinOutput

PROTOCOLS = ("sparkplug", "opcua", "modbus")
_FACES = {
    "sparkplug": "shopfloor.sim.faces.sparkplug:SparkplugEdgeFace",
    "opcua": "shopfloor.sim.faces.opcua:OpcUaServerFace",
    "modbus": "shopfloor.sim.faces.modbus:ModbusServerFace",
}


def make_face(protocol: str, twin: Twin, *, broker: str) -> TwinFace:
    """The twin's face for ``protocol`` (imported on first use)."""
    module, _, name = _FACES[protocol].partition(":")
    cls: Any = getattr(importlib.import_module(module), name)
    face: TwinFace = cls(twin, broker=broker) if protocol == "sparkplug" else cls(twin)
    return face


class ProtocolFace:
    """A face in front of the twin and its connector behind it."""

    def __init__(
        self,
        protocol: str,
        twin: Twin,
        *,
        broker: str,
        speed: float | None = 1.0,
        connect_timeout_s: float = 30,
    ) -> None:
        self.protocol = protocol
        # Polled protocols carry no timestamps: the connector stamps in the twin's time.
        self.clock = TwinClock(twin, speed)
        self.face = make_face(protocol, twin, broker=broker)
        self.connector: Connector | None = None
        self.connect_timeout_s = connect_timeout_s
        self._asset = f"{twin.tree.root.name}/connectors/twin-{protocol}"

    async def start(self, bus: Bus) -> None:
        """Open the face, then connect the connector to it and wait until it is connected."""
        await self.face.start()
        spec = self.face.connector_spec(f"twin-{self.protocol}")
        letters = EventDeadLetters(bus, self._asset)
        self.connector = build_connector(spec, bus, clock=self.clock, dead_letters=letters)
        await self.connector.start()
        await self.connector.wait_for(ConnectorState.CONNECTED, self.connect_timeout_s)

    def emitter(self, bus: Bus) -> Emit:
        """Send each twin step over the protocol; events go straight to the bus."""

        async def emit(out: TwinOutput) -> None:
            await self.face.publish(out)
            if out.events:
                await bus.publish(out.events)

        return emit

    async def stop(self, settle_s: float = 0.5) -> None:
        """Give the last data time to arrive, then stop connector and face."""
        await asyncio.sleep(settle_s)
        if self.connector is not None:
            await self.connector.stop()
        await self.face.stop()
