"""Timestamped tables of numbers as CSV, read in chunks: one timestamp column, number columns.

What is not given is found in the file itself:

* the delimiter: comma, semicolon, tab or pipe, whichever the header line holds most of;
* the timestamp column: the first one named like a time (``timestamp``, ``time``,
  ``datetime``, ``date``, ``ts``, ``epoch``), else the first whose values read as ISO 8601;
* the form of its values: ISO 8601 text (UTC unless the text carries an offset), or numbers
  since the epoch, whose unit follows from their size in the first block: seconds below
  1e11 (until the year 5138), milliseconds below 1e14, microseconds below 1e17, else
  nanoseconds;
* the value columns: every column of numbers in the first block, besides the timestamp.

pyarrow parses the file in blocks of about a megabyte, so a file of any length streams in
bounded memory, as numpy arrays. An empty cell, ``NA``, ``NaN`` or ``null`` is a missing value
(NaN). A file that starts with gzip's magic bytes is decompressed, whatever its name. Errors
name the file and, for a bad cell, the line (the header is line 1; one line per row is
assumed, blank lines are skipped).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("time;speed\\n1700000000;1.5\\n1700000060;\\n")
>>> layout = inspect_table(path)
>>> layout.delimiter, layout.timestamp_column, layout.columns
(';', 'time', ('speed',))
>>> chunk = RowStream(read_chunks(layout)).take(10)
>>> chunk.times.tolist(), chunk.values[:, 0].tolist()
([1700000000000000000, 1700000060000000000], [1.5, nan])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from shopfloor.model.errors import InputError
from shopfloor.model.times import parse_iso_ns

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DELIMITERS = (",", ";", "\t", "|")
TIME_NAMES = ("timestamp", "time", "datetime", "date", "ts", "epoch")
MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]
BLOCK_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_EPOCH_UNITS = ((1e11, 10**9), (1e14, 10**6), (1e17, 10**3))  # below the bound: ns per unit
_UNIT_NAMES = {10**9: "seconds", 10**6: "milliseconds", 10**3: "microseconds", 1: "nanoseconds"}


@dataclass(frozen=True)
class TableLayout:
    """Where the timestamps and values of a table are, and how its timestamps read.

    ``epoch_unit_ns`` is the length of one epoch unit in nanoseconds (10**9 for seconds),
    or None when the timestamps are ISO 8601 text.
    """

    path: Path
    delimiter: str
    timestamp_column: str
    columns: tuple[str, ...]
    epoch_unit_ns: int | None

    def time_form(self) -> str:
        """How the timestamps read, in words."""
        if self.epoch_unit_ns is None:
            return "ISO 8601"
        return f"epoch {_UNIT_NAMES[self.epoch_unit_ns]}"


@dataclass(frozen=True)
class TableChunk:
    """Consecutive rows: their timestamps as written (``stamps``, an Arrow string array), as
    nanoseconds since the epoch (``times``) and their values (rows x columns, NaN missing).
    ``first_row`` counts the data rows before this chunk."""

    first_row: int
    stamps: Any
    times: IntArray
    values: FloatArray

    def __len__(self) -> int:
        return len(self.times)

    def slice(self, start: int, stop: int) -> TableChunk:
        """Rows ``start`` to ``stop`` of this chunk (views, nothing copied)."""
        return TableChunk(
            self.first_row + start,
            self.stamps.slice(start, stop - start),
            self.times[start:stop],
            self.values[start:stop],
        )

    @staticmethod
    def concat(chunks: Sequence[TableChunk]) -> TableChunk:
        """Consecutive chunks as one."""
        if len(chunks) == 1:
            return chunks[0]
        return TableChunk(
            chunks[0].first_row,
            pa.concat_arrays([c.stamps for c in chunks]),
            np.concatenate([c.times for c in chunks]),
            np.concatenate([c.values for c in chunks]),
        )


class RowStream:
    """The rows of a table in order, taken in chunks of any size.

    Parsed blocks are cut without copying; rows are copied only where a chunk spans blocks.
    """

    def __init__(self, chunks: Iterator[TableChunk]) -> None:
        self._chunks = chunks
        self._pending: list[TableChunk] = []
        self._rows = 0

    def take(self, rows: int) -> TableChunk | None:
        """The next ``rows`` rows (fewer at the end of the table); None when none are left."""
        while self._rows < rows:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            if len(chunk):
                self._pending.append(chunk)
                self._rows += len(chunk)
        if not self._pending:
            return None
        whole = TableChunk.concat(self._pending)
        rest = whole.slice(min(rows, len(whole)), len(whole))
        self._pending = [rest] if len(rest) else []
        self._rows = len(rest)
        return whole.slice(0, min(rows, len(whole)))


def line_of(row: int) -> int:
    """The line of data row ``row`` (from 0), the header being line 1."""
    return row + 2


def inspect_table(
    path: Path,
    *,
    delimiter: str | None = None,
    timestamp_column: str | None = None,
    columns: Sequence[str] | None = None,
) -> TableLayout:
    """Find the layout of a table from its header and first block; given parts are checked."""
    separator = delimiter or sniff_delimiter(path)
    reader = _reader(path, separator, None)
    try:
        first = reader.read_next_batch()
    except StopIteration:
        raise InputError(f"{path}: no data rows below the header") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, exc) from exc
    finally:
        reader.close()
    names = list(first.schema.names)
    stamp = timestamp_column or _find_timestamp(path, first)
    _check_present(path, [stamp, *(columns or ())], names)
    chosen = tuple(columns) if columns else _numeric_columns(first, stamp)
    if not chosen:
        raise InputError(f"{path}: no numeric columns besides {stamp!r} ({', '.join(names)})")
    if stamp in chosen:
        raise InputError(f"{path}: column {stamp!r} holds the timestamps, not values")
    stamp_type = first.schema.field(stamp).type
    unit = _epoch_unit(first.column(stamp)) if _is_number_type(stamp_type) else None
    return TableLayout(path, separator, stamp, chosen, unit)


def sniff_delimiter(path: Path) -> str:
    """The candidate delimiter the header line holds most of (a comma if it holds none)."""
    header = _header_line(path)
    counts = [header.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def read_chunks(
    layout: TableLayout,
    *,
    block_bytes: int = BLOCK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> Iterator[TableChunk]:
    """The table's rows, a parsed block at a time; ``progress`` gets the file bytes read."""
    path = layout.path
    reader = _reader(path, layout.delimiter, layout, block_bytes)
    position = _position_of(reader)
    row = 0
    try:
        for batch in reader:
            chunk = _convert(layout, batch, row)
            row += len(chunk)
            if progress is not None:
                progress(position())
            yield chunk
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, exc) from exc
    finally:
        reader.close()


def read_all(layout: TableLayout) -> TableChunk:
    """The whole table as one chunk."""
    return RowStream(read_chunks(layout)).take(2**62) or _empty(layout)


def count_rows(path: Path) -> int:
    """The number of data rows, counted as lines below the header (one pass, no parsing)."""
    lines, last = 0, b"\n"
    with _Stream(path) as stream:
        while block := stream.read(BLOCK_BYTES):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def _header_line(path: Path) -> str:
    with _Stream(path) as stream:
        head = bytes(stream.read(1 << 16))
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if line.strip():
            return line
    raise InputError(
        f"{path}: the file is empty; expected a header line naming a timestamp column and "
        "numeric columns"
    )


class _Stream:
    """A file's bytes, decompressed when it is gzip, and how far into the file reading is."""

    def __init__(self, path: Path) -> None:
        try:
            self.raw = pa.OSFile(str(path), "rb")
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc})") from exc
        gzipped = bytes(self.raw.read(2)) == _GZIP_MAGIC
        self.raw.seek(0)
        self.stream = pa.CompressedInputStream(self.raw, "gzip") if gzipped else self.raw

    def __enter__(self) -> Any:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


class _Reader:
    """A pyarrow streaming CSV reader that closes its file."""

    def __init__(self, source: _Stream, reader: Any) -> None:
        self.source, self.reader = source, reader

    def __iter__(self) -> Iterator[Any]:
        return iter(self.reader)

    def read_next_batch(self) -> Any:
        return self.reader.read_next_batch()

    def close(self) -> None:
        self.source.close()


def _reader(
    path: Path, delimiter: str, layout: TableLayout | None, block_bytes: int = BLOCK_BYTES
) -> _Reader:
    """Types inferred from the first block (no layout yet) or every chosen column as text."""
    source = _Stream(path)
    convert = pv.ConvertOptions(null_values=MISSING, strings_can_be_null=True)
    if layout is not None:
        wanted = [layout.timestamp_column, *layout.columns]
        convert = pv.ConvertOptions(
            column_types={name: pa.string() for name in wanted},
            include_columns=wanted,
            null_values=MISSING,
            strings_can_be_null=True,
        )
    try:
        reader = pv.open_csv(
            source.stream,
            read_options=pv.ReadOptions(block_size=block_bytes, use_threads=False),
            parse_options=pv.ParseOptions(delimiter=delimiter),
            convert_options=convert,
        )
    except (pa.ArrowInvalid, OSError) as exc:
        source.close()
        raise _unreadable(path, exc) from exc
    return _Reader(source, reader)


def _position_of(reader: _Reader) -> Callable[[], int]:
    raw = reader.source.raw
    return lambda: int(raw.tell())


def _unreadable(path: Path, exc: Exception) -> InputError:
    if "Empty CSV file" in str(exc):
        return InputError(f"{path}: the file is empty")
    return InputError(f"{path}: not a readable CSV table ({' '.join(str(exc).split())})")


def _check_present(path: Path, wanted: Sequence[str], names: Sequence[str]) -> None:
    for name in wanted:
        if name not in names:
            raise InputError(f"{path}: no column {name!r} (columns: {', '.join(names)})")


def _find_timestamp(path: Path, first: Any) -> str:
    names: list[str] = list(first.schema.names)
    for name in names:
        if name.strip().lower() in TIME_NAMES:
            return name
    for name in names:
        if _reads_as_time(first.column(name)):
            return name
    raise InputError(
        f"{path}: no timestamp column found among {', '.join(names)}; "
        "name it with --timestamp-column"
    )


def _reads_as_time(column: Any) -> bool:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return True
    if not pa.types.is_string(column.type):
        return False
    texts = column.drop_null()
    if len(texts) == 0:
        return False
    try:
        parse_iso_ns(str(texts[0].as_py()))
    except ValueError:
        return False
    return True


def _is_number_type(kind: Any) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _numeric_columns(first: Any, stamp: str) -> tuple[str, ...]:
    return tuple(
        field.name for field in first.schema if field.name != stamp and _is_number_type(field.type)
    )


def _epoch_unit(column: Any) -> int:
    values = np.abs(column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False))
    largest = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    for bound, unit in _EPOCH_UNITS:
        if largest < bound:
            return unit
    return 1


def _empty(layout: TableLayout) -> TableChunk:
    width = len(layout.columns)
    return TableChunk(0, pa.array([], pa.string()), np.zeros(0, np.int64), np.zeros((0, width)))


def _convert(layout: TableLayout, batch: Any, first_row: int) -> TableChunk:
    stamps = pc.utf8_trim_whitespace(batch.column(layout.timestamp_column))
    times = _times(layout, stamps, first_row)
    values = np.empty((len(stamps), len(layout.columns)))
    for j, name in enumerate(layout.columns):
        values[:, j] = _numbers(layout, batch.column(name), name, first_row)
    return TableChunk(first_row, stamps, times, values)


def _fail(layout: TableLayout, row: int, message: str) -> InputError:
    return InputError(f"{layout.path}:{line_of(row)}: {message}")


def _times(layout: TableLayout, stamps: Any, first_row: int) -> IntArray:
    if stamps.null_count:
        empty = int(np.flatnonzero(stamps.is_null().to_numpy(zero_copy_only=False))[0])
        raise _fail(layout, first_row + empty, f"column {layout.timestamp_column!r} is empty")
    if layout.epoch_unit_ns is not None:
        return _epoch_times(layout, stamps, first_row, layout.epoch_unit_ns)
    for kind in (pa.timestamp("ns"), pa.timestamp("ns", "UTC")):
        try:
            return np.asarray(pc.cast(stamps, kind).cast(pa.int64()).to_numpy(), np.int64)
        except pa.ArrowInvalid:
            continue
    return _iso_times_one_by_one(layout, stamps, first_row)


def _iso_times_one_by_one(layout: TableLayout, stamps: Any, first_row: int) -> IntArray:
    """Mixed forms in one block (zoned and not), or a bad one to find: one at a time."""
    known: dict[str, int] = {}
    times = np.empty(len(stamps), np.int64)
    for i, text in enumerate(stamps.to_pylist()):
        ns = known.get(text)
        if ns is None:
            try:
                ns = known[text] = parse_iso_ns(text)
            except ValueError:
                raise _fail(
                    layout,
                    first_row + i,
                    f"timestamp {text!r} is not ISO 8601 (such as 2026-11-26 08:00:00, UTC "
                    "unless an offset is given)",
                ) from None
        times[i] = ns
    return times


def _epoch_times(layout: TableLayout, stamps: Any, first_row: int, unit: int) -> IntArray:
    try:
        whole = np.asarray(pc.cast(stamps, pa.int64()).to_numpy(), np.int64)
    except pa.ArrowInvalid:
        what = f"epoch {_UNIT_NAMES[unit]}"
        number = _numbers(layout, stamps, layout.timestamp_column, first_row, what)
        out_of_range = np.abs(number) >= 2.0**63 / unit
        _refuse_out_of_range(layout, stamps, first_row, out_of_range)
        return np.rint(number * unit).astype(np.int64)
    _refuse_out_of_range(layout, stamps, first_row, np.abs(whole) >= 2**63 // unit)
    return whole * unit


def _refuse_out_of_range(
    layout: TableLayout, stamps: Any, first_row: int, out_of_range: npt.NDArray[np.bool_]
) -> None:
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        text = stamps[i].as_py()
        raise _fail(layout, first_row + i, f"timestamp {text!r} is out of range")


def _numbers(
    layout: TableLayout, column: Any, name: str, first_row: int, what: str = "a number"
) -> FloatArray:
    texts = pc.utf8_trim_whitespace(column)
    try:
        return np.asarray(pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:
        pass
    for i, text in enumerate(texts.to_pylist()):
        try:
            pc.cast(pa.array([text], pa.string()), pa.float64())
        except pa.ArrowInvalid:
            raise _fail(
                layout, first_row + i, f"column {name!r} holds {text!r}, not {what}"
            ) from None
    raise InputError(f"{layout.path}: column {name!r} holds values that are not numbers")
