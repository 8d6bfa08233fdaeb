"""A hand-driven Sparkplug edge node for protocol tests: every message chosen by the test."""

from __future__ import annotations

from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, Will, client_id
from shopfloor.connect.sparkplug.codec import BD_SEQ, DataType, OutMetric, encode


class RawEdge:
    """One edge node whose births, data and deaths the test writes out."""

    def __init__(self, url: str, group: str, node: str = "n1") -> None:
        self.url, self.group, self.node = url, group, node
        self.seq = 0
        self.client: MqttClient | None = None

    def topic(self, kind: str, device: str = "") -> str:
        tail = f"/{device}" if device else ""
        return f"spBv1.0/{self.group}/{kind}/{self.node}{tail}"

    async def connect(self, bd_seq: int = 0) -> None:
        will = Will(self.topic("NDEATH"), death(bd_seq), qos=1)
        self.client = MqttClient(
            BrokerAddress.parse(self.url), client_id=client_id("raw-edge"), will=will
        )
        await self.client.connect()

    async def send(
        self,
        kind: str,
        metrics: list[OutMetric],
        *,
        device: str = "",
        seq: int | None = None,
        timestamp_ms: int | None = 1_700_000_000_000,
    ) -> None:
        """Publish one message; ``seq`` counts on by itself unless the test sets it."""
        if seq is None:
            self.seq = 0 if kind == "NBIRTH" else (self.seq + 1) % 256
            seq = self.seq
        else:
            self.seq = seq
        data = encode(
            metrics, seq=seq, timestamp_ms=timestamp_ms, with_datatype=kind.endswith("BIRTH")
        )
        await self.publish(kind, data, device=device)

    async def publish(self, kind: str, data: bytes, *, device: str = "") -> None:
        assert self.client is not None
        await self.client.publish(self.topic(kind, device), data, qos=1)

    async def birth(self, device: str, metrics: list[OutMetric], bd_seq: int = 0) -> None:
        """An NBIRTH with ``bdSeq`` and a DBIRTH of ``device`` with ``metrics``."""
        await self.send("NBIRTH", [OutMetric(BD_SEQ, None, DataType.INT64, bd_seq)])
        await self.send("DBIRTH", metrics, device=device)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.disconnect()


def death(bd_seq: int) -> bytes:
    """An NDEATH payload."""
    return encode([OutMetric(BD_SEQ, None, DataType.INT64, bd_seq)])
