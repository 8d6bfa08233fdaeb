"""Many WebSocket subscribers in one client process, each on every tag of the plant.

Each subscriber opens ``/api/live?patterns=#`` with the admin's token, like a dashboard that
shows everything. During the measured window each one takes the time (``time.time_ns()``) a
probe message arrives and subtracts the probe sample's stamp, the wall clock when it entered
the bus in the server: that is the bus-to-client latency, queueing behind the twin's own
messages included. The twin's messages are only counted (decoding all of them in every
subscriber would make the client, not the server, the thing measured); a few subscribers
also record how old the newest sample of each twin message is on arrival.

Subscribers offer permessage-deflate as browsers do, unless told not to.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import orjson
import websockets

from bench.live.server import PROBE
from bench.live.serving import cpu_seconds

PROBE_HEAD = b'{"type":"samples","paths":["' + PROBE.encode() + b'"]'
DETAILED = 10  # subscribers that also time the twin's messages
CONNECT_BATCH = 50


@dataclass
class Tally:
    """What every subscriber saw during the measured window."""

    latencies_ns: list[int] = field(default_factory=list)
    ages_ns: list[int] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    dropped: int = 0
    failed: int = 0


@dataclass
class FanoutResult:
    """One measured window with ``clients`` subscribers."""

    clients: int
    connected: int
    window_s: float
    tally: Tally
    server_cpu_s: float
    client_cpu_s: float
    window_ns: tuple[int, int]
    deflate: bool
    probes_sent: int = 0
    """Probe samples the server published in the window (known once it has stopped)."""


class Window:
    """Whether the measured window is open; messages outside it are not counted."""

    def __init__(self) -> None:
        self.open = False
        self.began_ns = 0
        """Probes stamped before this were published before the window: not counted."""


async def subscriber(
    uri: str, index: int, tally: Tally, window: Window, connected: asyncio.Event, deflate: bool
) -> None:
    compression: Literal["deflate"] | None = "deflate" if deflate else None
    try:
        async with websockets.connect(
            uri, compression=compression, max_size=None, open_timeout=60, ping_interval=None
        ) as ws:
            connected.set()
            async for data in ws:
                arrived = time.time_ns()
                if window.open:
                    raw = data if isinstance(data, bytes) else data.encode()
                    take(raw, arrived, index, tally, window.began_ns)
    except (OSError, websockets.WebSocketException, TimeoutError):
        tally.failed += 1


def take(raw: bytes, arrived: int, index: int, tally: Tally, since_ns: int) -> None:
    tally.messages += 1
    tally.bytes += len(raw)
    if raw.startswith(PROBE_HEAD):
        stamp = orjson.loads(raw)["ts"][0]
        if stamp >= since_ns:
            tally.latencies_ns.append(arrived - stamp)
    elif raw.startswith(b'{"type":"dropped"'):
        tally.dropped += orjson.loads(raw)["messages"]
    elif index < DETAILED and raw.startswith(b'{"type":"samples"'):
        tally.ages_ns.append(arrived - max(orjson.loads(raw)["ts"]))


async def measure(
    url: str,
    token: str,
    server_pid: int,
    *,
    clients: int,
    seconds: float,
    warmup_s: float,
    deflate: bool = True,
) -> FanoutResult:
    """Connect ``clients`` subscribers, wait ``warmup_s``, then measure for ``seconds``."""
    uri = url.replace("http://", "ws://") + f"/api/live?patterns={quote('#')}&token={token}"
    tally, window = Tally(), Window()
    tasks: list[asyncio.Task[None]] = []
    flags = []
    for first in range(0, clients, CONNECT_BATCH):
        batch = [asyncio.Event() for _ in range(first, min(first + CONNECT_BATCH, clients))]
        for offset, flag in enumerate(batch):
            work = subscriber(uri, first + offset, tally, window, flag, deflate)
            tasks.append(asyncio.create_task(work))
        flags += batch
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(f.wait() for f in batch)), 60)
    await asyncio.sleep(warmup_s)
    server0, client0, began = cpu_seconds(server_pid), time.process_time(), time.monotonic()
    began_ns = window.began_ns = time.time_ns()
    window.open = True
    await asyncio.sleep(seconds)
    window.open = False
    window_s, ended_ns = time.monotonic() - began, time.time_ns()
    server_cpu = cpu_seconds(server_pid) - server0
    client_cpu = time.process_time() - client0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return FanoutResult(
        clients=clients,
        connected=sum(f.is_set() for f in flags),
        window_s=window_s,
        tally=tally,
        server_cpu_s=server_cpu,
        client_cpu_s=client_cpu,
        window_ns=(began_ns, ended_ns),
        deflate=deflate,
    )
