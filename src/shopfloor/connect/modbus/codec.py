"""Register words to values and back, for every type and word and byte order.

A Modbus register is a 16-bit word sent high byte first. Values wider than a register are
not standardised, so devices differ in two ways, both settable per value:

* ``word_order``: ``big`` puts the most significant register first (ABCD), ``little`` the
  least significant (CDAB);
* ``byte_order``: ``big`` keeps each register's bytes as sent, ``little`` swaps them
  (BADC with big word order, DCBA with little).

For float32 123.456 (bytes ``42 F6 E9 79``) the two registers read:

==========  ==========  ==================
word order  byte order  registers
==========  ==========  ==================
big         big         ``0x42F6 0xE979``
little      big         ``0xE979 0x42F6``
big         little      ``0xF642 0x79E9``
little      little      ``0x79E9 0xF642``
==========  ==========  ==================

Then ``value = raw * scale + offset``. A bool in a register is 1 when its ``bit`` is set
(or, without a bit, when the register is not 0). Everything is numpy over all the values of
one type in a response at once.

>>> words = np.array([0x42F6, 0xE979], np.uint16)
>>> float(decode_words(words, np.array([0]), "float32")[0])
123.45600128173828
>>> encode_values([123.456], "float32", word_order="little").tolist()
[[59769, 17142]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopfloor.connect.modbus.registers import WIDE_TYPES, Point
from shopfloor.model.spec_modbus import Order, RegisterType

Words = npt.NDArray[np.uint16]
Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

_RANGES: dict[RegisterType, tuple[float, float]] = {
    "bool": (0, 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}


def decode_words(
    words: Words,
    offsets: Indices,
    value_type: RegisterType,
    *,
    word_order: Order = "big",
    byte_order: Order = "big",
    masks: npt.NDArray[np.uint16] | None = None,
) -> Floats:
    """The raw values starting at ``offsets`` in ``words`` (unscaled), as float64.

    ``masks`` apply to bools: the value is 1 where ``word & mask`` is not 0 (default: any bit).
    """
    first = _ordered_bytes(words[offsets], byte_order)
    if value_type not in WIDE_TYPES:
        return _narrow(first, value_type, masks)
    second = _ordered_bytes(words[offsets + 1], byte_order)
    high, low = (first, second) if word_order == "big" else (second, first)
    joined = (high.astype(np.uint32) << np.uint32(16)) | low.astype(np.uint32)
    if value_type == "float32":
        return joined.view(np.float32).astype(np.float64)
    if value_type == "int32":
        return joined.view(np.int32).astype(np.float64)
    return joined.astype(np.float64)


def _ordered_bytes(words: Words, byte_order: Order) -> Words:
    return words.byteswap() if byte_order == "little" else words


def _narrow(words: Words, value_type: RegisterType, masks: npt.NDArray[np.uint16] | None) -> Floats:
    if value_type == "bool":
        picked: Words = words if masks is None else np.bitwise_and(words, masks)
        return np.not_equal(picked, 0).astype(np.float64)
    if value_type == "int16":
        return words.view(np.int16).astype(np.float64)
    return words.astype(np.float64)


def decode_bits(bits: npt.NDArray[np.bool_], offsets: Indices) -> Floats:
    """The coils or discrete inputs at ``offsets``, as 0.0 and 1.0."""
    return bits[offsets].astype(np.float64)


def encode_values(
    values: Sequence[float] | Floats,
    value_type: RegisterType,
    *,
    word_order: Order = "big",
    byte_order: Order = "big",
) -> Words:
    """Registers that hold ``values`` (already unscaled): shape ``(n, 1)`` or ``(n, 2)``.

    Integers are rounded and clipped to the type's range, as a device would saturate.
    """
    raw = np.asarray(values, np.float64)
    if value_type == "float32":
        joined = raw.astype(np.float32).view(np.uint32)
    else:
        low, high = _RANGES[value_type]
        whole = np.clip(np.rint(np.nan_to_num(raw)), low, high).astype(np.int64)
        joined = (whole & 0xFFFFFFFF).astype(np.uint32)
    if value_type not in WIDE_TYPES:
        return _ordered_bytes(joined.astype(np.uint16), byte_order).reshape(-1, 1)
    high_word = (joined >> np.uint32(16)).astype(np.uint16)
    low_word = (joined & np.uint32(0xFFFF)).astype(np.uint16)
    pair = (high_word, low_word) if word_order == "big" else (low_word, high_word)
    return _ordered_bytes(np.stack(pair, axis=1), byte_order)


@dataclass(frozen=True)
class FieldGroup:
    """The values of one response that decode alike: one type, one pair of orders."""

    type: RegisterType
    word_order: Order
    byte_order: Order
    offsets: Indices
    slots: Indices
    masks: npt.NDArray[np.uint16] | None
    scale: Floats
    offset: Floats
    plain: bool

    def decode_into(self, words: Words, values: Floats) -> None:
        """Decode this group's values from a register response into ``values[slots]``."""
        raw = decode_words(
            words,
            self.offsets,
            self.type,
            word_order=self.word_order,
            byte_order=self.byte_order,
            masks=self.masks,
        )
        values[self.slots] = raw if self.plain else raw * self.scale + self.offset


def field_groups(points: Sequence[Point], slots: Sequence[int], start: int) -> list[FieldGroup]:
    """Group ``points`` (read by a register request at ``start``) by how they decode.

    ``slots[i]`` is where ``points[i]``'s value goes in the poll's value array.
    """
    keys: dict[tuple[RegisterType, Order, Order], list[int]] = {}
    for i, p in enumerate(points):
        keys.setdefault((p.type, p.word_order, p.byte_order), []).append(i)
    return [
        _group(key, [points[i] for i in idx], [slots[i] for i in idx], start)
        for key, idx in keys.items()
    ]


def _group(
    key: tuple[RegisterType, Order, Order], points: list[Point], slots: list[int], start: int
) -> FieldGroup:
    value_type, word_order, byte_order = key
    masks = None
    if value_type == "bool":
        masks = np.array([0xFFFF if p.bit is None else 1 << p.bit for p in points], np.uint16)
    scale = np.array([p.scale for p in points], np.float64)
    offset = np.array([p.offset for p in points], np.float64)
    return FieldGroup(
        type=value_type,
        word_order=word_order,
        byte_order=byte_order,
        offsets=np.array([p.address - start for p in points], np.intp),
        slots=np.array(slots, np.intp),
        masks=masks,
        scale=scale,
        offset=offset,
        plain=bool(np.all(scale == 1.0) and np.all(offset == 0.0)),
    )
