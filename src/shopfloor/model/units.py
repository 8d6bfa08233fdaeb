"""Units of measure for tags: SI units, SI-derived units and units accepted for use with SI.

Every tag names its unit as text. :func:`canonical_unit` parses that text with pint, checks
that each unit in it is SI, SI-derived, accepted for use with SI, or one of a few units that
plants use every day (bar, %, ppm, rpm, counts, bytes), and returns one canonical ASCII
spelling, so ``"°C"`` and ``"degC"`` name the same unit and compare equal. Unknown units and
units outside that set (``furlong``, ``psi``, ``degF``) are rejected with a ``ValueError``.

Canonical spellings keep the engineering unit (``mm/s`` stays ``mm/s``); they are not
reduced to base units. Products join with ``*``, powers use ``^``, and a dimensionless
number is ``"1"``.

>>> canonical_unit("°C"), canonical_unit("L/min"), canonical_unit("m/s²"), canonical_unit("")
('degC', 'l/min', 'm/s^2', '1')
>>> float(convert([0.0, 100.0], "degC", "K")[1])
373.15
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSIONLESS = "1"
"""The canonical spelling of a plain number without a unit."""

# pint names (after its prefix is split off) that a tag may use. Everything else pint knows
# (imperial, US customary, CGS, astronomical units ...) is refused: a plant file should not
# need a conversion table to be read.
_SI_BASE = {"meter", "second", "gram", "ampere", "kelvin", "mole", "candela"}
_SI_DERIVED = {
    "radian", "steradian", "hertz", "newton", "pascal", "joule", "watt", "coulomb", "volt",
    "farad", "ohm", "siemens", "weber", "tesla", "henry", "degree_Celsius",
    "delta_degree_Celsius", "lumen", "lux", "becquerel", "gray", "sievert", "katal",
}  # fmt: skip
_SI_ACCEPTED = {
    "minute", "hour", "day", "degree", "arcminute", "arcsecond", "hectare", "liter",
    "metric_ton", "electron_volt", "dalton", "decibel",
}  # fmt: skip
_PLANT_PRACTICE = {
    "bar", "percent", "ppm", "turn", "revolutions_per_minute", "count", "part",
    "watt_hour", "volt_ampere", "bit", "byte",
}  # fmt: skip
ALLOWED_UNITS: frozenset[str] = frozenset(_SI_BASE | _SI_DERIVED | _SI_ACCEPTED | _PLANT_PRACTICE)
"""The pint unit names (without prefix) that tags may use."""

_SI_PREFIXES = {
    "", "quecto", "ronto", "yocto", "zepto", "atto", "femto", "pico", "nano", "micro",
    "milli", "centi", "deci", "deca", "hecto", "kilo", "mega", "giga", "tera", "peta", "exa",
    "zetta", "yotta", "ronna", "quetta",
    # binary prefixes (IEC 80000-13), for bytes and bits
    "kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi",
}  # fmt: skip

# pint's symbols, made ASCII so that canonical units are easy to type in files and shells.
_ASCII = (("Δ°C", "delta_degC"), ("°C", "degC"), ("µ", "u"), ("μ", "u"), ("Ω", "ohm"))

_HINT = "use SI units such as m, s, kg, A, K or degC, W, Pa or bar, l/min, rpm, %, 1"


@functools.cache
def registry() -> Any:
    """The one pint ``UnitRegistry`` of the process, created on first use (it takes ~0.3 s)."""
    import pint

    ureg: Any = pint.UnitRegistry()
    # Counted things (parts, pieces) are dimensionless, and plants say "parts".
    ureg.define("part = count")
    return ureg


@functools.lru_cache(maxsize=4096)
def canonical_unit(text: str) -> str:
    """Parse a unit and return its canonical spelling, or raise ``ValueError``.

    Accepted are SI units with SI prefixes, SI-derived units, units accepted for use with SI
    (min, h, d, l, t, deg) and bar, %, ppm, rpm, count/part, bit/byte. ``""`` and ``"1"`` mean
    dimensionless.

    >>> canonical_unit("kilowatt"), canonical_unit("1/s"), canonical_unit("parts")
    ('kW', '1/s', 'part')
    """
    stripped = text.strip()
    if stripped in ("", DIMENSIONLESS):
        return DIMENSIONLESS
    terms = _parse_terms(text, stripped)
    return _format(terms)


def _parse_terms(text: str, stripped: str) -> list[tuple[str, float]]:
    """The (pint unit name, exponent) pairs of a unit expression, checked against the set."""

    ureg = registry()
    try:
        units = ureg.parse_units(stripped)
    except Exception as exc:
        # pint's expression parser lets assertion, token and syntax errors escape on
        # malformed text; at this boundary every failure means the same: not a unit.
        raise ValueError(f"unknown unit {text!r} ({_HINT})") from exc
    terms = list(units._units.items())
    for name, _ in terms:
        if not _is_allowed(ureg, name):
            raise ValueError(
                f"unknown unit {text!r}: {name!r} is not an SI or SI-accepted unit ({_HINT})"
            )
    return terms


def _is_allowed(ureg: Any, name: str) -> bool:
    return any(
        prefix in _SI_PREFIXES and unit in ALLOWED_UNITS and not suffix
        for prefix, unit, suffix in ureg.parse_unit_name(name)
    )


def _format(terms: list[tuple[str, float]]) -> str:
    """Write terms as ``a*b^2/(c*d)``: numerator first, in the order written."""
    ureg = registry()
    up = [_power(ureg.get_symbol(name), exp) for name, exp in terms if exp > 0]
    down = [_power(ureg.get_symbol(name), -exp) for name, exp in terms if exp < 0]
    numerator = "*".join(up) or DIMENSIONLESS
    if not down:
        return _ascii(numerator)
    denominator = down[0] if len(down) == 1 else "(" + "*".join(down) + ")"
    return _ascii(f"{numerator}/{denominator}")


def _power(symbol: str, exponent: float) -> str:
    return symbol if exponent == 1 else f"{symbol}^{exponent:g}"


def _ascii(text: str) -> str:
    for fancy, plain in _ASCII:
        text = text.replace(fancy, plain)
    return text


def is_dimensionless(unit: str) -> bool:
    """Whether ``unit`` (any accepted spelling) measures a plain number, e.g. ``%`` or ``1``."""
    canonical = canonical_unit(unit)
    return canonical == DIMENSIONLESS or bool(registry().parse_units(canonical).dimensionless)


def convert(values: npt.ArrayLike, from_unit: str, to_unit: str) -> npt.NDArray[np.float64]:
    """Convert values from one unit to another; returns a new float64 array.

    Both units must be accepted by :func:`canonical_unit`; a ``ValueError`` says so when
    they are not, or when they measure different things (``mm/s`` to ``bar``).

    >>> convert([1.5], "kW", "W").tolist()
    [1500.0]
    """
    import pint

    source, target = canonical_unit(from_unit), canonical_unit(to_unit)
    array = np.array(values, dtype=np.float64)
    if source == target:
        return array
    ureg = registry()
    try:
        converted = ureg.Quantity(array, _pint_text(source)).to(_pint_text(target))
    except pint.DimensionalityError as exc:
        raise ValueError(
            f"cannot convert {source!r} to {target!r}: they measure different quantities "
            f"({exc.dim1} vs {exc.dim2})"
        ) from exc
    except pint.PintError as exc:
        raise ValueError(f"cannot convert {source!r} to {target!r}: {exc}") from exc
    return np.asarray(converted.magnitude, dtype=np.float64)


def _pint_text(canonical: str) -> str:
    # pint reads our canonical spelling directly, except the dimensionless "1" as a unit.
    return "" if canonical == DIMENSIONLESS else canonical
