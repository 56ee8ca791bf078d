"""The load feed (``harness.load.feed``, blocking websocket-client, in worker threads here) against
an in-process Gateway simulator on loopback: its handshake and its server timeout are the core's,
so the simulator's ``reject_handshake`` and ``stop_pings`` faults end it with ``FeedError``."""

from __future__ import annotations

import asyncio
import time
from collections import abc

import aiohttp
import pytest

from harness.load.feed import FeedError, HubFeed, login, run_timers
from signalr_protocol import Timeouts
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile

from ....polling import until
from ...test_server_faults import inject

SERVER_PINGS_S = 0.1
FAST = Timeouts(keep_alive_interval_s=0.1, peer_timeout_s=0.5, handshake_timeout_s=3.0)


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    quiet = StreamProfile(default={"quote": 0, "trade": 0, "depth": 0})
    gw = build_gateway(ServerConfig(keep_alive_interval_s=SERVER_PINGS_S), GatewayConfig(profile=quiet))
    async with gw.server:
        yield gw


async def connect(gw: Gateway, timeouts: Timeouts = FAST) -> HubFeed:
    token = await asyncio.to_thread(login, gw.server.url, "sim", "sim-api-key-0001")
    return await asyncio.to_thread(HubFeed.connect, gw.server.url, "market", token, timeouts)


def drain(feed: HubFeed) -> int:
    """Read the feed to its end; how many messages it gave."""
    return sum(1 for _ in feed.messages())


async def test_a_rejected_handshake_raises_feed_error_with_the_servers_message(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    status, _ = await inject(
        http, gateway.server, "reject_handshake", hub="market", params={"error": "No thanks."}
    )
    assert status == 201
    with pytest.raises(FeedError, match=r"^handshake refused: No thanks\.$"):
        await connect(gateway)
    [record] = gateway.server.records.values()
    assert record.handshake is not None
    assert record.handshake["error"] == "No thanks."


async def test_a_server_that_stops_pinging_ends_the_feed_after_the_server_timeout(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    feed = await connect(gateway)
    reader = asyncio.ensure_future(asyncio.to_thread(drain, feed))
    timers = asyncio.ensure_future(asyncio.to_thread(run_timers, [feed]))
    try:
        [record] = gateway.server.records.values()
        # ten keep-alive pings from the feed's timers: a second, twice the server timeout, during
        # which the server's pings kept the feed open
        await until(lambda: record.count_in >= 10, within_s=5.0, what="ten pings from the feed")
        assert not reader.done()
        await inject(http, gateway.server, "stop_pings", hub="market")
        stopped = time.monotonic()
        with pytest.raises(FeedError, match=r"peer_timeout \(Server timeout elapsed"):
            async with asyncio.timeout(5.0):
                await reader
        assert time.monotonic() - stopped >= FAST.peer_timeout_s - SERVER_PINGS_S  # type: ignore[operator]
        async with asyncio.timeout(2.0):
            await timers  # every feed closed: the timers end
    finally:
        await asyncio.to_thread(feed.close)  # wakes a reader still blocked (a failed assertion)
        await asyncio.wait([reader, timers], timeout=5.0)
