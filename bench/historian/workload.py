"""The benchmark's plant: many tags at 1 Hz, delivered in time order across tags.

Batches are generated one at a time with numpy (the full run holds 100 million points,
never in memory at once). Every batch covers ``batch_seconds`` seconds of every tag, rows in
time order, tags in a fixed order within each second: what a plant's drivers deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopfloor.model.quality import StatusCode

NS_PER_S = 1_000_000_000
T0_NS = 1_767_225_600 * NS_PER_S  # 2026-01-01T00:00:00Z
DAY_S = 86_400
BUCKETS = 1_000


@dataclass(frozen=True)
class Columns:
    """One append's worth of samples, as plain numpy columns."""

    tag: npt.NDArray[np.int32]
    ts: npt.NDArray[np.int64]
    recv: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    status: npt.NDArray[np.uint32]


@dataclass(frozen=True)
class Query:
    """One trend query: a tag's window downsampled to ``BUCKETS`` buckets."""

    tag: int
    start_ns: int
    end_ns: int
    every_ns: int


@dataclass(frozen=True)
class Workload:
    """Sizes of the run; ``points_per_append = tags * batch_seconds``."""

    tags: int
    seconds: int
    batch_seconds: int
    queries: int
    seed: int = 0

    @property
    def points(self) -> int:
        return self.tags * self.batches * self.batch_seconds

    @property
    def batches(self) -> int:
        return self.seconds // self.batch_seconds

    @property
    def points_per_append(self) -> int:
        return self.tags * self.batch_seconds

    @property
    def window_s(self) -> int:
        """24 h, or the whole history when it is shorter (the quick run)."""
        return min(DAY_S, self.batches * self.batch_seconds)

    def paths(self) -> tuple[str, ...]:
        return tuple(
            f"acme/plant1/line{i // 50:02d}/machine{i:04d}/value" for i in range(self.tags)
        )

    def stream(self) -> Iterator[Columns]:
        """The batches, in delivery order; the same for every call (seeded)."""
        rng = np.random.default_rng(self.seed)
        base = rng.uniform(0, 100, self.tags)
        period = rng.uniform(60, 3_600, self.tags)
        tag = np.tile(np.arange(self.tags, dtype=np.int32), self.batch_seconds)
        for b in range(self.batches):
            second = np.arange(b * self.batch_seconds, (b + 1) * self.batch_seconds)
            wave = np.sin(2 * np.pi * second[:, None] / period[None, :])
            value = (base + 5 * wave + rng.normal(0, 0.2, wave.shape)).ravel()
            ts = np.repeat(T0_NS + second.astype(np.int64) * NS_PER_S, self.tags)
            recv = ts + rng.integers(1_000_000, 80_000_000, len(ts))
            status = np.where(
                rng.random(len(ts)) < 0.001, np.uint32(StatusCode.BAD), np.uint32(0)
            ).astype(np.uint32)
            yield Columns(tag, ts, recv, value, status)

    def trend_queries(self) -> list[Query]:
        """Random tags and windows, the same for both sides."""
        rng = np.random.default_rng(self.seed + 1)
        span_s = self.batches * self.batch_seconds
        out = []
        for _ in range(self.queries):
            start_s = int(rng.integers(0, span_s - self.window_s + 1))
            start = T0_NS + start_s * NS_PER_S
            end = start + self.window_s * NS_PER_S
            out.append(Query(int(rng.integers(self.tags)), start, end, (end - start) // BUCKETS))
        return out
