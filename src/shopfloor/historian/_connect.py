"""DuckDB connections to one historian file, held or opened per use, with lock retries.

DuckDB lets one process open a file for writing, and a writing process keeps every other
process out, readers included. In exclusive mode the historian holds one connection for its
whole life. In shared mode it holds none: each flush or query opens the file, does its work
and closes it, so a writer (the demo) and readers (the command line) take turns. Whoever
finds the file locked retries with a short, growing pause until ``lock_timeout_s`` passes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb

from shopfloor.model.errors import HistorianError, HistorianLockedError

_FIRST_PAUSE_S = 0.005
_LONGEST_PAUSE_S = 0.1


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException) and "lock" in text:
        return True
    # Another historian of this process has the file open with the other read_only setting.
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in text


class Connector:
    """Opens, holds and closes the DuckDB connections of one historian."""

    def __init__(self, path: str, *, shared: bool, read_only: bool, lock_timeout_s: float):
        if shared and path == ":memory:":
            raise HistorianError("an in-memory historian cannot be shared; use mode='exclusive'")
        self.path = path
        self.shared = shared
        self.read_only = read_only
        self.lock_timeout_s = lock_timeout_s
        self._held: duckdb.DuckDBPyConnection | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        if self._closed:
            raise HistorianError(f"historian {self.path} is closed")

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one piece of work; DuckDB errors come out as HistorianError."""
        self.check_open()
        if not self.shared and self._held is None:
            self._held = self._open()
        con = self._held or self._open()
        try:
            yield con
        except duckdb.Error as exc:
            raise HistorianError(f"historian {self.path}: {exc}") from exc
        finally:
            if self.shared:
                con.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        pause = _FIRST_PAUSE_S
        while True:
            try:
                con = duckdb.connect(self.path, read_only=self.read_only)
                # A library must not draw DuckDB's progress bar on its caller's terminal.
                con.execute("SET enable_progress_bar = false")
                return con
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc):
                    raise HistorianError(f"cannot open historian {self.path}: {exc}") from exc
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HistorianLockedError(
                        f"historian {self.path} is locked by another process that writes to"
                        f" it; gave up after {self.lock_timeout_s:g} s ({exc})"
                    ) from exc
                time.sleep(min(pause, left))
                pause = min(2 * pause, _LONGEST_PAUSE_S)

    def close(self) -> None:
        """Close the held connection, if any; later sessions raise HistorianError."""
        self._closed = True
        held, self._held = self._held, None
        if held is not None:
            try:
                held.close()
            except duckdb.Error as exc:
                raise HistorianError(f"closing historian {self.path}: {exc}") from exc


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed when it ends, rolled back if it raises."""
    con.begin()
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # the block's own error is the one worth raising
            con.rollback()
        raise
    con.commit()
