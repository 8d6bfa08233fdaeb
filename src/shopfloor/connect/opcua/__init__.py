"""OPC UA: the client connector, and the certificates both sides of a secure link need.

The connector is :class:`OpcUaConnector` (plant-file ``type: opcua``); the reference is
``docs/connectors-opcua.md``. The twin's OPC UA server is in :mod:`shopfloor.sim.faces.opcua`.
"""

from shopfloor.connect.opcua.certs import (
    ApplicationCertificate,
    generate_certificate,
    load_certificate,
    load_private_key,
)
from shopfloor.connect.opcua.client import ConnectionLostError, OpcUaConnector
from shopfloor.connect.opcua.security import SecurityError
from shopfloor.connect.opcua.values import Point

__all__ = [
    "ApplicationCertificate",
    "ConnectionLostError",
    "OpcUaConnector",
    "Point",
    "SecurityError",
    "generate_certificate",
    "load_certificate",
    "load_private_key",
]
