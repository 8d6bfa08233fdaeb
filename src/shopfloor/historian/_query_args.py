"""Query arguments that every historian backend checks the same way, with the same messages."""

from __future__ import annotations

from collections.abc import Sequence

from shopfloor.historian.base import Aggregate
from shopfloor.model.errors import HistorianError
from shopfloor.model.namespace import Pattern, pattern


def selector_pattern(selector: str | Pattern) -> Pattern:
    """The tag pattern ``selector`` stands for; a bad one is a :class:`HistorianError`."""
    try:
        return pattern(selector)
    except ValueError as exc:
        raise HistorianError(f"bad tag selector: {exc}") from exc


def asset_pattern(asset: str | Pattern) -> Pattern:
    """A plain asset path selects itself and everything under it; wildcards match as such."""
    pat = selector_pattern(asset)
    if isinstance(asset, str) and pat.is_literal:
        return Pattern(asset + "/#")
    return pat


def check_limit(limit: int | None) -> None:
    """Refuse a negative row limit (``None`` means no limit)."""
    if limit is not None and limit < 0:
        raise HistorianError(f"limit must not be negative, not {limit}")


def downsample_aggregates(every_ns: int, aggregates: Sequence[Aggregate]) -> tuple[Aggregate, ...]:
    """The distinct aggregates asked for, in order, once the bucket width is checked."""
    if every_ns <= 0:
        raise HistorianError(f"bucket width must be positive, not {every_ns} ns")
    try:
        aggs = tuple(dict.fromkeys(Aggregate(a) for a in aggregates))
    except ValueError as exc:
        raise HistorianError(str(exc)) from exc
    if not aggs:
        raise HistorianError("downsample needs at least one aggregate")
    return aggs
