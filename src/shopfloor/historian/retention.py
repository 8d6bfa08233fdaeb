"""Retention rules, backend-free: which samples and events a policy lets go.

A tag's samples are kept for the period of the first override whose pattern matches its
path, else for the policy's default; ``None`` keeps them for ever. Everything with a source
time before ``now - period`` is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.historian.base import RetentionPolicy
from shopfloor.model.errors import HistorianError
from shopfloor.model.namespace import Pattern

NS_PER_S = 1_000_000_000


def _before(now_ns: int, seconds: float | None) -> int | None:
    if seconds is None:
        return None
    if seconds < 0:
        raise HistorianError(f"a retention period cannot be negative ({seconds:g} s)")
    return now_ns - round(seconds * NS_PER_S)


def sample_cutoffs(policy: RetentionPolicy, paths: Sequence[str], now_ns: int) -> list[int | None]:
    """For each path, the source time before which its samples go (None: keep all)."""
    try:
        rules = [(Pattern(text), seconds) for text, seconds in policy.overrides]
    except ValueError as exc:
        raise HistorianError(f"retention override: {exc}") from exc
    out: list[int | None] = []
    for path in paths:
        seconds = next((s for pat, s in rules if pat.matches(path)), policy.samples_s)
        out.append(_before(now_ns, seconds))
    return out


def events_cutoff(policy: RetentionPolicy, now_ns: int) -> int | None:
    """The time before which events go (None: keep all)."""
    return _before(now_ns, policy.events_s)
