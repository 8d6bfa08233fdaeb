"""A minimal subscriber that only counts messages, run as its own process: the ceiling.

    python -m bench.ingest.counter --broker mqtt://127.0.0.1:1883 --topic 'spBv1.0/G/DDATA/#'

It prints ``ready`` once subscribed, counts every message (no decoding), and when the
stream has been idle for ``--idle`` seconds prints one JSON line: how many messages, and
the times (epoch seconds) of the first and last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from shopfloor.connect.mqtt_common import BrokerAddress, MqttClient, client_id


async def count(broker: str, topic: str, idle: float, timeout: float) -> dict[str, float]:
    client = MqttClient(BrokerAddress.parse(broker), client_id=client_id("bench-counter"))
    await client.connect()
    await client.subscribe([(topic, 0)])
    print("ready", flush=True)
    n, first, last = 0, 0.0, 0.0
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            messages = await asyncio.wait_for(client.receive(), idle)
        except TimeoutError:
            if n:
                break
            continue
        last = time.time()
        first = first or last
        n += len(messages)
    await client.disconnect()
    return {"count": n, "first": first, "last": last}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ingest.counter")
    p.add_argument("--broker", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--idle", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args(argv)
    print(
        json.dumps(asyncio.run(count(args.broker, args.topic, args.idle, args.timeout))), flush=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
