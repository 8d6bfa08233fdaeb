from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from shopfloor.maintenance import read_cmapss, read_cmapss_truth, read_run_csv
from shopfloor.model.errors import InputError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "cmapss"


def test_cmapss_training_files_are_read_in_place_from_gzip() -> None:
    table = read_cmapss(DATA / "train_FD001.txt.gz")
    assert table.sensors.shape == (20631, 21)
    assert table.unit_ids().tolist() == list(range(1, 101))
    assert table.rul()[table.last_rows()].tolist() == [0.0] * 100


def test_cmapss_truth_has_one_value_per_test_unit() -> None:
    assert len(read_cmapss_truth(DATA / "RUL_FD001.txt.gz")) == 100


def test_a_file_with_the_wrong_width_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(InputError, match=r"x\.txt: expected 26 numbers per line"):
        read_cmapss(tmp_path / "x.txt")


def test_a_csv_names_its_unit_time_and_setting_columns_and_may_be_gzip(tmp_path: Path) -> None:
    text = (
        "engine,t,alt,serial,temp,vib\n"
        "2,2,1.0,A7,20.5,0.1\n2,1,1.0,A7,20.0,0.1\n1,1,0.0,B1,19,0.2\n"
    )
    with gzip.open(tmp_path / "runs.csv.gz", "wt") as handle:
        handle.write(text)
    table = read_run_csv(
        tmp_path / "runs.csv.gz", unit_column="engine", time_column="t", setting_columns=["alt"]
    )
    assert table.sensor_names == ("temp", "vib")  # the serial column is not numeric
    assert table.units.tolist() == [1, 2, 2]
    assert table.times.tolist() == [1.0, 1.0, 2.0]
    assert np.array_equal(table.sensors[:, 0], [19.0, 20.0, 20.5])


def test_a_csv_without_the_named_unit_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("id,time,temp\n1,1,2\n")
    with pytest.raises(InputError, match=r"runs\.csv: no column named 'unit'"):
        read_run_csv(tmp_path / "runs.csv")
