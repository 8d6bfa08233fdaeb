"""``shopfloor schedule solve`` end to end: files in, a checked plan file out, one-line
errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

from shopfloor.plan import check_plan, read_plan
from tests.plan.problems import FT06, MK01


def test_solve_writes_an_optimal_checked_plan_for_ft06(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("schedule", "solve", str(FT06), "--time-limit", "10", "--out", "plan.json")

    assert result.code == 0, result.err
    assert "makespan 55" in result.out
    plan = read_plan(tmp_path / "plan.json")
    assert plan.objectives.makespan == 55
    assert check_plan(plan) == []
    assert plan.problem.name == "ft06"


def test_solve_with_a_rule_keeps_the_input_numbering(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "schedule", "solve", str(MK01), "--format", "fjs", "--rule", "MWKR", "-o", "p.json"
    )

    assert result.code == 0, result.err
    document = json.loads((tmp_path / "p.json").read_text())
    assert document["solver"]["method"] == "rule:MWKR"
    assert {row["machine"] for row in document["operations"]} <= {1, 2, 3, 4, 5, 6}
    assert min(row["job"] for row in document["operations"]) == 1
    assert check_plan(read_plan(tmp_path / "p.json")) == []


def test_solve_reads_shopfloor_json_problems(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problem = {
        "format": "shopfloor.problem",
        "version": 1,
        "machines": [{"id": 0}],
        "jobs": [
            {
                "id": 0,
                "order": "A-1",
                "due": 1,
                "operations": [{"machines": [{"machine": 0, "time": 2}]}],
            },
            {
                "id": 1,
                "order": "A-2",
                "due": 1,
                "operations": [{"machines": [{"machine": 0, "time": 1}]}],
            },
        ],
        "objective": {"makespan": 0, "total_weighted_tardiness": 1},
    }
    (tmp_path / "problem.json").write_text(json.dumps(problem))

    result = cli("schedule", "solve", "problem.json", "--time-limit", "5", "--out", "plan.json")

    assert result.code == 0, result.err
    assert "weighted tardiness 2 (1 late)" in result.out
    rows = json.loads((tmp_path / "plan.json").read_text())["operations"]
    assert [(r["order"], r.get("late", False)) for r in rows] == [("A-2", False), ("A-1", True)]


def test_a_bad_file_is_one_error_line_with_exit_2_and_no_plan(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.txt").write_text("2 2\n0 3 1\n")

    result = cli("schedule", "solve", "bad.txt", "--format", "jsp", "--out", "plan.json")

    assert result.code == 2
    assert (
        result.err.strip()
        == "error: bad.txt:2: expected 'machine time' pairs (an odd count of numbers)"
    )
    assert not (tmp_path / "plan.json").exists()


def test_an_invalid_problem_names_the_order_and_operation(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = {"id": 0, "order": "Z-9", "operations": [{"machines": []}]}
    (tmp_path / "p.json").write_text(json.dumps({"machines": [{"id": 0}], "jobs": [job]}))

    result = cli("schedule", "solve", "p.json", "--out", "plan.json")

    assert result.code == 2
    assert "order Z-9, operation 0: has no eligible machine" in result.err
    assert len(result.err.strip().splitlines()) == 1
