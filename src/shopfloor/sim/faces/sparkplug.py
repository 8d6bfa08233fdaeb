"""The twin as Sparkplug B 3.0 edge nodes publishing to an MQTT broker.

:class:`SparkplugEdgeFace` makes the twin's line look like a plant's edge layer: one edge
node per line (or one per cell, where the line has cells), one device per machine, one
metric per tag. Each edge node keeps its own MQTT session, as Sparkplug requires:

* it connects with a last will, an NDEATH carrying its ``bdSeq`` (which counts connections,
  0 to 255), then publishes its NBIRTH (``seq`` 0, ``bdSeq``, ``Node Control/Rebirth``) and
  a DBIRTH per machine: every metric with name, alias, datatype and its latest value;
* each chunk of the twin becomes DDATA, metrics by alias only, each with its sample's
  timestamp (ms), several samples of a metric per message when the chunk holds them, at
  most ``max_metrics`` metrics per message; every message increments ``seq`` (mod 256);
* an NCMD ``Node Control/Rebirth`` = true, or a newer ``online`` STATE of its primary host,
  makes it publish its births again;
* a lost connection is retried with backoff, then births again (data meanwhile is lost, as
  from a real edge node without store-and-forward);
* :meth:`~SparkplugEdgeFace.stop` publishes a DDEATH per machine and the NDEATH, then
  disconnects.

Datatypes: ``*_count`` tags are UInt64, ``state`` Int32, other numbers Double (tags declared
``int`` Int64, ``bool`` Boolean), text tags String. Group id: the twin line's site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from dataclasses import dataclass, field

from shopfloor.connect.base import Backoff
from shopfloor.connect.mqtt_common import (
    BrokerAddress,
    Message,
    MqttClient,
    Will,
    client_id,
    segment,
)
from shopfloor.connect.sparkplug.codec import (
    BD_SEQ,
    REBIRTH,
    DataType,
    OutMetric,
    PayloadError,
    decode,
    encode,
)
from shopfloor.connect.sparkplug.mapping import NAMESPACE, parse_state, state_topic
from shopfloor.model.assets import Asset, AssetLevel
from shopfloor.model.assets import DataType as TagType
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.connector_spec import BackoffSpec, TlsSpec
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_mqtt import SparkplugConnectorSpec, SparkplugMappingSpec
from shopfloor.sim.twin import Twin, TwinOutput

log = logging.getLogger("shopfloor.sim.faces.sparkplug")
_MS = 1_000_000


@dataclass(frozen=True)
class FaceMetric:
    """A machine tag as a Sparkplug metric of its edge node."""

    path: str
    name: str
    alias: int
    datatype: DataType


@dataclass
class _Device:
    name: str
    metrics: list[FaceMetric]
    last: dict[int, tuple[int, float | str]] = field(default_factory=dict)  # alias -> (ms, v)


def _datatype(name: str, kind: TagType) -> DataType:
    if kind is TagType.TEXT:
        return DataType.STRING
    if kind is TagType.BOOL:
        return DataType.BOOLEAN
    if name.endswith("_count"):
        return DataType.UINT64
    if name == "state":
        return DataType.INT32
    return DataType.INT64 if kind is TagType.INT else DataType.DOUBLE


def _value(metric: FaceMetric, value: float | str) -> float | int | bool | str | None:
    if isinstance(value, float) and math.isnan(value):
        return None  # no value yet: a birth declares the metric as null
    if metric.datatype is DataType.STRING:
        return str(value)
    if isinstance(value, str):
        return None
    if metric.datatype is DataType.DOUBLE:
        return float(value)
    if metric.datatype is DataType.BOOLEAN:
        return bool(value)
    return round(value)


class _EdgeNode:
    """One edge node: its MQTT session, bdSeq and seq, its devices."""

    def __init__(self, face: SparkplugEdgeFace, node_id: str, asset: str) -> None:
        self.face = face
        self.id = node_id
        self.asset = asset
        self.devices: dict[str, _Device] = {}
        self.bd_seq = -1
        self.seq = 0
        self.client: MqttClient | None = None
        self.lock = asyncio.Lock()
        self.host_online_ms = -1
        self.dropped = 0
        self.births = 0
        self.task: asyncio.Task[None] | None = None
        self.up = asyncio.Event()

    def topic(self, kind: str, device: str = "") -> str:
        tail = f"/{device}" if device else ""
        return f"{NAMESPACE}/{self.face.group_id}/{kind}/{self.id}{tail}"

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    # -- the session ---------------------------------------------------------------------
    async def connect(self) -> None:
        """A new MQTT session: next bdSeq, the will, subscriptions, births."""
        self.bd_seq = (self.bd_seq + 1) % 256
        death = encode([OutMetric(BD_SEQ, None, DataType.INT64, self.bd_seq)], timestamp_ms=0)
        face = self.face
        client = MqttClient(
            face.address,
            client_id=client_id(f"edge-{self.id}"),
            username=face.username,
            password=face.password,
            tls=face.tls,
            will=Will(self.topic("NDEATH"), death, qos=1),
        )
        await client.connect()
        try:
            commands = [self.topic("NCMD"), self.topic("DCMD", "+"), state_topic(face.host_id)]
            await client.subscribe([(topic, 1) for topic in commands])
            await self.birth(client)
        except BaseException:
            self.client = None
            await client.disconnect()
            raise
        self.up.set()

    async def run(self, backoff: Backoff) -> None:
        """Serve commands; reconnect with backoff whenever the link drops."""
        while True:
            client = self.client
            if client is not None:
                try:
                    while True:
                        for message in await client.receive():
                            await self._command(message)
                except Exception as exc:  # the link failed: reconnect below
                    log.warning("edge node %s lost its broker: %s", self.id, exc)
                self.client = None
                self.up.clear()
            await asyncio.sleep(backoff.next())
            try:
                await self.connect()
                backoff.reset()
            except Exception as exc:  # broker still away: try again later
                log.info("edge node %s cannot reconnect yet: %s", self.id, exc)

    async def _command(self, message: Message) -> None:
        if message.topic == state_topic(self.face.host_id):
            state = parse_state(message.payload)
            if state is not None and state[0] and state[1] > self.host_online_ms:
                self.host_online_ms = state[1]
                if not message.retain:  # the primary host (re)connected: give it our births
                    await self.birth()
            return
        with contextlib.suppress(PayloadError):
            payload = decode(message.payload)
            if message.topic == self.topic("NCMD") and payload.value(REBIRTH) == 1.0:
                await self.birth()

    # -- births, data, deaths ------------------------------------------------------------
    async def birth(self, new_client: MqttClient | None = None) -> None:
        """NBIRTH (seq 0) and a DBIRTH per device, under the node's lock (so that no data
        slips in between); ``new_client`` becomes the node's link first."""
        now = self.face.now_ms()
        async with self.lock:
            if new_client is not None:
                self.client = new_client
            client = self.client
            if client is None:
                return
            self.seq = 0
            node_metrics = [
                OutMetric(BD_SEQ, None, DataType.INT64, self.bd_seq, now),
                OutMetric(REBIRTH, None, DataType.BOOLEAN, False, now),
            ]
            await client.publish(
                self.topic("NBIRTH"), encode(node_metrics, seq=0, timestamp_ms=now)
            )
            for device in self.devices.values():
                payload = encode(
                    _birth_metrics(device, now), seq=self._next_seq(), timestamp_ms=now
                )
                await client.publish(self.topic("DBIRTH", device.name), payload)
            self.births += 1

    async def data(self, device: _Device, rows: list[tuple[int, FaceMetric, float | str]]) -> None:
        """DDATA messages for ``rows`` (time ms, metric, value), in time order."""
        rows.sort(key=lambda r: r[0])
        for ms, metric, value in rows:
            device.last[metric.alias] = (ms, value)
        async with self.lock:
            if self.client is None:
                self.dropped += len(rows)
                return
            step = self.face.max_metrics
            for i in range(0, len(rows), step):
                chunk = rows[i : i + step]
                metrics = [
                    OutMetric(None, m.alias, m.datatype, _value(m, v), ms) for ms, m, v in chunk
                ]
                payload = encode(
                    metrics, seq=self._next_seq(), timestamp_ms=chunk[-1][0], with_datatype=False
                )
                await self.client.publish(self.topic("DDATA", device.name), payload)

    async def death(self) -> None:
        """A clean goodbye: DDEATH per device, NDEATH, DISCONNECT."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        client, self.client = self.client, None
        if client is None or not client.connected:
            return
        now = self.face.now_ms()
        with contextlib.suppress(Exception):
            for device in self.devices.values():
                death = encode([], seq=self._next_seq(), timestamp_ms=now)
                await client.publish(self.topic("DDEATH", device.name), death)
            node = encode([OutMetric(BD_SEQ, None, DataType.INT64, self.bd_seq)], timestamp_ms=now)
            await client.publish(self.topic("NDEATH"), node, qos=1)
        await client.disconnect()


def _birth_metrics(device: _Device, now: int) -> list[OutMetric]:
    out = []
    for m in device.metrics:
        ms, value = device.last.get(m.alias, (now, math.nan))
        out.append(OutMetric(m.name, m.alias, m.datatype, _value(m, value), ms))
    return out


class SparkplugEdgeFace:
    """The twin's line as Sparkplug B edge nodes (see the module docstring).

    ``group_id`` defaults to the line's site; tests give each run its own.
    """

    def __init__(
        self,
        twin: Twin,
        *,
        broker: str = "mqtt://127.0.0.1:1883",
        group_id: str | None = None,
        host_id: str = "shopfloor",
        max_metrics: int = 500,
        username: str | None = None,
        password: SecretRef | None = None,
        tls: TlsSpec | None = None,
        backoff: BackoffSpec | None = None,
    ) -> None:
        self.twin = twin
        self.broker = broker
        self.address = BrokerAddress.parse(broker)
        self.host_id = host_id
        self.max_metrics = max_metrics
        self.username, self.password, self.tls = username, password, tls
        self.backoff = backoff or BackoffSpec(initial=0.2, max=2.0)
        line = twin.tree.asset(twin.line_path)
        self.group_id = group_id or segment(_site_of(twin, line).name)
        self.nodes = _edge_nodes(self, line)
        self._route = {
            m.path: (n, d, m) for n in self.nodes for d in n.devices.values() for m in d.metrics
        }

    def now_ms(self) -> int:
        """The twin's present, in ms: births and deaths are stamped in the twin's time."""
        return self.twin.now_ns // _MS

    async def start(self) -> None:
        """Connect every edge node and publish its births; raises if the broker is away."""
        for node in self.nodes:
            await node.connect()
            node.task = asyncio.create_task(
                node.run(Backoff(self.backoff, random.Random())), name=f"edge node {node.id}"
            )

    async def publish(self, out: TwinOutput) -> None:
        """The chunk's samples as DDATA (events do not travel over Sparkplug)."""
        rows: dict[tuple[int, str], list[tuple[int, FaceMetric, float | str]]] = {}
        for batch in (out.samples, out.texts):
            self._collect(batch, rows)
        for node in self.nodes:
            for device in node.devices.values():
                chunk = rows.get((id(node), device.name))
                if chunk:
                    await node.data(device, chunk)

    def _collect(
        self,
        batch: SampleBatch | TextBatch,
        rows: dict[tuple[int, str], list[tuple[int, FaceMetric, float | str]]],
    ) -> None:
        routes = [self._route.get(p) for p in batch.paths]
        stamps = (batch.source_ns // _MS).tolist()
        for tag, ms, value in zip(batch.tag.tolist(), stamps, batch.value.tolist(), strict=True):
            route = routes[tag]
            if route is not None:
                node, device, metric = route
                rows.setdefault((id(node), device.name), []).append((ms, metric, value))

    async def stop(self) -> None:
        """Deaths for every device and edge node, then disconnect."""
        for node in self.nodes:
            await node.death()

    @property
    def dropped(self) -> int:
        """Samples lost while an edge node had no broker connection."""
        return sum(n.dropped for n in self.nodes)

    async def wait_connected(self, timeout: float) -> None:
        """Wait until every edge node is connected (after a broker restart, in tests)."""
        await asyncio.wait_for(asyncio.gather(*(n.up.wait() for n in self.nodes)), timeout)

    def connector_spec(self, name: str) -> SparkplugConnectorSpec:
        """A primary host for these edge nodes, each node mapped to its line or cell."""
        return SparkplugConnectorSpec(
            name=name,
            type="sparkplug",
            broker=self.broker,
            username=self.username,
            password=self.password,
            tls=self.tls,
            host_id=self.host_id,
            groups=[self.group_id],
            mapping=SparkplugMappingSpec(
                prefix=self.twin.tree.root.name,
                nodes={f"{self.group_id}/{n.id}": n.asset for n in self.nodes},
            ),
        )


def _site_of(twin: Twin, asset: Asset) -> Asset:
    found: Asset | None = asset
    while found is not None and found.level > AssetLevel.SITE:
        parent = twin.tree.parent(found)
        if parent is None or parent.level is AssetLevel.ENTERPRISE:
            return found
        found = parent
    return found or asset


def _edge_nodes(face: SparkplugEdgeFace, line: Asset) -> list[_EdgeNode]:
    """An edge node for the line, or one per cell when machines sit in cells."""
    machines = {m.name for m in face.twin.machines}
    by_node: dict[str, _EdgeNode] = {}
    alias: dict[str, int] = {}
    for asset in line.walk():
        if asset.level is not AssetLevel.MACHINE or asset.name not in machines:
            continue
        parent = face.twin.tree.parent(asset) or line
        owner = parent if parent.level is AssetLevel.CELL else line
        node = by_node.setdefault(owner.name, _EdgeNode(face, segment(owner.name), owner.path))
        metrics = []
        for tag in asset.tags:
            alias[owner.name] = alias.get(owner.name, 0) + 1
            datatype = _datatype(tag.name, tag.data_type)
            metrics.append(FaceMetric(tag.path, tag.name, alias[owner.name], datatype))
        node.devices[asset.name] = _Device(asset.name, metrics)
    return list(by_node.values())
