"""Sparkplug topics and identities, and where they land in the asset model.

A Sparkplug topic is ``spBv1.0/<group>/<type>/<edge node>[/<device>]``; the primary host's
own state lives at ``spBv1.0/STATE/<host id>``. :class:`AssetMapping` turns group, edge
node, device and metric name into unified-namespace paths. By default

    ``<prefix>/<group>/<edge node>/<device>/<metric name>``

(group id = site, edge node = line or cell, device = machine, metric = tag), where
``prefix`` is the enterprise and anything above the site. ``nodes`` and ``devices`` in the
plant file put an edge node or a device at an explicit asset path instead (for plants with
areas between site and line, or ids that differ from asset names).

Metric names may hold folders (``Motor/Speed``): each folder becomes a path segment.
Characters a path segment cannot hold (anything but letters, digits, ``_ . -``) become ``_``.

>>> m = AssetMapping(SparkplugMappingSpec(prefix="acme", nodes={"line1": "acme/s1/body/line1"}))
>>> m.metric_path(m.device_path("s1", "line1", "press 3"), "Motor/Speed")
'acme/s1/body/line1/press_3/Motor/Speed'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from shopfloor.connect.mqtt_common import segment
from shopfloor.model.namespace import join
from shopfloor.model.spec_mqtt import SparkplugMappingSpec

NAMESPACE = "spBv1.0"


class MessageType(StrEnum):
    """The Sparkplug B message types (the third topic level)."""

    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    NDATA = "NDATA"
    DDATA = "DDATA"
    NCMD = "NCMD"
    DCMD = "DCMD"
    STATE = "STATE"


_TYPES = {t.value: t for t in MessageType}
_DEVICE_TYPES = {MessageType.DBIRTH, MessageType.DDEATH, MessageType.DDATA, MessageType.DCMD}


@dataclass(frozen=True)
class Topic:
    """A parsed Sparkplug topic; ``device`` is empty for node messages."""

    group: str
    type: MessageType
    node: str
    device: str = ""

    def __str__(self) -> str:
        tail = f"/{self.device}" if self.device else ""
        return f"{NAMESPACE}/{self.group}/{self.type}/{self.node}{tail}"


def parse_topic(topic: str) -> Topic | None:
    """The parts of a Sparkplug topic, or None when it is not one (or is a STATE topic)."""
    found = _PARSED.get(topic, _UNSEEN)
    if found is _UNSEEN:
        if len(_PARSED) >= 100_000:
            _PARSED.clear()
        found = _PARSED[topic] = _parse(topic)
    return found if isinstance(found, Topic) else None


_UNSEEN = object()
_PARSED: dict[str, object] = {}  # edge nodes use few topics, over and over


def _parse(topic: str) -> Topic | None:
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE:
        return None
    kind = _TYPES.get(parts[2])
    if kind is None or kind is MessageType.STATE or not all(parts):
        return None
    if (len(parts) == 5) != (kind in _DEVICE_TYPES):
        return None
    return Topic(parts[1], kind, parts[3], parts[4] if len(parts) == 5 else "")


def state_topic(host_id: str) -> str:
    """Where the primary host publishes whether it is online (Sparkplug 3.0)."""
    return f"{NAMESPACE}/STATE/{host_id}"


def state_payload(online: bool, timestamp_ms: int) -> bytes:
    """The STATE message: ``{"online": ..., "timestamp": ...}`` as UTF-8 JSON."""
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()


def parse_state(payload: bytes) -> tuple[bool, int] | None:
    """``(online, timestamp_ms)`` of a STATE payload, or None when it is not one."""
    try:
        data = json.loads(payload)
        online, stamp = data["online"], data["timestamp"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(online, bool) or not isinstance(stamp, int):
        return None
    return online, stamp


class AssetMapping:
    """Sparkplug identities to asset paths, after a :class:`SparkplugMappingSpec`."""

    def __init__(self, spec: SparkplugMappingSpec) -> None:
        self.spec = spec
        self._metric_cache: dict[tuple[str, str], str] = {}

    def node_path(self, group: str, node: str) -> str:
        """The asset of an edge node: ``nodes[group/node]``, ``nodes[node]`` or the default."""
        nodes = self.spec.nodes
        explicit = nodes.get(f"{group}/{node}") or nodes.get(node)
        return explicit or join(self.spec.prefix, segment(group), segment(node))

    def device_path(self, group: str, node: str, device: str) -> str:
        """The asset of a device: ``devices[group/node/device]``, ``devices[node/device]``,
        or the device id under its edge node's asset."""
        devices = self.spec.devices
        explicit = devices.get(f"{group}/{node}/{device}") or devices.get(f"{node}/{device}")
        return explicit or join(self.node_path(group, node), segment(device))

    def metric_path(self, asset: str, name: str) -> str:
        """A metric's tag path: its folders become segments under ``asset``."""
        key = (asset, name)
        path = self._metric_cache.get(key)
        if path is None:
            parts = [segment(p) for p in name.split("/") if p]
            path = join(asset, *parts) if parts else join(asset, "_")
            self._metric_cache[key] = path
        return path
