"""Reading OR-Library job shop and Brandimarte flexible job shop files."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.plan import PlanFormatError, ProblemFormat, read_fjs, read_jsp, read_problem
from shopfloor.plan.readers import guess_format
from tests.plan.problems import FT06, MK01


def write(tmp_path: Path, text: str, name: str = "x.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ft06_reads_as_six_jobs_on_machines_numbered_from_zero() -> None:
    problem = read_jsp(FT06)

    assert problem.name == "ft06"
    assert problem.numbering == 0
    assert [m.id for m in problem.machines] == [0, 1, 2, 3, 4, 5]
    assert [j.id for j in problem.jobs] == [0, 1, 2, 3, 4, 5]
    first = problem.job(0).operations
    assert [(o.options[0].machine, o.options[0].time) for o in first[:3]] == [
        (2, 1),
        (0, 3),
        (1, 6),
    ]


def test_jsp_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\n\n2 2\n# between\n0 3 1 2\n\n1 2 0 4\n")

    problem = read_jsp(path)

    assert problem.operation_count == 4
    assert problem.job(1).operations[1].time_on(0) == 4


def test_mk01_reads_with_machines_numbered_from_one_and_choices() -> None:
    problem = read_fjs(MK01)

    assert problem.numbering == 1
    assert [m.id for m in problem.machines] == [1, 2, 3, 4, 5, 6]
    assert [j.id for j in problem.jobs][:2] == [1, 2]
    assert problem.job(1).operations[0].machines == (1, 3)
    assert problem.job(1).operations[0].time_on(3) == 4


def test_fjs_ignores_the_third_header_number_and_keeps_unused_machines(tmp_path: Path) -> None:
    path = write(tmp_path, "2 4 7.25\n2 1 1 3 2 2 5 3 4\n1 1 2 2\n")

    problem = read_fjs(path)

    assert [m.id for m in problem.machines] == [1, 2, 3, 4]
    assert problem.job(1).operations[1].machines == (2, 3)
    assert problem.job(2).operations[0].time_on(2) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 2\n0 3 1 2\n", r"x\.txt: ends after 1 of 2 jobs"),
        ("1 2\n0 3 1\n", r"x\.txt:2: expected 'machine time' pairs"),
        ("1 2\n0 3 5 2\n", r"x\.txt:2: machine 5 outside 0\.\.1"),
        ("1 2\n0 3 one 2\n", r"x\.txt:2: expected whole numbers, found 'one'"),
        ("1 2\n0 3 1 2\n1 1 0 1\n", r"x\.txt:3: more job lines than the header declares"),
        ("", r"x\.txt: empty file"),
    ],
)
def test_bad_jsp_files_are_reported_with_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(PlanFormatError, match=message):
        read_jsp(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 1\n2 1 1 3\n", r"x\.txt:2: operation 1: line ends early"),
        ("1 2 1\n1 2 1 3\n", r"x\.txt:2: operation 0: expected 2 'machine time' pairs"),
        ("1 2 1\n1 1 3 3\n", r"x\.txt:2: operation 0: machine 3 outside 1\.\.2"),
        ("1 2 1\n1 1 1 3 9\n", r"x\.txt:2: 1 numbers left after the last operation"),
    ],
)
def test_bad_fjs_files_are_reported_with_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(PlanFormatError, match=message):
        read_fjs(write(tmp_path, text))


def test_the_format_is_guessed_from_suffix_and_header(tmp_path: Path) -> None:
    assert guess_format(FT06) is ProblemFormat.JSP
    assert guess_format(MK01) is ProblemFormat.FJS
    assert guess_format(write(tmp_path, "{}", "p.json")) is ProblemFormat.JSON


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlanFormatError, match=r"nothing\.txt: no such file"):
        read_problem(tmp_path / "nothing.txt", ProblemFormat.JSP)
