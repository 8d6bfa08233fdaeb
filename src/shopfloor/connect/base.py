"""One life cycle for every connector: start, stop, reconnect with backoff, count, reject.

A protocol driver subclasses :class:`Connector` and writes one coroutine,
:meth:`Connector.session`: connect, call :meth:`Connector.connected`, then receive until the
connection is lost (raise) or the connector is stopped (return). The base class does the
rest the same way for every protocol:

* a state you can show: ``stopped``, ``connecting``, ``connected``, ``backing_off``;
* reconnect with exponential backoff and jitter after any failure, without help;
* when a connection is lost, every tag it delivered gets a sample of bad quality
  (``BadNoCommunication`` by default) at that moment, so the gap shows in history instead of
  silence;
* counters: messages, samples, rejects, reconnects;
* a bad message never stops a connector: :meth:`Connector.reject` counts it and puts it in
  the dead-letter store with the reason.

Time comes from an injected :class:`~shopfloor.model.clock.Clock`, so tests move time
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypedDict, TypeVar, Unpack

import numpy as np

from shopfloor.bus.base import Bus
from shopfloor.connect.deadletter import DeadLetter, DeadLetterStore
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.clock import Clock, WallClock
from shopfloor.model.connector_spec import BackoffSpec, ConnectorCommon
from shopfloor.model.errors import ShopfloorError
from shopfloor.model.quality import StatusCode


class ConnectorError(ShopfloorError):
    """A connector failed; the message says which connector and why."""

    code = "connect"


class NotReadyError(ConnectorError):
    """The device or broker is not ready yet; the connector retries later."""

    code = "connect.not_ready"


class ConnectorState(StrEnum):
    """Where a connector is in its life cycle."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKING_OFF = "backing_off"


@dataclass
class ConnectorCounters:
    """What a connector has done since it started."""

    messages: int = 0
    samples: int = 0
    rejects: int = 0
    reconnects: int = 0


@dataclass(frozen=True)
class ConnectorStatus:
    """A connector as a status page shows it."""

    name: str
    type: str
    state: ConnectorState
    since_ns: int
    counters: ConnectorCounters
    last_error: str | None


class Backoff:
    """Exponential delays with jitter: ``initial * multiplier**n``, capped at ``max``."""

    def __init__(self, spec: BackoffSpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.rng = rng or random.Random()
        self.attempt = 0

    def next(self) -> float:
        """The delay before the next attempt, in seconds."""
        base = min(self.spec.max, self.spec.initial * self.spec.multiplier**self.attempt)
        self.attempt += 1
        spread = base * self.spec.jitter
        return max(0.0, base + self.rng.uniform(-spread, spread))

    def reset(self) -> None:
        """Start again from ``initial`` (after a connection that worked)."""
        self.attempt = 0


@dataclass
class _Known:
    """Tags a connection delivered, to mark them when it is lost."""

    numeric: set[str] = field(default_factory=set)
    text: set[str] = field(default_factory=set)


class Connector(ABC):
    """Base of every protocol driver. See the module docstring."""

    type: str = "connector"

    # Subclasses must not reuse the base's private names (_run, _known, _lost, _state, ...):
    # they would silently replace its life cycle.
    def __init__(
        self,
        name: str,
        bus: Bus,
        *,
        backoff: BackoffSpec | None = None,
        clock: Clock | None = None,
        dead_letters: DeadLetterStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.bus = bus
        self.clock: Clock = clock or WallClock()
        self.backoff = Backoff(backoff or BackoffSpec(), rng)
        self.dead_letters = dead_letters
        self.counters = ConnectorCounters()
        self.last_error: str | None = None
        self.log = logging.getLogger(f"shopfloor.connect.{self.type}.{name}")
        self._state = ConnectorState.STOPPED
        self._since = self.clock.now_ns()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._known = _Known()
        self._changed = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------------
    @property
    def state(self) -> ConnectorState:
        return self._state

    def _set_state(self, state: ConnectorState) -> None:
        if state is not self._state:
            self._state = state
            self._since = self.clock.now_ns()
            self._changed.set()
            self.log.info("%s", state.value)

    def status(self) -> ConnectorStatus:
        return ConnectorStatus(
            self.name, self.type, self._state, self._since, self.counters, self.last_error
        )

    async def start(self) -> None:
        """Start connecting in the background; returns at once."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"connector {self.name}")

    async def stop(self) -> None:
        """Disconnect and stop; pending data is published first."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            # Python 3.11's wait_for can swallow a cancellation that meets a reply on the
            # way in; cancel again until the task is really done.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.5)
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(ConnectorState.STOPPED)

    async def wait_for(self, state: ConnectorState, timeout: float) -> None:
        """Wait until the connector reaches ``state`` (tests and start-up checks)."""

        async def reached() -> None:
            while self._state is not state:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), timeout)

    async def _run(self) -> None:
        while not self._stopping:
            self._set_state(ConnectorState.CONNECTING)
            try:
                await self.session()
            except asyncio.CancelledError:
                await asyncio.shield(self._lost(StatusCode.BAD_NOT_CONNECTED))
                raise
            except Exception as exc:  # any failure of the link: log it, back off, retry
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.log.warning("connection lost: %s", self.last_error)
            await self._lost(StatusCode.BAD_NO_COMMUNICATION)
            if self._stopping:
                break
            self._set_state(ConnectorState.BACKING_OFF)
            self.counters.reconnects += 1
            await self.clock.sleep(self.backoff.next())

    def connected(self) -> None:
        """Called by :meth:`session` once the link is up."""
        self.backoff.reset()
        self.last_error = None
        self._set_state(ConnectorState.CONNECTED)

    @abstractmethod
    async def session(self) -> None:
        """Connect, call :meth:`connected`, and receive until the link fails (raise)."""

    # -- data ----------------------------------------------------------------------------
    async def publish(self, batch: SampleBatch | TextBatch, *, messages: int = 1) -> None:
        """Put received samples on the bus and count them."""
        self.counters.messages += messages
        if not len(batch):
            return
        known = self._known.text if isinstance(batch, TextBatch) else self._known.numeric
        known.update(batch.paths)
        self.counters.samples += len(batch)
        await self.bus.publish(batch)

    async def reject(self, reason: str, source: str, payload: bytes) -> None:
        """Count a message that could not be used and keep it in the dead-letter store."""
        self.counters.messages += 1
        self.counters.rejects += 1
        self.log.debug("rejected message from %s: %s", source, reason)
        if self.dead_letters is not None:
            letter = DeadLetter(self.clock.now_ns(), self.name, source, reason, payload)
            await self.dead_letters.put(letter)

    async def mark(self, paths: set[str] | list[str], status: int, *, text: bool = False) -> None:
        """Publish a no-value sample of ``status`` for each path, now (stale, dead, lost)."""
        if not paths:
            return
        now = self.clock.now_ns()
        ordered = tuple(sorted(paths))
        n = len(ordered)
        cols = {
            "paths": ordered,
            "tag": np.arange(n, dtype=np.int32),
            "source_ns": np.full(n, now, np.int64),
            "receive_ns": np.full(n, now, np.int64),
            "status": np.full(n, status, np.uint32),
        }
        if text:
            empty = np.empty(n, dtype=object)
            empty[:] = [""] * n
            await self.bus.publish(TextBatch(value=empty, **cols))  # type: ignore[arg-type]
        else:
            await self.bus.publish(SampleBatch(value=np.full(n, np.nan), **cols))  # type: ignore[arg-type]

    async def _lost(self, status: int) -> None:
        if self._state is ConnectorState.CONNECTED:
            await self.mark(self._known.numeric, status)
            await self.mark(self._known.text, status, text=True)


class DriverOptions(TypedDict, total=False):
    """The keywords :func:`~shopfloor.connect.registry.build_connector` gives every driver."""

    clock: Clock | None
    dead_letters: DeadLetterStore | None


S = TypeVar("S", bound=ConnectorCommon)


class SpecConnector(Connector, Generic[S]):
    """A protocol driver built from its plant-file entry ``spec``.

    It takes ``(spec, bus, *, clock=None, dead_letters=None)``, the arguments the registry
    passes every driver, and is named and backs off as ``spec`` says. A driver that sets up
    more takes the same arguments and hands them on::

        def __init__(self, spec: ModbusConnectorSpec, bus: Bus, **options: Unpack[DriverOptions]):
            super().__init__(spec, bus, **options)
    """

    def __init__(self, spec: S, bus: Bus, **options: Unpack[DriverOptions]) -> None:
        super().__init__(spec.name, bus, backoff=spec.backoff, **options)
        self.spec = spec
