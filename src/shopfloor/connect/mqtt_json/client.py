"""Plain JSON over MQTT, for devices that do not speak Sparkplug.

Each ``topics:`` entry of an ``mqtt_json`` connector is an MQTT topic filter and the asset
its messages belong to. Without ``fields`` the payload is the default one::

    {"timestamp": "2026-03-01T08:00:00.250Z", "values": {"temp": 21.5, "state": "run"}}

where every key of ``values`` is a tag of the asset. With ``fields``, each field selector
(a dotted path into the document, list items by number: ``data.temp``,
``readings.0.value``) gives one tag. Numbers and booleans (as 0 and 1) become numeric
samples, strings text samples, ``null`` a numeric sample of bad quality. The timestamp is
ISO 8601 text (UTC when it names no zone) or an epoch number in ``timestamp_unit``; with
``timestamp: null`` in the plant file, the receive time.

A message that is not JSON, has no timestamp where one is configured, lacks a selected
field or the ``values`` object, or holds no usable value is rejected with the reason (dead
letters); the connector carries on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Unpack

import numpy as np

from shopfloor.bus.base import Bus
from shopfloor.connect.base import DriverOptions, SpecConnector
from shopfloor.connect.mqtt_common import Message, MqttClient, client_id, segment
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.namespace import join
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_mqtt import JsonTopicSpec, MqttJsonConnectorSpec

_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_MAX_NS = 2**63 - 1
_MISSING = object()


class RejectedError(ValueError):
    """A JSON message that cannot be used; the message says why."""


def topic_matches(topic_filter: str, topic: str) -> list[str] | None:
    """The segments that ``+`` wildcards matched, or None when ``topic`` does not match.

    >>> topic_matches("plant/+/telemetry/#", "plant/press1/telemetry/a/b")
    ['press1']
    """
    want, have = topic_filter.split("/"), topic.split("/")
    captured: list[str] = []
    for i, part in enumerate(want):
        if part == "#":
            return captured
        if i >= len(have):
            return None
        if part == "+":
            captured.append(have[i])
        elif part != have[i]:
            return None
    return captured if len(have) == len(want) else None


def select(document: Any, selector: str) -> Any:
    """The value at a dotted ``selector`` (list items by number), or ``_MISSING``."""
    node = document
    for key in selector.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


def parse_time(value: Any, unit: str) -> int:
    """A timestamp in ns from ISO 8601 text or an epoch number in ``unit``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RejectedError(f"timestamp {value!r} is neither ISO 8601 text nor a number")
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise RejectedError(f"timestamp {value!r} is not ISO 8601") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        delta = stamp - datetime(1970, 1, 1, tzinfo=UTC)
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    else:
        if value != value or abs(value) > 1e30:
            raise RejectedError(f"timestamp {value!r} is out of range")
        # Whole units and the fraction apart: epoch seconds as float keep their ms exact.
        whole = int(value)
        ns = whole * _UNIT_NS[unit] + round((value - whole) * _UNIT_NS[unit])
    if not 0 <= ns <= _MAX_NS:
        raise RejectedError(f"timestamp {value!r} is out of range")
    return ns


class _Samples:
    """Rows gathered over the messages of one receive, published as one batch per kind."""

    def __init__(self) -> None:
        self.numeric: list[tuple[str, int, float, int]] = []
        self.text: list[tuple[str, int, str]] = []

    def add(self, path: str, ns: int, value: Any, what: str) -> None:
        if value is None:
            self.numeric.append((path, ns, float("nan"), StatusCode.BAD))
        elif isinstance(value, bool | int | float):
            self.numeric.append((path, ns, float(value), StatusCode.GOOD))
        elif isinstance(value, str):
            self.text.append((path, ns, value))
        else:
            raise RejectedError(f"{what} is not a number, string, boolean or null")

    def batches(self, receive_ns: int) -> list[SampleBatch | TextBatch]:
        out: list[SampleBatch | TextBatch] = []
        if self.numeric:
            paths, tag = _dictionary([r[0] for r in self.numeric])
            out.append(
                SampleBatch(
                    paths,
                    tag,
                    np.array([r[1] for r in self.numeric], np.int64),
                    np.full(len(tag), receive_ns, np.int64),
                    np.array([r[3] for r in self.numeric], np.uint32),
                    np.array([r[2] for r in self.numeric], np.float64),
                )
            )
        if self.text:
            paths, tag = _dictionary([r[0] for r in self.text])
            texts = np.empty(len(tag), dtype=object)
            texts[:] = [r[2] for r in self.text]
            stamps = np.array([r[1] for r in self.text], np.int64)
            received = np.full(len(tag), receive_ns, np.int64)
            status = np.zeros(len(tag), np.uint32)
            out.append(TextBatch(paths, tag, stamps, received, status, texts))
        self.numeric, self.text = [], []
        return out


def _dictionary(paths: list[str]) -> tuple[tuple[str, ...], np.ndarray[Any, Any]]:
    index: dict[str, int] = {}
    tag = np.fromiter((index.setdefault(p, len(index)) for p in paths), np.int32, len(paths))
    return tuple(index), tag


class MqttJsonConnector(SpecConnector[MqttJsonConnectorSpec]):
    """Tag values from JSON messages on MQTT topics (see the module docstring)."""

    type = "mqtt_json"

    def __init__(
        self, spec: MqttJsonConnectorSpec, bus: Bus, **options: Unpack[DriverOptions]
    ) -> None:
        super().__init__(spec, bus, **options)
        MqttClient.from_spec(spec, default_id="check")  # fail fast on a bad broker or TLS

    async def session(self) -> None:
        client = MqttClient.from_spec(self.spec, default_id=client_id(f"shopfloor-{self.name}"))
        await client.connect()
        try:
            await client.subscribe([(t.topic, self.spec.qos) for t in self.spec.topics])
            self.connected()
            while True:
                await self._handle(await client.receive())
        finally:
            await client.disconnect()

    async def _handle(self, messages: list[Message]) -> None:
        now = self.clock.now_ns()
        samples, used = _Samples(), 0
        for message in messages:
            try:
                self._read(message, now, samples)
                used += 1
            except RejectedError as exc:
                await self.reject(str(exc), message.topic, message.payload)
        for batch in samples.batches(now):
            await self.publish(batch, messages=used)
            used = 0
        self.counters.messages += used

    def _read(self, message: Message, now: int, samples: _Samples) -> None:
        for entry in self.spec.topics:
            captured = topic_matches(entry.topic, message.topic)
            if captured is not None:
                _read_entry(entry, captured, message.payload, now, samples)
                return
        raise RejectedError("no topics: entry matches this topic")


def _read_entry(
    entry: JsonTopicSpec, captured: list[str], payload: bytes, now: int, samples: _Samples
) -> None:
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise RejectedError(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RejectedError("the JSON document is not an object")
    asset = _asset(entry.asset, captured)
    ns = now
    if entry.timestamp is not None:
        stamp = select(document, entry.timestamp)
        if stamp is _MISSING:
            raise RejectedError(f"no timestamp field {entry.timestamp!r}")
        ns = parse_time(stamp, entry.timestamp_unit)
    numeric, text = len(samples.numeric), len(samples.text)
    try:
        _values(entry, document, asset, ns, samples)
    except RejectedError:
        del samples.numeric[numeric:], samples.text[text:]  # all of a message or none of it
        raise


def _values(
    entry: JsonTopicSpec, document: dict[str, Any], asset: str, ns: int, samples: _Samples
) -> None:
    if entry.fields:
        for spec in entry.fields:
            value = select(document, spec.field)
            if value is _MISSING:
                raise RejectedError(f"no field {spec.field!r}")
            samples.add(join(asset, spec.tag), ns, value, f"field {spec.field!r}")
        return
    values = document.get("values")
    if not isinstance(values, dict) or not values:
        raise RejectedError("no 'values' object with tag values")
    for tag, value in values.items():
        samples.add(join(asset, segment(str(tag))), ns, value, f"value of {tag!r}")


def _asset(template: str, captured: list[str]) -> str:
    for i, part in enumerate(captured, start=1):
        template = template.replace(f"{{{i}}}", segment(part))
    return template
