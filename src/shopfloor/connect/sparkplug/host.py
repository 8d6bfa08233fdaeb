"""The Sparkplug B 3.0 primary host application: edge nodes in, samples on the bus.

:class:`SparkplugHost` connects to the broker with a will that says it is offline, follows
``spBv1.0/<group>/#`` for its groups, and publishes ``spBv1.0/STATE/<host_id>`` as retained
JSON, ``{"online": true, "timestamp": <ms>}``, the same timestamp as the will's. Then, for
every edge node:

* **Births.** NBIRTH opens the node's session (its ``bdSeq``, ``seq`` 0 and its metrics),
  DBIRTH a device's; their values are samples like any other. Names, aliases and
  datatypes come from births only; data messages name metrics by alias.
* **Data.** NDATA and DDATA become samples under the mapped paths (see
  :mod:`~shopfloor.connect.sparkplug.mapping`), timestamped by each metric's timestamp, else
  the payload's, else the receive time. Many messages go to the bus as one batch.
* **Sequence.** ``seq`` must count up by one (mod 256) across all the node's messages. A gap,
  an unknown alias, or data from a node or device without a birth makes the host ask for a
  rebirth (NCMD ``Node Control/Rebirth`` = true), at most once per ``rebirth_interval``
  per node; data that can be read is kept.
* **Death.** An NDEATH whose ``bdSeq`` matches the session's, or a DDEATH, marks every tag of
  the node (and its devices) or of the device bad, ``BadNoCommunication``, at the time of the
  death: the NDEATH's receive time (its timestamp is the will's, set at connect), the
  DDEATH's own timestamp. An NDEATH with another ``bdSeq`` is a stale will and is ignored.
* **Bad messages** (not protobuf, not a Sparkplug topic, no session to read them by) are
  counted and kept as dead letters with the reason; the host never stops for one.

When the broker connection is lost, the connector base marks every tag bad and reconnects;
births come again after the host asks for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np

from shopfloor.bus.base import Bus
from shopfloor.connect.base import DriverOptions, SpecConnector
from shopfloor.connect.mqtt_common import Message, MqttClient, Will, client_id
from shopfloor.connect.sparkplug import wire
from shopfloor.connect.sparkplug.codec import BD_SEQ, Payload, PayloadError, decode, rebirth_request
from shopfloor.connect.sparkplug.mapping import (
    NAMESPACE,
    AssetMapping,
    MessageType,
    Topic,
    parse_state,
    parse_topic,
    state_payload,
    state_topic,
)
from shopfloor.connect.sparkplug.sessions import DeviceSession, HostStats, NodeSession
from shopfloor.connect.sparkplug.tables import MAX_MS, MetricTable, PathDictionary, Plan, Rows
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.quality import StatusCode
from shopfloor.model.spec_mqtt import SparkplugConnectorSpec

DEATH_STATUS = StatusCode.BAD_NO_COMMUNICATION
"""The status of the samples that mark an edge node's or device's tags at its death."""
_FLUSH_ROWS = 65_536  # samples gathered before a batch goes to the bus mid-receive
_MS = 1_000_000


class _RejectedError(Exception):
    """A message that cannot be used; the reason goes to the dead letters."""


@dataclass(frozen=True)
class _Data:
    """A data message of a live session, with the layout and plan of its payload's shape."""

    message: Message
    topic: Topic
    node: NodeSession
    table: MetricTable
    layout: wire.Layout
    plan: Plan


class SparkplugHost(SpecConnector[SparkplugConnectorSpec]):
    """A Sparkplug B primary host application as a shopfloor connector."""

    type = "sparkplug"

    def __init__(
        self, spec: SparkplugConnectorSpec, bus: Bus, **options: Unpack[DriverOptions]
    ) -> None:
        super().__init__(spec, bus, **options)
        self.mapping = AssetMapping(spec.mapping)
        self.stats = HostStats()
        self.nodes: dict[tuple[str, str], NodeSession] = {}
        # One dictionary per kind for the host's life: batches share it, births extend it.
        self.numeric = PathDictionary()
        self.text = PathDictionary()
        self._rows = Rows()
        self._used = 0
        self._client: MqttClient | None = None
        self._rebirth_at: dict[tuple[str, str], int] = {}
        self._online_ms = 0
        self._handlers = {
            MessageType.NBIRTH: self._node_birth,
            MessageType.DBIRTH: self._device_birth,
            MessageType.NDATA: self._data,
            MessageType.DDATA: self._data,
            MessageType.NDEATH: self._node_death,
            MessageType.DDEATH: self._device_death,
        }
        MqttClient.from_spec(spec, default_id="check")  # fail fast on a bad broker or TLS

    # -- connection ----------------------------------------------------------------------
    async def session(self) -> None:
        self._online_ms = self.clock.now_ns() // _MS
        will = Will(state_topic(self.spec.host_id), state_payload(False, self._online_ms), 1, True)
        client = MqttClient.from_spec(
            self.spec, default_id=client_id(f"shopfloor-{self.spec.host_id}"), will=will
        )
        await client.connect()
        self._client, self.nodes = client, {}
        try:
            await client.subscribe(self._filters())
            await self._announce(client)
            self.connected()
            while True:
                await self._handle(await client.receive())
        except asyncio.CancelledError:
            await asyncio.shield(self._goodbye(client))
            raise
        finally:
            self._client = None
            await client.disconnect()

    def _filters(self) -> list[tuple[str, int]]:
        own = (state_topic(self.spec.host_id), 1)
        return [own, *((f"{NAMESPACE}/{g}/#", self.spec.qos) for g in self.spec.groups)]

    async def _announce(self, client: MqttClient) -> None:
        online = state_payload(True, self._online_ms)
        await client.publish(state_topic(self.spec.host_id), online, qos=1, retain=True)

    async def _goodbye(self, client: MqttClient) -> None:
        """A clean stop: the rest of the data, then STATE offline (retained), then DISCONNECT."""
        with contextlib.suppress(Exception):
            await self._flush(self.clock.now_ns())
            offline = state_payload(False, self._online_ms)
            await asyncio.wait_for(
                client.publish(state_topic(self.spec.host_id), offline, qos=1, retain=True), 2.0
            )

    # -- messages ------------------------------------------------------------------------
    async def _handle(self, messages: list[Message]) -> None:
        """Handle what one receive brought: runs of plain data messages together, the rest
        one by one, in order."""
        now_ns = self.clock.now_ns()
        run: list[_Data] = []
        for message in messages:
            data = self._plain_data(message)
            if data is not None:
                run.append(data)
                continue
            if run:
                await self._data_run(run, now_ns)
                run = []
            await self._one(message, now_ns)
            if self._rows.count >= _FLUSH_ROWS:
                await self._flush(now_ns)
        if run:
            await self._data_run(run, now_ns)
        await self._flush(now_ns)

    async def _one(self, message: Message, now_ns: int) -> None:
        try:
            counted = await self._dispatch(message, now_ns)  # may flush: add after
            self._used += counted
        except (_RejectedError, PayloadError) as exc:
            await self.reject(str(exc), message.topic, message.payload)
        except Exception as exc:  # a message must never stop the host
            self.log.warning("message on %s failed: %r", message.topic, exc)
            await self.reject(f"{type(exc).__name__}: {exc}", message.topic, message.payload)

    def _plain_data(self, message: Message) -> _Data | None:
        """NDATA or DDATA of a live session whose payload shape the host knows already."""
        topic = parse_topic(message.topic)
        if topic is None or topic.type not in (MessageType.NDATA, MessageType.DDATA):
            return None
        node = self.nodes.get((topic.group, topic.node))
        if node is None or not node.alive:
            return None
        table = node.table
        if topic.device:
            device = node.devices.get(topic.device)
            if device is None or not device.alive:
                return None
            table = device.table
        shape = table.shape(len(message.payload))
        if shape is None:
            return None
        return _Data(message, topic, node, table, *shape)

    async def _data_run(self, run: list[_Data], now_ns: int) -> None:
        """A run of data messages together; should that fail, one by one."""
        mark = self._rows.mark()
        try:
            await self._bulk(run, now_ns)
        except Exception as exc:  # a bug of the fast path must not lose the messages
            self.log.warning("decoding %d messages together failed: %r", len(run), exc)
            self._rows.undo(mark)
            for data in run:
                await self._one(data.message, now_ns)

    async def _bulk(self, run: list[_Data], now_ns: int) -> None:
        """Decode a run of data messages shape by shape, then check seq in arrival order."""
        seqs: list[int | None] = [None] * len(run)
        used = [True] * len(run)
        retry: list[int] = []
        shapes: dict[int, list[int]] = {}
        for i, data in enumerate(run):
            shapes.setdefault(id(data.layout), []).append(i)
        for positions in shapes.values():
            first = run[positions[0]]
            joined = b"".join(run[i].message.payload for i in positions)
            block = np.frombuffer(joined, np.uint8).reshape(len(positions), first.layout.size)
            scans = first.layout.decode_many(block)
            read = [i for i, ok in zip(positions, scans.ok.tolist(), strict=True) if ok]
            retry += [i for i, ok in zip(positions, scans.ok.tolist(), strict=True) if not ok]
            found: list[int | None] = list(scans.seq) if scans.seq else [None] * len(read)
            for i, seq in zip(read, found, strict=True):
                seqs[i] = seq
            first.node.saw(self._rows.add_many(first.plan, scans, now_ns // _MS))
            self.stats.skipped_metrics += first.plan.skipped * len(read)
            for i in read:
                used[i] = await self._aliases_known(run[i], first.plan)
        for i in sorted(retry):  # another shape after all: the one-by-one way
            try:
                payload, plan = run[i].table.decode(run[i].message.payload)
            except PayloadError as exc:
                await self.reject(str(exc), run[i].message.topic, run[i].message.payload)
                used[i], seqs[i] = False, -1
                continue
            seqs[i] = payload.seq
            self._take(plan, payload, now_ns, run[i].node)
            used[i] = await self._aliases_known(run[i], plan)
        for data, seq, counted in zip(run, seqs, used, strict=True):
            self._used += counted
            if seq != -1:
                await self._sequence(data.node, seq)

    async def _aliases_known(self, data: _Data, plan: Plan) -> bool:
        """Unknown aliases ask for a rebirth; a message of nothing but them is a dead letter.
        True when the message was of use."""
        if not plan.unknown:
            return True
        self.stats.unknown_metrics += plan.unknown
        await self._rebirth(data.topic, "unknown metric alias")
        if plan.empty:
            reason = f"{plan.unknown} metrics with unknown aliases"
            await self.reject(reason, data.message.topic, data.message.payload)
            return False
        return True

    async def _dispatch(self, message: Message, now_ns: int) -> bool:
        """Handle one message; True when it counts as an edge node's message (our own STATE
        and the commands sent to edge nodes, ours among them, do not)."""
        topic = parse_topic(message.topic)
        if topic is None:
            if message.topic != state_topic(self.spec.host_id):
                raise _RejectedError("not a Sparkplug B topic")
            await self._own_state(message.payload)
            return False
        if topic.type in (MessageType.NCMD, MessageType.DCMD):
            return False
        await self._handlers[topic.type](topic, message.payload, now_ns)
        return True

    async def _own_state(self, payload: bytes) -> None:
        """Someone (our own stale will, most likely) says we are offline: say otherwise."""
        state = parse_state(payload)
        if state != (True, self._online_ms) and self._client is not None:
            await self._announce(self._client)

    async def _node_birth(self, topic: Topic, data: bytes, now_ns: int) -> None:
        payload = decode(data)
        bd_seq = payload.value(BD_SEQ)
        asset = self.mapping.node_path(topic.group, topic.node)
        table = MetricTable(asset, payload.metrics, self.mapping, self.numeric, self.text)
        node = NodeSession(
            topic.group,
            topic.node,
            table,
            None if not isinstance(bd_seq, float) else int(bd_seq),
            payload.seq or 0,
        )
        self.nodes[(topic.group, topic.node)] = node
        self.stats.births += 1
        self._take(table.plan(payload.metrics, birth=True), payload, now_ns, node)

    async def _device_birth(self, topic: Topic, data: bytes, now_ns: int) -> None:
        node = await self._live_node(topic)
        payload = decode(data)
        await self._sequence(node, payload.seq)
        asset = self.mapping.device_path(topic.group, topic.node, topic.device)
        table = MetricTable(asset, payload.metrics, self.mapping, self.numeric, self.text)
        node.devices[topic.device] = DeviceSession(topic.device, table)
        self.stats.births += 1
        self._take(table.plan(payload.metrics, birth=True), payload, now_ns, node)

    async def _data(self, topic: Topic, data: bytes, now_ns: int) -> None:
        node = await self._live_node(topic)
        table = node.table
        if topic.device:
            device = node.devices.get(topic.device)
            if device is None or not device.alive:
                await self._rebirth(topic, "data from a device without a birth")
                raise _RejectedError(f"no DBIRTH from device {topic.device!r}")
            table = device.table
        payload, plan = table.decode(data)
        await self._sequence(node, payload.seq)
        if plan.unknown:
            self.stats.unknown_metrics += plan.unknown
            await self._rebirth(topic, "unknown metric alias")
            if plan.empty:
                raise _RejectedError(f"{plan.unknown} metrics with unknown aliases")
        self._take(plan, payload, now_ns, node)

    async def _node_death(self, topic: Topic, data: bytes, now_ns: int) -> None:
        payload = decode(data)
        node = self.nodes.get((topic.group, topic.node))
        if node is None or not node.alive:
            return
        bd_seq = payload.value(BD_SEQ)
        if isinstance(bd_seq, float) and node.bd_seq is not None and int(bd_seq) != node.bd_seq:
            self.stats.stale_deaths += 1
            return
        numeric, text = node.tags()
        node.alive = False
        self.stats.deaths += 1
        await self._mark_dead(numeric, text, node.death_ns(now_ns), now_ns)

    async def _device_death(self, topic: Topic, data: bytes, now_ns: int) -> None:
        node = await self._live_node(topic)
        payload = decode(data)
        await self._sequence(node, payload.seq)
        device = node.devices.get(topic.device)
        if device is None or not device.alive:
            return
        numeric, text = node.tags(topic.device)
        device.alive = False
        self.stats.deaths += 1
        stamp = payload.timestamp_ms
        at_ns = stamp * _MS if stamp is not None and 0 <= stamp <= MAX_MS else now_ns
        await self._mark_dead(numeric, text, node.death_ns(at_ns), now_ns)

    # -- session rules -------------------------------------------------------------------
    async def _live_node(self, topic: Topic) -> NodeSession:
        node = self.nodes.get((topic.group, topic.node))
        if node is None or not node.alive:
            await self._rebirth(topic, "message from an edge node without a birth")
            raise _RejectedError(f"no NBIRTH from edge node {topic.group}/{topic.node}")
        return node

    async def _sequence(self, node: NodeSession, seq: int | None) -> None:
        if not node.follows(seq):
            self.stats.seq_gaps += 1
            await self._rebirth(Topic(node.group, MessageType.NCMD, node.node), "seq gap")

    async def _rebirth(self, topic: Topic, why: str) -> None:
        """Ask an edge node to send its births again, at most once per rebirth interval."""
        key, now = (topic.group, topic.node), self.clock.now_ns()
        last = self._rebirth_at.get(key)
        if self._client is None or (
            last is not None and now - last < self.spec.rebirth_interval * 1e9
        ):
            return
        self._rebirth_at[key] = now
        self.stats.rebirth_requests += 1
        self.log.info("asking %s/%s for a rebirth: %s", topic.group, topic.node, why)
        target = f"{NAMESPACE}/{topic.group}/NCMD/{topic.node}"
        await self._client.publish(target, rebirth_request(now // _MS))

    # -- samples -------------------------------------------------------------------------
    def _take(self, plan: Plan, payload: Payload, now_ns: int, node: NodeSession) -> None:
        self.stats.skipped_metrics += plan.skipped
        node.saw(self._rows.add(plan, payload, now_ns // _MS))

    async def _flush(self, now_ns: int) -> None:
        used, self._used = self._used, 0
        numeric, text = self._rows.take(self.numeric.paths, self.text.paths, now_ns)
        for batch in (numeric, text):
            if batch is not None:
                await self.publish(batch, messages=used)
                used = 0
        self.counters.messages += used

    async def _mark_dead(self, numeric: set[int], text: set[int], at_ns: int, now_ns: int) -> None:
        """Samples of bad quality for the tags of a dead node or device, at ``at_ns``."""
        await self._flush(now_ns)
        if numeric:
            cols = _mark_columns(numeric, at_ns)
            await self.bus.publish(
                SampleBatch(self.numeric.paths, *cols, value=np.full(len(numeric), np.nan))
            )
        if text:
            cols = _mark_columns(text, at_ns)
            empty = np.empty(len(text), dtype=object)
            empty[:] = [""] * len(text)
            await self.bus.publish(TextBatch(self.text.paths, *cols, value=empty))


def _mark_columns(
    tags: set[int], at_ns: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    n = len(tags)
    return (
        np.array(sorted(tags), np.int32),
        np.full(n, at_ns, np.int64),
        np.full(n, at_ns, np.int64),
        np.full(n, DEATH_STATUS, np.uint32),
    )
