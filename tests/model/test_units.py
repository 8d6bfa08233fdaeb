from __future__ import annotations

import contextlib
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopfloor.model import units
from shopfloor.model.units import DIMENSIONLESS, canonical_unit, convert, is_dimensionless

PLANT_UNITS = [
    "degC", "°C", "mm/s", "A", "kW", "bar", "l/min", "L/min", "rpm", "%", "1", "", "count",
    "parts", "kWh", "m^3/h", "m³/h", "m/s^2", "Hz", "V", "kVA", "N*m", "Pa", "MPa", "kg/h",
    "um", "µm", "kohm", "ppm", "dB", "deg", "t", "h", "min", "d", "W/(m^2*K)", "KiB", "1/s",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("degC", "degC"),
        ("°C", "degC"),
        ("mm/s", "mm/s"),
        ("millimeter / second", "mm/s"),
        ("kilowatt", "kW"),
        ("L/min", "l/min"),
        ("rpm", "rpm"),
        ("percent", "%"),
        ("m³/h", "m^3/h"),
        ("N·m", "N*m"),
        ("µm", "um"),
        ("W/(m^2*K)", "W/(m^2*K)"),
        ("parts", "part"),
        ("count", "count"),
    ],
)
def test_units_have_one_ascii_canonical_spelling(text: str, canonical: str) -> None:
    assert canonical_unit(text) == canonical


def test_empty_text_and_one_both_mean_dimensionless() -> None:
    assert canonical_unit("") == DIMENSIONLESS
    assert canonical_unit("1") == DIMENSIONLESS
    assert canonical_unit("  ") == DIMENSIONLESS


@pytest.mark.parametrize("text", PLANT_UNITS)
def test_canonical_spellings_read_back_as_themselves(text: str) -> None:
    canonical = canonical_unit(text)
    assert canonical_unit(canonical) == canonical
    assert canonical.isascii()


@pytest.mark.parametrize("text", ["furlong/fortnight", "psi", "degF", "inch", "gallon/min"])
def test_units_outside_si_are_rejected_by_name(text: str) -> None:
    with pytest.raises(ValueError, match=rf"unknown unit '{text}'.*not an SI or SI-accepted"):
        canonical_unit(text)


@pytest.mark.parametrize("text", ["bananas", "m/", "3 metres of", "kg)", "2*m"])
def test_text_that_is_no_unit_is_rejected_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown unit .*use SI units such as"):
        canonical_unit(text)


@given(st.text(max_size=12))
def test_any_text_is_either_a_unit_or_a_value_error(text: str) -> None:
    # Any other exception (pint's own, a SyntaxError from its parser) fails the test.
    with contextlib.suppress(ValueError):
        canonical_unit(text)


def test_percent_and_counts_are_dimensionless_but_kelvin_is_not() -> None:
    assert is_dimensionless("%")
    assert is_dimensionless("parts")
    assert is_dimensionless("")
    assert not is_dimensionless("K")


def test_convert_scales_arrays_between_units() -> None:
    result = convert(np.array([1.0, 2.5]), "kW", "W")
    assert result.dtype == np.float64
    assert result.tolist() == [1000.0, 2500.0]


def test_convert_handles_offset_temperatures() -> None:
    assert convert([0.0, 100.0], "°C", "K").tolist() == pytest.approx([273.15, 373.15])


def test_convert_percent_to_a_plain_fraction() -> None:
    assert convert([50.0], "%", "1").tolist() == [0.5]


def test_convert_to_the_same_unit_returns_a_new_array() -> None:
    values = np.array([1.0, 2.0])
    result = convert(values, "mm/s", "millimeter/second")
    result[0] = 99.0
    assert values.tolist() == [1.0, 2.0]


def test_convert_between_different_quantities_says_so() -> None:
    with pytest.raises(ValueError, match=r"cannot convert 'mm/s' to 'bar'.*different quantities"):
        convert([1.0], "mm/s", "bar")


def test_convert_rejects_units_outside_si() -> None:
    with pytest.raises(ValueError, match="unknown unit 'psi'"):
        convert([1.0], "psi", "bar")


def test_the_unit_registry_is_created_once() -> None:
    assert units.registry() is units.registry()


def test_module_examples_run() -> None:
    assert doctest.testmod(units).failed == 0
