"""The register map, checked and resolved: every plant-file entry becomes a :class:`Point`.

:func:`compile_map` turns a connector's ``registers`` into points with their full tag path,
table, protocol address, type and decoding settings, and rejects maps that cannot be read
correctly. Each error is a :class:`~shopfloor.model.errors.ConfigError` that names the
connector and the tag, so a plant engineer can fix the line at once:

* a tag path that is not a valid relative path, or a tag mapped twice;
* an address that is neither a protocol address (0..65535) nor Modicon notation, Modicon
  notation of another table than ``kind``, or a 32-bit value that runs past 65535;
* a type that does not fit the table (a 32-bit type on a coil), ``bit`` on anything but a
  bool in a register, a scale that is zero or not finite;
* two values that share a register or a coil (bools on distinct bits of one register are
  fine), or a 32-bit value that a request of ``max_registers`` cannot hold.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from shopfloor.connect.modbus.addresses import MAX_ADDRESS, parse_address
from shopfloor.model.errors import ConfigError
from shopfloor.model.namespace import check_segment, join
from shopfloor.model.spec_modbus import (
    ModbusConnectorSpec,
    Order,
    RegisterKind,
    RegisterSpec,
    RegisterType,
)

BIT_KINDS: frozenset[RegisterKind] = frozenset({"coil", "discrete_input"})
"""The tables of single bits; the other two hold 16-bit registers."""
WIDE_TYPES: frozenset[RegisterType] = frozenset({"int32", "uint32", "float32"})
"""Types that take two registers."""
KIND_NAMES: dict[RegisterKind, str] = {
    "coil": "coil",
    "discrete_input": "discrete input",
    "input_register": "input register",
    "holding_register": "holding register",
}


class Span(NamedTuple):
    """Where a value lives: its table, first address and width (registers, or 1 bit)."""

    kind: RegisterKind
    address: int
    width: int

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.address + self.width


@dataclass(frozen=True)
class Point:
    """One mapped value, resolved: where it is, how to decode it, and where it goes."""

    path: str
    kind: RegisterKind
    address: int
    type: RegisterType
    bit: int | None = None
    word_order: Order = "big"
    byte_order: Order = "big"
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None

    @property
    def width(self) -> int:
        """Registers (or bits) the value takes: 2 for 32-bit types, else 1."""
        return 2 if self.type in WIDE_TYPES else 1

    @property
    def span(self) -> Span:
        """Where the value lives, for request planning."""
        return Span(self.kind, self.address, self.width)

    def describe(self) -> str:
        """``holding register 10..11``, for messages."""
        last = self.address + self.width - 1
        where = f"{self.address}" if last == self.address else f"{self.address}..{last}"
        bit = "" if self.bit is None else f" bit {self.bit}"
        return f"{KIND_NAMES[self.kind]} {where}{bit}"


@dataclass(frozen=True)
class RegisterMap:
    """A connector's checked register map."""

    connector: str
    points: tuple[Point, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every point's tag path, in map order."""
        return tuple(p.path for p in self.points)


def compile_map(spec: ModbusConnectorSpec) -> RegisterMap:
    """Check ``spec.registers`` and resolve each entry; :class:`ConfigError` on any problem."""
    _check_asset(spec)
    points = tuple(_point(spec, entry) for entry in spec.registers)
    _check_duplicates(spec, points)
    _check_overlaps(spec, points)
    _check_request_size(spec, points)
    return RegisterMap(spec.name, points)


def _error(connector: str, tag: str, message: str) -> ConfigError:
    return ConfigError(f"modbus connector {connector!r}, tag {tag!r}: {message}")


def _check_asset(spec: ModbusConnectorSpec) -> None:
    try:
        _check_path(spec.asset)
    except ValueError as exc:
        raise ConfigError(f"modbus connector {spec.name!r}: asset: {exc}") from None


def _check_path(path: str) -> None:
    if not path:
        raise ValueError("the path is empty")
    for segment in path.split("/"):
        check_segment(segment)


def _point(spec: ModbusConnectorSpec, entry: RegisterSpec) -> Point:
    try:
        return _resolve(spec, entry)
    except ValueError as exc:
        raise _error(spec.name, entry.tag, str(exc)) from None


def _resolve(spec: ModbusConnectorSpec, entry: RegisterSpec) -> Point:
    _check_path(entry.tag)
    notation, address = parse_address(entry.address)
    kind = _kind(entry, notation)
    value_type = entry.type or ("bool" if kind in BIT_KINDS else "uint16")
    _check_type(kind, value_type, entry)
    _check_scale(value_type, entry)
    point = Point(
        path=join(spec.asset, entry.tag),
        kind=kind,
        address=address,
        type=value_type,
        bit=entry.bit,
        word_order=entry.word_order,
        byte_order=entry.byte_order,
        scale=entry.scale,
        offset=entry.offset,
        unit=entry.unit,
    )
    if point.span.end - 1 > MAX_ADDRESS:
        raise ValueError(
            f"{value_type} at {address} needs {point.describe()}, past the last "
            f"address {MAX_ADDRESS}"
        )
    return point


def _kind(entry: RegisterSpec, notation: RegisterKind | None) -> RegisterKind:
    if notation is not None and entry.kind is not None and notation != entry.kind:
        raise ValueError(
            f"address {entry.address!r} is Modicon notation for the {KIND_NAMES[notation]} table, "
            f"but kind is {entry.kind}; drop kind or write the address as a number"
        )
    return entry.kind or notation or "holding_register"


def _check_type(kind: RegisterKind, value_type: RegisterType, entry: RegisterSpec) -> None:
    if kind in BIT_KINDS and value_type != "bool":
        raise ValueError(
            f"a {KIND_NAMES[kind]} holds one bit, so its type is bool, not {value_type}"
        )
    if entry.bit is not None and (kind in BIT_KINDS or value_type != "bool"):
        raise ValueError("bit picks one bit of a register for a bool; it fits nothing else")


def _check_scale(value_type: RegisterType, entry: RegisterSpec) -> None:
    if not (math.isfinite(entry.scale) and entry.scale != 0):
        raise ValueError(f"scale must be a finite number other than 0, not {entry.scale}")
    if not math.isfinite(entry.offset):
        raise ValueError(f"offset must be a finite number, not {entry.offset}")
    if value_type == "bool" and (entry.scale != 1.0 or entry.offset != 0.0):
        raise ValueError("a bool is 0 or 1; scale and offset do not apply")


def _tag(spec: ModbusConnectorSpec, point: Point) -> str:
    """The tag as the plant file writes it, relative to the connector's asset."""
    return point.path.removeprefix(spec.asset + "/")


def _check_duplicates(spec: ModbusConnectorSpec, points: tuple[Point, ...]) -> None:
    seen: set[str] = set()
    for point in points:
        if point.path in seen:
            raise _error(spec.name, _tag(spec, point), "the tag is mapped twice")
        seen.add(point.path)


def _check_overlaps(spec: ModbusConnectorSpec, points: tuple[Point, ...]) -> None:
    by_kind: dict[RegisterKind, list[Point]] = defaultdict(list)
    for point in points:
        by_kind[point.kind].append(point)
    for group in by_kind.values():
        # Whole registers sort before the bit fields of the same register, so any clash
        # shows between neighbours.
        ordered = sorted(group, key=lambda p: (p.address, p.bit is not None, p.bit or 0))
        for before, after in itertools.pairwise(ordered):
            if after.address < before.span.end and not _distinct_bits(before, after):
                raise _error(
                    spec.name,
                    _tag(spec, after),
                    f"{after.describe()} overlaps {before.describe()} of tag "
                    f"{_tag(spec, before)!r}",
                )


def _distinct_bits(a: Point, b: Point) -> bool:
    """Two bools on different bits of one register may share it."""
    return a.bit is not None and b.bit is not None and a.bit != b.bit


def _check_request_size(spec: ModbusConnectorSpec, points: tuple[Point, ...]) -> None:
    for point in points:
        if point.kind not in BIT_KINDS and point.width > spec.max_registers:
            raise _error(
                spec.name,
                _tag(spec, point),
                f"{point.type} takes {point.width} registers, more than max_registers "
                f"({spec.max_registers}) lets one request read",
            )
