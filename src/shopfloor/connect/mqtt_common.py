"""MQTT plumbing shared by the Sparkplug host, the JSON connector and the twin's edge node.

:class:`MqttClient` is a small MQTT 3.1.1 client on asyncio: connect (TCP or TLS, username and
password, a last will), subscribe, publish at QoS 0 or 1, keep the link alive, and hand over
received messages **in lists**: everything that arrived since the last call to
:meth:`MqttClient.receive`. It exists because the ingest path is bound by per-message
overhead. On this project's 2-core machine a subscriber built on aiomqtt received about
2,700 messages/s of a flooded topic, one on paho-mqtt's own loop about 14,000, and a reader
that parses every frame of each socket read in one pass (this one) about 100,000; see
``docs/connectors-mqtt.md``. Parsing all frames of a read at once also batches naturally:
the busier the broker, the more messages each ``receive`` returns.

``mqtt://host[:port]`` connects in plain TCP (port 1883), ``mqtts://host[:port]`` over TLS
(port 8883) with the settings of a :class:`~shopfloor.model.connector_spec.TlsSpec`. Secrets
(password, private key) are resolved when a connection opens and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from shopfloor.connect.base import ConnectorError, NotReadyError
from shopfloor.model.connector_spec import TlsSpec
from shopfloor.model.errors import ConfigError
from shopfloor.model.secrets import SecretRef
from shopfloor.model.spec_mqtt import MqttBrokerSpec

log = logging.getLogger("shopfloor.connect.mqtt")

_CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client id rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}
_BAD_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
_INBOX_HIGH = 20_000  # messages held before the socket stops being read (TCP backpressure)


class MqttError(ConnectorError):
    """The broker refused, dropped or did not answer the connection."""

    code = "connect.mqtt"


class Message(NamedTuple):
    """One received PUBLISH."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True)
class Will:
    """The message the broker publishes when the client vanishes without a DISCONNECT."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is: host, port, and whether to speak TLS."""

    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://host[:port]`` or ``mqtts://host[:port]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ConfigError(f"broker {url!r}: use mqtt://host[:port] or mqtts://host[:port]")
        if parts.username or parts.password:
            raise ConfigError(f"broker {parts.hostname}: put credentials in username/password")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise ConfigError(f"broker {url!r}: the port is not a number") from None
        return cls(parts.hostname, port, tls)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def tls_context(tls: TlsSpec | None) -> ssl.SSLContext:
    """An SSL context for a client: the CA to trust and, when given, the client certificate."""
    ctx = ssl.create_default_context(cafile=tls.ca if tls and tls.ca else None)
    if tls is None:
        return ctx
    if tls.cert:
        if tls.key is None:
            raise ConfigError("tls: a client certificate (cert) needs its private key (key)")
        password = tls.key_password.resolve() if tls.key_password else None
        with _key_file(tls.key) as key_path:
            try:
                ctx.load_cert_chain(tls.cert, key_path, password)
            except (OSError, ssl.SSLError) as exc:
                why = f"tls: cannot load client certificate {tls.cert}: {exc}"
                raise ConfigError(why) from None
    if tls.insecure_skip_verify:
        log.warning("tls: server certificates are NOT verified (insecure_skip_verify)")
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


@contextlib.contextmanager
def _key_file(key: SecretRef) -> Iterator[str]:
    """A path to the private key: its own file, or a private temporary copy of an env secret."""
    if key.file is not None:
        yield key.file
        return
    fd, path = tempfile.mkstemp(prefix="shopfloor-key-", suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
            f.write(key.resolve())
        yield path
    finally:
        os.unlink(path)


# -- packets ---------------------------------------------------------------------------------


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _text(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return len(raw).to_bytes(2, "big") + raw


def _packet(header: int, body: bytes) -> bytes:
    return bytes((header,)) + _length(len(body)) + body


def connect_packet(
    client_id: str,
    keepalive_s: int,
    *,
    username: str | None = None,
    password: str | None = None,
    will: Will | None = None,
    clean_session: bool = True,
) -> bytes:
    """An MQTT 3.1.1 CONNECT packet."""
    flags = 0x02 if clean_session else 0
    payload = _text(client_id)
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
        payload += _text(will.topic) + _text(will.payload)
    if username is not None:
        flags |= 0x80
        payload += _text(username)
    if password is not None:
        flags |= 0x40
        payload += _text(password)
    header = _text("MQTT") + bytes((4, flags)) + keepalive_s.to_bytes(2, "big")
    return _packet(0x10, header + payload)


def publish_packet(
    topic: bytes, payload: bytes, qos: int = 0, retain: bool = False, packet_id: int = 0
) -> bytes:
    """A PUBLISH packet (``topic`` already UTF-8 encoded)."""
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += packet_id.to_bytes(2, "big")
    return _packet(0x30 | (qos << 1) | int(retain), body + payload)


# -- the protocol ----------------------------------------------------------------------------


class _Protocol(asyncio.Protocol):
    """Frames in, frames out; everything that is not a PUBLISH resolves a waiting future."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.inbox: list[Message] = []
        self.arrived = asyncio.Event()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.connack: asyncio.Future[int] = loop.create_future()
        self.acks: dict[int, asyncio.Future[bytes]] = {}
        self.writable = asyncio.Event()
        self.writable.set()
        self.last_rx = time.monotonic()
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            if exc is None:
                self.closed.set_result(None)
            else:
                self.closed.set_exception(exc)
            self.closed.exception()  # retrieved here, so asyncio never warns about it
        waiting: list[asyncio.Future[Any]] = [self.connack, *self.acks.values()]
        for future in waiting:
            if not future.done():
                future.set_exception(MqttError("connection to the broker closed"))
        self.arrived.set()
        self.writable.set()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        buf = self.buf
        buf += data
        end = self._frames(buf)
        del buf[:end]
        if self.inbox:
            self.arrived.set()
            if len(self.inbox) > _INBOX_HIGH and not self.paused and self.transport:
                self.transport.pause_reading()
                self.paused = True

    def _frames(self, buf: bytearray) -> int:
        """Handle every complete frame in ``buf``; return where the first incomplete one starts."""
        pos, n = 0, len(buf)
        view = memoryview(buf)
        try:
            while n - pos >= 2:
                length, start = buf[pos + 1], pos + 2
                if length & 0x80:
                    length, start = _long_length(buf, pos + 1)
                    if start < 0:
                        break
                end = start + length
                if end > n:
                    break
                if buf[pos] & 0xF0 == 0x30:
                    self._publish(buf[pos], view, start, end)
                else:
                    self._control(buf[pos], bytes(view[start:end]))
                pos = end
        finally:
            view.release()
        return pos

    def _publish(self, header: int, view: memoryview, start: int, end: int) -> None:
        qos = (header >> 1) & 3
        top = start + 2 + ((view[start] << 8) | view[start + 1])
        topic = str(view[start + 2 : top], "utf-8", "replace")
        if qos:
            packet_id = view[top : top + 2].tobytes()
            top += 2
            self._write((b"\x40\x02" if qos == 1 else b"\x50\x02") + packet_id)
        self.inbox.append(Message(topic, view[top:end].tobytes(), qos, bool(header & 1)))

    def _control(self, header: int, body: bytes) -> None:
        kind = header & 0xF0
        if kind == 0x20 and len(body) >= 2 and not self.connack.done():
            self.connack.set_result(body[1])
        elif kind in (0x40, 0x70, 0x90) and len(body) >= 2:  # PUBACK, PUBCOMP, SUBACK
            future = self.acks.pop(int.from_bytes(body[:2], "big"), None)
            if future is not None and not future.done():
                future.set_result(body[2:])
        elif kind == 0x50 and len(body) >= 2:  # PUBREC: our QoS 2 publishes are never sent
            self._write(b"\x62\x02" + body[:2])
        elif kind == 0x60 and len(body) >= 2:  # PUBREL of a QoS 2 message we received
            self._write(b"\x70\x02" + body[:2])

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def take(self) -> list[Message]:
        messages, self.inbox = self.inbox, []
        self.arrived.clear()
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return messages


def _long_length(buf: bytearray, at: int) -> tuple[int, int]:
    """A multi-byte remaining length: (length, first byte after it), or (0, -1) if incomplete."""
    length, shift = 0, 0
    for i in range(at, min(at + 4, len(buf))):
        length |= (buf[i] & 0x7F) << shift
        shift += 7
        if not buf[i] & 0x80:
            return length, i + 1
    if len(buf) >= at + 4:
        raise MqttError("malformed remaining length from the broker")
    return 0, -1


# -- the client ------------------------------------------------------------------------------


class MqttClient:
    """An MQTT 3.1.1 client for one connection; make a new one to reconnect.

    >>> client = MqttClient(BrokerAddress.parse("mqtt://127.0.0.1"), client_id="doc")
    >>> client.address.port
    1883
    """

    def __init__(
        self,
        address: BrokerAddress,
        *,
        client_id: str,
        username: str | None = None,
        password: SecretRef | None = None,
        tls: TlsSpec | None = None,
        keepalive_s: int = 30,
        will: Will | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.address = address
        self.client_id = client_id
        self.username = username
        self._password = password
        self._tls = tls
        self.keepalive_s = keepalive_s
        self.will = will
        self.timeout_s = timeout_s
        self._proto: _Protocol | None = None
        self._next_id = 0
        self._pinger: asyncio.Task[None] | None = None
        self._topics: dict[str, bytes] = {}

    @classmethod
    def from_spec(
        cls, spec: MqttBrokerSpec, *, default_id: str, will: Will | None = None
    ) -> MqttClient:
        """A client for a connector's broker settings."""
        address = BrokerAddress.parse(spec.broker)
        if spec.tls is not None and not address.tls:
            raise ConfigError(f"connector {spec.name}: tls settings need an mqtts:// broker")
        return cls(
            address,
            client_id=spec.client_id or default_id,
            username=spec.username,
            password=spec.password,
            tls=spec.tls,
            keepalive_s=spec.keepalive_s,
            will=will,
        )

    # -- connection ----------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the connection and wait for the broker's CONNACK."""
        loop = asyncio.get_running_loop()
        ssl_ctx = tls_context(self._tls) if self.address.tls else None
        try:
            _, proto = await asyncio.wait_for(
                loop.create_connection(
                    _Protocol, self.address.host, self.address.port, ssl=ssl_ctx
                ),
                self.timeout_s,
            )
        except (OSError, TimeoutError) as exc:
            raise NotReadyError(f"cannot reach broker {self.address}: {_reason(exc)}") from None
        self._proto = proto
        password = self._password.resolve() if self._password is not None else None
        proto._write(
            connect_packet(
                self.client_id,
                self.keepalive_s,
                username=self.username,
                password=password,
                will=self.will,
            )
        )
        try:
            code = await asyncio.wait_for(asyncio.shield(proto.connack), self.timeout_s)
        except (MqttError, TimeoutError):
            self.abort()
            raise MqttError(f"broker {self.address} did not accept the connection") from None
        if code:
            self.abort()
            raise MqttError(
                f"broker {self.address} refused the connection: "
                f"{_CONNACK_REASONS.get(code, f'code {code}')}"
            )
        self._pinger = asyncio.create_task(self._keepalive(), name=f"mqtt ping {self.client_id}")

    @property
    def connected(self) -> bool:
        return self._proto is not None and not self._proto.closed.done()

    def _live(self) -> _Protocol:
        proto = self._proto
        if proto is None or proto.closed.done():
            raise MqttError(f"not connected to broker {self.address}")
        return proto

    async def _keepalive(self) -> None:
        # Ping every half keep-alive; a link silent for 1.5 keep-alives is dead (MQTT 3.1.2.10).
        proto = self._live()
        while not proto.closed.done():
            await asyncio.sleep(self.keepalive_s / 2)
            if time.monotonic() - proto.last_rx > 1.5 * self.keepalive_s:
                log.warning("broker %s stopped answering; closing the link", self.address)
                self.abort()
                return
            proto._write(b"\xc0\x00")

    def abort(self) -> None:
        """Drop the connection without a DISCONNECT: the broker then publishes the will."""
        if self._pinger is not None:
            self._pinger.cancel()
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.abort()

    async def disconnect(self) -> None:
        """Say goodbye (so the broker does not publish the will) and close."""
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        proto = self._proto
        if proto is None or proto.transport is None or proto.closed.done():
            return
        proto._write(b"\xe0\x00")
        proto.transport.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(proto.closed), self.timeout_s)

    async def wait_closed(self) -> None:
        """Wait until the connection is gone; raises what broke it, if anything did."""
        await asyncio.shield(self._live().closed)

    # -- traffic -------------------------------------------------------------------------
    def _packet_id(self) -> int:
        self._next_id = self._next_id % 0xFFFF + 1
        return self._next_id

    async def _acked(self, packet: bytes, packet_id: int, what: str) -> bytes:
        proto = self._live()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        proto.acks[packet_id] = future
        proto._write(packet)
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            proto.acks.pop(packet_id, None)
            raise MqttError(f"broker {self.address} did not acknowledge {what}") from None

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> None:
        """Subscribe to topic filters at their QoS; raises if the broker refuses one."""
        packet_id = self._packet_id()
        body = packet_id.to_bytes(2, "big") + b"".join(
            _text(topic) + bytes((qos,)) for topic, qos in filters
        )
        codes = await self._acked(_packet(0x82, body), packet_id, "a subscription")
        refused = [topic for (topic, _), code in zip(filters, codes, strict=False) if code >= 0x80]
        if refused:
            raise MqttError(f"broker {self.address} refused subscription to {', '.join(refused)}")

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False
    ) -> None:
        """Publish; QoS 1 waits for the broker's PUBACK, QoS 0 only for room to write."""
        proto = self._live()
        raw = self._topic(topic)
        if qos == 0:
            proto._write(publish_packet(raw, payload, 0, retain))
            if not proto.writable.is_set():
                await proto.writable.wait()
            return
        packet_id = self._packet_id()
        await self._acked(publish_packet(raw, payload, 1, retain, packet_id), packet_id, topic)

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish many messages at QoS 0 in one socket write (fewer system calls)."""
        proto = self._live()
        proto._write(b"".join(publish_packet(self._topic(t), p) for t, p in messages))
        if not proto.writable.is_set():
            await proto.writable.wait()

    def _topic(self, topic: str) -> bytes:
        raw = self._topics.get(topic)
        if raw is None:
            if len(self._topics) > 10_000:
                self._topics.clear()
            raw = self._topics[topic] = topic.encode()
        return raw

    async def receive(self) -> list[Message]:
        """Every message that arrived since the last call, waiting for at least one.

        Raises :class:`MqttError` once the connection is lost and nothing is left.
        """
        proto = self._proto
        if proto is None:
            raise MqttError("not connected")
        while not proto.inbox:
            if proto.closed.done():
                exc = proto.closed.exception()
                why = f": {_reason(exc)}" if exc else ""
                raise MqttError(f"connection to broker {self.address} lost{why}")
            await proto.arrived.wait()
            if not proto.inbox:
                proto.arrived.clear()
        return proto.take()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def segment(name: str) -> str:
    """An MQTT identifier (Sparkplug id, metric folder, topic level) as one asset path
    segment: characters other than letters, digits, ``_ . -`` become ``_``."""
    cleaned = _BAD_CHARS.sub("_", name)
    return cleaned if cleaned.strip(".") else "_"


def client_id(prefix: str) -> str:
    """A unique client id: ``prefix`` and a random suffix (MQTT ids must not collide)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
