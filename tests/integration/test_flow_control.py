"""Backpressure: producers can wait for a client to drain; a client that stops reading is dropped."""

import asyncio

import aiohttp

from simulator import DemoHub, ServerConfig, SimulatorServer

from ..polling import until
from .conftest import closed_record, connect

PAYLOAD = ["x" * 1000]


async def test_wait_writable_returns_once_the_client_has_read_everything(http: aiohttp.ClientSession) -> None:
    async with SimulatorServer(ServerConfig(), [DemoHub(rate_per_s=0)]) as server:
        client = await connect(http, server.url)
        [session] = server.sessions.values()
        hub = server.hubs["demo"]
        for _ in range(2000):
            hub.broadcast("Bulk", PAYLOAD)
        assert session.pending_bytes > 0
        reader = asyncio.create_task(client.ws.receive())
        async with asyncio.timeout(5):
            while session.pending_bytes:
                if reader.done():
                    reader = asyncio.create_task(client.ws.receive())
                await asyncio.wait([reader], timeout=0.01)
                await session.wait_writable(10**9)  # returns at once: above the bound
        await session.wait_writable(0)
        reader.cancel()
        await client.ws.close()


async def test_a_client_that_stops_reading_is_dropped_past_the_send_buffer_limit(
    http: aiohttp.ClientSession,
) -> None:
    config = ServerConfig(send_buffer_limit_bytes=2 * 1024 * 1024)
    async with SimulatorServer(config, [DemoHub(rate_per_s=0)]) as server:
        client = await connect(http, server.url)  # kept alive, and never read again
        [session] = server.sessions.values()
        hub = server.hubs["demo"]
        for _ in range(200):  # up to 200 MB offered; loopback buffers absorb only a few
            for _ in range(1000):
                hub.broadcast("Bulk", PAYLOAD)
            await asyncio.sleep(0)
            if not session.is_open or server.records[session.connection_id].close is not None:
                break
        await until(lambda: not server.sessions, within_s=10, what="slow client dropped")
        record = await closed_record(server)
        assert (record.close["reason"], record.close["by"]) == ("dropped", "server")
        assert record.close["error"] == "send buffer over limit"
        await session.wait_writable(0)  # the connection ended: does not wait forever
        await client.ws.close()
