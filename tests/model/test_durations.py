from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopfloor.model import durations
from shopfloor.model.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("30m", 1800.0),
        ("30min", 1800.0),
        ("8h", 28800.0),
        ("7d", 604800.0),
        ("2w", 1209600.0),
        ("1.5h", 5400.0),
        ("250ms", 0.25),
        (".5s", 0.5),
        ("1h30m", 5400.0),
        ("1d 12h", 129600.0),
        (" 10 s ", 10.0),
        ("0s", 0.0),
    ],
)
def test_durations_with_units_become_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_plain_numbers_and_numeric_text_count_seconds() -> None:
    assert parse_duration(90) == 90.0
    assert parse_duration(1.5) == 1.5
    assert parse_duration("90") == 90.0
    assert parse_duration("2.5") == 2.5


@pytest.mark.parametrize("text", ["", "h", "90x", "1.5 hours", "-5s", "1h30", "5 m s", "1mo"])
def test_other_text_is_rejected_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration \(e\.g\. 90s, 30m"):
        parse_duration(text)


@pytest.mark.parametrize("value", [-1, float("inf"), float("nan")])
def test_negative_or_infinite_numbers_are_rejected(value: float) -> None:
    with pytest.raises(ValueError, match="finite and not negative"):
        parse_duration(value)


def test_booleans_are_not_durations() -> None:
    with pytest.raises(ValueError, match="True is not a duration"):
        parse_duration(True)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (90, "1m30s"), (5400, "1h30m"), (604800, "1w"), (0.25, "250ms"), (86400, "1d")],
)
def test_format_duration_uses_the_largest_whole_units(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_durations_parse_back(milliseconds: int) -> None:
    seconds = milliseconds / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-6)


def test_module_examples_run() -> None:
    assert doctest.testmod(durations).failed == 0
