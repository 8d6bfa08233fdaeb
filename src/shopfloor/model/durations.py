"""Durations written by people: ``90s``, ``30m``, ``8h``, ``7d``, ``1.5h``, ``1h30m``.

The plant file (historian retention) and the command line (``--since 2h``) share this
grammar: one or more numbers, each followed by a unit, optionally separated by spaces; or a
plain number, which counts seconds. Units: ``ms``, ``s``, ``m`` or ``min`` (minutes), ``h``,
``d``, ``w``. Months and years are not accepted because their length varies.

>>> parse_duration("1.5h"), parse_duration("1h30m"), parse_duration("90"), parse_duration(2)
(5400.0, 5400.0, 90.0, 2.0)
>>> format_duration(5400)
'1h30m'
"""

from __future__ import annotations

import math
import re

UNIT_SECONDS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
"""Seconds per duration unit."""

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_UNITS = "|".join(sorted(UNIT_SECONDS, key=len, reverse=True))  # "min" before "m"
_PART = re.compile(rf"({_NUMBER})\s*({_UNITS})")
_PLAIN = re.compile(rf"^\s*{_NUMBER}\s*$")
DURATION_PATTERN = rf"^\s*(?:{_NUMBER}|(?:{_NUMBER}\s*(?:{_UNITS})\s*)+)\s*$"
"""A regular expression (Python and JSON Schema alike) for the text that is a duration."""
_DURATION = re.compile(DURATION_PATTERN)
_EXAMPLES = "e.g. 90s, 30m, 1.5h, 7d, 1h30m, or a number of seconds"


def parse_duration(text: str | float) -> float:
    """Return the duration in seconds, or raise ``ValueError`` saying what is accepted.

    A number (or numeric text) is seconds. Negative, infinite and empty durations are
    refused; zero is allowed.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        # bool is an int subclass, but ``True`` is surely not meant as one second.
        raise ValueError(f"{text!r} is not a duration ({_EXAMPLES})")
    if not isinstance(text, str):
        return _check_number(float(text), text)
    if not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a duration ({_EXAMPLES})")
    if _PLAIN.match(text):
        return float(text)
    return float(sum(float(n) * UNIT_SECONDS[unit] for n, unit in _PART.findall(text)))


def _check_number(seconds: float, original: object) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{original!r} is not a duration: it must be finite and not negative")
    return seconds


def format_duration(seconds: float) -> str:
    """Write seconds in the largest whole units, to the millisecond: ``7d``, ``1h30m``, ``250ms``.

    :func:`parse_duration` reads the result back (to within float rounding).
    """
    _check_number(float(seconds), seconds)
    parts: list[str] = []
    rest = round(float(seconds) * 1000)
    for unit in ("w", "d", "h", "m", "s"):
        size = round(UNIT_SECONDS[unit] * 1000)
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    if rest:
        parts.append(f"{rest}ms")
    return "".join(parts) or "0s"
