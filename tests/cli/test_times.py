from __future__ import annotations

import numpy as np
import pytest

from shopfloor.model.errors import InputError
from shopfloor.model.times import format_times, parse_time, positive_duration_ns

NOW = 1_795_680_000 * 10**9  # 2026-11-26T08:00:00Z
HOUR = 3600 * 10**9


def test_iso_times_without_offset_are_utc() -> None:
    assert parse_time("2026-11-26T08:00:00", now_ns=0) == NOW
    assert parse_time("2026-11-26 08:00", now_ns=0) == NOW


def test_iso_times_with_an_offset_or_z_are_converted_to_utc() -> None:
    assert parse_time("2026-11-26T09:00:00+01:00", now_ns=0) == NOW
    assert parse_time("2026-11-26T08:00:00Z", now_ns=0) == NOW


def test_a_date_alone_is_midnight_utc() -> None:
    assert parse_time("2026-11-26", now_ns=0) == NOW - 8 * HOUR


def test_relative_times_count_from_now() -> None:
    assert parse_time("now", now_ns=NOW) == NOW
    assert parse_time("-8h", now_ns=NOW) == NOW - 8 * HOUR
    assert parse_time("now-30m", now_ns=NOW) == NOW - HOUR // 2
    assert parse_time("+1d", now_ns=NOW) == NOW + 24 * HOUR


def test_an_unreadable_time_names_the_option_and_the_formats() -> None:
    with pytest.raises(InputError, match=r"--start 'yesterday' is not a time: use ISO 8601"):
        parse_time("yesterday", now_ns=NOW, what="--start")


def test_durations_must_be_positive_where_asked() -> None:
    assert positive_duration_ns("90s", what="--every") == 90 * 10**9
    with pytest.raises(InputError, match="--every must be longer than zero"):
        positive_duration_ns("0s", what="--every")
    with pytest.raises(InputError, match="--every"):
        positive_duration_ns("soon", what="--every")


def test_formatted_times_keep_only_the_fraction_they_need() -> None:
    assert format_times(np.array([NOW], np.int64)) == ["2026-11-26T08:00:00Z"]
    assert format_times(np.array([NOW, NOW + 5_000_000, NOW + 5_000], np.int64)) == [
        "2026-11-26T08:00:00Z",
        "2026-11-26T08:00:00.005Z",
        "2026-11-26T08:00:00.000005Z",
    ]
    assert format_times(np.array([NOW + 7], np.int64)) == ["2026-11-26T08:00:00.000000007Z"]


def test_formatted_times_parse_back_to_the_same_nanosecond() -> None:
    stamps = np.array([NOW + 123_456_789, NOW + 1], np.int64)
    assert [parse_time(t, now_ns=0) for t in format_times(stamps)] == [NOW + 123_456_789, NOW + 1]
