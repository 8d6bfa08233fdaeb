"""Fixtures every test folder may use."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.cli import run


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the shopfloor command line in-process; returns exit code and captured output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPFLOOR_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str) -> Result:
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
