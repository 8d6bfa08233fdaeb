"""Async access to a historian: every call runs on one dedicated worker thread.

Historians are synchronous and their database work blocks (disk, locks, long queries). An
:class:`AsyncHistorian` hands each call to a single worker thread and awaits it, so the event
loop keeps running meanwhile. One thread, not a pool: a DuckDB connection must not be used
by two threads at once, and one thread also keeps calls in the order they were made, so a
query sees the appends awaited before it.

>>> import asyncio, tempfile, os
>>> from shopfloor.historian.duckdb import DuckDBHistorian
>>> from shopfloor.model.batch import SampleBatch
>>> async def main(path):
...     async with AsyncHistorian(DuckDBHistorian(path)) as h:
...         await h.append(SampleBatch.of("acme/site/press/temp", [1], [20.5]))
...         return (await h.latest()).value.tolist()
>>> asyncio.run(main(os.path.join(tempfile.mkdtemp(), "h.duckdb")))
[20.5]
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import ParamSpec, TypeVar

from shopfloor.historian.base import (
    ALL_AGGREGATES,
    Aggregate,
    Downsampled,
    Historian,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import HistorianError
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern

P = ParamSpec("P")
T = TypeVar("T")


class AsyncHistorian:
    """Async twins of every :class:`~shopfloor.historian.base.Historian` method."""

    def __init__(self, historian: Historian) -> None:
        self.historian = historian
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="historian")
        self._closed = False

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._closed:
            raise HistorianError("async historian is closed")
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._worker, call)

    async def call(self, fn: Callable[[Historian], T]) -> T:
        """Run ``fn(historian)`` on the historian's worker thread: for reads that combine
        several queries (OEE from history), without blocking the event loop."""
        return await self._run(fn, self.historian)

    async def append(self, batch: SampleBatch) -> None:
        await self._run(self.historian.append, batch)

    async def append_text(self, batch: TextBatch) -> None:
        await self._run(self.historian.append_text, batch)

    async def append_events(self, events: Iterable[Event]) -> None:
        # Materialise here: a generator must not be iterated on the worker thread.
        await self._run(self.historian.append_events, list(events))

    async def flush(self) -> None:
        await self._run(self.historian.flush)

    async def paths(self, selector: str | Pattern = "#") -> list[str]:
        return await self._run(self.historian.paths, selector)

    async def raw(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> SampleBatch:
        return await self._run(self.historian.raw, selector, start_ns, end_ns, limit=limit)

    async def raw_text(
        self, selector: str | Pattern, start_ns: int, end_ns: int, *, limit: int | None = None
    ) -> TextBatch:
        return await self._run(self.historian.raw_text, selector, start_ns, end_ns, limit=limit)

    async def downsample(
        self,
        selector: str | Pattern,
        start_ns: int,
        end_ns: int,
        every_ns: int,
        aggregates: Sequence[Aggregate] = ALL_AGGREGATES,
    ) -> Downsampled:
        return await self._run(
            self.historian.downsample, selector, start_ns, end_ns, every_ns, aggregates
        )

    async def latest(self, selector: str | Pattern = "#") -> SampleBatch:
        return await self._run(self.historian.latest, selector)

    async def events(
        self,
        *,
        asset: str | Pattern | None = None,
        kind: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        return await self._run(
            self.historian.events,
            asset=asset,
            kind=kind,
            start_ns=start_ns,
            end_ns=end_ns,
            limit=limit,
        )

    async def apply_retention(self, policy: RetentionPolicy, now_ns: int) -> RetentionReport:
        return await self._run(self.historian.apply_retention, policy, now_ns)

    async def close(self) -> None:
        """Close the historian on the worker, then stop the worker. Twice is harmless."""
        if self._closed:
            return
        try:
            await self._run(self.historian.close)
        finally:
            self._closed = True
            self._worker.shutdown(wait=False)

    async def __aenter__(self) -> AsyncHistorian:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
