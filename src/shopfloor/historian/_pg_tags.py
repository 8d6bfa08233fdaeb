"""Tag ids of the PostgreSQL historian: paths known to this process, and new ones.

A path's id never changes once the ``tags`` table holds it, so the ids this process has seen
are cached for good. A path not seen yet gets a provisional negative key when it is
appended; the flush that writes it looks it up, inserts it if no process has, and gives the
staged rows its id, all inside the flush's transaction. The cache adopts the ids only once
that commits. Reads never use this cache: they select tags in SQL, so they see paths that
other processes added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shopfloor.historian._pg_connect import Cur
from shopfloor.historian._staged import ProvisionalKeys

Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Resolved:
    """Ids for the provisional keys: ``ids[i]`` is the id of key ``-1 - i``."""

    ids: Int32s
    id_of: dict[str, int]


class TagIds(ProvisionalKeys):
    """Path -> id cache, plus provisional keys for paths whose id is not known yet."""

    def resolve(self, cur: Cur) -> Resolved:
        """Find or insert the provisional paths, in ``cur``'s open transaction."""
        names = list(self._provisional)
        found = _select(cur, names)
        missing = sorted(p for p in names if p not in found)
        if missing:
            # Sorted, so that two writers adding the same paths lock them in one order.
            cur.execute(
                "INSERT INTO tags (path) SELECT p FROM unnest(%s::text[]) AS u(p) ORDER BY p"
                " ON CONFLICT (path) DO NOTHING RETURNING path, id",
                [missing],
            )
            found.update(_pairs(cur.fetchall()))
            # Paths another writer inserted while this insert waited for it to commit.
            found.update(_select(cur, [p for p in missing if p not in found]))
        ids = np.array([found[p] for p in names], np.int32)
        return Resolved(ids, found)

    def adopt(self, resolved: Resolved) -> None:
        """Take the ids of a committed :meth:`resolve`; provisional keys are no more."""
        self._id_of.update(resolved.id_of)
        self._forget_provisional()


def _select(cur: Cur, paths: list[str]) -> dict[str, int]:
    if not paths:
        return {}
    cur.execute("SELECT path, id FROM tags WHERE path = ANY(%s::text[])", [paths])
    return _pairs(cur.fetchall())


def _pairs(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    return {str(path): int(tag_id) for path, tag_id in rows}
