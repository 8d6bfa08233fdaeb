"""What every historian backend does between ``append`` and ``flush``.

Appends go to :class:`~shopfloor.historian.staging.Staging` buffers keyed by tag id. A path
whose id is not known yet gets a provisional negative key from :class:`ProvisionalKeys`; the
backend's flush gives it an id inside its transaction and adopts the ids once that commits.
:class:`StagedHistorian` holds the buffers and implements the append methods; a backend adds
its own ``flush``, ``_check_writable``, ``_link`` (what ``close`` lets go of) and reads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from shopfloor.historian.staging import Staging
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.event import Event

Int32s = npt.NDArray[np.int32]


class ProvisionalKeys:
    """Path -> id cache, plus provisional keys for paths whose id is not known yet.

    Provisional key ``-1 - i`` belongs to the ``i``-th new path; a flush's ids for them come
    in that order (see :meth:`.staging.Staging.rows`).
    """

    def __init__(self) -> None:
        self._id_of: dict[str, int] = {}
        self._provisional: dict[str, int] = {}
        self._last_paths: tuple[str, ...] = ()
        self._last_keys: Int32s = np.zeros(0, np.int32)

    def keys(self, paths: tuple[str, ...]) -> Int32s:
        """The key of each path: its id when known, else a provisional negative key."""
        # Drivers send the same path dictionary batch after batch; skip the lookups then.
        if paths is self._last_paths or paths == self._last_paths:
            return self._last_keys
        keys = np.fromiter((self._key(p) for p in paths), np.int32, len(paths))
        self._last_paths, self._last_keys = paths, keys
        return keys

    def _key(self, path: str) -> int:
        known = self._id_of.get(path)
        if known is not None:
            return known
        return self._provisional.setdefault(path, -1 - len(self._provisional))

    @property
    def has_provisional(self) -> bool:
        return bool(self._provisional)

    def _forget_provisional(self) -> None:
        """Drop the provisional keys once their ids are adopted."""
        self._provisional.clear()
        self._last_paths, self._last_keys = (), np.zeros(0, np.int32)


K = TypeVar("K", bound=ProvisionalKeys)


class Link(Protocol):
    """The backend's hold on its store (a file connector or a server session)."""

    @property
    def closed(self) -> bool: ...

    def close(self) -> None: ...


class StagedHistorian(ABC, Generic[K]):
    """The append side of a historian: rows wait in memory until :meth:`flush` writes them.

    ``flush_rows`` staged rows (numeric, text and events together) trigger a flush.
    """

    flush_rows: int

    def __init__(self, tags: K) -> None:
        self._tags = tags
        self._numeric_staging = Staging(np.float64)
        self._text_staging = Staging(np.object_)
        self._event_staging: list[Event] = []

    @abstractmethod
    def _check_writable(self) -> None:
        """Raise :class:`~shopfloor.model.errors.HistorianError` if appends are refused."""

    @abstractmethod
    def flush(self) -> None:
        """Write everything staged, in one transaction."""

    @property
    @abstractmethod
    def _link(self) -> Link:
        """What :meth:`close` lets go of."""

    def close(self) -> None:
        """Flush what is staged and let go of the store. Closing twice is harmless."""
        if self._link.closed:
            return
        try:
            if self._staged():
                self.flush()
        finally:
            self._link.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _staged(self) -> int:
        return len(self._numeric_staging) + len(self._text_staging) + len(self._event_staging)

    def append(self, batch: SampleBatch) -> None:
        """Stage numeric samples; they are written at the next flush (idempotently)."""
        self._stage(self._numeric_staging, batch)

    def append_text(self, batch: TextBatch) -> None:
        """Stage text samples; they follow the same rules as numeric ones."""
        self._stage(self._text_staging, batch)

    def append_events(self, events: Iterable[Event]) -> None:
        """Stage events; an event whose id is stored already replaces it."""
        self._check_writable()
        self._event_staging.extend(events)
        self._maybe_flush()

    def _stage(self, staging: Staging, batch: SampleBatch | TextBatch) -> None:
        self._check_writable()
        if len(batch):
            keys = self._tags.keys(batch.paths)
            staging.add(
                keys[batch.tag], batch.source_ns, batch.receive_ns, batch.value, batch.status
            )
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._staged() >= self.flush_rows:
            self.flush()
