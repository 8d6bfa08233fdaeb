"""The DuckDB historian: the contract in every mode, plus what only DuckDB has to say."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from shopfloor.historian import DuckDBHistorian, open_historian
from shopfloor.model.batch import Sample, SampleBatch
from shopfloor.model.errors import HistorianError, HistorianLockedError

from .contract import TEMP, HistorianContract, OpenStore, rows

CHILD = str(Path(__file__).with_name("_child.py"))


class TestExclusive(HistorianContract):
    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        return lambda: DuckDBHistorian(tmp_path / "h.duckdb")


class TestShared(HistorianContract):
    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        return lambda: DuckDBHistorian(tmp_path / "h.duckdb", mode="shared")


class TestTinyFlushes(HistorianContract):
    """Flushing every few rows in the middle of appends, and compacting the smallest
    flushes every few rows, changes nothing."""

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        return lambda: DuckDBHistorian(tmp_path / "h.duckdb", flush_rows=3)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "h.duckdb"


def stored_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


# -- storage ------------------------------------------------------------------------------


def test_rewrites_after_reopening_leave_one_row_per_tag_and_time(path: Path) -> None:
    for value in (1.0, 2.0, 3.0):
        with DuckDBHistorian(path) as h:
            h.append(SampleBatch.of(TEMP, [10, 20], [value, value]))

    assert stored_rows(path, "SELECT ts, value FROM samples ORDER BY ts") == [
        (10, 3.0),
        (20, 3.0),
    ]


def physical_order(path: Path) -> list[tuple[object, ...]]:
    """(path, time) of the stored samples in the order they sit in the file."""
    return stored_rows(
        path, "SELECT t.path, s.ts FROM samples s JOIN tags t ON t.id = s.tag_id ORDER BY s.rowid"
    )


def two_tags_at(second: int) -> SampleBatch:
    return SampleBatch.from_samples([Sample("p/b", second, 1.0), Sample("p/a", second, 2.0)])


TAG_ORDER = [("p/b", 0), ("p/b", 1), ("p/b", 2), ("p/a", 0), ("p/a", 1), ("p/a", 2)]


def test_small_flushes_are_compacted_into_tag_order(path: Path) -> None:
    with DuckDBHistorian(path, flush_rows=6) as h:
        for second in range(3):
            h.append(two_tags_at(second))
            h.flush()

    assert physical_order(path) == TAG_ORDER


def test_the_rows_waiting_for_compaction_are_remembered_across_reopening(path: Path) -> None:
    for second in range(3):
        with DuckDBHistorian(path, flush_rows=6) as h:
            h.append(two_tags_at(second))

    assert physical_order(path) == TAG_ORDER


def test_old_rows_of_a_new_tag_are_left_out_of_compaction(path: Path) -> None:
    hour = 3_600 * 10**9
    rows = [
        ("p/b", 5 * hour),
        ("p/c", 0),
        ("p/a", 5 * hour + 1),
        ("p/a", 6 * hour),
        ("p/b", 7 * hour),
    ]
    with DuckDBHistorian(path, flush_rows=4) as h:
        for tag, ts in rows:  # p/c at 0 is a backfill, hours behind the others
            h.append(SampleBatch.from_samples([Sample(tag, ts, 1.0)]))
            h.flush()

    assert physical_order(path) == [
        ("p/c", 0),
        ("p/b", 5 * hour), ("p/b", 7 * hour),
        ("p/a", 5 * hour + 1), ("p/a", 6 * hour),
    ]  # fmt: skip


def test_big_flushes_are_left_as_written(path: Path) -> None:
    with DuckDBHistorian(path, flush_rows=4) as h:
        for second in range(4):
            h.append(two_tags_at(second))

    assert physical_order(path) == [
        ("p/b", 0), ("p/b", 1), ("p/a", 0), ("p/a", 1),
        ("p/b", 2), ("p/b", 3), ("p/a", 2), ("p/a", 3),
    ]  # fmt: skip


def test_the_schema_version_is_recorded(path: Path) -> None:
    DuckDBHistorian(path).close()

    assert stored_rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]


def test_a_file_of_a_newer_schema_is_refused(path: Path) -> None:
    DuckDBHistorian(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")

    with pytest.raises(HistorianError, match="schema version 99"):
        DuckDBHistorian(path)


def test_a_read_only_historian_refuses_appends(path: Path) -> None:
    DuckDBHistorian(path).close()

    with DuckDBHistorian(path, read_only=True) as h, pytest.raises(HistorianError):
        h.append(SampleBatch.of(TEMP, [1], [1.0]))


def test_opening_a_missing_file_read_only_raises_historian_error(path: Path) -> None:
    with pytest.raises(HistorianError):
        DuckDBHistorian(path, read_only=True)


def test_a_file_that_is_no_database_raises_historian_error(path: Path) -> None:
    path.write_bytes(b"not a database, just some bytes" * 1000)

    with pytest.raises(HistorianError):
        DuckDBHistorian(path)


def test_an_in_memory_historian_works_but_cannot_be_shared() -> None:
    with DuckDBHistorian(":memory:") as h:
        h.append(SampleBatch.of(TEMP, [1], [1.0]))
        assert rows(h.latest()) == [(TEMP, 1, 1.0)]
    with pytest.raises(HistorianError):
        DuckDBHistorian(":memory:", mode="shared")


def test_an_unknown_mode_is_refused(path: Path) -> None:
    with pytest.raises(HistorianError):
        DuckDBHistorian(path, mode="sometimes")  # type: ignore[arg-type]


# -- shared mode in one process -----------------------------------------------------------


def test_a_shared_writer_flushes_by_itself_once_flush_rows_are_staged(path: Path) -> None:
    writer = DuckDBHistorian(path, mode="shared", flush_rows=5)
    reader = DuckDBHistorian(path, mode="shared", read_only=True)

    writer.append(SampleBatch.of(TEMP, range(6), [1.0] * 6))
    seen_after_six = len(reader.raw(TEMP, 0, 100))
    writer.append(SampleBatch.of(TEMP, range(6, 9), [1.0] * 3))
    seen_after_nine = len(reader.raw(TEMP, 0, 100))
    writer.close()
    seen_after_close = len(reader.raw(TEMP, 0, 100))
    reader.close()

    assert (seen_after_six, seen_after_nine, seen_after_close) == (6, 6, 9)


def test_two_shared_writers_share_one_tag_table(path: Path) -> None:
    a = DuckDBHistorian(path, mode="shared")
    b = DuckDBHistorian(path, mode="shared")

    a.append(SampleBatch.of("p/x", [1], [1.0]))
    b.append(SampleBatch.of("p/y", [1], [2.0]))
    b.flush()
    a.flush()
    b.append(SampleBatch.of("p/x", [2], [3.0]))
    b.flush()
    got = rows(a.raw("#", 0, 10))
    a.close()
    b.close()

    assert got == [("p/x", 1, 1.0), ("p/x", 2, 3.0), ("p/y", 1, 2.0)]


# -- several processes --------------------------------------------------------------------


@contextmanager
def writer_holding(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds ``path`` open for writing until the block ends."""
    with subprocess.Popen(
        [sys.executable, CHILD, "hold", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        try:
            yield proc
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)


def test_a_reader_gives_up_with_historian_locked_error_while_a_writer_holds_the_file(
    path: Path,
) -> None:
    with writer_holding(path), pytest.raises(HistorianLockedError, match="locked"):
        DuckDBHistorian(path, mode="shared", read_only=True, lock_timeout_s=0.3)


def test_a_shared_historian_waits_for_the_lock_to_be_released(path: Path) -> None:
    with writer_holding(path) as holder:
        assert holder.stdin is not None
        threading.Timer(0.3, holder.stdin.close).start()
        started = time.monotonic()
        reader = DuckDBHistorian(path, mode="shared", read_only=True, lock_timeout_s=30)
        waited = time.monotonic() - started
    reader.close()

    assert waited >= 0.2


def test_a_reader_process_sees_a_writer_process_progress(path: Path) -> None:
    batches = 30
    DuckDBHistorian(path).close()  # the schema exists before the reader opens
    reader = DuckDBHistorian(path, mode="shared", read_only=True)
    seen: list[int] = []
    with subprocess.Popen(
        [sys.executable, CHILD, "write", str(path), str(batches)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        while proc.poll() is None:
            seen.append(len(reader.raw(TEMP, 0, 10**6)))
            time.sleep(0.005)
    seen.append(len(reader.raw(TEMP, 0, 10**6)))
    reader.close()

    assert proc.returncode == 0
    assert seen == sorted(seen)
    assert any(0 < n < 10 * batches for n in seen)
    assert seen[-1] == 10 * batches


# -- opening by URL -----------------------------------------------------------------------


def test_open_historian_opens_duckdb_for_a_plain_path(path: Path) -> None:
    h = open_historian(str(path))
    h.close()

    assert isinstance(h, DuckDBHistorian)


def test_open_historian_opens_duckdb_for_a_duckdb_url_with_options(path: Path) -> None:
    h = open_historian(f"duckdb://{path}", mode="shared")
    h.close()

    assert isinstance(h, DuckDBHistorian)
    assert (h.path, h.mode) == (str(path), "shared")


def test_open_historian_names_the_known_schemes_for_an_unknown_one() -> None:
    with pytest.raises(HistorianError, match="known: duckdb, postgres, postgresql"):
        open_historian("influx://somewhere")
