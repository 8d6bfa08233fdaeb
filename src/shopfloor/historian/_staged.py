"""What every historian backend does between ``append`` and ``flush``.

Appends go to :class:`~shopfloor.historian.staging.Staging` buffers keyed by tag id. A path
whose id is not known yet gets a provisional negative key from :class:`ProvisionalKeys`; the
backend's flush gives it an id inside its transaction and adopts the ids once that commits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
