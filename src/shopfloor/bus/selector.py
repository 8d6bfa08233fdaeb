"""Which part of a message a set of unified-namespace patterns selects.

Samples match by tag path, events by asset path. Publishers reuse one path dictionary for
many batches (the twin, a Sparkplug node), so a :class:`Selector` matches each dictionary
once and remembers the answer; per batch it only indexes a boolean array.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from shopfloor.bus.base import Message
from shopfloor.model.namespace import Pattern


class Selector:
    """The part of each message that any of ``patterns`` matches."""

    def __init__(self, patterns: tuple[Pattern, ...]) -> None:
        self.patterns = patterns
        self._everything = any(p.text == "#" for p in patterns)
        self._hits: dict[tuple[str, ...], npt.NDArray[np.bool_]] = {}

    def wants(self, message: Message) -> Message | None:
        """The selected part of ``message``, or None when nothing is selected."""
        if self._everything:
            return message
        if isinstance(message, tuple):
            picked = tuple(e for e in message if any(p.matches(e.asset) for p in self.patterns))
            return picked or None
        hit = self._dictionary_hits(message.paths)
        if not hit.any():
            return None
        if hit.all():
            return message
        mask = hit[message.tag]
        if not mask.any():
            return None
        return message if mask.all() else message.take(mask)

    def _dictionary_hits(self, paths: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        hit = self._hits.get(paths)
        if hit is None:
            hit = np.fromiter(
                (any(p.matches(path) for p in self.patterns) for path in paths), bool, len(paths)
            )
            if len(self._hits) >= 64:
                self._hits.clear()
            self._hits[paths] = hit
        return hit
