"""Brokers and helpers for the MQTT tests (Sparkplug and JSON).

The shared broker is the one at ``SHOPFLOOR_MQTT_URL`` (default ``mqtt://127.0.0.1:1883``);
tests that need it skip, saying why, when nothing answers there. Tests that restart a
broker or configure TLS start a private Mosquitto of their own: a config file in the test's
temporary directory, a free port, never the machine's shared configuration.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shopfloor.bus import MemoryBus
from shopfloor.bus.memory import MemorySubscription
from shopfloor.connect.mqtt_common import BrokerAddress, Message, MqttClient, client_id
from shopfloor.model.batch import SampleBatch, TextBatch

BROKER_URL = os.environ.get("SHOPFLOOR_MQTT_URL", "mqtt://127.0.0.1:1883")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def reachable(url: str) -> bool:
    """Whether something accepts TCP connections at the broker's address."""
    address = BrokerAddress.parse(url)
    try:
        with socket.create_connection((address.host, address.port), timeout=1.0):
            return True
    except OSError:
        return False


def shared_broker() -> str:
    """The shared broker's URL; skips the test when it does not answer."""
    if not reachable(BROKER_URL):
        pytest.skip(f"no MQTT broker answers at {BROKER_URL} (set SHOPFLOOR_MQTT_URL)")
    return BROKER_URL


def unique(prefix: str) -> str:
    """A name no other test (or earlier run) uses: topics of the shared broker stay apart."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateBroker:
    """A Mosquitto of the test's own, restartable on the same port."""

    def __init__(
        self, directory: Path, settings: str = "allow_anonymous true", *, tls: bool = False
    ) -> None:
        if not Path(MOSQUITTO).exists():
            pytest.skip(f"no mosquitto binary at {MOSQUITTO}")
        self.port = free_port()
        self.tls = tls
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "persistence false\n"
            "log_dest stderr\n"
            "user root\n"  # stay the test's user so it can read the test's files
            f"{settings}\n"
        )
        self.log = directory / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


class Collector:
    """Everything a bus subscription delivers, gathered by a background task."""

    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus
        self.subscription: MemorySubscription = bus.subscribe("#")
        self.numeric: list[SampleBatch] = []
        self.text: list[TextBatch] = []
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        async for message in self.subscription:
            if isinstance(message, SampleBatch):
                self.numeric.append(message)
            elif isinstance(message, TextBatch):
                self.text.append(message)

    def rows(self, text: bool = False) -> list[tuple[str, int, float | str, int]]:
        """(path, source ns, value, status) of every sample received."""
        return [
            (s.path, s.source_ns, s.value, s.status)
            for batch in (self.text if text else self.numeric)
            for s in batch.samples()
        ]

    def of(self, path: str) -> list[tuple[int, float | str, int]]:
        """(source ns, value, status) of one path, in arrival order."""
        return [
            (int(b.source_ns[i]), b.value[i], int(b.status[i]))
            for b in (*self.numeric, *self.text)
            if path in b.paths
            for i in np.flatnonzero(b.tag == b.paths.index(path))
        ]

    async def close(self) -> None:
        self.subscription.close()
        await self._task


class Listener:
    """An MQTT client that keeps every message on some topics (commands, STATE)."""

    def __init__(self, url: str) -> None:
        self.client = MqttClient(BrokerAddress.parse(url), client_id=client_id("listener"))
        self.messages: list[Message] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, *filters: str) -> None:
        await self.client.connect()
        await self.client.subscribe([(f, 1) for f in filters])
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            while True:
                self.messages.extend(await self.client.receive())
        except Exception:  # connection closed at the end of the test
            return

    def on(self, topic: str) -> list[Message]:
        return [m for m in self.messages if m.topic == topic]

    async def close(self) -> None:
        await self.client.disconnect()
        if self._task is not None:
            await self._task


async def eventually(check: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Wait until ``check()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.01)


async def clear_retained(url: str, topic: str) -> None:
    """Delete a retained message the test left on a shared broker."""
    client = MqttClient(BrokerAddress.parse(url), client_id=client_id("cleanup"))
    await client.connect()
    await client.publish(topic, b"", qos=1, retain=True)
    await client.disconnect()
