"""Times and durations as users write them, the same for every command and API.

Times are ISO 8601 (``2026-11-26T08:00``, ``2026-11-26 08:00:00+01:00``, ``2026-11-26``),
taken as UTC unless they carry an offset, or relative to now: ``now``, ``-8h``, ``now-30m``,
``+1d``. Durations are a number and a unit: ``90s``, ``30m``, ``8h``, ``7d`` (``1.5h`` too);
a bare number is seconds.

>>> parse_time("2026-11-26T08:00:00Z", now_ns=0)
1795680000000000000
>>> parse_time("-1h", now_ns=7_200_000_000_000)
3600000000000
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import numpy.typing as npt

from shopfloor.model.calendar import datetime_to_ns as aware_to_ns
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.durations import parse_duration
from shopfloor.model.errors import InputError

_RELATIVE = re.compile(r"^(now)?\s*([+-])\s*(.+)$")


def parse_time(text: str, *, now_ns: int, what: str = "time") -> int:
    """Parse a time argument to nanoseconds since the epoch (UTC)."""
    value = text.strip()
    if value.lower() == "now":
        return now_ns
    relative = _RELATIVE.match(value.lower())
    if relative and not value[:4].isdigit():
        sign = -1 if relative.group(2) == "-" else 1
        return now_ns + sign * duration_ns(relative.group(3), what=what)
    try:
        return parse_iso_ns(value)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not a time: use ISO 8601 (2026-11-26T08:00, UTC unless an "
            "offset is given) or a relative time (now, -8h, now-30m)"
        ) from None


_FRACTION = re.compile(r"(T\d{2}:\d{2}:\d{2})\.(\d{1,9})")


def parse_iso_ns(text: str) -> int:
    """An ISO 8601 time to nanoseconds (UTC unless it has an offset), all nine digits kept.

    ``datetime`` keeps only microseconds, so the fraction is read separately.
    """
    value = text.strip()
    if "T" not in value and " " in value:
        value = value.replace(" ", "T", 1)
    fraction = _FRACTION.search(value)
    extra = 0
    if fraction is not None:
        extra = int(fraction.group(2).ljust(9, "0"))
        value = value[: fraction.start(2) - 1] + value[fraction.end(2) :]
    return datetime_to_ns(dt.datetime.fromisoformat(value)) + extra


def datetime_to_ns(moment: dt.datetime) -> int:
    """Nanoseconds since the epoch; a naive datetime is taken as UTC."""
    return aware_to_ns(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def duration_ns(text: str, *, what: str = "duration") -> int:
    """Parse a duration argument to nanoseconds."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None
    return round(seconds * NS_PER_S)


def positive_duration_ns(text: str, *, what: str) -> int:
    """A duration that must be longer than zero."""
    ns = duration_ns(text, what=what)
    if ns <= 0:
        raise InputError(f"{what} must be longer than zero, not {text!r}")
    return ns


def format_times(ns: npt.NDArray[np.int64]) -> list[str]:
    """ISO 8601 UTC strings, each with the shortest fraction (none, ms, us, ns) that is exact."""
    if len(ns) == 0:
        return []
    stamps: npt.NDArray[np.datetime64] = ns.astype("datetime64[ns]")
    text = np.datetime_as_string(stamps, unit="ns")
    return [_trim(t) for t in text.tolist()]


def _trim(stamp: str) -> str:
    head, fraction = stamp[:-10], stamp[-9:]
    if fraction == "000000000":
        return head + "Z"
    if fraction.endswith("000000"):
        return f"{head}.{fraction[:3]}Z"
    if fraction.endswith("000"):
        return f"{head}.{fraction[:6]}Z"
    return f"{head}.{fraction}Z"


def format_time(ns: int) -> str:
    return format_times(np.array([ns], np.int64))[0]
