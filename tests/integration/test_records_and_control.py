"""What the simulator records per connection, and the control API's answers to good and bad input."""

import asyncio

import aiohttp
import pytest

from signalr_protocol import Completion, Invocation
from simulator import SimulatorServer

from ..polling import until
from .conftest import closed_record, connect, negotiate, only_record


async def test_record_keeps_requests_token_location_and_messages(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    body = await negotiate(http, server.url, access_token="secret-jwt-1")
    ws = await http.ws_connect(
        f"{server.url}/hubs/demo",
        params={"id": body["connectionId"], "access_token": "secret-jwt-1"},
        headers={"Authorization": "Bearer secret-jwt-2"},
    )
    from signalr_protocol import JSON

    from .conftest import RawHubClient

    client = RawHubClient(ws, JSON)
    await client.handshake()
    await client.send(Invocation("Add", [1, 2], "1"))
    assert await client.next_message() == Completion.with_result("1", 3)
    await ws.close()
    record = await closed_record(server)
    data = record.to_json()
    assert data["negotiate"]["token"]["source"] == "query"
    assert data["token"]["source"] == "both"
    assert data["upgrade"]["requestLine"].startswith("GET /hubs/demo?id=")
    assert "access_token=<redacted>" in data["upgrade"]["requestLine"]
    assert ["Authorization", "Bearer <redacted>"] in data["upgrade"]["headers"]
    assert "secret-jwt" not in str(data)
    assert data["negotiate"]["token"]["fingerprint"] != data["token"]["fingerprint"]  # header wins: jwt-2
    assert data["handshake"]["protocol"] == "json"
    directions = [(m["dir"], m["type"]) for m in data["messages"]]
    assert ("in", 1) in directions
    assert ("out", 3) in directions
    assert all(isinstance(m["t"], float) for m in data["messages"])
    assert data["close"]["by"] == "client"


async def test_server_pings_and_close_are_recorded(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.next_message(skip_pings=False)  # a keep-alive Ping
    [connection_id] = server.sessions
    async with http.post(f"{server.url}/_sim/connections/{connection_id}/close", json={}) as r:
        assert r.status == 200
    record = await closed_record(server)
    out_types = [m.type for _, d, m in record.messages if d == "out"]
    assert out_types[0] == 6
    assert out_types[-1] == 7
    assert record.bytes_out > 0


async def test_request_log_has_every_hub_request_with_status(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(f"{server.url}/hubs/demo", params={"id": "nope"})
    client = await connect(http, server.url)
    async with http.get(f"{server.url}/_sim/requests") as r:
        log = (await r.json())["requests"]
    assert [(e["requestLine"].split("?")[0], e["status"]) for e in log] == [
        ("GET /hubs/demo", 404),
        ("POST /hubs/demo/negotiate HTTP/1.1", 200),
        ("GET /hubs/demo", 101),
    ]
    await client.ws.close()


async def test_connections_listing_and_filters(server: SimulatorServer, http: aiohttp.ClientSession) -> None:
    first = await connect(http, server.url)
    second = await connect(http, server.url)
    await first.ws.close()
    await until(lambda: len(server.sessions) == 1)
    async with http.get(f"{server.url}/_sim/connections", params={"open": "true"}) as r:
        assert [c["open"] for c in (await r.json())["connections"]] == [True]
    async with http.get(f"{server.url}/_sim/connections", params={"hub": "demo"}) as r:
        assert len((await r.json())["connections"]) == 2
    async with http.get(f"{server.url}/_sim/health") as r:
        assert await r.json() == {
            "ok": True,
            "status": "ok",
            "hubs": ["demo"],
            "openConnections": 1,
            "tasks": {},
        }
    await second.ws.close()


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/_sim/connections/{id}/close", b"{nope", 400, "not valid JSON"),
        ("/_sim/connections/{id}/close", b"[1]", 400, "must be a JSON object"),
        ("/_sim/connections/{id}/close", b'{"allowReconnect":"yes"}', 400, "must be bool"),
        ("/_sim/connections/{id}/close", b'{"wsCode":5}', 400, "between 1000 and 4999"),
        ("/_sim/connections/{id}/send", b"{}", 400, "missing field 'target'"),
        ("/_sim/connections/{id}/send", b'{"target":"x","arguments":{}}', 400, "must be list"),
        (
            "/_sim/connections/{id}/invoke",
            b'{"target":"x","timeoutS":true}',
            400,
            "must be a number, not bool",
        ),
        ("/_sim/connections/{id}/invoke", b'{"target":"x","timeoutS":NaN}', 400, "NaN is not a JSON number"),
        ("/_sim/connections/unknown/close", b"{}", 404, "no connection unknown"),
        ("/_sim/hubs/nope/broadcast", b'{"target":"x"}', 404, "no hub nope"),
    ],
)
async def test_control_api_rejects_bad_input_clearly_and_keeps_the_connection(
    server: SimulatorServer, http: aiohttp.ClientSession, path: str, body: bytes, status: int, error: str
) -> None:
    client = await connect(http, server.url)
    [connection_id] = server.sessions
    as_json = {"Content-Type": "application/json"}
    async with http.post(server.url + path.format(id=connection_id), data=body, headers=as_json) as r:
        assert r.status == status
        assert error in (await r.json())["error"]
    assert server.sessions  # bad input lost nothing
    await client.ws.close()


async def test_control_api_on_a_closed_connection_is_409(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    [connection_id] = server.sessions
    await client.ws.close()
    await closed_record(server)
    await until(lambda: not server.sessions)
    async with http.post(f"{server.url}/_sim/connections/{connection_id}/close", json={}) as r:
        assert r.status == 409


async def test_control_api_send_broadcast_and_client_results(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    [connection_id] = server.sessions
    async with http.post(
        f"{server.url}/_sim/connections/{connection_id}/send", json={"target": "Hi", "arguments": [1]}
    ):
        pass
    assert await client.next_message() == Invocation("Hi", [1])
    async with http.post(
        f"{server.url}/_sim/hubs/demo/broadcast", json={"target": "All", "arguments": []}
    ) as r:
        assert await r.json() == {"sent": 1}
    assert await client.next_message() == Invocation("All", [])

    invoke = asyncio.create_task(
        http.post(
            f"{server.url}/_sim/connections/{connection_id}/invoke", json={"target": "Ask", "arguments": [2]}
        )
    )
    question = await client.next_message()
    assert isinstance(question, Invocation)
    assert question.invocation_id is not None
    await client.send(Completion.with_result(question.invocation_id, 4))
    async with await invoke as r:
        assert await r.json() == {"result": 4}

    slow = await http.post(
        f"{server.url}/_sim/connections/{connection_id}/invoke", json={"target": "Ask", "timeoutS": 0.2}
    )
    assert slow.status == 504
    await client.ws.close()


async def test_record_of_an_unanswered_connection_is_kept_after_close(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.ws.close()
    record = await closed_record(server)
    async with http.get(
        f"{server.url}/_sim/connections/{record.connection_id}", params={"messages": "false"}
    ) as r:
        body = await r.json()
    assert "messages" not in body
    assert body["open"] is False
    assert only_record(server) is record
