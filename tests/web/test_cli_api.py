"""``shopfloor history`` and ``shopfloor oee`` asking a running server instead of the file."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfloor.cli import run
from shopfloor.model.times import format_time
from tests.web.harness import DemoServer

LINE = "acme/stuttgart/fabrication/line1"
# Absolute times, so that both calls of a comparison read exactly the same range.
_NOW = time.time_ns() // 10**9 * 10**9
RANGE = ("--start", format_time(_NOW - 2 * 3600 * 10**9), "--end", format_time(_NOW - 3600 * 10**9))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    demo = DemoServer(tmp_path_factory.mktemp("cli-api"), speed="1", start="-3h")
    # The dashboard is up before the twin has caught up: wait until the history covers
    # the range the tests read.
    deadline = time.monotonic() + 180
    newest = 0
    while newest < _NOW - 3540 * 10**9 and time.monotonic() < deadline:
        time.sleep(0.5)
        latest = demo.call(
            "GET", f"/api/latest?pattern={LINE}/press1/temperature", token=demo.admin_token
        )
        newest = max((row["ts"] for row in latest), default=0)
    time.sleep(2)  # the recorder flushes every second: let the file catch up with the server
    yield demo
    demo.stop()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_history_from_the_server_equals_history_from_the_file(
    server: DemoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPFLOOR_TOKEN", server.admin_token)
    path = f"{LINE}/press1/temperature"
    db = str(server.state_dir / "h.duckdb")
    code, remote, err = cli(capsys, "history", path, *RANGE, "--api", server.url, "-o", "-")
    _, local, _ = cli(capsys, "history", path, *RANGE, "--db", db, "-o", "-")
    assert code == 0, err
    assert len(remote.splitlines()) > 3000
    assert remote == local


def test_oee_from_the_server_equals_oee_from_the_file(
    server: DemoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPFLOOR_TOKEN", server.admin_token)
    db = str(server.state_dir / "h.duckdb")
    code, remote, err = cli(capsys, "oee", *RANGE, "--api", server.url, "-o", "-")
    _, local, _ = cli(capsys, "oee", *RANGE, "--db", db, "-o", "-")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(remote)))
    assert len(rows) == 9
    assert remote == local


def test_a_missing_or_wrong_token_is_a_one_line_error(
    server: DemoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOPFLOOR_TOKEN", raising=False)
    missing = cli(capsys, "oee", "--api", server.url)
    monkeypatch.setenv("SHOPFLOOR_TOKEN", "not-a-token")
    wrong = cli(capsys, "oee", "--api", server.url)
    assert missing[0] == 2
    assert "needs a session token in $SHOPFLOOR_TOKEN" in missing[2]
    assert wrong[0] == 2
    assert "answered 401" in wrong[2]
    assert wrong[2].count("\n") == 1


def test_the_api_address_must_be_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "history", "a/#", "--api", "ftp://x")
    assert code == 2
    assert "must be an http:// or https:// address" in err
