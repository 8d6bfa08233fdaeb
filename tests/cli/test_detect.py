"""``shopfloor detect``: anomaly scores for a CSV file, each row from the rows before it."""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shopfloor.files.table_csv import RowStream, inspect_table, read_all, read_chunks
from shopfloor.monitor.anomaly import ContextDetector

NAB = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "nab" / "data"
MACHINE_TEMPERATURE = NAB / "realKnownCause" / "machine_temperature_system_failure.csv"
START = np.datetime64("2024-03-01T00:00:00", "s")

Cli = Callable[..., Any]  # the fixture in conftest.py: run the command line in-process


def minutes(rows: int) -> list[str]:
    """ISO 8601 timestamps one minute apart, without a zone."""
    stamps = START + np.arange(rows) * np.timedelta64(60, "s")
    return [str(s).replace("T", " ") for s in stamps]


def wave(rows: int, seed: int = 0) -> np.ndarray:
    """A slow wave with a little noise: normal behaviour."""
    rng = np.random.default_rng(seed)
    return 10.0 + np.sin(np.arange(rows) / 20.0) + rng.normal(0.0, 0.05, rows)


def write_table(path: Path, columns: dict[str, Sequence[object]], delimiter: str = ",") -> Path:
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(str(v) for v in row) for row in zip(*columns.values(), strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_scores(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Timestamps, scores and 0/1 anomalies of an output file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        lines = handle.read().splitlines()
    assert lines[0] == "timestamp,anomaly_score,anomaly"
    fields = [line.split(",") for line in lines[1:]]
    scores = np.array([float(f[1]) for f in fields])
    return [f[0] for f in fields], scores, np.array([int(f[2]) for f in fields])


def series_file(tmp_path: Path, values: np.ndarray, name: str = "data.csv") -> Path:
    return write_table(tmp_path / name, {"timestamp": minutes(len(values)), "value": values})


def test_each_row_gets_a_score_and_a_spike_is_an_anomaly(cli: Cli, tmp_path: Path) -> None:
    values = wave(2000)
    values[1500] += 5.0
    series_file(tmp_path, values)
    result = cli("detect", "--input", "data.csv", "--out", "scores.csv")
    assert result.code == 0, result.err
    stamps, scores, anomalies = read_scores(tmp_path / "scores.csv")
    assert stamps == minutes(2000)
    assert np.all((scores >= 0.0) & (scores <= 1.0))
    assert anomalies[1500] == 1
    assert np.argmax(scores) == 1500
    assert "scored by context on value" in result.out


def test_the_first_15_percent_learn_by_default_and_are_written_with_score_zero(
    cli: Cli, tmp_path: Path
) -> None:
    series_file(tmp_path, wave(1000))
    result = cli("detect", "--input", "data.csv", "--out", "s.csv", "--detector", "ewma")
    assert result.code == 0, result.err
    _, scores, anomalies = read_scores(tmp_path / "s.csv")
    learned = math.ceil(0.15 * 1000)
    assert np.all(scores[:learned] == 0.0)
    assert np.all(anomalies[:learned] == 0)
    assert scores[learned] > 0.0
    assert f"the first {learned} learned from" in result.out


def test_train_rows_says_how_many_first_rows_learn(cli: Cli, tmp_path: Path) -> None:
    series_file(tmp_path, wave(1000))
    args = ("--detector", "ewma", "--train-rows", "400")
    assert cli("detect", "--input", "data.csv", "--out", "s.csv", *args).code == 0
    _, scores, _ = read_scores(tmp_path / "s.csv")
    assert np.all(scores[:400] == 0.0)
    assert scores[400] > 0.0


def test_scores_are_the_detectors_own_streamed_in_batches_of_a_day(
    cli: Cli, tmp_path: Path
) -> None:
    values = wave(4000)
    values[3000:3050] += 2.0
    series_file(tmp_path, values)
    assert cli("detect", "--input", "data.csv", "--out", "s.csv", "--train-rows", "600").code == 0
    _, scores, anomalies = read_scores(tmp_path / "s.csv")
    times = np.arange(4000, dtype=np.int64) * 60 * 10**9
    detector = ContextDetector().fit(values[:600], times[:600])
    expected = np.zeros(4000)
    flags = np.zeros(4000, dtype=np.int64)
    for start in range(600, 4000, 1440):  # a day of one-minute rows
        rows = slice(start, start + 1440)
        expected[rows] = detector.score_many(values[rows], times[rows])
        flags[rows] = expected[rows] >= detector.threshold
    np.testing.assert_array_equal(scores, expected)
    np.testing.assert_array_equal(anomalies, flags)
    assert flags[3000:3050].any()


@pytest.mark.parametrize("detector", ["ewma", "context", "pca"])
def test_a_later_row_never_changes_the_score_of_an_earlier_one(
    cli: Cli, tmp_path: Path, detector: str
) -> None:
    a, b = wave(3000, seed=1), wave(3000, seed=2)
    write_table(tmp_path / "one.csv", {"timestamp": minutes(3000), "a": a, "b": b})
    a[2000:] += np.linspace(0.0, 6.0, 1000)
    write_table(tmp_path / "two.csv", {"timestamp": minutes(3000), "a": a, "b": b})
    for name in ("one", "two"):
        args = ("--input", f"{name}.csv", "--out", f"{name}.out.csv", "--detector", detector)
        assert cli("detect", *args).code == 0
    _, first, first_flags = read_scores(tmp_path / "one.out.csv")
    _, second, second_flags = read_scores(tmp_path / "two.out.csv")
    np.testing.assert_array_equal(first[:2000], second[:2000])
    np.testing.assert_array_equal(first_flags[:2000], second_flags[:2000])
    assert not np.array_equal(first[2000:], second[2000:])


def test_learning_from_a_training_file_equals_learning_from_the_same_first_rows(
    cli: Cli, tmp_path: Path
) -> None:
    values, stamps = wave(2000), minutes(2000)
    write_table(tmp_path / "all.csv", {"timestamp": stamps, "value": values})
    write_table(tmp_path / "train.csv", {"timestamp": stamps[:500], "value": values[:500]})
    write_table(tmp_path / "rest.csv", {"timestamp": stamps[500:], "value": values[500:]})
    whole = cli("detect", "--input", "all.csv", "--out", "all.out.csv", "--train-rows", "500")
    assert whole.code == 0, whole.err
    split = cli("detect", "--input", "rest.csv", "--train", "train.csv", "--out", "rest.out.csv")
    assert split.code == 0, split.err
    _, all_scores, all_flags = read_scores(tmp_path / "all.out.csv")
    rest_stamps, rest_scores, rest_flags = read_scores(tmp_path / "rest.out.csv")
    assert rest_stamps == stamps[500:]
    np.testing.assert_array_equal(rest_scores, all_scores[500:])
    np.testing.assert_array_equal(rest_flags, all_flags[500:])
    assert "learned from 500 rows of train.csv" in split.out


def test_several_columns_are_scored_together_by_pca_by_default(cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    speed = rng.normal(size=2000)
    current = 2.0 * speed + rng.normal(scale=0.05, size=2000)
    current[1500] = -2.0 * speed[1500]  # each value is in range; their relation is broken
    write_table(tmp_path / "m.csv", {"timestamp": minutes(2000), "speed": speed, "i": current})
    result = cli("detect", "--input", "m.csv", "--out", "s.csv")
    assert result.code == 0, result.err
    _, _, anomalies = read_scores(tmp_path / "s.csv")
    assert anomalies[1500] == 1
    assert "scored by pca on speed, i" in result.out


def test_a_univariate_detector_scores_each_column_and_keeps_the_highest(
    cli: Cli, tmp_path: Path
) -> None:
    a, b = wave(1500, seed=4), wave(1500, seed=5)
    a[900] += 3.0
    b[1200] += 3.0
    write_table(tmp_path / "ab.csv", {"timestamp": minutes(1500), "a": a, "b": b})
    for columns in ("a", "b", "a,b"):
        args = ("--columns", columns, "--detector", "ewma", "--out", f"{columns}.out.csv")
        assert cli("detect", "--input", "ab.csv", *args).code == 0
    _, score_a, flag_a = read_scores(tmp_path / "a.out.csv")
    _, score_b, flag_b = read_scores(tmp_path / "b.out.csv")
    _, score_ab, flag_ab = read_scores(tmp_path / "a,b.out.csv")
    np.testing.assert_array_equal(score_ab, np.maximum(score_a, score_b))
    np.testing.assert_array_equal(flag_ab, flag_a | flag_b)
    assert flag_ab[900] == 1
    assert flag_ab[1200] == 1


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_detected(cli: Cli, tmp_path: Path, delimiter: str) -> None:
    columns = {"timestamp": minutes(500), "x": wave(500), "y": wave(500, seed=1)}
    write_table(tmp_path / "comma.csv", columns)
    write_table(tmp_path / "other.csv", columns, delimiter)
    assert cli("detect", "--input", "comma.csv", "--out", "comma.out.csv").code == 0
    assert cli("detect", "--input", "other.csv", "--out", "other.out.csv").code == 0
    assert (tmp_path / "other.out.csv").read_text() == (tmp_path / "comma.out.csv").read_text()


def test_a_given_delimiter_and_timestamp_column_are_used(cli: Cli, tmp_path: Path) -> None:
    seconds = [str(1_700_000_000 + 60 * i) for i in range(500)]
    write_table(tmp_path / "d.csv", {"t_s": seconds, "x": wave(500)}, ";")
    guessed = cli("detect", "--input", "d.csv", "--out", "s.csv")
    assert guessed.code == 2
    assert "no timestamp column found" in guessed.err
    assert "--timestamp-column" in guessed.err
    args = ("--delimiter", "semicolon", "--timestamp-column", "t_s")
    named = cli("detect", "--input", "d.csv", "--out", "s.csv", *args)
    assert named.code == 0, named.err
    stamps, _, _ = read_scores(tmp_path / "s.csv")
    assert stamps == seconds


@pytest.mark.parametrize(
    ("written", "form"),
    [
        ("2024-03-01 00:00:00", "ISO 8601"),
        ("2024-03-01T00:00:00Z", "ISO 8601"),
        ("2024-03-01T01:00:00+01:00", "ISO 8601"),
        ("1709251200", "epoch seconds"),
        ("1709251200.0", "epoch seconds"),
        ("1709251200000", "epoch milliseconds"),
        ("1709251200000000", "epoch microseconds"),
        ("1709251200000000000", "epoch nanoseconds"),
    ],
)
def test_timestamps_in_each_form_read_as_the_same_instant(
    tmp_path: Path, written: str, form: str
) -> None:
    path = write_table(tmp_path / "t.csv", {"timestamp": [written, written], "x": [1.0, 2.0]})
    layout = inspect_table(path)
    assert layout.time_form() == form
    assert read_all(layout).times.tolist() == [1_709_251_200 * 10**9] * 2


def test_zoned_and_unzoned_timestamps_may_mix_and_no_zone_means_utc(tmp_path: Path) -> None:
    stamps = ["2024-03-01 00:00:00", "2024-03-01T01:00:00+01:00", "2024-03-01T00:00:00Z"]
    path = write_table(tmp_path / "t.csv", {"timestamp": stamps, "x": [1, 2, 3]})
    assert read_all(inspect_table(path)).times.tolist() == [1_709_251_200 * 10**9] * 3


def test_a_table_read_in_small_blocks_is_the_same_table(tmp_path: Path) -> None:
    path = series_file(tmp_path, wave(3000))
    layout = inspect_table(path)
    whole = read_all(layout)
    stream = RowStream(read_chunks(layout, block_bytes=1000))
    parts = [stream.take(rows) for rows in (7, 500, 1, 3000)]
    assert [len(p) for p in parts if p is not None] == [7, 500, 1, 2492]
    assert stream.take(10) is None
    assert [p.first_row for p in parts if p is not None] == [0, 7, 507, 508]
    np.testing.assert_array_equal(
        np.concatenate([p.values for p in parts if p is not None]), whole.values
    )
    assert [s for p in parts if p is not None for s in p.stamps.to_pylist()] == minutes(3000)


def test_compressed_input_and_output(cli: Cli, tmp_path: Path) -> None:
    plain = series_file(tmp_path, wave(800))
    with gzip.open(tmp_path / "data.csv.gz", "wb") as packed:
        packed.write(plain.read_bytes())
    assert cli("detect", "--input", "data.csv", "--out", "plain.csv").code == 0
    assert cli("detect", "--input", "data.csv.gz", "--out", "packed.csv.gz").code == 0
    with gzip.open(tmp_path / "packed.csv.gz", "rt") as handle:
        assert handle.read() == (tmp_path / "plain.csv").read_text()


def test_an_empty_cell_counts_as_the_last_value_and_its_row_scores_zero(
    cli: Cli, tmp_path: Path
) -> None:
    values = wave(1000)
    carried = values.copy()
    carried[700] = carried[699]
    gaps: list[object] = list(values)
    gaps[700] = ""
    write_table(tmp_path / "gaps.csv", {"timestamp": minutes(1000), "value": gaps})
    write_table(tmp_path / "carried.csv", {"timestamp": minutes(1000), "value": carried})
    for name in ("gaps", "carried"):
        args = ("--input", f"{name}.csv", "--out", f"{name}.out.csv", "--detector", "ewma")
        assert cli("detect", *args).code == 0
    _, with_gap, gap_flags = read_scores(tmp_path / "gaps.out.csv")
    _, with_value, _ = read_scores(tmp_path / "carried.out.csv")
    assert len(with_gap) == 1000
    assert with_gap[700] == 0.0
    assert gap_flags[700] == 0
    assert with_value[700] > 0.0
    np.testing.assert_array_equal(with_gap[701:], with_value[701:])


def test_the_detectors_are_named_in_the_help(cli: Cli) -> None:
    result = cli("detect", "--help")
    assert result.code == 0
    assert "ewma" in result.out
    assert "context" in result.out
    assert "pca" in result.out


def good_rows(rows: int) -> dict[str, list[object]]:
    return {"timestamp": list(minutes(rows)), "x": list(wave(rows))}


def with_cell(rows: int, column: str, row: int, text: str) -> dict[str, list[object]]:
    table = good_rows(rows)
    table[column][row] = text
    return table


@pytest.mark.parametrize(
    ("table", "args", "message"),
    [
        (good_rows(100), ("--columns", "y"), "data.csv: no column 'y' (columns: timestamp, x)"),
        (
            with_cell(100, "timestamp", 40, "yesterday"),
            (),
            "data.csv:42: timestamp 'yesterday' is not ISO 8601",
        ),
        (with_cell(100, "x", 60, "abc"), ("--columns", "x"), "data.csv:62: column 'x' holds 'abc'"),
        (with_cell(100, "timestamp", 3, ""), (), "data.csv:5: column 'timestamp' is empty"),
        (good_rows(100), ("--train-rows", "5"), "--train-rows 5 is too few: 20 training rows"),
        (good_rows(100), ("--train-rows", "150"), "data.csv: 100 rows, fewer than the 150"),
        (good_rows(15), (), "data.csv: 15 rows; learning needs at least 20"),
        (
            good_rows(100),
            ("--detector", "zscore"),
            "'zscore' is not one of 'ewma', 'context', 'pca'",
        ),
        (good_rows(100), ("--delimiter", "::"), "--delimiter '::': give one character"),
        (good_rows(100), ("--train", "missing.csv"), "missing.csv: no such file"),
        (good_rows(100), ("--train", "data.csv", "--train-rows", "30"), "not both"),
        ({"timestamp": [], "x": []}, (), "data.csv: no data rows below the header"),
        ({"when": ["a", "b"], "x": [1, 2]}, (), "data.csv: no timestamp column found"),
        ({"timestamp": minutes(2), "x": ["a", "b"]}, (), "data.csv: no numeric columns"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line_and_nothing_is_written(
    cli: Cli, tmp_path: Path, table: dict[str, list[object]], args: tuple[str, ...], message: str
) -> None:
    write_table(tmp_path / "data.csv", table)
    result = cli("detect", "--input", "data.csv", "--out", "s.csv", *args)
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert result.err.count("\n") == 1
    assert message in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_an_empty_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("")
    result = cli("detect", "--input", "data.csv", "--out", "s.csv")
    assert result.code == 2
    assert "data.csv: the file is empty" in result.err


def test_a_short_training_file_says_how_many_rows_are_needed(cli: Cli, tmp_path: Path) -> None:
    series_file(tmp_path, wave(100))
    series_file(tmp_path, wave(12), "train.csv")
    result = cli("detect", "--input", "data.csv", "--train", "train.csv", "--out", "s.csv")
    assert result.code == 2
    assert "train.csv: 12 training rows; 20 are needed" in result.err


def test_a_failure_late_in_the_file_leaves_the_old_output_and_no_partial_file(
    cli: Cli, tmp_path: Path
) -> None:
    write_table(tmp_path / "data.csv", with_cell(3000, "x", 2999, "oops"))
    (tmp_path / "s.csv").write_text("earlier results\n")
    result = cli("detect", "--input", "data.csv", "--out", "s.csv", "--columns", "x")
    assert result.code == 2
    assert "data.csv:3001: column 'x' holds 'oops'" in result.err
    assert (tmp_path / "s.csv").read_text() == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "s.csv"]


@pytest.mark.skipif(not MACHINE_TEMPERATURE.is_file(), reason="NAB is not in ../shared/datasets")
def test_nab_machine_temperature_alarms_in_the_labelled_failure_and_rarely_elsewhere(
    cli: Cli,
) -> None:
    result = cli("detect", "--input", str(MACHINE_TEMPERATURE), "--out", "s.csv")
    assert result.code == 0, result.err
    stamps, _, anomalies = read_scores(Path("s.csv"))
    assert len(stamps) == 22695
    flagged = [s for s, a in zip(stamps, anomalies, strict=True) if a]
    assert any("2013-12-15 17:50:00" <= s <= "2013-12-17 17:00:00" for s in flagged)
    assert len(flagged) < 0.002 * len(stamps)
