"""The live anomaly engine and service on a hand-made stream of one machine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shopfloor.bus import MemoryBus
from shopfloor.model.batch import SampleBatch, concat
from shopfloor.model.event import Event
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.monitor.alarms import AlarmEngine
from shopfloor.monitor.anomaly.live import AnomalyEngine, AnomalyService
from tests.monitor.anomaly.stream import (
    MACHINE,
    OTHER,
    START,
    STOPPED,
    Fault,
    S,
    batches,
    spec,
)

HOUR = 3600
FAULT = Fault(3 * HOUR, 4 * HOUR, extra=6.0)
BIG = Fault(3 * HOUR, 4 * HOUR, extra=30.0)


def run(engine: AnomalyEngine, parts: list[SampleBatch]) -> tuple[list[Event], SampleBatch]:
    """Everything the engine reports for ``parts``: events, and the derived tag's samples."""
    events: list[Event] = []
    flags: list[SampleBatch] = []
    for part in parts:
        found, derived = engine.process(part)
        events += found
        flags += [] if derived is None else [derived]
    return events, concat(flags) if flags else SampleBatch.empty()


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


def seconds(event: Event) -> float:
    return (event.time_ns - START) / S


def test_the_detectors_train_on_the_first_span_of_data_and_say_so() -> None:
    events, flags = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 3 * HOUR))
    [trained] = events
    assert trained.kind == "anomaly.trained"
    assert trained.payload["tags"] == ["current", "speed", "temperature"]
    assert trained.payload["gated_by"] == ["running"]
    assert 2 * HOUR <= seconds(trained) < 2 * HOUR + 300
    assert flags.value.tolist() == [0.0]


def test_state_and_counters_stay_out_unless_named() -> None:
    named = spec(detectors=[{"name": "pca", "tags": ["*", "count"], "exclude": ["temp*"]}])
    events, _ = run(AnomalyEngine(named, [MACHINE]), batches(0, 3 * HOUR))
    assert events[0].payload["tags"] == ["count", "current", "speed"]


def test_a_broken_relationship_starts_one_anomaly_that_names_the_signal_and_ends() -> None:
    events, _ = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, fault=FAULT))
    assert kinds(events) == [
        "anomaly.trained",
        "anomaly.start",
        "anomaly.update",
        "anomaly.update",
        "anomaly.end",
    ]
    start, end = events[1], events[-1]
    assert 3 * HOUR < seconds(start) <= 3 * HOUR + 300  # half of a five-minute window
    assert 4 * HOUR + 590 <= seconds(end) < 4 * HOUR + 700  # ten quiet minutes end it
    assert start.payload["tags"][0]["tag"] == "current"
    assert start.payload["score"] >= start.payload["threshold"]
    assert start.payload["alarm"] is False
    assert end.payload["duration_s"] == pytest.approx(seconds(end) - seconds(start))


def test_updates_come_at_the_configured_interval_not_per_row() -> None:
    events, _ = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, fault=FAULT))
    times = [seconds(e) for e in events if e.kind in ("anomaly.start", "anomaly.update")]
    assert np.diff(times).tolist() == [1800.0, 1800.0]


def test_cutting_the_stream_differently_gives_the_same_anomaly() -> None:
    coarse, _ = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, 900, fault=FAULT))
    fine, _ = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, 60, fault=FAULT))
    assert [(e.kind, e.time_ns) for e in coarse] != []
    assert [(e.kind, e.time_ns) for e in coarse[1:]] == [(e.kind, e.time_ns) for e in fine[1:]]


def test_the_derived_tag_reaches_alarm_level_only_past_the_severity() -> None:
    _, mild = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, fault=FAULT))
    _, severe = run(AnomalyEngine(spec(), [MACHINE]), batches(0, 6 * HOUR, fault=BIG))
    assert mild.value.tolist() == [0.0, 1.0, 0.0]
    assert severe.value.tolist() == [0.0, 2.0, 0.0]
    assert severe.paths == (f"{MACHINE}/anomaly",)


def test_rows_outside_the_gating_states_are_neither_learnt_nor_scored() -> None:
    stopped = batches(3 * HOUR, 4 * HOUR, fault=BIG, state=STOPPED)
    parts = batches(0, 3 * HOUR) + stopped + batches(4 * HOUR, 5 * HOUR)
    events, _ = run(AnomalyEngine(spec(), [MACHINE]), parts)
    assert kinds(events) == ["anomaly.trained"]


def test_each_machine_is_watched_on_its_own_and_a_disabled_one_not_at_all() -> None:
    section = spec().model_copy(
        update={
            "machines": spec()
            .model_validate({"machines": [{"select": OTHER, "enabled": False}]})
            .machines
        }
    )
    engine = AnomalyEngine(section, [MACHINE, OTHER, "acme/plant/line1/press3"])
    parts = [
        concat([a, b, c])
        for a, b, c in zip(
            batches(0, 6 * HOUR, fault=BIG),
            batches(0, 6 * HOUR, machine=OTHER, fault=BIG, seed=1),
            batches(0, 6 * HOUR, machine="acme/plant/line1/press3", seed=2),
            strict=True,
        )
    ]
    events, _ = run(engine, parts)
    assert sorted({(e.asset, e.kind) for e in events}) == [
        (MACHINE, "anomaly.end"),
        (MACHINE, "anomaly.start"),
        (MACHINE, "anomaly.trained"),
        (MACHINE, "anomaly.update"),
        ("acme/plant/line1/press3", "anomaly.trained"),
    ]


def test_a_sustained_anomaly_raises_and_clears_an_isa_alarm_on_the_derived_tag() -> None:
    section = spec()
    alarms = AlarmEngine(AlarmsSpec(discrete=section.alarm_entries([MACHINE])))
    _, flags = run(AnomalyEngine(section, [MACHINE]), batches(0, 6 * HOUR, fault=BIG))
    transitions = alarms.process(flags, int(flags.source_ns[-1]))
    assert [(e.kind, e.payload["level"]) for e in transitions] == [
        ("alarm.active", "anomaly"),
        ("alarm.cleared", "anomaly"),
    ]
    assert transitions[0].payload["priority"] == "low"


def test_a_restored_engine_continues_exactly_where_the_saved_one_stopped() -> None:
    parts = batches(0, 6 * HOUR, fault=FAULT)
    first = AnomalyEngine(spec(), [MACHINE])
    run(first, parts[:38])  # trained, and inside the anomaly
    saved = json.loads(json.dumps(first.save_state()))
    second = AnomalyEngine(spec(), [MACHINE])
    assert second.restore_state(saved) == []
    went_on, flags_on = run(first, parts[38:])
    restored, flags_restored = run(second, parts[38:])
    assert kinds(went_on) == ["anomaly.update", "anomaly.update", "anomaly.end"]
    assert [(e.kind, e.time_ns, e.payload) for e in restored] == [
        (e.kind, e.time_ns, e.payload) for e in went_on
    ]
    assert flags_restored.value.tolist() == flags_on.value.tolist()


def test_changed_settings_make_a_machine_learn_afresh_after_a_restart() -> None:
    first = AnomalyEngine(spec(), [MACHINE])
    run(first, batches(0, 3 * HOUR))
    second = AnomalyEngine(spec(alarms_per_day=2), [MACHINE])
    assert second.restore_state(first.save_state()) == [MACHINE]
    assert second.status()[0]["trained"] is False


async def test_the_service_publishes_on_the_bus_and_keeps_its_state_across_restarts(
    tmp_path: Path,
) -> None:
    bus = MemoryBus()
    seen = bus.subscribe([MACHINE, f"{MACHINE}/anomaly"])
    state = tmp_path / "anomaly-state.json"
    parts = batches(0, 6 * HOUR, fault=FAULT)
    async with AnomalyService(AnomalyEngine(spec(), [MACHINE]), bus, state_file=state):
        for part in parts[:40]:
            await bus.publish(part)
    restarted = AnomalyService(AnomalyEngine(spec(), [MACHINE]), bus, state_file=state)
    async with restarted:
        assert restarted.engine.status()[0]["level"] == 1
        for part in parts[40:]:
            await bus.publish(part)
    published: list[str] = []
    while (message := seen.get_nowait()) is not None:
        published += [e.kind for e in message] if isinstance(message, tuple) else ["flag"]
    assert published == [
        *("flag", "anomaly.trained"),
        *("flag", "anomaly.start", "anomaly.update", "anomaly.update"),
        *("flag", "anomaly.end"),
    ]
    assert json.loads(state.read_text())["version"] == 1
