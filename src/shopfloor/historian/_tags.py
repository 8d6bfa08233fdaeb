"""The tags table's path <-> id map, cached in memory.

Samples are stored by an integer tag id. A path that is not in the tags table yet gets a
provisional negative key when it is appended; the flush that writes it gives it an id inside
the flush's transaction (reading ids other writers added first, so two writers of one file
never hand out the same id), and the cache adopts the new ids only once that commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from duckdb import DuckDBPyConnection

from shopfloor.historian._staged import ProvisionalKeys
from shopfloor.model.namespace import Pattern

Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True)
class NewTags:
    """Ids for the provisional paths: ``ids[i]`` is the id of provisional key ``-1 - i``."""

    ids: Int32s
    inserted: tuple[tuple[int, str], ...]


class TagRegistry(ProvisionalKeys):
    """Path <-> id cache of the ``tags`` table, plus provisional keys for new paths."""

    def __init__(self) -> None:
        super().__init__()
        self._path_of: dict[int, str] = {}
        self._max_id = -1
        self._selections: dict[str, tuple[int, list[tuple[str, int]]]] = {}

    def load(self, con: DuckDBPyConnection) -> None:
        """Read the tags stored since the last load."""
        rows = con.execute(
            "SELECT id, path FROM tags WHERE id > ? ORDER BY id", [self._max_id]
        ).fetchall()
        for tag_id, path in rows:
            self._add(int(tag_id), str(path))

    def _add(self, tag_id: int, path: str) -> None:
        self._id_of[path] = tag_id
        self._path_of[tag_id] = path
        self._max_id = max(self._max_id, tag_id)

    def plan(self, con: DuckDBPyConnection) -> NewTags:
        """Give every provisional path an id and insert the new ones, in ``con``'s
        transaction. The cache changes only in :meth:`adopt`, after the commit."""
        self.load(con)
        next_id = self._max_id + 1
        ids = np.zeros(len(self._provisional), np.int32)
        inserted: list[tuple[int, str]] = []
        for path, key in self._provisional.items():
            known = self._id_of.get(path)
            if known is None:
                known, next_id = next_id, next_id + 1
                inserted.append((known, path))
            ids[-1 - key] = known
        if inserted:
            table = pa.table(
                {
                    "id": pa.array([i for i, _ in inserted], pa.int32()),
                    "path": pa.array([p for _, p in inserted], pa.string()),
                }
            )
            con.register("new_tags", table)
            try:
                con.execute("INSERT INTO tags SELECT id, path FROM new_tags")
            finally:
                con.unregister("new_tags")
        return NewTags(ids, tuple(inserted))

    def adopt(self, new: NewTags) -> None:
        """Take the ids of a committed :meth:`plan`; provisional keys are no more."""
        for tag_id, path in new.inserted:
            self._add(tag_id, path)
        self._forget_provisional()

    def path(self, tag_id: int) -> str:
        return self._path_of[tag_id]

    def select(self, pat: Pattern) -> list[tuple[str, int]]:
        """The stored (path, id) pairs that ``pat`` matches, ordered by path."""
        if pat.is_literal:
            tag_id = self._id_of.get(pat.text)
            return [] if tag_id is None else [(pat.text, tag_id)]
        cached = self._selections.get(pat.text)
        if cached is not None and cached[0] == len(self._id_of):
            return cached[1]
        picked = sorted((p, i) for p, i in self._id_of.items() if pat.matches(p))
        self._selections[pat.text] = (len(self._id_of), picked)
        return picked

    def __len__(self) -> int:
        return len(self._id_of)
