"""The benchmark's edge node, run as its own process: Sparkplug DDATA as fast as possible.

    python -m bench.ingest.publisher --broker mqtt://127.0.0.1:1883 --group G \\
        --metrics 100 --devices 4 --seconds 10

One edge node with ``--devices`` devices of ``--metrics`` Double metrics each. After its
births it publishes DDATA at QoS 0, devices in turn, for ``--seconds``: each message one
scan cycle (every metric, one shared timestamp, aliases only). Each device's timestamps
advance 1 ms per message, so every (tag, time) is new to the historian. Messages are
rendered into a template by the learned layout (``wire.Layout.render``), so the publisher
spends little CPU per message. It answers rebirth requests. At the end it prints one JSON
line: messages sent, flood start and end (epoch seconds), births sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import numpy as np

from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, Will, client_id
from shopfloor.connect.sparkplug import wire
from shopfloor.connect.sparkplug.codec import BD_SEQ, REBIRTH, DataType, OutMetric, decode, encode

BASE_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC: the first scan's time


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.publisher")
    p.add_argument("--broker", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--node", default="edge1")
    p.add_argument("--metrics", type=int, default=100)
    p.add_argument("--devices", type=int, default=4)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--settle", type=float, default=0.5, help="pause after the births")
    return p


class EdgeNode:
    """The flooding edge node: births, then rendered DDATA; rebirths on request."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.prefix = f"spBv1.0/{args.group}"
        self.seq = 0
        self.rebirth = False
        self.births = 0
        death = encode([OutMetric(BD_SEQ, None, DataType.INT64, 0)])
        self.client = MqttClient(
            BrokerAddress.parse(args.broker),
            client_id=client_id("bench-edge"),
            will=Will(f"{self.prefix}/NDEATH/{args.node}", death),
        )
        self.devices = [f"dev{d}" for d in range(args.devices)]

    def _next(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    async def birth(self) -> None:
        node = self.args.node
        nbirth = [
            OutMetric(BD_SEQ, None, DataType.INT64, 0),
            OutMetric(REBIRTH, None, DataType.BOOLEAN, False),
        ]
        self.seq = 0
        await self.client.publish(f"{self.prefix}/NBIRTH/{node}", encode(nbirth, seq=0))
        for device in self.devices:
            metrics = [
                OutMetric(f"m{i:03d}", i + 1, DataType.DOUBLE, 0.0, BASE_MS - 1)
                for i in range(self.args.metrics)
            ]
            await self.client.publish(
                f"{self.prefix}/DBIRTH/{node}/{device}", encode(metrics, seq=self._next())
            )
        self.births += 1

    async def listen(self) -> None:
        """Note rebirth requests; the flood loop answers them between messages."""
        while True:
            for message in await self.client.receive():
                if decode(message.payload).value(REBIRTH) == 1.0:
                    self.rebirth = True

    async def flood(self) -> tuple[int, float, float]:
        template = encode(
            [
                OutMetric(None, i + 1, DataType.DOUBLE, 0.0, BASE_MS)
                for i in range(self.args.metrics)
            ],
            seq=255,
            timestamp_ms=BASE_MS,
            with_datatype=False,
        )
        layout = wire.learn(template)
        assert layout is not None
        rng = np.random.default_rng(0)
        # 64 scans of values rendered ahead; each message then only gets its seq and time.
        scans = [
            layout.render(template, numbers=rng.normal(50.0, 5.0, self.args.metrics))
            for _ in range(64)
        ]
        topics = [f"{self.prefix}/DDATA/{self.args.node}/{d}" for d in self.devices]
        sent, start = 0, time.time()
        end = start + self.args.seconds
        while time.time() < end:
            batch = []
            for _ in range(32):
                scan = BASE_MS + sent // len(topics)
                data = layout.render(
                    scans[sent % 64], seq=self._next(), timestamp_ms=scan, metric_ms=scan
                )
                batch.append((topics[sent % len(topics)], data))
                sent += 1
            await self.client.publish_many(batch)  # one write: fewer system calls
            await asyncio.sleep(0)  # let the listener see rebirth requests
            if self.rebirth:
                self.rebirth = False
                await self.birth()
        return sent, start, time.time()


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    edge = EdgeNode(args)
    await edge.client.connect()
    await edge.client.subscribe([(f"{edge.prefix}/NCMD/{args.node}", 0)])
    listener = asyncio.create_task(edge.listen())
    await edge.birth()
    await asyncio.sleep(args.settle)
    sent, start, end = await edge.flood()
    listener.cancel()
    await edge.client.disconnect()
    return {"sent": sent, "start": start, "end": end, "births": edge.births}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(json.dumps(asyncio.run(main_async(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
