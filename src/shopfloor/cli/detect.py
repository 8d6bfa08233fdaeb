"""``shopfloor detect``: anomaly scores for a CSV file, each row scored as a stream would be.

The detector learns normal behaviour from training rows (another file, or the first rows of
the input), then scores the input in order, one day of rows at a time, each row from itself
and the rows before it. See ``docs/detect.md``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pv
import typer

from shopfloor.cli.app import app, console, progress_bar
from shopfloor.files.table_csv import (
    RowStream,
    TableChunk,
    TableLayout,
    count_rows,
    inspect_table,
    read_all,
    read_chunks,
)
from shopfloor.model.errors import InputError
from shopfloor.monitor.anomaly import (
    ContextDetector,
    Detector,
    DetectorError,
    EwmaDetector,
    PcaDetector,
)
from shopfloor.monitor.anomaly.base import FloatArray, TimeArray, rows_per_day

BoolArray = npt.NDArray[np.bool_]

TRAIN_SHARE = 0.15  # of the input, when no training rows are named: NAB's probationary share
MIN_TRAIN_ROWS = 20
MAX_BATCH_ROWS = 65_536  # the threshold is refreshed at least this often
HEADER = b"timestamp,anomaly_score,anomaly\n"
SCHEMA = pa.schema(
    [("timestamp", pa.string()), ("anomaly_score", pa.float64()), ("anomaly", pa.int8())]
)
_DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


class DetectorName(StrEnum):
    """The detectors ``detect`` offers (see ``docs/anomaly.md``)."""

    EWMA = "ewma"
    CONTEXT = "context"
    PCA = "pca"


class ColumnScorer:
    """One multivariate detector over all columns, or one univariate detector per column.

    With a detector per column, a row's score is the highest of its columns' scores, and the
    row is an anomaly when any column is one at that column's own threshold.
    """

    def __init__(self, name: DetectorName, columns: tuple[str, ...]) -> None:
        self.name = name
        self.columns = columns
        self.joint = name is DetectorName.PCA
        self.detectors: list[Detector] = (
            [PcaDetector()] if self.joint else [_univariate(name) for _ in columns]
        )

    def needed_rows(self) -> int:
        """The fewest training rows this scorer accepts."""
        if self.joint:
            return max(MIN_TRAIN_ROWS, 2 * (len(self.columns) + 1))
        return MIN_TRAIN_ROWS

    def fit(self, history: TableChunk, source: Path) -> None:
        """Learn normal behaviour from the training rows."""
        for detector, values, what in self._parts(history.values):
            try:
                detector.fit(values, history.times)
            except DetectorError as exc:
                raise InputError(
                    f"{source}: cannot learn {what} from the training rows ({exc})"
                ) from exc

    def score(self, values: FloatArray, times: TimeArray) -> tuple[FloatArray, BoolArray]:
        """Scores and alarms of consecutive rows, continuing the stream."""
        scores = np.zeros(len(values))
        alarms = np.zeros(len(values), dtype=np.bool_)
        for detector, part, _ in self._parts(values):
            mine = detector.score_many(part, times)
            np.maximum(scores, mine, out=scores)
            alarms |= mine >= detector.threshold
        return scores, alarms

    def _parts(self, values: FloatArray) -> list[tuple[Detector, FloatArray, str]]:
        if self.joint:
            return [(self.detectors[0], values, "the columns")]
        return [
            (detector, values[:, j], f"column {name!r}")
            for j, (detector, name) in enumerate(zip(self.detectors, self.columns, strict=True))
        ]


def _univariate(name: DetectorName) -> Detector:
    return EwmaDetector() if name is DetectorName.EWMA else ContextDetector()


@dataclass(frozen=True)
class Training:
    """The rows learned from, where they came from, and how many of them the input holds."""

    history: TableChunk
    source: Path
    input_rows: int


class ScoreWriter:
    """``timestamp,anomaly_score,anomaly`` rows into a temporary file beside ``path``, which
    takes the place of ``path`` only when everything was written (``.gz``: compressed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self.rows = 0
        self.alarms = 0
        self._sink: Any = None
        self._writer: Any = None

    def __enter__(self) -> ScoreWriter:
        compression = "gzip" if self.path.suffix == ".gz" else None
        if not self.path.parent.is_dir():
            raise InputError(f"{self.path}: no folder {self.path.parent}")
        try:
            self._sink = pa.output_stream(str(self.partial), compression=compression)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write ({exc})") from exc
        self._sink.write(HEADER)
        options = pv.WriteOptions(include_header=False, quoting_style="none")
        self._writer = pv.CSVWriter(self._sink, SCHEMA, write_options=options)
        return self

    def write(self, stamps: Any, scores: FloatArray, alarms: BoolArray) -> None:
        """Append rows."""
        columns = [stamps, pa.array(scores), pa.array(alarms.astype(np.int8))]
        self._writer.write_batch(pa.record_batch(columns, schema=SCHEMA))
        self.rows += len(scores)
        self.alarms += int(alarms.sum())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._writer.close()
        self._sink.close()
        if kind is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


@app.command("detect")
def detect(
    input_file: Path = typer.Option(..., "--input", help="The CSV to score (.gz: compressed)."),
    out: Path = typer.Option(..., "--out", help="Where to write the scores (.gz: compressed)."),
    train_file: Path | None = typer.Option(
        None,
        "--train",
        help="Normal data to learn from, with the same columns.",
        show_default=False,
    ),
    train_rows: int | None = typer.Option(
        None,
        "--train-rows",
        min=1,
        help="Learn from the first N input rows (default: the first 15 %, at least 20).",
        show_default=False,
    ),
    detector: DetectorName | None = typer.Option(
        None,
        "--detector",
        help="ewma (univariate, live), context (univariate, the NAB configuration) or pca "
        "(several columns together); default: context for one column, pca for several. "
        "A univariate detector scores several columns one by one and keeps the highest score.",
        show_default=False,
    ),
    columns: str = typer.Option(
        "", "--columns", help="Comma-separated value columns (default: every numeric column)."
    ),
    delimiter: str | None = typer.Option(
        None,
        "--delimiter",
        help="Field delimiter: a character, or comma, semicolon, tab, pipe (default: detected).",
        show_default=False,
    ),
    timestamp_column: str | None = typer.Option(
        None,
        "--timestamp-column",
        help="The timestamp column (default: detected by name or content).",
        show_default=False,
    ),
) -> None:
    """Score each row of a CSV for anomalies, from that row and the rows before it only."""
    if train_file is not None and train_rows is not None:
        raise InputError("give --train or --train-rows, not both")
    separator = _delimiter(delimiter)
    chosen = tuple(name.strip() for name in columns.split(",") if name.strip()) or None
    layout = inspect_table(
        input_file, delimiter=separator, timestamp_column=timestamp_column, columns=chosen
    )
    scorer = ColumnScorer(_default_detector(detector, layout), layout.columns)
    with progress_bar(total_bytes=True) as bar:
        task = bar.add_task(f"scoring {input_file.name}", total=input_file.stat().st_size)
        chunks = read_chunks(layout, progress=lambda done: bar.update(task, completed=done))
        stream = RowStream(chunks)
        with ScoreWriter(out) as writer:
            training = _learn(scorer, layout, stream, writer, train_file, train_rows, separator)
            _score_rest(scorer, stream, writer, training.history)
    console.print(_summary(out, scorer, writer, training), soft_wrap=True)


def _default_detector(name: DetectorName | None, layout: TableLayout) -> DetectorName:
    if name is not None:
        return name
    return DetectorName.CONTEXT if len(layout.columns) == 1 else DetectorName.PCA


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    separator = _DELIMITER_NAMES.get(text.lower(), text)
    if len(separator) != 1:
        raise InputError(f"--delimiter {text!r}: give one character or comma, semicolon, tab, pipe")
    return separator


def _learn(
    scorer: ColumnScorer,
    layout: TableLayout,
    stream: RowStream,
    writer: ScoreWriter,
    train_file: Path | None,
    train_rows: int | None,
    separator: str | None,
) -> Training:
    """Fit on the training rows; the input's own training rows are written with score 0."""
    if train_file is not None:
        return _learn_from_file(scorer, layout, train_file, separator)
    needed = scorer.needed_rows()
    wanted = train_rows if train_rows is not None else _default_train_rows(layout.path, needed)
    if wanted < needed:
        raise InputError(f"--train-rows {wanted} is too few: {needed} training rows are needed")
    history = stream.take(wanted)
    found = 0 if history is None else len(history)
    if history is None or found < wanted:
        raise InputError(f"{layout.path}: {found} rows, fewer than the {wanted} to learn from")
    scorer.fit(history, layout.path)
    writer.write(history.stamps, np.zeros(found), np.zeros(found, dtype=np.bool_))
    return Training(history, layout.path, found)


def _learn_from_file(
    scorer: ColumnScorer, layout: TableLayout, train_file: Path, separator: str | None
) -> Training:
    """Fit on a training file with the input's timestamp and value columns."""
    train_layout = inspect_table(
        train_file,
        delimiter=separator,
        timestamp_column=layout.timestamp_column,
        columns=layout.columns,
    )
    history = read_all(train_layout)
    needed = scorer.needed_rows()
    if len(history) < needed:
        raise InputError(f"{train_file}: {len(history)} training rows; {needed} are needed")
    scorer.fit(history, train_file)
    return Training(history, train_file, 0)


def _default_train_rows(path: Path, needed: int) -> int:
    rows = count_rows(path)
    if rows <= needed:
        raise InputError(
            f"{path}: {rows} rows; learning needs at least {needed} and more must remain to "
            "score (or give --train FILE)"
        )
    return max(math.ceil(TRAIN_SHARE * rows), needed)


def _score_rest(
    scorer: ColumnScorer, stream: RowStream, writer: ScoreWriter, history: TableChunk
) -> None:
    """Score the remaining rows in batches of about a day, as a live stream would arrive."""
    batch = int(min(max(rows_per_day(history.times, 1440.0), 1), MAX_BATCH_ROWS))
    while (chunk := stream.take(batch)) is not None:
        scores, alarms = scorer.score(chunk.values, chunk.times)
        writer.write(chunk.stamps, scores, alarms)


def _summary(out: Path, scorer: ColumnScorer, writer: ScoreWriter, training: Training) -> str:
    columns = ", ".join(scorer.columns)
    scored = writer.rows - training.input_rows
    if training.input_rows:
        learned = f"the first {training.input_rows} learned from (scored 0)"
    else:
        learned = f"learned from {len(training.history)} rows of {training.source}"
    return (
        f"{out}: {writer.rows} rows, {learned}, {scored} scored by {scorer.name} on "
        f"{columns}: {writer.alarms} {'anomaly' if writer.alarms == 1 else 'anomalies'}"
    )
