"""The real Toxiproxy and the fault recipes: each does what its name says, on a live hub connection.

Through a proxy to the simulator's demo hub, a subscribed client gets ``Tick`` invocations at
50 per second, numbered by ``seq``; what the recipes do is read off that stream.
"""

from __future__ import annotations

import time
from collections import abc

import aiohttp
import pytest

from harness.errors import SetupError
from harness.faults import REGISTRY, FaultTarget, fault_named
from harness.infra.toxiproxy import Proxy, Toxiproxy, ToxiproxyError, ToxiproxyServer, find_binary
from signalr_protocol import Completion, Invocation
from simulator import DemoHub, ServerConfig, SimulatorServer

from ...conftest import RawHubClient, connect


@pytest.fixture(scope="module")
def toxiproxy_server() -> abc.Iterator[ToxiproxyServer]:
    with ToxiproxyServer() as server:
        yield server


@pytest.fixture
async def toxiproxy(toxiproxy_server: ToxiproxyServer) -> abc.AsyncIterator[Toxiproxy]:
    client = Toxiproxy(toxiproxy_server.url, timeout_s=5.0)
    await client.reset()
    for name in await client.proxies():
        await client.delete_proxy(name)
    yield client
    await client.close()


@pytest.fixture
async def sim() -> abc.AsyncIterator[SimulatorServer]:
    async with SimulatorServer(ServerConfig(keep_alive_interval_s=None), [DemoHub(rate_per_s=50)]) as server:
        yield server


@pytest.fixture
async def proxy(toxiproxy: Toxiproxy, sim: SimulatorServer) -> Proxy:
    return await toxiproxy.create_proxy("demo", f"127.0.0.1:{sim.port}")


async def ticking(http: aiohttp.ClientSession, proxy: Proxy) -> RawHubClient:
    client = await connect(http, proxy.url())
    await client.send(Invocation("Subscribe", [], "s"))
    return client


IN_FLIGHT_S = 0.25  # on a busy machine a toxic lands on a live connection a little late


async def ticks(client: RawHubClient, within_s: float) -> list[int]:
    """The seq of every Tick that arrives within ``within_s``."""
    seen: list[int] = []
    deadline = time.monotonic() + within_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await client.next_message(within_s=left)
        except (TimeoutError, ConnectionError):  # silence, or the connection ended
            break
        if isinstance(message, Invocation) and message.target == "Tick":
            seen.append(message.arguments[0]["seq"])
    return seen


async def test_the_server_is_the_pinned_version_and_errors_carry_its_message(
    toxiproxy: Toxiproxy, proxy: Proxy
) -> None:
    assert await toxiproxy.version() == "2.12.0"
    assert proxy.port > 0
    with pytest.raises(ToxiproxyError, match="409: proxy already exists"):
        await toxiproxy.create_proxy("demo", "127.0.0.1:1")
    with pytest.raises(ToxiproxyError, match="400: invalid toxic type"):
        await toxiproxy.add_toxic("demo", "no_such_toxic", "downstream", {})
    with pytest.raises(ToxiproxyError, match="404"):
        await toxiproxy.remove_toxic("demo", "absent")
    with pytest.raises(ValueError, match="toxicity must be 0 or 1"):
        await toxiproxy.add_toxic("demo", "latency", "downstream", {"latency": 1}, toxicity=0.5)
    with pytest.raises(ValueError, match="jitter must be 0"):
        await toxiproxy.add_toxic("demo", "latency", "downstream", {"latency": 1, "jitter": 5})
    assert [c.status for c in toxiproxy.journal][-3:] == [409, 400, 404]  # every call journalled


def test_a_missing_binary_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOXIPROXY_BIN", "/nonexistent/toxiproxy-server")
    with pytest.raises(SetupError, match="not an executable file"):
        find_binary()


def test_every_fault_is_registered_under_its_name() -> None:
    network = {n for n, cls in REGISTRY.items() if cls.layer == "network"}
    server = {n for n, cls in REGISTRY.items() if cls.layer == "server"}
    assert network == {
        "partition",
        "half_open",
        "reset",
        "latency",
        "bandwidth",
        "slicer",
        "cut_after",
        "refuse",
    }
    assert server == {"server_close", "server_abort", "expire_tokens", "burst", "server:"}
    with pytest.raises(ValueError, match="unknown fault 'earthquake': choose from bandwidth, burst"):
        fault_named("earthquake")


def at(toxiproxy: Toxiproxy, proxy: Proxy) -> tuple[FaultTarget, str]:
    """The demo proxy as the hub a fault is applied to (no simulator control needed here)."""
    return FaultTarget(toxiproxy, {"demo": proxy.name}, control_url="http://127.0.0.1:9"), "demo"


async def test_partition_hold_delivers_nothing_then_everything(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    client = await ticking(http, proxy)
    assert await ticks(client, 0.3)
    fault = fault_named("partition", {"heal": "hold"})
    await fault.apply(*at(toxiproxy, proxy))
    await ticks(client, IN_FLIGHT_S)  # what was already past the proxy when the toxic landed
    assert await ticks(client, 0.5) == []
    await fault.clear(*at(toxiproxy, proxy))
    after = await ticks(client, 0.5)
    assert after == list(range(after[0], after[0] + len(after)))  # held, not lost
    assert len(after) >= 25


async def test_partition_drop_closes_the_connections_when_it_heals(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    client = await ticking(http, proxy)
    assert await ticks(client, 0.2)
    fault = fault_named("partition", {"heal": "drop"})
    await fault.apply(*at(toxiproxy, proxy))
    await ticks(client, IN_FLIGHT_S)  # what was already past the proxy when the toxic landed
    assert await ticks(client, 0.4) == []
    await fault.clear(*at(toxiproxy, proxy))
    assert await client.ws_close_code() is not None


async def test_half_open_silences_the_server_while_the_client_still_gets_through(
    toxiproxy: Toxiproxy, proxy: Proxy, sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await ticking(http, proxy)
    assert await ticks(client, 0.2)
    await fault_named("half_open").apply(*at(toxiproxy, proxy))
    await client.flush()
    [record] = sim.records.values()
    before = record.count_in
    await client.send(Invocation("Echo", ["still here"], "e"))
    assert await ticks(client, 0.4) == []  # no Completion, no Tick: silence
    assert record.count_in == before + 1  # yet the server got the invocation
    assert not client.ws.closed


async def test_reset_kills_the_connection_on_the_next_server_bytes(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    client = await ticking(http, proxy)
    assert await ticks(client, 0.2)
    await fault_named("reset").apply(*at(toxiproxy, proxy))
    assert await client.ws_close_code(within_s=3) is not None


async def test_refuse_closes_everything_and_refuses_until_cleared(
    toxiproxy: Toxiproxy, proxy: Proxy, sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await ticking(http, proxy)
    fault = fault_named("refuse")
    await fault.apply(*at(toxiproxy, proxy))
    assert await client.ws_close_code() is not None
    with pytest.raises(aiohttp.ClientConnectorError):
        await connect(http, proxy.url())
    await fault.clear(*at(toxiproxy, proxy))
    again = await ticking(http, proxy)
    assert await ticks(again, 0.3)


async def test_cut_after_ends_each_connection_after_its_byte_allowance(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    await fault_named("cut_after", {"bytes": 2000}).apply(*at(toxiproxy, proxy))
    client = await ticking(http, proxy)
    got = await ticks(client, 2.0)
    assert 3 <= len(got) <= 40  # about 2000 bytes of ~90-byte ticks, then the end
    assert client.ws.closed or await client.ws_close_code() is not None


async def test_latency_delays_each_direction(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, proxy.url())

    async def echo_rtt() -> float:
        started = time.monotonic()
        await client.send(Invocation("Echo", ["x"], "e"))
        while not isinstance(await client.next_message(), Completion):
            pass
        return time.monotonic() - started

    base = await echo_rtt()
    await fault_named("latency", {"ms": 100}).apply(*at(toxiproxy, proxy))
    delayed = await echo_rtt()
    assert delayed >= 0.2  # 100 ms each way
    assert delayed > base + 0.15


async def test_slicer_splits_records_without_losing_any(
    toxiproxy: Toxiproxy, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    await fault_named("slicer", {"size": 7, "delay_us": 10}).apply(*at(toxiproxy, proxy))
    client = await ticking(http, proxy)
    got = await ticks(client, 0.5)
    assert len(got) >= 10
    assert got == list(range(got[0], got[0] + len(got)))
