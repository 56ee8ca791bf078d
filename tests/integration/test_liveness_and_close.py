"""Keep-alive, client timeout, bad records, and every way the server ends a connection."""

import asyncio
import time

import aiohttp

from signalr_protocol import PING, Close, Completion, Invocation
from simulator import SimulatorServer

from .conftest import closed_record, connect, only_record


async def test_idle_connection_gets_a_ping_every_keep_alive_interval(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    started = time.monotonic()
    assert await client.next_message(skip_pings=False) == PING
    assert await client.next_message(skip_pings=False) == PING
    assert time.monotonic() - started >= 2 * server.config.keep_alive_interval_s * 0.9
    await client.ws.close()


async def test_no_pings_while_the_server_is_sending(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(Invocation("Subscribe", [], "1"))  # 50 ticks/s: never idle for 0.2 s
    for _ in range(40):
        assert await client.next_message(skip_pings=False) != PING
        await client.send(PING)  # keep the client side alive too
    await client.ws.close()


async def test_no_websocket_level_pings_by_default(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, autoping=False)
    async with asyncio.timeout(3):
        for _ in range(3):
            await client.next_message(skip_pings=False)
    assert all(f.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY) for f in client.frames)
    await client.ws.ping(b"hi")
    frame = await client.ws.receive(timeout=2)
    while frame.type is aiohttp.WSMsgType.TEXT:
        frame = await client.ws.receive(timeout=2)
    assert (frame.type, frame.data) == (aiohttp.WSMsgType.PONG, b"hi")
    await client.ws.close()


async def test_silent_client_is_closed_with_an_error_that_allows_reconnect(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    started = time.monotonic()
    while (message := await client.next_message(within_s=5)) == PING:
        pass
    assert message == Close("Connection closed with an error.", allow_reconnect=True)
    assert time.monotonic() - started >= server.config.client_timeout_s * 0.9  # type: ignore[operator]
    assert await client.ws_close_code() == 1011
    record = await closed_record(server)
    assert record.close["reason"] == "peer_timeout"


async def test_client_pings_keep_the_connection(server: SimulatorServer, http: aiohttp.ClientSession) -> None:
    client = await connect(http, server.url)
    for _ in range(8):  # 1.6 s, longer than the 1 s client timeout
        await asyncio.sleep(0.2)
        await client.send(PING)
    await client.send(Invocation("Echo", ["alive"], "1"))
    while (message := await client.next_message()) == PING:
        pass
    assert message == Completion.with_result("1", "alive")
    await client.ws.close()


async def test_client_timeout_is_paused_while_a_slow_method_runs(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(Invocation("Delay", [1500], "1"))  # longer than the 1 s client timeout
    assert await client.next_message(within_s=5) == Completion.with_result("1", 1500)
    await client.ws.close()


async def test_malformed_record_closes_only_that_connection(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    bystander = await connect(http, server.url)
    client = await connect(http, server.url)
    await client.ws.send_str('{"type":1,"target":"Add"}\x1e')
    assert await client.next_message() == Close("Connection closed with an error.", allow_reconnect=True)
    assert await client.ws_close_code() == 1011
    await bystander.send(Invocation("Echo", [1], "1"))
    assert await bystander.next_message() == Completion.with_result("1", 1)
    await bystander.ws.close()


async def test_oversized_record_closes_with_an_error(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    big = "x" * (server.config.max_receive_message_size or 0)
    await client.ws.send_str(f'{{"type":1,"target":"Echo","arguments":["{big}"]}}\x1e')
    assert await client.next_message() == Close("Connection closed with an error.", allow_reconnect=True)
    record = await closed_record(server)
    assert "exceeds" in record.close["error"]


async def test_unknown_message_types_are_ignored(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.ws.send_str('{"type":99,"x":1}\x1e{"type":8,"sequenceId":3}\x1e')
    await client.send(Invocation("Echo", [1], "1"))
    assert await client.next_message() == Completion.with_result("1", 1)
    await client.ws.close()


async def test_control_api_close_sends_close_then_websocket_close(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    plain = await connect(http, server.url)
    failing = await connect(http, server.url)
    plain_id, failing_id = list(server.sessions)
    async with http.post(
        f"{server.url}/_sim/connections/{plain_id}/close", json={"allowReconnect": True}
    ) as r:
        assert r.status == 200
    async with http.post(
        f"{server.url}/_sim/connections/{failing_id}/close", json={"error": "maintenance"}
    ) as r:
        assert r.status == 200
    assert await plain.next_message() == Close(None, allow_reconnect=True)
    assert await plain.ws_close_code() == 1000
    assert await failing.next_message() == Close("maintenance", allow_reconnect=False)
    assert await failing.ws_close_code() == 1011


async def test_control_api_abort_drops_without_close(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    [connection_id] = server.sessions
    async with http.post(f"{server.url}/_sim/connections/{connection_id}/abort", json={"reset": True}) as r:
        assert r.status == 200
    frame = await client.ws.receive(timeout=3)
    # the TCP connection is gone under the WebSocket: no close frame (that would be a clean close)
    assert frame.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR), frame
    assert not any(isinstance(e, Close) for e in client.events)
    record = await closed_record(server)
    assert record.close["wsCloseCode"] is None


async def test_server_shutdown_closes_every_connection_allowing_reconnect(
    http: aiohttp.ClientSession,
) -> None:
    from simulator import DemoHub

    from .conftest import FAST

    server = SimulatorServer(FAST, [DemoHub(rate_per_s=0)])
    await server.start()
    clients = [await connect(http, server.url) for _ in range(3)]
    await server.stop()
    for client in clients:
        assert await client.next_message() == Close(None, allow_reconnect=True)
    assert all(not r.is_open for r in server.records.values())
    assert only_record is not None
