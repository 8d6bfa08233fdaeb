"""Build a connector from its plant-file entry: the entry's ``type`` picks the driver.

Drivers are imported on first use, so a plant without OPC UA never imports asyncua. Every
driver class takes ``(spec, bus, *, clock=None, dead_letters=None)``.
"""

from __future__ import annotations

import importlib
from typing import Any

from shopfloor.bus.base import Bus
from shopfloor.connect.base import Connector
from shopfloor.connect.deadletter import DeadLetterStore
from shopfloor.model.clock import Clock
from shopfloor.model.connectors import AnyConnectorSpec
from shopfloor.model.errors import ConfigError

DRIVERS = {
    "sparkplug": "shopfloor.connect.sparkplug.host:SparkplugHost",
    "mqtt_json": "shopfloor.connect.mqtt_json.client:MqttJsonConnector",
    "opcua": "shopfloor.connect.opcua.client:OpcUaConnector",
    "modbus": "shopfloor.connect.modbus.poller:ModbusPoller",
}


def driver_class(kind: str) -> type[Connector]:
    """The connector class for a ``type``."""
    target = DRIVERS.get(kind)
    if target is None:
        raise ConfigError(f"unknown connector type {kind!r}; known: {', '.join(sorted(DRIVERS))}")
    module, _, name = target.partition(":")
    cls: Any = getattr(importlib.import_module(module), name)
    return cls  # type: ignore[no-any-return]


def build_connector(
    spec: AnyConnectorSpec,
    bus: Bus,
    *,
    clock: Clock | None = None,
    dead_letters: DeadLetterStore | None = None,
) -> Connector:
    """The connector that ``spec`` describes, not yet started."""
    cls: Any = driver_class(spec.type)
    connector: Connector = cls(spec, bus, clock=clock, dead_letters=dead_letters)
    return connector
