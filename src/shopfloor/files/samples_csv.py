"""Samples as CSV: ``timestamp,path,value,quality``, the format of ``history`` and ``import``.

* ``timestamp``: ISO 8601, UTC unless the text carries an offset.
* ``path``: the tag's unified-namespace path.
* ``value``: a number, ``true``/``false``, or text. A path whose values are not all numbers
  is a text tag, and all its rows are imported as text. An empty value is allowed only with
  bad quality (it is stored as NaN).
* ``quality`` (optional column): ``good``, ``uncertain`` or ``bad``, or an OPC UA status
  code as hex (``0x808A0000``) or decimal; missing means good.

Files ending in ``.gz`` are read and written gzip-compressed.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO, cast

import numpy as np

from shopfloor.model.batch import SampleBatch, TextBatch, _Columns
from shopfloor.model.errors import InputError
from shopfloor.model.namespace import check_segment
from shopfloor.model.quality import Quality, default_status, parse_quality, qualities
from shopfloor.model.times import format_times, parse_iso_ns

HEADER = ("timestamp", "path", "value", "quality")
_BOOLS = {"true": 1.0, "false": 0.0}
_LABELS = ("good", "uncertain", "bad")


def open_text(path: Path, mode: str) -> TextIO:
    """Open a plain or gzip-compressed text file."""
    if path.suffix == ".gz":
        raw = gzip.GzipFile(path, mode + "b")
        return io.TextIOWrapper(raw, encoding="utf-8", newline="")
    return cast(TextIO, path.open(mode, encoding="utf-8", newline=""))


@dataclass
class _Rows:
    """Parsed rows collected per path before numeric and text are told apart."""

    ts: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    status: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedSamples:
    numeric: SampleBatch
    text: TextBatch

    def __len__(self) -> int:
        return len(self.numeric) + len(self.text)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.per_path: dict[str, _Rows] = {}
        self._times: dict[str, int] = {}
        self._paths: set[str] = set()

    def fail(self, line: int, message: str) -> InputError:
        return InputError(f"{self.source}:{line}: {message}")

    def time(self, text: str, line: int) -> int:
        cached = self._times.get(text)
        if cached is not None:
            return cached
        try:
            ns = parse_iso_ns(text)
        except ValueError:
            raise self.fail(line, f"timestamp {text!r} is not ISO 8601") from None
        if len(self._times) < 1_000_000:
            self._times[text] = ns
        return ns

    def path(self, text: str, line: int) -> str:
        if text in self._paths:
            return text
        try:
            for segment in text.split("/"):
                check_segment(segment)
        except ValueError as exc:
            raise self.fail(line, f"path {text!r}: {exc}") from None
        self._paths.add(text)
        return text

    def status(self, text: str, line: int) -> int:
        cleaned = text.strip()
        if not cleaned:
            return int(default_status(Quality.GOOD))
        if cleaned.lower() in _LABELS:
            return int(default_status(parse_quality(cleaned)))
        try:
            code = int(cleaned, 0)
        except ValueError:
            raise self.fail(
                line, f"quality {text!r} must be good, uncertain, bad or a status code"
            ) from None
        if not 0 <= code < 2**32:
            raise self.fail(line, f"status code {text!r} is outside 0..0xFFFFFFFF")
        return code

    def row(self, fields: list[str], line: int, columns: dict[str, int]) -> None:
        try:
            ts_text = fields[columns["timestamp"]]
            path_text = fields[columns["path"]]
            value = fields[columns["value"]]
        except IndexError:
            raise self.fail(line, f"expected {len(columns)} columns, found {len(fields)}") from None
        quality_at = columns.get("quality")
        status_text = (
            fields[quality_at] if quality_at is not None and quality_at < len(fields) else ""
        )
        rows = self.per_path.setdefault(self.path(path_text, line), _Rows())
        status = self.status(status_text, line)
        if not value.strip() and (status >> 30) < 2:
            raise self.fail(line, "value is empty (allowed only with bad quality)")
        rows.ts.append(self.time(ts_text, line))
        rows.raw.append(value)
        rows.status.append(status)

    def result(self) -> ParsedSamples:
        numeric: list[tuple[str, _Rows, list[float]]] = []
        text: list[tuple[str, _Rows]] = []
        for path, rows in self.per_path.items():
            values = _numbers(rows.raw)
            if values is None:
                text.append((path, rows))
            else:
                numeric.append((path, rows, values))
        return ParsedSamples(_numeric_batch(numeric), _text_batch(text))


def _numbers(raw: list[str]) -> list[float] | None:
    out: list[float] = []
    for text in raw:
        cleaned = text.strip()
        if not cleaned:
            out.append(float("nan"))
            continue
        boolean = _BOOLS.get(cleaned.lower())
        if boolean is not None:
            out.append(boolean)
            continue
        try:
            out.append(float(cleaned))
        except ValueError:
            return None
    return out


def _columns(
    paths: list[str], counts: list[int], ts: list[int], status: list[int]
) -> dict[str, object]:
    return {
        "paths": tuple(paths),
        "tag": np.repeat(np.arange(len(paths), dtype=np.int32), counts),
        "source_ns": np.asarray(ts, np.int64),
        "receive_ns": np.asarray(ts, np.int64),
        "status": np.asarray(status, np.uint32),
    }


def _numeric_batch(items: list[tuple[str, _Rows, list[float]]]) -> SampleBatch:
    if not items:
        return SampleBatch.empty()
    cols = _columns(
        [p for p, _, _ in items],
        [len(r.ts) for _, r, _ in items],
        [t for _, r, _ in items for t in r.ts],
        [s for _, r, _ in items for s in r.status],
    )
    return SampleBatch(value=np.asarray([v for *_, vals in items for v in vals]), **cols)  # type: ignore[arg-type]


def _text_batch(items: list[tuple[str, _Rows]]) -> TextBatch:
    if not items:
        return TextBatch.empty()
    cols = _columns(
        [p for p, _ in items],
        [len(r.ts) for _, r in items],
        [t for _, r in items for t in r.ts],
        [s for _, r in items for s in r.status],
    )
    values = np.empty(sum(len(r.raw) for _, r in items), dtype=object)
    values[:] = [v for _, r in items for v in r.raw]
    return TextBatch(value=values, **cols)  # type: ignore[arg-type]


def read_samples_csv(path: Path, *, progress: Callable[[int], None] | None = None) -> ParsedSamples:
    """Read and validate a whole samples CSV; raises :class:`InputError` naming file and line.

    Nothing is returned unless every row is valid, so a caller never writes half a file.
    ``progress`` is called with the number of bytes read so far, now and then.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    parser = _Parser(str(path))
    with open_text(path, "r") as handle:
        reader = csv.reader(handle)
        columns = _header(next(reader, None), parser)
        for number, fields in enumerate(reader, start=2):
            if not fields:
                continue
            parser.row(fields, number, columns)
            if progress is not None and number % 50_000 == 0:
                progress(_position(handle))
    if progress is not None:
        progress(path.stat().st_size)
    return parser.result()


def _position(handle: IO[str]) -> int:
    raw = getattr(handle, "buffer", None)
    inner = getattr(raw, "fileobj", raw)
    try:
        return int(inner.tell()) if inner is not None else 0
    except (OSError, ValueError):
        return 0


def _header(fields: list[str] | None, parser: _Parser) -> dict[str, int]:
    if fields is None:
        raise parser.fail(1, "file is empty; expected a header timestamp,path,value[,quality]")
    names = [f.strip().lower() for f in fields]
    missing = [c for c in HEADER[:3] if c not in names]
    if missing:
        raise parser.fail(
            1,
            f"header lacks column(s) {', '.join(missing)}; expected timestamp,path,value[,quality]",
        )
    return {name: names.index(name) for name in HEADER if name in names}


def write_samples_csv(
    handle: TextIO, batches: Iterator[SampleBatch | TextBatch] | list[SampleBatch | TextBatch]
) -> int:
    """Write batches as CSV rows (header first); returns the number of rows written."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(HEADER)
    written = 0
    for batch in batches:
        writer.writerows(
            zip(
                format_times(batch.source_ns),
                batch.path_of().tolist(),
                _value_texts(batch),
                _quality_texts(batch),
                strict=True,
            )
        )
        written += len(batch)
    return written


def _value_texts(batch: _Columns) -> list[str]:
    if isinstance(batch, TextBatch):
        return [str(v) for v in batch.value.tolist()]
    return ["" if v != v else repr(v) for v in batch.value.tolist()]


def _quality_texts(batch: _Columns) -> list[str]:
    """The label where the status is the generic one for its quality, else the hex code."""
    labels = np.asarray(_LABELS, dtype=object)[qualities(batch.status)]
    generic = np.isin(batch.status, [int(default_status(q)) for q in Quality])
    hexes = [f"0x{s:08X}" for s in batch.status.tolist()]
    return [
        lab if g else h for lab, g, h in zip(labels.tolist(), generic.tolist(), hexes, strict=True)
    ]
