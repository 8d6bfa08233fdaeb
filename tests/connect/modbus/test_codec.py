"""Decoding register words into values, for every type and every word and byte order.

Expected words are worked out by hand from the value's bytes: 0x12345678 is bytes 12 34 56
78; big word order sends the register 0x1234 first, little word order 0x5678 first; little
byte order swaps the two bytes inside each register.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.connect.modbus import codec
from shopfloor.connect.modbus.codec import decode_bits, decode_words, encode_values, field_groups
from shopfloor.connect.modbus.registers import Point
from shopfloor.model.spec_modbus import Order, RegisterType

ORDERS: list[tuple[Order, Order]] = [
    ("big", "big"),
    ("little", "big"),
    ("big", "little"),
    ("little", "little"),
]

CASES: list[tuple[RegisterType, Order, Order, list[int], float]] = [
    ("uint16", "big", "big", [0x1234], 4660),
    ("uint16", "big", "little", [0x3412], 4660),
    ("int16", "big", "big", [0xFF85], -123),
    ("int16", "big", "little", [0x85FF], -123),
    ("uint32", "big", "big", [0x1234, 0x5678], 0x12345678),
    ("uint32", "little", "big", [0x5678, 0x1234], 0x12345678),
    ("uint32", "big", "little", [0x3412, 0x7856], 0x12345678),
    ("uint32", "little", "little", [0x7856, 0x3412], 0x12345678),
    ("uint32", "big", "big", [0xFFFF, 0xFFFF], 4294967295),
    # -123456789 is 0xF8A432EB in two's complement (0x075BCD15 inverted, plus one).
    ("int32", "big", "big", [0xF8A4, 0x32EB], -123456789),
    ("int32", "little", "big", [0x32EB, 0xF8A4], -123456789),
    ("int32", "big", "little", [0xA4F8, 0xEB32], -123456789),
    ("int32", "little", "little", [0xEB32, 0xA4F8], -123456789),
    # 123.456 as IEEE 754 single is 0x42F6E979; -1.5 is 0xBFC00000.
    ("float32", "big", "big", [0x42F6, 0xE979], 123.456),
    ("float32", "little", "big", [0xE979, 0x42F6], 123.456),
    ("float32", "big", "little", [0xF642, 0x79E9], 123.456),
    ("float32", "little", "little", [0x79E9, 0xF642], 123.456),
    ("float32", "big", "big", [0xBFC0, 0x0000], -1.5),
    ("float32", "little", "little", [0x0000, 0xC0BF], -1.5),
]


@pytest.mark.parametrize(("value_type", "word_order", "byte_order", "words", "expected"), CASES)
def test_words_decode_to_the_hand_computed_value(
    value_type: RegisterType,
    word_order: Order,
    byte_order: Order,
    words: list[int],
    expected: float,
) -> None:
    # Surround the value with other registers so that offsets matter.
    padded = np.array([0xAAAA, *words, 0x5555], np.uint16)
    got = decode_words(
        padded, np.array([1]), value_type, word_order=word_order, byte_order=byte_order
    )
    assert got.dtype == np.float64
    assert got[0] == pytest.approx(expected, rel=1e-7)


def test_a_bool_in_a_register_reads_its_bit_or_any_bit() -> None:
    words = np.array([0b0010_0100, 0], np.uint16)
    masks = np.array([1 << 2, 1 << 5, 1 << 0, 0xFFFF, 0xFFFF], np.uint16)
    got = decode_words(words, np.array([0, 0, 0, 0, 1]), "bool", masks=masks)
    assert got.tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]


def test_coils_decode_to_zero_and_one() -> None:
    bits = np.array([True, False, False, True, True, False, False, False])
    assert decode_bits(bits, np.array([0, 1, 3, 4])).tolist() == [1.0, 0.0, 1.0, 1.0]


def test_one_response_decodes_every_value_at_its_offset_with_scale_and_offset() -> None:
    points = [
        Point("l/a", "holding_register", 10, "uint16", scale=0.1, offset=-10),
        Point("l/b", "holding_register", 11, "float32"),
        Point("l/c", "holding_register", 13, "int32", word_order="little"),
        Point("l/d", "holding_register", 15, "int16", scale=2),
    ]
    words = np.array([250, 0x42F6, 0xE979, 0x32EB, 0xF8A4, 0xFF85], np.uint16)
    values = np.full(6, np.nan)
    for group in field_groups(points, [5, 0, 2, 3], start=10):
        group.decode_into(words, values)
    assert values[[5, 0, 2, 3]].tolist() == pytest.approx([15.0, 123.456, -123456789, -246])
    assert np.isnan(values[[1, 4]]).all()


@pytest.mark.parametrize(("word_order", "byte_order"), ORDERS)
@settings(deadline=None)  # a loaded CI machine must not fail a correct example
@given(
    st.integers(0, 2**32 - 1),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(width=32, allow_nan=False),
)
def test_encoding_then_decoding_gives_the_value_back(
    word_order: Order, byte_order: Order, unsigned: int, signed: int, single: float
) -> None:
    cases: list[tuple[RegisterType, float]] = [
        ("uint32", unsigned),
        ("int32", signed),
        ("float32", single),
        ("uint16", unsigned % 2**16),
        ("int16", signed % 2**16 - 2**15),
    ]
    for value_type, value in cases:
        orders = {"word_order": word_order, "byte_order": byte_order}
        words = encode_values([value], value_type, **orders).ravel()
        assert decode_words(words, np.array([0]), value_type, **orders)[0] == value


def test_encoding_saturates_integers_at_their_type_range() -> None:
    assert encode_values([70000, -5], "uint16").ravel().tolist() == [65535, 0]
    assert encode_values([-40000], "int16").ravel().tolist() == [0x8000]


def test_the_module_examples_run() -> None:
    assert doctest.testmod(codec).failed == 0
