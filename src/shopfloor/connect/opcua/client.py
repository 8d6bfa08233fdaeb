"""The OPC UA client connector: subscriptions in, batches out.

One connection (a :meth:`OpcUaConnector.session`) goes:

1. secure the client (:mod:`~shopfloor.connect.opcua.security`) and connect;
2. find the points to follow (:mod:`~shopfloor.connect.opcua.nodes`);
3. create one subscription with a monitored item per point, reporting on every change of
   status, value *or source timestamp*, so each new measurement becomes a sample even when
   its value repeats;
4. receive: data-change notifications are gathered while they arrive together (one publish
   response's worth, as the reader drains asyncua's queue without yielding) and then go on
   the bus as one :class:`SampleBatch` and one :class:`TextBatch`.

A dead server shows in three ways, each of which ends the session with an error so that the
base class marks every delivered tag ``BadNoCommunication`` and reconnects with backoff: the
socket closes, asyncua's watchdog gets no answer to its periodic read of the server state
(every ``watchdog_interval``), or the subscription reports a bad status. asyncua's own
reconnect is left off: the life cycle is the same for every protocol and lives in
:class:`~shopfloor.connect.base.Connector`.

If the connector falls so far behind that asyncua's queue overflows, asyncua drops the
connection (overflow policy ``DISCONNECT``) rather than losing values silently: the gap then
shows as bad quality, as any other loss of connection does.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.subscription import (
    DataChangeEvent,
    OverflowPolicy,
    StatusChangeEvent,
    Subscription,
)
from asyncua.ua.attribute_ids import AttributeIds

from shopfloor.bus.base import Bus
from shopfloor.connect.base import Connector, ConnectorError
from shopfloor.connect.deadletter import DeadLetterStore
from shopfloor.connect.opcua.nodes import Missing, resolve
from shopfloor.connect.opcua.security import hide_credentials_in_library_logs, secure
from shopfloor.connect.opcua.values import Point, Rows
from shopfloor.model.clock import Clock
from shopfloor.model.spec_opcua import OpcUaConnectorSpec

QUEUE_EVENTS = 200_000
"""asyncua's notification queue: past this the connection is dropped (see module)."""
PENDING_ROWS = 50_000
"""Rows gathered before the reader waits for the bus to take them."""
KEEPALIVE_S = 10.0
"""How often an idle subscription tells us it is alive."""
SESSION_TIMEOUT_MS = 60_000
"""How long the server keeps our session after it last heard from us."""
_ITEMS_PER_CALL = 1000


class ConnectionLostError(ConnectionError):
    """The server went away while the connector was receiving."""


class OpcUaConnector(Connector):
    """Follows OPC UA nodes through one subscription; see the module docstring."""

    type = "opcua"

    def __init__(
        self,
        spec: OpcUaConnectorSpec,
        bus: Bus,
        *,
        clock: Clock | None = None,
        dead_letters: DeadLetterStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            spec.name, bus, backoff=spec.backoff, clock=clock, dead_letters=dead_letters, rng=rng
        )
        self.spec = spec
        self.points: tuple[Point, ...] = ()
        """The points followed by the current (or last) connection."""
        hide_credentials_in_library_logs()

    async def session(self) -> None:
        """Connect, subscribe, receive until the link fails (see the module docstring)."""
        client = self._client()
        lost: list[Exception] = []
        wake = asyncio.Event()
        client.connection_lost_callback = _on_lost(lost, wake)
        try:
            await secure(client, self.spec, self.log)
            await client.connect()
            points, missing = await resolve(client, self.spec, self.log)
            subscription, refused = await self._subscribe(client, points)
            unfollowed = {m.point for m in refused}
            self.points = tuple(p for p in points if p not in unfollowed)
            if not self.points:
                # Following nothing is a broken link: retry, resolving the nodes afresh.
                raise ConnectorError(_summary([*missing, *refused], "nothing can be followed: "))
            self.connected()
            await self._report_missing([*missing, *refused])
            await self._receive(subscription, Rows(points), wake, lost)
        finally:
            client.connection_lost_callback = None
            await _close(client)

    def _client(self) -> Client:
        spec = self.spec
        client = Client(
            spec.endpoint,
            timeout=spec.request_timeout,
            watchdog_intervall=spec.watchdog_interval,
            auto_reconnect=False,
        )
        client.name = client.description = f"shopfloor {spec.name}"
        client.product_uri = "urn:shopfloor"
        # A session orphaned by a crash of ours should not linger on the server for long;
        # every reconnect makes a new one anyway.
        client.session_timeout = SESSION_TIMEOUT_MS
        return client

    # -- subscribing ---------------------------------------------------------------------
    async def _subscribe(
        self, client: Client, points: Sequence[Point]
    ) -> tuple[Subscription, list[Missing]]:
        subscription = await client.create_subscription(
            self._subscription_parameters(),
            None,
            queue_maxsize=QUEUE_EVENTS,
            overflow=OverflowPolicy.DISCONNECT,
        )
        refused: list[Missing] = []
        for start in range(0, len(points), _ITEMS_PER_CALL):
            chunk = points[start : start + _ITEMS_PER_CALL]
            requests = [self._item(start + i, p) for i, p in enumerate(chunk)]
            results = await subscription.create_monitored_items(requests)
            for point, result in zip(chunk, results, strict=True):
                if isinstance(result, ua.StatusCode):
                    reason = f"node {point.node_id.to_string()}: {result.name}"
                    refused.append(Missing(point, int(result.value), reason))
        return subscription, refused

    def _subscription_parameters(self) -> ua.CreateSubscriptionParameters:
        interval = self.spec.publishing_interval_ms
        keepalive = max(1, math.ceil(KEEPALIVE_S * 1000 / interval))
        return ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=interval,
            RequestedMaxKeepAliveCount=keepalive,
            # The specification asks for a lifetime of at least three keep-alives.
            RequestedLifetimeCount=10 * keepalive,
            MaxNotificationsPerPublish=0,
            PublishingEnabled=True,
            Priority=0,
        )

    def _item(self, index: int, point: Point) -> ua.MonitoredItemCreateRequest:
        parameters = ua.MonitoringParameters(
            # Handles start at 1; the point is handle - 1 when notifications come back.
            ClientHandle=index + 1,
            SamplingInterval=self.spec.sampling_interval_ms,
            Filter=ua.DataChangeFilter(Trigger=ua.DataChangeTrigger.StatusValueTimestamp),
            QueueSize=self.spec.queue_size,
            DiscardOldest=True,
        )
        return ua.MonitoredItemCreateRequest(
            ItemToMonitor=ua.ReadValueId(NodeId=point.node_id, AttributeId=AttributeIds.Value),
            MonitoringMode=ua.MonitoringMode.Reporting,
            RequestedParameters=parameters,
        )

    async def _report_missing(self, missing: Sequence[Missing]) -> None:
        """Nodes that cannot be followed: warn, and record their status on their tags."""
        if not missing:
            return
        for item in missing:
            self.log.warning("not following %s: %s", item.point.path, item.reason)
        for status in {m.status for m in missing}:
            await self.mark({m.point.path for m in missing if m.status == status}, status)
        self.last_error = _summary(missing)

    # -- receiving -----------------------------------------------------------------------
    async def _receive(
        self, subscription: Subscription, rows: Rows, wake: asyncio.Event, lost: list[Exception]
    ) -> None:
        room = asyncio.Event()
        reader = asyncio.create_task(self._read(subscription, rows, wake, room))
        try:
            while True:
                await wake.wait()
                wake.clear()
                await self._flush(rows)
                room.set()
                if lost:
                    raise ConnectionLostError(f"connection lost: {_describe(lost[0])}")
                if reader.done():
                    reader.result()  # raises what ended the stream, if anything did
                    raise ConnectionLostError("the subscription was closed")
        except asyncio.CancelledError:
            await self._flush(rows)  # stop(): what arrived is published first
            raise
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read(
        self, subscription: Subscription, rows: Rows, wake: asyncio.Event, room: asyncio.Event
    ) -> None:
        """Drain asyncua's notification queue into ``rows``; raise on a bad status change."""
        try:
            async for event in subscription:
                if isinstance(event, DataChangeEvent):
                    item = event.data.monitored_item
                    rows.add(item.ClientHandle - 1, event.value, item.Value, self.clock.now_ns())
                elif isinstance(event, StatusChangeEvent):
                    _check(event.notification)
                wake.set()
                if len(rows) >= PENDING_ROWS:
                    room.clear()
                    await room.wait()
        finally:
            wake.set()

    async def _flush(self, rows: Rows) -> None:
        samples, texts, refused = rows.take()
        if samples is not None:
            await self.publish(samples)
        if texts is not None:
            await self.publish(texts, messages=0 if samples is not None else 1)
        for item in refused:
            await self.reject(item.reason, item.source, item.payload)


def _summary(missing: Sequence[Missing], lead: str = "") -> str:
    more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
    return lead + "; ".join(m.reason for m in missing[:3]) + more


def _check(notification: ua.StatusChangeNotification) -> None:
    status = notification.Status
    if status is not None and not status.is_good():
        raise ConnectionLostError(f"the server ended the subscription: {status.name}")


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _on_lost(
    lost: list[Exception], wake: asyncio.Event
) -> Callable[[Exception], Coroutine[Any, Any, None]]:
    async def on_lost(exc: Exception) -> None:
        lost.append(exc)
        wake.set()

    return on_lost


async def _close(client: Client) -> None:
    # disconnect() also cancels asyncua's watchdog and publish tasks. A dead link cannot be
    # closed politely; asyncua logs that, and the socket is gone anyway.
    with contextlib.suppress(Exception):
        await client.disconnect()
