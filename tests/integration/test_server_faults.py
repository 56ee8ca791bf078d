"""Server-side faults through the control API: each does what its name says, and bad input is
refused with a clear 4xx."""

from __future__ import annotations

import time
from collections import abc
from typing import Any

import aiohttp
import pytest

from signalr_protocol import Close, Closed, CloseReason, Completion, Invocation, Ping
from simulator import DemoHub, ServerConfig, SimulatorServer

from .conftest import RawHubClient, connect


@pytest.fixture
async def sim() -> abc.AsyncIterator[SimulatorServer]:
    async with SimulatorServer(ServerConfig(keep_alive_interval_s=0.2), [DemoHub(rate_per_s=0)]) as server:
        yield server


async def inject(
    http: aiohttp.ClientSession, sim: SimulatorServer, fault: str, **body: Any
) -> tuple[int, Any]:
    async with http.post(f"{sim.url}/_sim/faults", json={"fault": fault, **body}) as r:
        return r.status, await r.json()


async def clear(http: aiohttp.ClientSession, sim: SimulatorServer) -> None:
    async with http.delete(f"{sim.url}/_sim/faults") as r:
        assert r.status == 200


async def echo(client: RawHubClient, value: str = "hi") -> Completion:
    await client.send(Invocation("Echo", [value], "e"))
    while True:
        message = await client.next_message()
        if isinstance(message, Completion):
            return message


@pytest.mark.parametrize(
    ("body", "status", "complaint"),
    [
        ({"fault": "earthquake"}, 400, "unknown fault"),
        ({"fault": "partition"}, 400, "'partition' is a network fault: the harness makes it with Toxiproxy"),
        ({"fault": "burst"}, 400, "'burst' is not a fault of this endpoint: it is POST /_sim/market/bursts"),
        ({"fault": "negotiate_status", "params": {"status": 200}}, 400, "400-599"),
        ({"fault": "negotiate_status", "params": {"code": 500}}, 400, "unknown parameter"),
        ({"fault": "slow_negotiate", "params": {"delay_s": "long"}}, 400, "wrong type"),
        ({"fault": "stop_pings", "hub": "nope"}, 404, "no hub"),
        ({"fault": "stop_pings", "connection": "nope"}, 404, "no connection"),
        ({"params": {}}, 400, "fault"),
    ],
)
async def test_bad_fault_requests_are_refused(
    sim: SimulatorServer, http: aiohttp.ClientSession, body: dict[str, Any], status: int, complaint: str
) -> None:
    async with http.post(f"{sim.url}/_sim/faults", json=body) as r:
        assert r.status == status
        assert complaint in (await r.json())["error"]
    assert not sim.faults


async def test_faults_are_listed_scoped_and_cleared(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    status, entry = await inject(http, sim, "negotiate_status", params={"status": 503}, hub="demo")
    assert status == 201
    assert entry == {
        "id": 1,
        "fault": "negotiate_status",
        "params": {"status": 503, "text": ""},
        "hub": "demo",
        "connection": None,
    }
    async with http.get(f"{sim.url}/_sim/faults") as r:
        assert (await r.json())["faults"] == [entry]
    async with http.get(f"{sim.url}/_sim/faults/types") as r:
        assert "split_frames" in (await r.json())["faults"]
    async with http.post(f"{sim.url}/hubs/demo/negotiate") as r:
        assert r.status == 503
    async with http.delete(f"{sim.url}/_sim/faults/1") as r:
        assert (await r.json()) == {"cleared": [1]}
    async with http.delete(f"{sim.url}/_sim/faults/1") as r:
        assert r.status == 404
    async with http.post(f"{sim.url}/hubs/demo/negotiate") as r:
        assert r.status == 200


async def test_upgrade_status_and_hub_down(sim: SimulatorServer, http: aiohttp.ClientSession) -> None:
    live = await connect(http, sim.url)
    await inject(http, sim, "hub_down", hub="demo")
    assert await live.next_message() == Close("Server is shutting down.", allow_reconnect=True)
    async with http.post(f"{sim.url}/hubs/demo/negotiate") as r:
        assert r.status == 503
    await clear(http, sim)
    await inject(http, sim, "upgrade_status", params={"status": 401})
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(http, sim.url)
    assert refused.value.status == 401


async def test_reject_and_slow_handshake(sim: SimulatorServer, http: aiohttp.ClientSession) -> None:
    await inject(http, sim, "reject_handshake", params={"error": "No thanks."})
    client = await connect(http, sim.url, handshake=False)
    event = await client.handshake()
    assert isinstance(event, Closed)
    assert event.reason is CloseReason.HANDSHAKE_FAILED
    assert event.error == "No thanks."
    await clear(http, sim)
    await inject(http, sim, "slow_handshake", params={"delay_s": 0.4})
    started = time.monotonic()
    await connect(http, sim.url)
    assert time.monotonic() - started >= 0.4


async def test_a_rejected_handshake_can_hold_the_socket_before_closing(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    await inject(http, sim, "reject_handshake", params={"close_after_s": 0.5})
    client = await connect(http, sim.url, handshake=False)
    assert isinstance(await client.handshake(), Closed)
    started = time.monotonic()
    await client.ws_close_code(within_s=3.0)
    assert time.monotonic() - started >= 0.4  # the error came at once, the close half a second later
    status, body = await inject(http, sim, "reject_handshake", params={"close_after_s": 99})
    assert status == 400
    assert "close_after_s" in body["error"]


async def test_slow_negotiate(sim: SimulatorServer, http: aiohttp.ClientSession) -> None:
    await inject(http, sim, "slow_negotiate", params={"delay_s": 0.3})
    started = time.monotonic()
    async with http.post(f"{sim.url}/hubs/demo/negotiate") as r:
        assert r.status == 200
    assert time.monotonic() - started >= 0.3


async def test_slow_upgrade_holds_the_101_then_connects(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    await inject(http, sim, "slow_upgrade", params={"delay_s": 0.3})
    started = time.monotonic()
    client = await connect(http, sim.url)  # negotiate answers at once; the upgrade waits, then the handshake
    assert time.monotonic() - started >= 0.3
    await client.ws.close()


async def test_stop_pings_silences_an_idle_connection_until_cleared(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, sim.url)
    assert await client.next_message(skip_pings=False) == Ping()
    await inject(http, sim, "stop_pings")
    await client.flush()
    with pytest.raises(TimeoutError):
        await client.next_message(within_s=0.6, skip_pings=False)
    await clear(http, sim)
    assert await client.next_message(within_s=1.0, skip_pings=False) == Ping()


async def test_split_frames_cut_records_across_frames_without_changing_them(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, sim.url)
    await inject(http, sim, "split_frames", params={"size": 5})
    client.frames.clear()
    assert (await echo(client, "a fairly long value")).result == "a fairly long value"
    data_frames = [f for f in client.frames if f.type == aiohttp.WSMsgType.TEXT]
    assert len(data_frames) > 3
    assert all(len(f.data) <= 5 for f in data_frames)


async def test_duplicate_messages_and_error_completions(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, sim.url)
    await inject(http, sim, "duplicate_messages")
    async with http.post(
        f"{sim.url}/_sim/hubs/demo/broadcast", json={"target": "Note", "arguments": [1]}
    ) as r:
        assert r.status == 200
    first, second = await client.next_message(), await client.next_message()
    assert first == second == Invocation("Note", [1])
    await clear(http, sim)
    await inject(
        http, sim, "error_completions", params={"methods": ["Echo"], "error": "Down for maintenance"}
    )
    assert (
        (await echo(client)).error
        == "An unexpected error occurred invoking 'Echo' on the server. HubException: Down for maintenance"
    )


async def test_bad_bytes_malformed_unknown_and_huge(
    sim: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    tolerant = await connect(http, sim.url, max_msg_size=0)
    await inject(http, sim, "unknown_message")
    await inject(http, sim, "huge_message", params={"bytes": 2_000_000})
    huge = await tolerant.next_message(within_s=5)
    assert isinstance(huge, Invocation)
    assert len(huge.arguments[0]) == 2_000_000
    assert (await echo(tolerant)).result == "hi"  # the unknown type was ignored, the link lives
    await clear(http, sim)
    await inject(http, sim, "malformed_message")
    closed = await tolerant.next_event()
    assert isinstance(closed, Closed)
    assert closed.reason is CloseReason.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "complaint"),
    [
        ("GET", "/_sim/nope", None, 404, "no control endpoint GET /_sim/nope"),
        (
            "DELETE",
            "/_sim/connections",
            None,
            405,
            "DELETE /_sim/connections: method not allowed; this endpoint takes GET",
        ),
        ("POST", "/_sim/faults", b'{"fault": "' + b"x" * (3 << 20) + b'"}', 413, "Maximum request body size"),
    ],
)
async def test_the_control_api_answers_its_http_errors_in_json_too(
    sim: SimulatorServer, http: aiohttp.ClientSession, method: str, path: str, body: bytes | None, status: int,
    complaint: str,
) -> None:  # fmt: skip
    headers = {"Content-Type": "application/json"} if body else {}
    async with http.request(method, f"{sim.url}{path}", data=body, headers=headers) as r:
        assert (r.status, r.content_type) == (status, "application/json")
        assert complaint in (await r.json())["error"]
        if status == 405:
            assert "GET" in r.headers["Allow"]
