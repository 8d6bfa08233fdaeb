from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "cmapss"


def first_units(source: Path, target: Path, units: int) -> None:
    """Copy the rows of the first ``units`` units of a C-MAPSS file (gzip to gzip)."""
    with gzip.open(source, "rt") as src, gzip.open(target, "wt") as dst:
        dst.writelines(line for line in src if int(line.split()[0]) <= units)


@pytest.fixture
def fd001(tmp_path: Path) -> Path:
    first_units(DATA / "train_FD001.txt.gz", tmp_path / "train.txt.gz", 16)
    first_units(DATA / "test_FD001.txt.gz", tmp_path / "test.txt.gz", 6)
    with gzip.open(DATA / "RUL_FD001.txt.gz", "rt") as src:
        (tmp_path / "truth.txt").write_text("".join(src.readlines()[:6]))
    return tmp_path


def test_train_predict_evaluate_on_a_few_fd001_engines(cli, fd001: Path) -> None:  # type: ignore[no-untyped-def]
    trained = cli(
        "rul",
        "train",
        "--train",
        "train.txt.gz",
        "--model",
        "m.json",
        "--rounds",
        "30",
        "--threads",
        "1",
    )
    assert trained.code == 0, trained.err
    assert "trained on 16 units" in trained.out
    assert json.loads((fd001 / "m.json").read_text())["format"] == "shopfloor.rul"
    predicted = cli(
        "rul", "predict", "--model", "m.json", "--input", "test.txt.gz", "--out", "p.csv"
    )
    assert predicted.code == 0, predicted.err
    lines = (fd001 / "p.csv").read_text().splitlines()
    assert lines[0] == "unit,rul,lower,upper"
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3", "4", "5", "6"]
    scored = cli("rul", "evaluate", "--pred", "p.csv", "--truth", "truth.txt")
    assert scored.code == 0, scored.err
    assert "RMSE:" in scored.out
    assert "NASA score:" in scored.out
    assert "interval coverage:" in scored.out


def test_a_csv_table_with_named_columns_trains_and_predicts_to_gzip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = ["asset,cycle,temp,vib"]
    for asset in range(1, 7):
        life = 40 + 5 * asset
        rows += [
            f"{asset},{t},{20 + t / life + 0.01 * (t % 3)},{t * t / life}"
            for t in range(1, life + 1)
        ]
    (tmp_path / "runs.csv").write_text("\n".join(rows) + "\n")
    options = ("--format", "csv", "--unit-col", "asset", "--time-col", "cycle")
    quick = ("--rounds", "20", "--threads", "1")
    trained = cli("rul", "train", "--train", "runs.csv", "--model", "m.json", *quick, *options)
    assert trained.code == 0, trained.err
    predicted = cli(
        "rul", "predict", "--model", "m.json", "--input", "runs.csv", "--out", "p.csv.gz", *options
    )
    assert predicted.code == 0, predicted.err
    with gzip.open(tmp_path / "p.csv.gz", "rt") as handle:
        assert len(handle.read().splitlines()) == 7


def test_a_missing_training_file_is_one_line_and_status_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("rul", "train", "--train", "nope.txt", "--model", "m.json")
    assert result.code == 2
    assert result.err.strip() == "error: nope.txt: no such file"


def test_a_model_file_that_is_not_json_is_refused_by_name(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.json").write_text("not json")
    (tmp_path / "t.txt").write_text("1 1" + " 0" * 24 + "\n")
    result = cli("rul", "predict", "--model", "m.json", "--input", "t.txt", "--out", "p.csv")
    assert result.code == 2
    assert result.err.startswith("error: m.json: not a readable RUL model")


def test_truth_missing_a_predicted_unit_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.csv").write_text("unit,rul,lower,upper\n1,10,5,15\n3,20,10,30\n")
    (tmp_path / "truth.csv").write_text("unit,rul\n1,12\n2,30\n")
    result = cli("rul", "evaluate", "--pred", "p.csv", "--truth", "truth.csv")
    assert result.code == 2
    assert "truth.csv: no true RUL for unit 3" in result.err
