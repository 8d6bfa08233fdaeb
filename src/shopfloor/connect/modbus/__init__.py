"""Modbus TCP: poll a device's registers per a register map in the plant file.

The pure parts (addresses, map checks, request planning, decoding) import no protocol
library; :class:`~shopfloor.connect.modbus.poller.ModbusPoller` (pymodbus) is imported from
its module, as the connector registry does. See ``docs/connectors-modbus.md``.
"""

from shopfloor.connect.modbus.addresses import Address, modicon, parse_address
from shopfloor.connect.modbus.codec import decode_bits, decode_words, encode_values
from shopfloor.connect.modbus.plan import ReadRequest, plan_requests
from shopfloor.connect.modbus.registers import Point, RegisterMap, Span, compile_map

__all__ = [
    "Address",
    "Point",
    "ReadRequest",
    "RegisterMap",
    "Span",
    "compile_map",
    "decode_bits",
    "decode_words",
    "encode_values",
    "modicon",
    "parse_address",
    "plan_requests",
]
