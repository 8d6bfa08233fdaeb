"""``shopfloor schedule gantt``: a plan file in, an offline HTML chart out."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.cli import run
from shopfloor.plan import write_plan

from .test_replan_cli import Ran, a_plan


@pytest.fixture
def shopfloor(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the command line in ``tmp_path`` with a plan file ``plan.json`` there."""
    monkeypatch.chdir(tmp_path)
    write_plan(a_plan(), tmp_path / "plan.json")

    def invoke(*args: str) -> Ran:
        code = run(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


def test_gantt_writes_an_offline_chart_and_says_how_many_orders_are_late(
    shopfloor, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ran = shopfloor("schedule", "gantt", "plan.json", "--out", "gantt.html")
    assert ran.code == 0, ran.err
    html = (tmp_path / "gantt.html").read_text(encoding="utf-8")
    assert "PO-1" in html
    assert "6 operations of 2 jobs on 4 machines, 0 late" in ran.out


def test_gantt_of_a_missing_plan_is_an_error(shopfloor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ran = shopfloor("schedule", "gantt", "nothing.json", "--out", "gantt.html")
    assert ran.code == 2
    assert "nothing.json: no such file" in ran.err
    assert not (tmp_path / "gantt.html").exists()
