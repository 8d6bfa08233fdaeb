"""What the OPC UA tests share: a small plant, connector specs, running and collecting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from shopfloor.bus import MemoryBus, MemorySubscription
from shopfloor.connect.base import ConnectorState
from shopfloor.connect.opcua.certs import ApplicationCertificate
from shopfloor.connect.opcua.client import OpcUaConnector
from shopfloor.model.assets import Asset, AssetLevel, AssetTree, DataType, Tag
from shopfloor.model.batch import Sample, SampleBatch, TextBatch
from shopfloor.model.connector_spec import BackoffSpec
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_opcua import OpcUaConnectorSpec, OpcUaSecuritySpec

LINE = "acme/plant1/body/line1"
PRESS = f"{LINE}/stamping/press1"
HEMMER = f"{LINE}/hemmer1"
FAST_BACKOFF = BackoffSpec(initial=0.05, max=0.2, jitter=0)


def small_plant() -> AssetTree:
    """A line with a cell and a machine directly under it, and tags of every type."""
    press = Asset(
        "press1",
        AssetLevel.MACHINE,
        tags=(
            Tag("temperature", "degC", low=0, high=200, description="Hydraulic oil"),
            Tag("stroke_count", "count", DataType.INT),
            Tag("running", data_type=DataType.BOOL),
            Tag("program", data_type=DataType.TEXT),
        ),
    )
    hemmer = Asset(
        "hemmer1",
        AssetLevel.MACHINE,
        tags=(Tag("power", "kW"), Tag("air_pressure", "bar", low=0, high=10)),
    )
    cell = Asset("stamping", AssetLevel.CELL, children=(press,))
    line = Asset("line1", AssetLevel.LINE, children=(cell, hemmer))
    area = Asset("body", AssetLevel.AREA, children=(line,))
    site = Asset("plant1", AssetLevel.SITE, children=(area,))
    return AssetTree(Asset("acme", AssetLevel.ENTERPRISE, children=(site,)))


def spec(endpoint: str, **overrides: Any) -> OpcUaConnectorSpec:
    """An unsecured connector browsing the line, fast to notice and retry (tests only)."""
    fields: dict[str, Any] = {
        "name": "press-line",
        "type": "opcua",
        "endpoint": endpoint,
        "asset": LINE,
        "browse": f"nsu=urn:shopfloor:uns;s={LINE}",
        "security": OpcUaSecuritySpec(policy="None", mode="None"),
        "sampling_interval_ms": 0,
        "publishing_interval_ms": 50,
        "watchdog_interval": 0.2,
        "request_timeout": 2,
        "backoff": FAST_BACKOFF,
    }
    fields.update(overrides)
    return OpcUaConnectorSpec(**fields)


def secured(pair: ApplicationCertificate, directory: Path, **overrides: Any) -> OpcUaSecuritySpec:
    """Basic256Sha256 SignAndEncrypt with ``pair`` written to ``directory``."""
    cert, key = pair.write(directory, "client")
    fields: dict[str, Any] = {
        "policy": "Basic256Sha256",
        "mode": "SignAndEncrypt",
        "certificate": str(cert),
        "private_key": SecretRef(file=str(key)),
    }
    fields.update(overrides)
    return OpcUaSecuritySpec(**fields)


@asynccontextmanager
async def running(connector: OpcUaConnector) -> AsyncIterator[OpcUaConnector]:
    """The connector started, and stopped however the test ends."""
    await connector.start()
    try:
        yield connector
    finally:
        await connector.stop()


async def connected(connector: OpcUaConnector) -> None:
    await connector.wait_for(ConnectorState.CONNECTED, 10)


def bus_and_subscription() -> tuple[MemoryBus, MemorySubscription]:
    bus = MemoryBus()
    return bus, bus.subscribe("#")


async def collect(
    sub: MemorySubscription, done: Callable[[list[Sample]], bool], timeout: float = 5.0
) -> list[Sample]:
    """Samples from ``sub`` until ``done`` says so; fails the test after ``timeout``."""
    seen: list[Sample] = []

    async def gather() -> None:
        while not done(seen):
            message = await sub.get()
            if isinstance(message, SampleBatch | TextBatch):
                seen.extend(message.samples())

    try:
        await asyncio.wait_for(gather(), timeout)
    except TimeoutError:
        raise AssertionError(f"gave up after {timeout} s; received: {seen[-20:]}") from None
    return seen


def has(path: str, value: float | str) -> Callable[[list[Sample]], bool]:
    """A ``done`` for :func:`collect`: a sample of ``value`` has arrived for ``path``."""
    return lambda seen: any(s.path == path and s.value == value for s in seen)


class FreezingProxy:
    """A TCP relay to a server that can freeze: connections stay open, no byte gets through.

    This is what a hung server or a dead network path looks like to a client: no close, no
    error, only silence.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def freeze(self) -> None:
        self._open.clear()

    def thaw(self) -> None:
        self._open.set()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self._open.wait()
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
