"""The historian contract: every backend passes these tests.

A backend's test module subclasses :class:`HistorianContract` and provides one fixture,
``open_store``: a callable that opens a historian on one store, the same store on every
call (so that tests can close and reopen it). Times are small nanosecond numbers unless a
test says otherwise; ``S`` is one second.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopfloor.historian.base import (
    Aggregate,
    Downsampled,
    Historian,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.model.batch import Sample, SampleBatch, TextBatch
from shopfloor.model.errors import HistorianError
from shopfloor.model.event import Event, Severity
from shopfloor.model.quality import StatusCode

S = 1_000_000_000
GOOD = int(StatusCode.GOOD)
BAD = int(StatusCode.BAD_SENSOR_FAILURE)
UNCERTAIN = int(StatusCode.UNCERTAIN_LAST_USABLE_VALUE)
TEMP = "acme/site/line1/press/temp"
SPEED = "acme/site/line1/press/speed"

OpenStore = Callable[[], Historian]


def rows(batch: SampleBatch | TextBatch) -> list[tuple[str, int, float | str]]:
    """(path, source time, value) of every row, in the batch's order."""
    return [(s.path, s.source_ns, s.value) for s in batch.samples()]


def column(down: Downsampled, agg: Aggregate) -> list[float]:
    return [float(x) for x in down.columns[agg]]


def same(actual: list[float], expected: list[float]) -> bool:
    """Equal within rounding, NaN equal to NaN."""
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or math.isclose(a, e, rel_tol=1e-12)
        for a, e in zip(actual, expected, strict=True)
    )


def event(
    eid: str,
    time_ns: int,
    asset: str,
    kind: str,
    severity: Severity = Severity.INFO,
    actor: str = "system",
) -> Event:
    return Event(eid, time_ns, asset, kind, severity, {}, actor)


class HistorianContract:
    """The rules of :mod:`shopfloor.historian.base`, as tests."""

    @pytest.fixture
    def historian(self, open_store: OpenStore) -> Iterator[Historian]:
        h = open_store()
        yield h
        h.close()

    # -- appending and idempotency ------------------------------------------------------

    def test_appended_samples_read_back_with_times_values_and_status(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [10, 20], [20.5, 21.0], [GOOD, UNCERTAIN], [11, 22]))

        got = list(historian.raw(TEMP, 0, 100).samples())

        assert got == [Sample(TEMP, 10, 20.5, GOOD, 11), Sample(TEMP, 20, 21.0, UNCERTAIN, 22)]

    def test_every_status_code_round_trips(self, historian: Historian) -> None:
        codes = [int(c) for c in StatusCode] + [0x80AB0000, 0xFFFFFFFF, 0x00000001]
        historian.append(SampleBatch.of(TEMP, range(len(codes)), [1.0] * len(codes), codes))

        assert historian.raw(TEMP, 0, 100).status.tolist() == codes

    def test_the_same_tag_and_time_twice_in_one_flush_keeps_the_last(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [10, 20], [1.0, 2.0]))
        historian.append(SampleBatch.of(TEMP, [20, 10], [3.0, 4.0], BAD))

        got = rows(historian.raw(TEMP, 0, 100))

        assert got == [(TEMP, 10, 4.0), (TEMP, 20, 3.0)]

    def test_a_rewrite_after_a_flush_replaces_the_stored_sample(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [10, 20, 30], [1.0, 2.0, 3.0]))
        historian.flush()
        historian.append(SampleBatch.of(TEMP, [20], [-2.0], BAD))
        historian.flush()

        got = list(historian.raw(TEMP, 0, 100).samples())

        assert got == [
            Sample(TEMP, 10, 1.0, GOOD, 10),
            Sample(TEMP, 20, -2.0, BAD, 20),
            Sample(TEMP, 30, 3.0, GOOD, 30),
        ]

    def test_a_rewrite_after_reopening_replaces_the_stored_sample(
        self, open_store: OpenStore
    ) -> None:
        first = open_store()
        first.append(SampleBatch.of(TEMP, [10, 20], [1.0, 2.0]))
        first.close()
        second = open_store()
        second.append(SampleBatch.of(TEMP, [10, 20, 30], [5.0, 6.0, 7.0]))

        got = rows(second.raw(TEMP, 0, 100))
        second.close()

        assert got == [(TEMP, 10, 5.0), (TEMP, 20, 6.0), (TEMP, 30, 7.0)]

    def test_out_of_order_samples_read_back_in_time_order(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [30, 10, 20], [3.0, 1.0, 2.0]))

        assert rows(historian.raw(TEMP, 0, 100)) == [
            (TEMP, 10, 1.0),
            (TEMP, 20, 2.0),
            (TEMP, 30, 3.0),
        ]

    def test_a_late_sample_after_a_flush_takes_its_place_in_time(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [10, 30], [1.0, 3.0]))
        historian.flush()
        historian.append(SampleBatch.of(TEMP, [20, 40], [2.0, 4.0]))
        historian.flush()

        assert historian.raw(TEMP, 0, 100).source_ns.tolist() == [10, 20, 30, 40]

    def test_queries_see_samples_appended_but_not_flushed(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [10], [1.0]))

        assert rows(historian.raw(TEMP, 0, 100)) == [(TEMP, 10, 1.0)]

    def test_an_empty_batch_changes_nothing(self, historian: Historian) -> None:
        historian.append(SampleBatch.empty())
        historian.append_text(TextBatch.empty())
        historian.append_events([])

        assert historian.paths() == []

    # -- ranges and selection -----------------------------------------------------------

    def test_a_range_includes_its_start_and_excludes_its_end(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [9, 10, 15, 20, 21], [0.0, 1.0, 2.0, 3.0, 4.0]))

        assert historian.raw(TEMP, 10, 20).source_ns.tolist() == [10, 15]

    def test_raw_rows_come_by_path_then_time(self, historian: Historian) -> None:
        historian.append(SampleBatch.from_samples([Sample(TEMP, 2, 1.0), Sample(SPEED, 3, 2.0)]))
        historian.append(SampleBatch.from_samples([Sample(TEMP, 1, 3.0), Sample(SPEED, 1, 4.0)]))

        got = rows(historian.raw("#", 0, 100))

        assert got == [(SPEED, 1, 4.0), (SPEED, 3, 2.0), (TEMP, 1, 3.0), (TEMP, 2, 1.0)]

    def test_a_limit_keeps_the_first_rows_by_path_then_time(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1, 2, 3], [1.0, 2.0, 3.0]))
        historian.append(SampleBatch.of(SPEED, [1, 2, 3], [4.0, 5.0, 6.0]))

        got = rows(historian.raw("#", 0, 100, limit=4))

        assert got == [(SPEED, 1, 4.0), (SPEED, 2, 5.0), (SPEED, 3, 6.0), (TEMP, 1, 1.0)]

    def test_plus_matches_exactly_one_segment(self, historian: Historian) -> None:
        for path in ("a/x/t", "a/y/t", "a/x/sub/t", "b/x/t"):
            historian.append(SampleBatch.of(path, [1], [1.0]))

        assert historian.raw("a/+/t", 0, 10).paths == ("a/x/t", "a/y/t")

    def test_hash_matches_the_rest_of_the_path(self, historian: Historian) -> None:
        for path in ("a/x/t", "a/y/t", "a/x/sub/t", "b/x/t"):
            historian.append(SampleBatch.of(path, [1], [1.0]))

        assert historian.raw("a/x/#", 0, 10).paths == ("a/x/sub/t", "a/x/t")

    def test_paths_lists_stored_paths_sorted_and_selected(self, historian: Historian) -> None:
        for path in ("b/x/t", "a/y/t", "a/x/t"):
            historian.append(SampleBatch.of(path, [1], [1.0]))
        historian.append_text(TextBatch.of("a/x/recipe", [1], ["r1"]))

        assert historian.paths() == ["a/x/recipe", "a/x/t", "a/y/t", "b/x/t"]
        assert historian.paths("a/+/t") == ["a/x/t", "a/y/t"]

    def test_an_unknown_tag_reads_as_an_empty_batch(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1], [1.0]))

        assert len(historian.raw("acme/nothing/here", 0, 100)) == 0
        assert len(historian.raw("acme/nothing/#", 0, 100)) == 0

    def test_a_range_without_samples_reads_as_an_empty_batch(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1], [1.0]))

        assert len(historian.raw(TEMP, 5, 100)) == 0
        assert len(historian.raw(TEMP, 100, 5)) == 0

    def test_a_malformed_selector_raises_historian_error(self, historian: Historian) -> None:
        with pytest.raises(HistorianError):
            historian.raw("a/#/b", 0, 10)

    # -- downsampling -------------------------------------------------------------------

    def test_each_aggregate_per_bucket(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [100, 103, 105, 108], [1.0, 3.0, 6.0, 7.0]))

        down = historian.downsample(TEMP, 100, 110, 5)

        assert down.paths == (TEMP,)
        assert down.bucket_ns.tolist() == [100, 105]
        assert column(down, Aggregate.MEAN) == [2.0, 6.5]
        assert column(down, Aggregate.MIN) == [1.0, 6.0]
        assert column(down, Aggregate.MAX) == [3.0, 7.0]
        assert column(down, Aggregate.LAST) == [3.0, 7.0]
        assert column(down, Aggregate.COUNT) == [2.0, 2.0]
        assert same(
            column(down, Aggregate.TIME_WEIGHTED_MEAN), [(1 * 3 + 3 * 2) / 5, (6 * 3 + 7 * 2) / 5]
        )

    def test_buckets_align_to_the_range_start(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [7, 11, 12, 16], [1.0, 2.0, 3.0, 4.0]))

        down = historian.downsample(TEMP, 2, 20, 5, [Aggregate.COUNT])

        assert down.bucket_ns.tolist() == [7, 12]
        assert column(down, Aggregate.COUNT) == [2.0, 2.0]

    def test_bad_samples_are_left_out_of_aggregates(self, historian: Historian) -> None:
        values = [1.0, 100.0, 3.0, -100.0]
        historian.append(SampleBatch.of(TEMP, [0, 1, 2, 3], values, [GOOD, BAD, UNCERTAIN, BAD]))

        down = historian.downsample(TEMP, 0, 10, 10)

        assert column(down, Aggregate.MEAN) == [2.0]
        assert column(down, Aggregate.MIN) == [1.0]
        assert column(down, Aggregate.MAX) == [3.0]
        assert column(down, Aggregate.LAST) == [3.0]
        assert column(down, Aggregate.COUNT) == [2.0]

    def test_a_bucket_of_bad_samples_counts_none_and_aggregates_to_nan(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [0, 1], [5.0, 6.0], BAD))

        down = historian.downsample(TEMP, 0, 10, 10)

        assert column(down, Aggregate.COUNT) == [0.0]
        nan = float("nan")
        assert same(column(down, Aggregate.MEAN), [nan])
        assert same(column(down, Aggregate.LAST), [nan])
        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [nan])

    def test_time_weighted_mean_holds_each_value_until_the_next_sample(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [0, 2, 3], [10.0, 20.0, 40.0]))

        down = historian.downsample(TEMP, 0, 10, 10, [Aggregate.TIME_WEIGHTED_MEAN])

        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [(10 * 2 + 20 * 1 + 40 * 7) / 10])

    def test_time_weighted_mean_looks_back_before_the_range(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [50, 90, 102], [99.0, 10.0, 20.0]))

        down = historian.downsample(TEMP, 100, 110, 10, [Aggregate.TIME_WEIGHTED_MEAN])

        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [(10 * 2 + 20 * 8) / 10])

    def test_time_weighted_mean_looks_back_across_an_empty_bucket(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [100, 125], [1.0, 3.0]))

        down = historian.downsample(TEMP, 100, 130, 10, [Aggregate.TIME_WEIGHTED_MEAN])

        assert down.bucket_ns.tolist() == [100, 120]
        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [1.0, (1 * 5 + 3 * 5) / 10])

    def test_time_weighted_mean_gives_a_bad_hold_no_weight(self, historian: Historian) -> None:
        historian.append(
            SampleBatch.of(
                TEMP, [90, 102, 104, 106], [99.0, 20.0, 50.0, 30.0], [BAD, GOOD, BAD, GOOD]
            )
        )

        down = historian.downsample(TEMP, 100, 110, 10, [Aggregate.TIME_WEIGHTED_MEAN])

        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [(20 * 2 + 30 * 4) / 6])

    def test_the_last_bucket_is_clipped_to_the_range_end(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [100, 110, 112, 114], [1.0, 3.0, 5.0, 1000.0]))

        down = historian.downsample(TEMP, 100, 114, 10, [Aggregate.TIME_WEIGHTED_MEAN])

        assert down.bucket_ns.tolist() == [100, 110]
        assert same(column(down, Aggregate.TIME_WEIGHTED_MEAN), [1.0, (3 * 2 + 5 * 2) / 4])

    def test_downsampled_rows_come_by_path_then_bucket(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [0, 10], [1.0, 2.0]))
        historian.append(SampleBatch.of(SPEED, [10, 0], [3.0, 4.0]))

        down = historian.downsample("acme/#", 0, 20, 10, [Aggregate.MEAN])

        assert down.paths == (SPEED, TEMP)
        assert down.tag.tolist() == [0, 0, 1, 1]
        assert down.bucket_ns.tolist() == [0, 10, 0, 10]
        assert column(down, Aggregate.MEAN) == [4.0, 3.0, 1.0, 2.0]

    def test_downsampling_nothing_gives_no_rows_and_the_asked_columns(
        self, historian: Historian
    ) -> None:
        historian.append(SampleBatch.of(TEMP, [0], [1.0]))

        down = historian.downsample(TEMP, 100, 200, 10, [Aggregate.MAX, Aggregate.COUNT])

        assert len(down) == 0
        assert down.paths == ()
        assert set(down.columns) == {Aggregate.MAX, Aggregate.COUNT}

    def test_downsample_returns_only_the_aggregates_asked_for(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [0], [1.0]))

        down = historian.downsample(TEMP, 0, 10, 10, [Aggregate.LAST])

        assert list(down.columns) == [Aggregate.LAST]

    def test_a_bucket_width_below_one_nanosecond_is_refused(self, historian: Historian) -> None:
        with pytest.raises(HistorianError):
            historian.downsample(TEMP, 0, 10, 0)

    # -- latest -------------------------------------------------------------------------

    def test_latest_gives_each_tags_newest_sample(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [10, 30, 20], [1.0, 3.0, 2.0]))
        historian.append(SampleBatch.of(SPEED, [5], [9.0], BAD))

        got = list(historian.latest().samples())

        assert got == [Sample(SPEED, 5, 9.0, BAD, 5), Sample(TEMP, 30, 3.0, GOOD, 30)]

    def test_a_late_sample_does_not_replace_a_newer_latest(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [30], [3.0]))
        historian.flush()
        historian.append(SampleBatch.of(TEMP, [20], [2.0]))
        historian.flush()

        assert rows(historian.latest(TEMP)) == [(TEMP, 30, 3.0)]

    def test_a_rewrite_of_the_newest_time_replaces_latest(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [30], [3.0]))
        historian.flush()
        historian.append(SampleBatch.of(TEMP, [30], [4.0]))

        assert rows(historian.latest(TEMP)) == [(TEMP, 30, 4.0)]

    def test_latest_selects_by_pattern(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1], [1.0]))
        historian.append(SampleBatch.of("acme/site/line2/oven/temp", [1], [2.0]))

        assert historian.latest("acme/site/+/press/#").paths == (TEMP,)
        assert len(historian.latest("nowhere/#")) == 0

    # -- text samples -------------------------------------------------------------------

    def test_text_samples_round_trip_and_keep_the_last_write(self, historian: Historian) -> None:
        recipe = "acme/site/line1/press/recipe"
        historian.append_text(TextBatch.of(recipe, [1, 2], ["alpha", "beta"]))
        historian.flush()
        historian.append_text(TextBatch.of(recipe, [2, 3], ["gamma", "δelta"], BAD))

        got = list(historian.raw_text(recipe, 0, 10).samples())

        assert got == [
            Sample(recipe, 1, "alpha", GOOD, 1),
            Sample(recipe, 2, "gamma", BAD, 2),
            Sample(recipe, 3, "δelta", BAD, 3),
        ]

    def test_text_and_numeric_samples_are_kept_apart(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1], [1.0]))
        historian.append_text(TextBatch.of("acme/site/line1/press/recipe", [1], ["r"]))

        assert historian.raw("#", 0, 10).paths == (TEMP,)
        assert historian.raw_text("#", 0, 10).paths == ("acme/site/line1/press/recipe",)

    # -- events -------------------------------------------------------------------------

    @pytest.fixture
    def plant_events(self, historian: Historian) -> Historian:
        historian.append_events(
            [
                event("e1", 10, "acme/site/line1", "state.change"),
                event("e2", 20, "acme/site/line1/press", "alarm.active", severity=Severity.HIGH),
                event("e3", 30, "acme/site/line1/press/die", "alarm.cleared"),
                event("e4", 40, "acme/site/line2/oven", "alarm.active"),
                event("e5", 50, "acme/site/line10", "alarms.summary"),
            ]
        )
        return historian

    def ids(self, events: list[Event]) -> list[str]:
        return [e.id for e in events]

    def test_events_come_newest_first(self, plant_events: Historian) -> None:
        assert self.ids(plant_events.events()) == ["e5", "e4", "e3", "e2", "e1"]

    def test_an_asset_path_selects_it_and_everything_under_it(
        self, plant_events: Historian
    ) -> None:
        assert self.ids(plant_events.events(asset="acme/site/line1")) == ["e3", "e2", "e1"]
        assert self.ids(plant_events.events(asset="acme/site/line1/press/die")) == ["e3"]

    def test_an_asset_pattern_selects_what_it_matches(self, plant_events: Historian) -> None:
        assert self.ids(plant_events.events(asset="acme/site/+/press")) == ["e2"]
        assert self.ids(plant_events.events(asset="acme/+/line2/#")) == ["e4"]

    def test_a_kind_selects_itself_and_its_dotted_descendants(
        self, plant_events: Historian
    ) -> None:
        assert self.ids(plant_events.events(kind="alarm")) == ["e4", "e3", "e2"]
        assert self.ids(plant_events.events(kind="alarm.active")) == ["e4", "e2"]

    def test_events_by_time_range_and_limit(self, plant_events: Historian) -> None:
        assert self.ids(plant_events.events(start_ns=20, end_ns=40)) == ["e3", "e2"]
        assert self.ids(plant_events.events(limit=2)) == ["e5", "e4"]

    def test_filters_combine(self, plant_events: Historian) -> None:
        got = plant_events.events(asset="acme/site", kind="alarm", start_ns=25, limit=1)

        assert self.ids(got) == ["e4"]

    def test_events_round_trip_every_field(self, historian: Historian) -> None:
        original = Event.new(
            time_ns=123,
            asset=TEMP,
            kind="anomaly.score",
            severity=Severity.CRITICAL,
            payload={"score": 0.97, "window": [1, 2], "detector": "z"},
            actor="detector:press3",
        )
        historian.append_events([original])

        assert historian.events() == [original]

    def test_appending_an_event_id_again_replaces_the_event(self, historian: Historian) -> None:
        historian.append_events([event("e1", 10, "acme/site", "state.change")])
        historian.flush()
        historian.append_events([event("e1", 11, "acme/site", "state.change", actor="user:al")])

        assert [(e.time_ns, e.actor) for e in historian.events()] == [(11, "user:al")]

    # -- retention ----------------------------------------------------------------------

    def test_retention_deletes_samples_older_than_the_period(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [50 * S, 100 * S, 150 * S], [1.0, 2.0, 3.0]))

        report = historian.apply_retention(RetentionPolicy(samples_s=100), now_ns=200 * S)

        assert report == RetentionReport(1, 0, 0)
        assert historian.raw(TEMP, 0, 300 * S).source_ns.tolist() == [100 * S, 150 * S]

    def test_the_first_matching_override_wins(self, historian: Historian) -> None:
        for path in (TEMP, SPEED, "acme/site/line2/oven/temp"):
            historian.append(SampleBatch.of(path, [10 * S, 90 * S], [1.0, 2.0]))
        policy = RetentionPolicy(
            samples_s=50,
            overrides=[("acme/site/line1/press/temp", 1000), ("acme/site/line1/#", 5)],
        )

        report = historian.apply_retention(policy, now_ns=100 * S)

        got = historian.raw("#", 0, 1000 * S)
        assert report.samples_deleted == 3
        assert [(s.path, s.source_ns) for s in got.samples()] == [
            ("acme/site/line1/press/temp", 10 * S),
            ("acme/site/line1/press/temp", 90 * S),
            ("acme/site/line2/oven/temp", 90 * S),
        ]

    def test_retention_deletes_old_text_samples_and_events(self, historian: Historian) -> None:
        historian.append_text(TextBatch.of("acme/site/recipe", [10 * S, 90 * S], ["a", "b"]))
        historian.append_events(
            [
                event("old", 10 * S, "acme/site", "state.change"),
                event("new", 90 * S, "acme/site", "state.change"),
            ]
        )

        report = historian.apply_retention(
            RetentionPolicy(samples_s=50, events_s=20), now_ns=100 * S
        )

        assert report == RetentionReport(0, 1, 1)
        assert historian.raw_text("#", 0, 1000 * S).source_ns.tolist() == [90 * S]
        assert [e.id for e in historian.events()] == ["new"]

    def test_a_policy_without_periods_keeps_everything(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [1], [1.0]))
        historian.append_events([event("e1", 1, "acme/site", "state.change")])

        report = historian.apply_retention(RetentionPolicy(), now_ns=10**18)

        assert report == RetentionReport(0, 0, 0)

    def test_latest_forgets_a_tag_whose_samples_all_expired(self, historian: Historian) -> None:
        historian.append(SampleBatch.of(TEMP, [10 * S], [1.0]))
        historian.append(SampleBatch.of(SPEED, [95 * S], [2.0]))

        historian.apply_retention(RetentionPolicy(samples_s=50), now_ns=100 * S)

        assert historian.latest().paths == (SPEED,)

    # -- life cycle ---------------------------------------------------------------------

    def test_everything_survives_closing_and_reopening(self, open_store: OpenStore) -> None:
        first = open_store()
        first.append(SampleBatch.of(TEMP, [1, 2], [1.0, 2.0]))
        first.append_text(TextBatch.of("acme/site/recipe", [1], ["r"]))
        first.append_events([event("e1", 1, "acme/site", "state.change")])
        first.close()

        second = open_store()
        got = (rows(second.raw("#", 0, 10)), rows(second.raw_text("#", 0, 10)), second.events())
        second.close()

        assert got == (
            [(TEMP, 1, 1.0), (TEMP, 2, 2.0)],
            [("acme/site/recipe", 1, "r")],
            [event("e1", 1, "acme/site", "state.change")],
        )

    def test_a_closed_historian_refuses_work(self, open_store: OpenStore) -> None:
        h = open_store()
        h.close()

        with pytest.raises(HistorianError):
            h.raw(TEMP, 0, 10)

    def test_closing_twice_is_harmless(self, open_store: OpenStore) -> None:
        h = open_store()
        h.close()
        h.close()

    # -- the whole rule, as a property ----------------------------------------------------

    _example = itertools.count()

    @settings(
        max_examples=25,
        deadline=None,
        # One store serves every example (each writes under its own prefix), and every
        # backend's subclass runs this same method: both are intended.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        flushes=st.lists(
            st.lists(
                st.lists(
                    st.tuples(
                        st.integers(0, 2),
                        st.integers(0, 30),
                        st.floats(-1e6, 1e6),
                        st.sampled_from([GOOD, UNCERTAIN, BAD]),
                    ),
                    max_size=10,
                ),
                max_size=3,
            ),
            min_size=1,
            max_size=5,
        )
    )
    def test_any_appends_read_back_as_the_last_write_per_tag_and_time(
        self,
        historian: Historian,
        flushes: list[list[list[tuple[int, int, float, int]]]],
    ) -> None:
        """Batches of random (tag, time, value, status), with duplicates and any order,
        appended and flushed in random groups, read back as a dict of last writes."""
        prefix = f"prop/ex{next(self._example)}"
        model: dict[tuple[str, int], tuple[float, int]] = {}
        for batches in flushes:
            for samples in batches:
                batch = [Sample(f"{prefix}/t{t}", ts, v, status) for t, ts, v, status in samples]
                historian.append(SampleBatch.from_samples(batch))
                model.update({(s.path, s.source_ns): (float(s.value), s.status) for s in batch})
            historian.flush()

        stored = historian.raw(f"{prefix}/#", 0, 100)
        latest = historian.latest(f"{prefix}/#")

        expected = sorted(model.items())
        newest = {path: (ts, value) for (path, ts), value in expected}
        assert [(s.path, s.source_ns, (s.value, s.status)) for s in stored.samples()] == [
            (path, ts, value) for (path, ts), value in expected
        ]
        assert [(s.path, s.source_ns, (s.value, s.status)) for s in latest.samples()] == [
            (path, ts, value) for path, (ts, value) in newest.items()
        ]
