"""Properties: the events do not depend on how samples are cut into batches."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.model.batch import SampleBatch
from shopfloor.model.event import Event
from shopfloor.monitor.alarms import AlarmEngine
from tests.monitor.alarms.support import (
    FAULT,
    PLANNED_STOP,
    RUNNING,
    STATE,
    TEMP,
    S,
    both,
    samples,
    spec,
)

temperatures = st.one_of(st.floats(60, 100), st.sampled_from([78.5, 79.0, 80.0, 80.5, 81.0]))
states = st.sampled_from([RUNNING, RUNNING, PLANNED_STOP, FAULT])
series = st.lists(st.tuples(temperatures, states), min_size=1, max_size=60)


def engine(on_delay: float, off_delay: float, deadband: float) -> AlarmEngine:
    delays = {"on_delay": on_delay, "off_delay": off_delay}
    section = spec(
        limits=[{"tags": TEMP, "h": 80, "l": 65, "deadband": deadband, **delays}],
        discrete=[{"name": "fault", "tags": STATE, "equals": "unplanned_stop", **delays}],
    )
    return AlarmEngine(section, [TEMP, STATE])


def batch(rows: list[tuple[float, float]], first: int) -> SampleBatch:
    """Rows as one batch of both tags; sample i is at ``first + i`` seconds."""
    temps = samples(TEMP, [(first + i, t) for i, (t, _) in enumerate(rows)])
    codes = samples(STATE, [(first + i, s) for i, (_, s) in enumerate(rows)])
    return both(temps, codes)


def seen(events: list[Event]) -> list[tuple[str, int, str, object]]:
    return [(e.id, e.time_ns, e.kind, dict(e.payload)) for e in events]


@settings(max_examples=150, deadline=None)
@given(
    rows=series,
    cuts=st.sets(st.integers(1, 59), max_size=10),
    on_delay=st.sampled_from([0.0, 2.0, 5.0]),
    off_delay=st.sampled_from([0.0, 3.0]),
    deadband=st.sampled_from([0.0, 1.5]),
)
def test_events_are_the_same_whether_samples_come_in_one_batch_or_in_many(
    rows: list[tuple[float, float]],
    cuts: set[int],
    on_delay: float,
    off_delay: float,
    deadband: float,
) -> None:
    end = len(rows) - 1
    whole = engine(on_delay, off_delay, deadband).process(batch(rows, 0), end * S)
    split = engine(on_delay, off_delay, deadband)
    edges = [0, *sorted(c for c in cuts if c < len(rows)), len(rows)]
    parts: list[Event] = []
    for a, b in pairwise(edges):
        parts += split.process(batch(rows[a:b], a), (b - 1) * S)
    assert seen(parts) == seen(whole)


@settings(max_examples=50, deadline=None)
@given(rows=series)
def test_sample_by_sample_gives_the_same_events_as_one_batch(
    rows: list[tuple[float, float]],
) -> None:
    whole = engine(2.0, 3.0, 1.5).process(batch(rows, 0), (len(rows) - 1) * S)
    single = engine(2.0, 3.0, 1.5)
    parts: list[Event] = []
    for i, row in enumerate(rows):
        parts += single.process(batch([row], i), i * S)
    assert seen(parts) == seen(whole)
