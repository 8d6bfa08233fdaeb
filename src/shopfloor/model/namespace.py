"""Unified-namespace paths and the patterns that select them.

A tag's path is its asset's names joined by ``/`` from the enterprise down, then the tag
name: ``acme/plant1/body/line2/press3/vibration_rms``. In a pattern, ``+`` matches exactly
one segment and ``#`` (only as the last segment) matches the rest, zero or more segments,
as in MQTT topic filters.

>>> Pattern("acme/+/body/#").matches("acme/plant1/body/line2/press3/temp")
True
>>> Pattern("acme/plant1/+/temp").matches("acme/plant1/body/line2/temp")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

SEPARATOR = "/"
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")


def check_segment(name: str) -> str:
    """Return ``name`` if it may be one path segment, else raise ``ValueError``."""
    if not _SEGMENT.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid name: use letters, digits, '_', '-' and '.' only"
        )
    return name


def join(*segments: str) -> str:
    """Join segments into a path."""
    return SEPARATOR.join(segments)


def split(path: str) -> tuple[str, ...]:
    """Split a path into its segments."""
    return tuple(path.split(SEPARATOR))


@dataclass(frozen=True)
class Pattern:
    """A unified-namespace filter with ``+`` and ``#`` wildcards (MQTT rules)."""

    text: str
    _segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        segments = split(self.text)
        for i, seg in enumerate(segments):
            if seg == "#" and i != len(segments) - 1:
                raise ValueError(f"pattern {self.text!r}: '#' may only be the last segment")
            if seg not in ("+", "#"):
                check_segment(seg)
        object.__setattr__(self, "_segments", segments)

    @cached_property
    def is_literal(self) -> bool:
        """True when the pattern has no wildcard and so names exactly one path."""
        return not any(seg in ("+", "#") for seg in self._segments)

    def matches(self, path: str) -> bool:
        """Whether ``path`` is selected by this pattern."""
        parts = split(path)
        pat = self._segments
        for i, seg in enumerate(pat):
            if seg == "#":
                return True
            if i >= len(parts):
                return False
            if seg != "+" and seg != parts[i]:
                return False
        return len(parts) == len(pat)

    def sql_like(self) -> str | None:
        """A SQL ``LIKE`` prefix filter that is a superset of the matches, or None."""
        literal: list[str] = []
        wildcard = ""
        for seg in self._segments:
            if seg in ("+", "#"):
                wildcard = seg
                break
            literal.append(seg)
        if not literal:
            return None
        prefix = join(*literal)
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # '#' also matches the prefix itself, so no separator may be required after it.
        return escaped + {"": "", "+": "/%", "#": "%"}[wildcard]


def pattern(text: str | Pattern) -> Pattern:
    """Coerce text to a :class:`Pattern`."""
    return text if isinstance(text, Pattern) else Pattern(text)
