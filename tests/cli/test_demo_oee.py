from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shopfloor.historian import DuckDBHistorian

MACHINES = ("press1", "cnc1", "cnc2", "weld1", "wash1", "paint1", "oven1", "asm1", "test1")
LINE = "acme/stuttgart/fabrication/line1"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four simulated hours of the default plant, ending at 2026-11-26T12:00Z."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    code = subprocess.call(
        [
            sys.executable,
            "-m",
            "shopfloor",
            "demo",
            "--speed",
            "max",
            "--duration",
            "4h",
            "--start",
            "2026-11-26T08:00Z",
            "--seed",
            "3",
            "--db",
            str(db),
            "--no-live",
            "--port",
            "0",
            "--state-dir",
            str(db.parent / "state"),
        ]
    )
    assert code == 0
    return db


def test_the_demo_records_every_machines_signals_and_events(demo_db: Path) -> None:
    with DuckDBHistorian(demo_db, read_only=True) as historian:
        paths = set(historian.paths())
        events = historian.events(kind="order")
    for machine in MACHINES:
        for tag in ("state", "good_count", "temperature", "vibration_rms", "power", "energy"):
            assert f"{LINE}/{machine}/{tag}" in paths
    assert events


def test_oee_by_machine_multiplies_out_and_lies_in_a_plausible_band(cli, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "oee",
        "--db",
        str(demo_db),
        "--start",
        "2026-11-26T09:00Z",
        "--end",
        "2026-11-26T12:00Z",
        "--out",
        "-",
    )
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert sorted(r["machine"].rsplit("/", 1)[-1] for r in rows) == sorted(MACHINES)
    for row in rows:
        a, p, q, oee = (float(row[k]) for k in ("availability", "performance", "quality", "oee"))
        assert oee == pytest.approx(a * p * q)
        assert 0.2 < oee < 0.95


def test_oee_by_shift_leaves_the_calendars_breaks_out_of_planned_time(cli, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    # Europe/Berlin in November is UTC+1: the early shift runs 05:00-13:00 UTC with its
    # break 08:30-09:00 UTC, so 08:00-12:00 UTC holds 3.5 h of planned time per machine.
    result = cli(
        "oee",
        "--db",
        str(demo_db),
        "--start",
        "2026-11-26T08:00Z",
        "--end",
        "2026-11-26T12:00Z",
        "--by",
        "shift",
        "--out",
        "-",
    )
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [r["shift"] for r in rows] == ["early 2026-11-26"]
    assert float(rows[0]["working_s"]) == len(MACHINES) * 3.5 * 3600


def test_oee_by_line_pools_the_machines(cli, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "oee",
        "--db",
        str(demo_db),
        "--start",
        "2026-11-26T09:00Z",
        "--end",
        "2026-11-26T12:00Z",
        "--by",
        "line",
    )
    assert result.code == 0
    assert "line1" in result.out


def test_oee_on_a_range_without_history_says_so(cli, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    empty = cli(
        "history", "acme/#", "--db", str(demo_db), "--start", "2020-01-01", "--end", "2020-01-02"
    )
    assert empty.code == 0
    assert "no samples in that range" in empty.err


def test_a_bad_speed_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("demo", "--speed", "fast", "--no-live")
    assert result.code == 2
    assert "--speed must be a number" in result.err


def test_history_and_oee_read_while_a_demo_writes_the_same_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "live.duckdb"
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopfloor",
            "demo",
            "--speed",
            "1200",
            "--start",
            "-1h",
            "--duration",
            "4h",
            "--db",
            str(db),
            "--no-live",
            "--port",
            "0",
            "--state-dir",
            str(db.parent / "state"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 30
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
        history = cli(
            "history",
            f"{LINE}/press1/power",
            "--db",
            str(db),
            "--start",
            "-1h",
            "--end",
            "+3h",
            "--every",
            "10m",
            "-o",
            "-",
        )
        oee = cli("oee", "--db", str(db), "--start", "-1h", "--end", "+3h", "-o", "-")
        running_while_read = demo.poll() is None
    finally:
        assert demo.wait(timeout=120) == 0
    assert running_while_read
    assert history.code == 0
    assert len(history.out.splitlines()) > 1
    assert oee.code == 0
    assert len(oee.out.splitlines()) == 1 + len(MACHINES)
