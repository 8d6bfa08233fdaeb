"""Protocol addresses from 0 and Modicon notation from 1."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.connect.modbus import addresses
from shopfloor.connect.modbus.addresses import Address, modicon, parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00001", Address("coil", 0)),
        ("10001", Address("discrete_input", 0)),
        ("30001", Address("input_register", 0)),
        ("40001", Address("holding_register", 0)),
        ("49999", Address("holding_register", 9998)),
        ("400001", Address("holding_register", 0)),
        ("465536", Address("holding_register", 65535)),
        ("310010", Address("input_register", 10009)),
        (" 40100 ", Address("holding_register", 99)),
    ],
)
def test_modicon_notation_names_the_table_and_counts_from_one(text: str, expected: Address) -> None:
    assert parse_address(text) == expected


def test_a_number_is_a_protocol_address_counted_from_zero_in_any_table() -> None:
    assert parse_address(0) == Address(None, 0)
    assert parse_address(40001) == Address(None, 40001)
    assert parse_address(65535) == Address(None, 65535)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "out of range 0..65535"),
        (65536, "out of range 0..65535"),
        ("40000", "counts from 1 (40001)"),
        ("400000", "counts from 1 (400001)"),
        ("20001", "starts with 0 (coil), 1 (discrete input), 3 (input register)"),
        ("465537", "out of range: the highest is 465536"),
        ("4001", "neither a number nor Modicon notation"),
        ("4000001", "neither a number nor Modicon notation"),
        ("HR100", "neither a number nor Modicon notation"),
        ("17", "neither a number nor Modicon notation"),
    ],
)
def test_addresses_that_are_neither_are_refused_with_the_reason(
    value: int | str, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_address(value)


def test_modicon_uses_five_digits_up_to_9999_and_six_beyond() -> None:
    assert modicon("holding_register", 0) == "40001"
    assert modicon("input_register", 9998) == "39999"
    assert modicon("input_register", 9999) == "310000"
    assert modicon("coil", 65535) == "065536"


@settings(deadline=None)  # a loaded CI machine must not fail a correct example
@given(
    st.sampled_from(["coil", "discrete_input", "input_register", "holding_register"]),
    st.integers(0, 65535),
)
def test_modicon_notation_parses_back_to_its_table_and_address(kind: str, address: int) -> None:
    assert parse_address(modicon(kind, address)) == Address(kind, address)  # type: ignore[arg-type]


def test_the_module_examples_run() -> None:
    assert doctest.testmod(addresses).failed == 0
