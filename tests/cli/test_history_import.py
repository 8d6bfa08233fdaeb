from __future__ import annotations

import gzip
from pathlib import Path

from shopfloor.historian import DuckDBHistorian

CSV = """timestamp,path,value,quality
2026-11-26T08:00:00Z,acme/l1/press/temp,20.5,good
2026-11-26T08:00:01Z,acme/l1/press/temp,21.5,good
2026-11-26T09:00:02+01:00,acme/l1/press/temp,22.5,uncertain
2026-11-26T08:00:03Z,acme/l1/press/recipe,R-17,
2026-11-26T08:00:04Z,acme/l1/press/temp,,0x808A0000
2026-11-26T08:00:05.123456789Z,acme/l1/press/on,true,good
"""
WINDOW = ("--start", "2026-11-26T07:00", "--end", "2026-11-26T09:00")


def write(tmp_path: Path, text: str, name: str = "samples.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_imported_samples_come_back_out_of_history_as_the_same_csv(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, CSV)
    assert cli("import", "samples.csv", "--db", "h.duckdb").code == 0
    result = cli("history", "acme/#", *WINDOW, "--db", "h.duckdb", "--out", "-")
    assert result.code == 0
    assert sorted(result.out.splitlines()[1:]) == sorted(
        [
            "2026-11-26T08:00:00Z,acme/l1/press/temp,20.5,good",
            "2026-11-26T08:00:01Z,acme/l1/press/temp,21.5,good",
            "2026-11-26T08:00:02Z,acme/l1/press/temp,22.5,uncertain",
            "2026-11-26T08:00:04Z,acme/l1/press/temp,,0x808A0000",
            "2026-11-26T08:00:05.123456789Z,acme/l1/press/on,1.0,good",
            "2026-11-26T08:00:03Z,acme/l1/press/recipe,R-17,good",
        ]
    )
    assert result.out.splitlines()[0] == "timestamp,path,value,quality"


def test_gzip_files_are_read_and_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with gzip.open(tmp_path / "in.csv.gz", "wt") as handle:
        handle.write(CSV)
    assert cli("import", "in.csv.gz", "--db", "h.duckdb").code == 0
    assert (
        cli("history", "acme/l1/press/temp", *WINDOW, "--db", "h.duckdb", "-o", "out.csv.gz").code
        == 0
    )
    with gzip.open(tmp_path / "out.csv.gz", "rt") as handle:
        assert len(handle.read().splitlines()) == 5


def test_history_prints_a_table_by_default(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, CSV)
    cli("import", "samples.csv", "--db", "h.duckdb")
    result = cli("history", "acme/l1/press/temp", *WINDOW, "--db", "h.duckdb")
    assert result.code == 0
    assert "2026-11-26T08:00:01Z" in result.out
    assert "uncertain" in result.out


def test_history_downsamples_into_buckets_with_every(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, CSV)
    cli("import", "samples.csv", "--db", "h.duckdb")
    result = cli(
        "history",
        "acme/l1/press/temp",
        *WINDOW,
        "--every",
        "1h",
        "--agg",
        "max",
        "--db",
        "h.duckdb",
        "-o",
        "-",
    )
    assert result.out.splitlines()[1:] == ["2026-11-26T08:00:00Z,acme/l1/press/temp,22.5,good"]


def test_an_invalid_row_stops_the_import_before_anything_is_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, CSV + "2026-11-26T08:00:09Z,acme/l1/press/temp,3.0,superb\n")
    result = cli("import", "samples.csv", "--db", "h.duckdb")
    assert result.code == 2
    assert (
        "samples.csv:8: quality 'superb' must be good, uncertain, bad or a status code"
        in result.err
    )
    with DuckDBHistorian(tmp_path / "h.duckdb") as historian:
        assert historian.paths() == []


def test_import_errors_name_file_line_and_problem(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, "timestamp,path,value\nyesterday,acme/x,1\n", "a.csv")
    write(tmp_path, "time,path,value\n", "b.csv")
    write(tmp_path, "timestamp,path,value\n2026-11-26T08:00Z,acme/bad path,1\n", "c.csv")
    write(tmp_path, "timestamp,path,value\n2026-11-26T08:00Z,acme/x,\n", "d.csv")
    errors = [
        cli("import", name, "--db", "h.duckdb") for name in ("a.csv", "b.csv", "c.csv", "d.csv")
    ]
    assert [e.code for e in errors] == [2, 2, 2, 2]
    assert "a.csv:2: timestamp 'yesterday' is not ISO 8601" in errors[0].err
    assert "b.csv:1: header lacks column(s) timestamp" in errors[1].err
    assert "c.csv:2: path 'acme/bad path'" in errors[2].err
    assert "d.csv:2: value is empty (allowed only with bad quality)" in errors[3].err


def test_errors_are_one_line_with_exit_code_2_and_no_traceback(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing_db = cli("history", "acme/#", "--db", "nope.duckdb")
    bad_time = cli("history", "acme/#", "--start", "tomorrowish", "--db", "nope.duckdb")
    bad_option = cli("history", "acme/#", "--bogus")
    reversed_range = cli("history", "acme/#", "--start", "-1h", "--end", "-2h")
    missing_file = cli("import", "nothing.csv")
    for result in (missing_db, bad_time, bad_option, reversed_range, missing_file):
        assert result.code == 2
        assert result.err.startswith("error: ")
        assert result.err.count("\n") == 1
        assert "Traceback" not in result.err
    assert "--db nope.duckdb: no such database file" in missing_db.err
    assert "No such option: --bogus" in bad_option.err
    assert "--end must be after --start" in reversed_range.err


def test_the_database_defaults_to_the_environment_variable(
    cli, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, CSV)
    monkeypatch.setenv("SHOPFLOOR_DB", str(tmp_path / "env.duckdb"))
    assert cli("import", "samples.csv").code == 0
    assert (tmp_path / "env.duckdb").exists()
