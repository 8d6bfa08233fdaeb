"""Modbus addresses: protocol addresses from 0, and the Modicon notation counted from 1.

A request carries the *protocol address*, counted from 0 in each of the four register
tables. Device manuals often write the Modicon *reference* instead: a digit naming the table
followed by the address counted from 1, in five digits (up to 9999 per table) or six (the
whole 16-bit range)::

    0xxxx / 0xxxxx   coil              00001 -> coil 0
    1xxxx / 1xxxxx   discrete input    10001 -> discrete input 0
    3xxxx / 3xxxxx   input register    30001 -> input register 0
    4xxxx / 4xxxxx   holding register  40001 and 400001 -> holding register 0

In the plant file a number is always a protocol address and the notation is always text,
because ``40001`` could be either.

>>> parse_address("40001")
Address(kind='holding_register', address=0)
>>> parse_address("300100")
Address(kind='input_register', address=99)
>>> parse_address(17)
Address(kind=None, address=17)
>>> modicon("coil", 9)
'00010'
"""

from __future__ import annotations

import re
from typing import NamedTuple

from shopfloor.model.spec_modbus import RegisterKind

MAX_ADDRESS = 65535
"""The highest protocol address in each table (addresses are 16-bit)."""

KIND_OF_DIGIT: dict[str, RegisterKind] = {
    "0": "coil",
    "1": "discrete_input",
    "3": "input_register",
    "4": "holding_register",
}
DIGIT_OF_KIND: dict[RegisterKind, str] = {kind: digit for digit, kind in KIND_OF_DIGIT.items()}

_NOTATION = re.compile(r"^([0-9])([0-9]{4,5})$")


class Address(NamedTuple):
    """A protocol address and, when it was written in Modicon notation, the table it names."""

    kind: RegisterKind | None
    address: int


def parse_address(value: int | str) -> Address:
    """A protocol address (a number) or Modicon reference (text); ``ValueError`` if neither."""
    if isinstance(value, bool):  # bool is an int subclass; True is no address
        raise ValueError(f"address {value!r} is not a number")
    if isinstance(value, int):
        _check_range(value)
        return Address(None, value)
    return _parse_notation(value.strip())


def _check_range(address: int) -> None:
    if not 0 <= address <= MAX_ADDRESS:
        raise ValueError(f"address {address} is out of range 0..{MAX_ADDRESS}")


def _parse_notation(text: str) -> Address:
    match = _NOTATION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"address {text!r} is neither a number nor Modicon notation: write a protocol "
            "address from 0 as a number (17), or a reference from 1 as text with 5 or 6 "
            'digits ("40018", "400018")'
        )
    digit, number = match.groups()
    kind = KIND_OF_DIGIT.get(digit)
    if kind is None:
        raise ValueError(
            f"address {text!r}: Modicon notation starts with 0 (coil), 1 (discrete input), "
            f"3 (input register) or 4 (holding register), not {digit}"
        )
    reference = int(number)
    if reference == 0:
        first = f"{digit}{1:0{len(number)}d}"
        raise ValueError(f"address {text!r}: Modicon notation counts from 1 ({first})")
    if reference - 1 > MAX_ADDRESS:
        raise ValueError(f"address {text!r} is out of range: the highest is {digit}65536")
    return Address(kind, reference - 1)


def modicon(kind: RegisterKind, address: int) -> str:
    """The Modicon reference of a protocol address: five digits where they suffice, else six."""
    _check_range(address)
    reference = address + 1
    width = 4 if reference <= 9999 else 5
    return f"{DIGIT_OF_KIND[kind]}{reference:0{width}d}"
