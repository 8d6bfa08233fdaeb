from __future__ import annotations

import numpy as np
import pytest

from shopfloor.model.batch import EXACT_INT_LIMIT, Sample, SampleBatch, TextBatch, concat
from shopfloor.model.quality import Quality, StatusCode


def test_a_batch_of_one_tag_holds_columns_of_equal_length() -> None:
    b = SampleBatch.of("acme/s/l/m/temp", [3, 1, 2], [1.0, 2.0, 3.0])
    assert len(b) == 3
    assert b.source_ns.dtype == np.int64
    assert b.value.dtype == np.float64
    assert b.status.dtype == np.uint32


def test_out_of_order_samples_are_kept_as_given() -> None:
    b = SampleBatch.of("a/t", [30, 10, 20], [3.0, 1.0, 2.0])
    assert list(b.source_ns) == [30, 10, 20]


def test_columns_of_unequal_length_are_rejected() -> None:
    with pytest.raises(ValueError, match="source_ns has 1 rows"):
        SampleBatch(
            ("a/t",), np.zeros(2, np.int32), np.zeros(1), np.zeros(2), np.zeros(2), np.zeros(2)
        )


def test_a_tag_index_outside_the_paths_is_rejected() -> None:
    with pytest.raises(ValueError, match="out of range"):
        SampleBatch(("a/t",), np.array([1]), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1))


def test_integers_up_to_two_to_the_53_stay_exact() -> None:
    b = SampleBatch.of("a/count", [1, 2], [EXACT_INT_LIMIT, EXACT_INT_LIMIT - 1])
    assert int(b.value[0]) == EXACT_INT_LIMIT
    assert int(b.value[1]) == EXACT_INT_LIMIT - 1


def test_booleans_become_zero_and_one() -> None:
    b = SampleBatch.of("a/on", [1, 2], np.array([True, False]))
    assert list(b.value) == [1.0, 0.0]


def test_quality_is_derived_from_the_status_code() -> None:
    b = SampleBatch.of(
        "a/t",
        [1, 2, 3],
        [0.0, 0.0, 0.0],
        status=[
            StatusCode.GOOD,
            StatusCode.UNCERTAIN_LAST_USABLE_VALUE,
            StatusCode.BAD_NOT_CONNECTED,
        ],
    )
    assert list(b.quality) == [Quality.GOOD, Quality.UNCERTAIN, Quality.BAD]


def test_samples_round_trip_through_a_batch() -> None:
    rows = [Sample("a/x", 1, 1.5), Sample("a/y", 2, 2.5, StatusCode.BAD, 7), Sample("a/x", 3, 3.5)]
    b = SampleBatch.from_samples(rows)
    assert b.paths == ("a/x", "a/y")
    assert [(s.path, s.source_ns, s.value, s.status) for s in b.samples()] == [
        ("a/x", 1, 1.5, 0),
        ("a/y", 2, 2.5, StatusCode.BAD),
        ("a/x", 3, 3.5, 0),
    ]
    assert next(iter(b.take(np.array([1])).samples())).receive_ns == 7


def test_concat_merges_path_dictionaries() -> None:
    merged = concat(
        [
            SampleBatch.of("a/x", [1], [1.0]),
            SampleBatch.of("a/y", [1], [2.0]),
            SampleBatch.of("a/x", [2], [3.0]),
        ]
    )
    assert merged.paths == ("a/x", "a/y")
    assert list(merged.path_of()) == ["a/x", "a/y", "a/x"]
    assert list(merged.value) == [1.0, 2.0, 3.0]


def test_filter_keeps_only_matching_paths() -> None:
    merged = concat([SampleBatch.of("a/l1/x", [1], [1.0]), SampleBatch.of("a/l2/x", [1], [2.0])])
    assert list(merged.filter("a/+/x").value) == [1.0, 2.0]
    assert list(merged.filter("a/l2/#").value) == [2.0]


def test_text_values_travel_in_their_own_batch() -> None:
    t = TextBatch.of("a/m/recipe", [1, 2], ["R1", "R2"])
    assert list(t.value) == ["R1", "R2"]
    assert [s.value for s in concat([t, t]).samples()] == ["R1", "R2", "R1", "R2"]


def test_empty_batches_have_no_rows() -> None:
    assert len(SampleBatch.empty()) == 0
    assert len(TextBatch.empty()) == 0
