"""An in-process simulator with fast timers, and a raw WebSocket client to poke it byte by byte."""

from __future__ import annotations

import asyncio
import time
from collections import abc
from typing import Any

import aiohttp
import pytest

from signalr_protocol import (
    JSON,
    Closed,
    Connection,
    Event,
    HandshakeCompleted,
    HubMessage,
    HubProtocol,
    Role,
    Timeouts,
)
from simulator import DemoHub, ServerConfig, SimulatorServer

from ..polling import until

FAST = ServerConfig(
    keep_alive_interval_s=0.2,
    client_timeout_s=1.0,
    handshake_timeout_s=0.5,
    disconnect_timeout_s=0.5,
)


@pytest.fixture
async def server() -> abc.AsyncIterator[SimulatorServer]:
    async with SimulatorServer(FAST, [DemoHub(rate_per_s=50.0)]) as srv:
        yield srv


@pytest.fixture
async def http() -> abc.AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class RawHubClient:
    """A WebSocket to a hub; frames are parsed by a client-role core so tests see messages."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, protocol: HubProtocol) -> None:
        self.ws = ws
        self.protocol = protocol
        self.core = Connection(Role.CLIENT, time.monotonic(), timeouts=Timeouts(None, None, None))
        self.frames: list[aiohttp.WSMessage] = []
        self.events: list[Event] = []

    async def handshake(self, version: int = 1) -> Event:
        self.core.start_handshake(self.protocol, version, time.monotonic())
        await self.flush()
        return await self.next_event()

    async def flush(self) -> None:
        for record in self.core.data_to_send():
            if self.core.binary:
                await self.ws.send_bytes(record)
            else:
                await self.ws.send_str(record.decode())

    async def send(self, message: HubMessage) -> None:
        self.core.send(message, time.monotonic())
        await self.flush()

    async def next_event(self, within_s: float = 3.0) -> Event:
        async with asyncio.timeout(within_s):
            while not self.events:
                frame = await self.ws.receive()
                self.frames.append(frame)
                if frame.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
                    self.core.receive_data(data, time.monotonic())
                    self.events.extend(self.core.events_received())
                else:
                    raise ConnectionError(f"socket ended: {frame.type.name} {frame.data}")
            return self.events.pop(0)

    async def next_message(self, within_s: float = 3.0, *, skip_pings: bool = True) -> Event:
        while True:
            event = await self.next_event(within_s)
            if isinstance(event, HandshakeCompleted):
                continue
            if skip_pings and getattr(event, "type", None) == 6 and not isinstance(event, Closed):
                continue
            return event

    async def ws_close_code(self, within_s: float = 3.0) -> int | None:
        """Read until the WebSocket closes; the close code."""
        async with asyncio.timeout(within_s):
            while True:
                frame = await self.ws.receive()
                if frame.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                ):
                    return self.ws.close_code


async def negotiate(http: aiohttp.ClientSession, url: str, hub: str = "demo", **query: str) -> dict[str, Any]:
    async with http.post(f"{url}/hubs/{hub}/negotiate", params=query) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def connect(
    http: aiohttp.ClientSession,
    url: str,
    *,
    hub: str = "demo",
    protocol: HubProtocol = JSON,
    handshake: bool = True,
    **ws_kwargs: Any,
) -> RawHubClient:
    body = await negotiate(http, url, hub)
    ws = await http.ws_connect(f"{url}/hubs/{hub}", params={"id": body["connectionId"]}, **ws_kwargs)
    client = RawHubClient(ws, protocol)
    if handshake:
        assert isinstance(await client.handshake(), HandshakeCompleted)
    return client


def only_record(server: SimulatorServer) -> Any:
    [record] = server.records.values()
    return record


async def closed_record(server: SimulatorServer) -> Any:
    record = only_record(server)
    await until(lambda: record.close is not None, what="connection record closed")
    return record
