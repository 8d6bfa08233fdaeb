"""The :class:`Historian` protocol: what every history store does.

A historian keeps samples (numeric and text), events, and answers range, downsampled and
latest-value queries. It is synchronous: async code reaches it through
:class:`shopfloor.historian.aio.AsyncHistorian`, which runs every call on a worker thread so
that blocking database work stays off the event loop.

Rules every backend follows (the contract suite in ``tests/historian/contract.py`` checks
them):

* ``append`` is idempotent per (tag, source timestamp): writing the same pair twice keeps
  one row, the one written last. Late and out-of-order samples are accepted.
* Appends may be buffered; ``flush`` makes them durable, and every query sees what was
  appended before it in the same process.
* Range ends: ``start_ns`` inclusive, ``end_ns`` exclusive.
* Order: ``raw`` rows come by path, then source time (``limit`` keeps the first rows in
  that order); ``latest`` rows by path; downsampled rows by path, then bucket; ``events``
  newest first (``limit`` keeps the newest).
* ``latest`` is each tag's sample with the greatest source time, whatever its quality: a
  late sample never replaces a newer one, a rewrite of the same time does.
* Buckets are ``[start_ns + k * every_ns, start_ns + (k + 1) * every_ns)``, the last one
  clipped to ``end_ns``; a (path, bucket) row exists when the bucket holds at least one
  sample of any quality.
* Aggregates ignore samples of bad quality; ``count`` counts the samples aggregated, and
  the other aggregates of a bucket without a good sample are NaN.
* The time-weighted mean holds each value until the next sample of the same tag (step
  interpolation); a bucket's time before its first sample takes the last earlier value,
  when there is one. A bad sample's hold carries no weight (its value is unknown), so
  the mean is ``sum(value * held) / sum(held)`` over the good holds inside the bucket.
* Event selection: ``asset`` given as a plain path selects that asset and everything under
  it, given with wildcards (or as a :class:`Pattern`) what the pattern matches; ``kind``
  selects itself and its dotted descendants (``alarm`` selects ``alarm.active``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern


class Aggregate(StrEnum):
    """Per-bucket aggregates of a downsampled query."""

    MEAN = "mean"
    TIME_WEIGHTED_MEAN = "twa"
    MIN = "min"
    MAX = "max"
    LAST = "last"
    COUNT = "count"


ALL_AGGREGATES: tuple[Aggregate, ...] = tuple(Aggregate)


@dataclass(frozen=True, eq=False)
class Downsampled:
    """Buckets of one or more tags: one row per (path, bucket) that holds samples.

    ``columns`` maps each requested aggregate to a float64 column (``count`` too, as float64,
    for one numeric type throughout). Rows are ordered by path, then bucket start.
    """

    paths: tuple[str, ...]
    tag: npt.NDArray[np.int32]
    bucket_ns: npt.NDArray[np.int64]
    columns: dict[Aggregate, npt.NDArray[np.float64]]

    def __len__(self) -> int:
        return len(self.bucket_ns)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long history is kept: a default for samples, optional longer or shorter
    periods for tag patterns (the first matching pattern wins), and a period for events."""

    samples_s: float | None = None
    events_s: float | None = None
    overrides: Sequence[tuple[str, float]] = field(default_factory=tuple)


@dataclass(frozen=True)
class RetentionReport:
    """How many rows one application of a :class:`RetentionPolicy` deleted."""

    samples_deleted: int
    text_samples_deleted: int
    events_deleted: int


@runtime_checkable
class Historian(Protocol):
    """A store of samples and events. See the module docstring for the rules."""

    def append(self, batch: SampleBatch) -> None: ...

    def append_text(self, batch: TextBatch) -> None: ...

    def append_events(self, events: Iterable[Event]) -> None: ...

    def flush(self) -> None: ...

    def paths(self, selector: str | Pattern = "#") -> list[str]: ...

    def raw(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> SampleBatch: ...

    def raw_text(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> TextBatch: ...

    def downsample(
        self,
        selector: str | Pattern,
        start_ns: int,
        end_ns: int,
        every_ns: int,
        aggregates: Sequence[Aggregate] = ALL_AGGREGATES,
    ) -> Downsampled: ...

    def latest(self, selector: str | Pattern = "#") -> SampleBatch: ...

    def events(
        self,
        *,
        asset: str | Pattern | None = None,
        kind: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[Event]: ...

    def apply_retention(self, policy: RetentionPolicy, now_ns: int) -> RetentionReport: ...

    def close(self) -> None: ...
