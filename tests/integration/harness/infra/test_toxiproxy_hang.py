"""Toxiproxy's one hang, on the real server: a toxic removed in front of one that holds the link's
data never comes off, and the API is gone with it. ``timeline.crossing`` refuses timelines that
would do that; ``ToxiproxyServer.revive`` restarts a server left that way, on the same port.
"""

from __future__ import annotations

import asyncio
from collections import abc
from pathlib import Path

import pytest

from harness.infra.toxiproxy import Toxiproxy, ToxiproxyHung, ToxiproxyServer

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def server(tmp_path: Path) -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer(log_path=tmp_path / "toxiproxy.log") as started:
        yield started


async def hold_behind(toxiproxy: Toxiproxy, first: str, then: str) -> str:
    """A proxy to a server that reads nothing, ``first`` and ``then`` toxics added in that order on
    the client->server link (one latency, one bandwidth of 0), data sent, then latency removed:
    how long it took, or ``hung``."""
    sink = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    toxics = {"latency": ("latency", {"latency": 50, "jitter": 0}), "hold": ("bandwidth", {"rate": 0})}
    try:
        proxy = await toxiproxy.create_proxy("hang", f"127.0.0.1:{sink.sockets[0].getsockname()[1]}")
        _, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        for name in (first, then):
            type_, attributes = toxics[name]
            await toxiproxy.add_toxic("hang", type_, "upstream", attributes, name=name)
        for _ in range(4):  # separate reads: one chunk held by the bandwidth toxic, one behind it
            writer.write(b"x" * 100)
            await writer.drain()
            await asyncio.sleep(0.2)
        try:
            await toxiproxy.remove_toxic("hang", "latency")
        except ToxiproxyHung:
            return "hung"
        writer.close()
        return "removed"
    finally:
        sink.close()
        await toxiproxy.close()


async def proxies(url: str) -> dict[str, object]:
    toxiproxy = Toxiproxy(url)
    try:
        return await toxiproxy.proxies()
    finally:
        await toxiproxy.close()


def test_removing_a_toxic_in_front_of_one_holding_data_hangs_toxiproxy_and_revive_restarts_it(
    server: ToxiproxyServer, tmp_path: Path
) -> None:
    url = server.url
    assert asyncio.run(hold_behind(Toxiproxy(url, timeout_s=2.0), "latency", "hold")) == "hung"
    assert server.revive(probe_s=1.0)
    assert (server.url, server.restarts) == (url, 1)  # the same port: URLs handed out stay right
    assert asyncio.run(proxies(url)) == {}
    assert (tmp_path / "toxiproxy.hung-1.log").exists()  # what it was doing when it hung, kept
    assert not server.revive(probe_s=1.0)


def test_the_same_toxics_nested_come_off_at_once(server: ToxiproxyServer) -> None:
    assert asyncio.run(hold_behind(Toxiproxy(server.url, timeout_s=2.0), "hold", "latency")) == "removed"
    assert not server.revive(probe_s=1.0)
