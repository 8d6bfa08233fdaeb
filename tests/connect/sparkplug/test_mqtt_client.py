"""The MQTT client against scripted in-process brokers: framing, acks, refusals, silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from shopfloor.connect.mqtt_common import (
    BrokerAddress,
    MqttClient,
    MqttError,
    Will,
    connect_packet,
    publish_packet,
    segment,
)
from shopfloor.model.errors import ConfigError

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
CONNACK = b"\x20\x02\x00\x00"


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Script], Awaitable[BrokerAddress]]]:
    """A one-connection TCP server on a free port that runs the test's script."""
    servers: list[asyncio.Server] = []

    async def serve(script: Script) -> BrokerAddress:
        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await script(reader, writer)
            finally:
                writer.close()
                await writer.wait_closed()

        server = await asyncio.start_server(run, "127.0.0.1", 0)
        servers.append(server)
        return BrokerAddress("127.0.0.1", server.sockets[0].getsockname()[1], False)

    yield serve
    for server in servers:
        server.close()
        await server.wait_closed()


async def read_packet(reader: asyncio.StreamReader) -> bytes:
    """One whole packet as it came: header, remaining length, body."""
    raw = await reader.readexactly(1)
    length, shift = 0, 0
    while True:
        byte = await reader.readexactly(1)
        raw += byte
        length |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    return raw + await reader.readexactly(length)


async def test_frames_split_anyhow_across_reads_come_out_whole(scripted) -> None:  # type: ignore[no-untyped-def]
    big = bytes(range(256)) * 80  # 20 kB: a three-byte remaining length
    wire = (
        CONNACK + publish_packet(b"a/b", b"small") + publish_packet(b"c", big, qos=1, packet_id=7)
    )
    acks: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_packet(reader)  # CONNECT
        for i in range(0, len(wire), 3):  # three bytes at a time
            writer.write(wire[i : i + 3])
            await writer.drain()
        acks.append(await read_packet(reader))
        await reader.read()

    client = MqttClient(await scripted(script), client_id="t")
    await client.connect()
    got = []
    while len(got) < 2:
        got += await client.receive()
    await client.disconnect()
    assert [(m.topic, m.payload, m.qos) for m in got] == [("a/b", b"small", 0), ("c", big, 1)]
    assert acks == [b"\x40\x02\x00\x07"]  # the QoS 1 delivery was acknowledged


async def test_a_refused_connection_says_why(scripted) -> None:  # type: ignore[no-untyped-def]
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_packet(reader)
        writer.write(b"\x20\x02\x00\x05")
        await writer.drain()
        await reader.read()

    client = MqttClient(await scripted(script), client_id="t")
    with pytest.raises(MqttError, match="not authorised"):
        await client.connect()


async def test_a_broker_that_falls_silent_is_dropped_after_one_and_a_half_keepalives(
    scripted,  # type: ignore[no-untyped-def]
) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_packet(reader)
        writer.write(CONNACK)
        await writer.drain()
        await reader.read()  # never answers a ping

    client = MqttClient(await scripted(script), client_id="t", keepalive_s=1)
    await client.connect()
    with pytest.raises(MqttError, match="lost"):
        await asyncio.wait_for(client.receive(), 5)
    await client.disconnect()


def test_connect_packets_carry_the_will_and_credentials() -> None:
    packet = connect_packet(
        "id", 30, username="u", password="p", will=Will("w/t", b"bye", qos=1, retain=True)
    )
    assert packet[0] == 0x10
    flags = packet[2 + 7]
    assert flags == 0x80 | 0x40 | 0x20 | (1 << 3) | 0x04 | 0x02
    assert packet.endswith(b"\x00\x01u\x00\x01p")


def test_broker_urls_and_segments() -> None:
    assert BrokerAddress.parse("mqtts://broker.plant") == BrokerAddress("broker.plant", 8883, True)
    assert str(BrokerAddress.parse("mqtt://h:1884")) == "mqtt://h:1884"
    with pytest.raises(ConfigError):
        BrokerAddress.parse("mqtt://user:pw@h")
    with pytest.raises(ConfigError):
        BrokerAddress.parse("http://h")
    assert segment("Press 3 (A)") == "Press_3__A_"
    assert segment("..") == "_"
