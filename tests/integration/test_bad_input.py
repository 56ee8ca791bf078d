"""Bad input never breaks the simulator: each problem a hostile or careless client found, shown
refused (REST the Gateway's way, the control API with a 400 naming the field) and the simulator
still streaming, healthy and bounded afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import abc
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.infra.processes import SimulatorProcess, control_headers
from signalr_protocol import MESSAGEPACK, Completion, Invocation
from simulator import DemoHub, ServerConfig
from simulator import control as control_module
from simulator import server as server_module
from simulator.guard import bound_beyond_loopback
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile
from simulator.projectx.trading import MAX_ORDER_SIZE
from tests.polling import until

from .conftest import connect

CREDENTIALS = {"userName": "sim", "apiKey": "sim-api-key-0001"}


def nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    gw = build_gateway(
        ServerConfig(), GatewayConfig(profile=StreamProfile(default={"quote": 50, "trade": 20, "depth": 0}))
    )
    async with gw.server:
        yield gw


async def token_of(http: aiohttp.ClientSession, gw: Gateway) -> str:
    async with http.post(f"{gw.server.url}/api/Auth/loginKey", json=CREDENTIALS) as r:
        token: str = (await r.json())["token"]
    return token


async def api(
    http: aiohttp.ClientSession, gw: Gateway, path: str, raw: bytes | dict[str, Any]
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {await token_of(http, gw)}", "Content-Type": "application/json"}
    data = raw if isinstance(raw, bytes) else None
    async with http.post(
        f"{gw.server.url}/api/{path}", data=data, json=None if data else raw, headers=headers
    ) as r:
        return r.status, await r.json(content_type=None)


async def sim(
    http: aiohttp.ClientSession, url: str, path: str, raw: bytes | dict[str, Any]
) -> tuple[int, Any]:
    data = raw if isinstance(raw, bytes) else None
    async with http.post(
        f"{url}/_sim/{path}",
        data=data,
        json=None if data else raw,
        headers={"Content-Type": "application/json"},
    ) as r:
        return r.status, await r.json(content_type=None)


async def market_moves(gw: Gateway) -> None:
    before = gw.market_hub.events
    await until(lambda: gw.market_hub.events > before + 5, what="market events after the bad input")


def account(gw: Gateway) -> int:
    return next(a.id for a in gw.catalog.accounts.values() if a.can_trade)


# -- values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        {"type": 2, "size": 10**300},  # the fill used to raise inside the market task, which died
        {"type": 2, "size": 2**64},  # an event no hub protocol could encode: a 500 after storing
        {"type": 2, "size": MAX_ORDER_SIZE + 1},
        {"type": 1, "size": 1, "limitPrice": 1e308},
        {"type": 1, "size": 1, "limitPrice": -5},
        {"type": 1, "size": 1, "limitPrice": 100.13},  # off the tick grid
        {"type": 4, "size": 1, "stopPrice": 0},
    ],
)
async def test_orders_past_the_limits_are_refused_and_the_market_lives_on(
    gateway: Gateway, http: aiohttp.ClientSession, order: dict[str, Any]
) -> None:
    contract = next(iter(gateway.markets))
    body = {"accountId": account(gateway), "contractId": contract, "side": 0, **order}
    status, reply = await api(http, gateway, "Order/place", body)
    assert status in (200, 400), reply
    if status == 200:
        assert reply["success"] is False, reply
        assert reply["errorCode"] != 0
    assert gateway.ledger.orders == {}  # nothing stored for a refusal
    await market_moves(gateway)


@pytest.mark.parametrize(
    ("path", "raw", "why"),
    [
        ("Order/place", b'{"accountId": 1, "limitPrice": NaN}', "not a JSON number"),
        ("Order/place", b'{"accountId": 1, "limitPrice": -Infinity}', "not a JSON number"),
        ("Order/place", b'{"accountId": 1, "limitPrice": 1e999}', "out of range"),
        ("Order/place", b'{"accountId": 1, "limitPrice": true}', "System.Decimal"),
        ("Order/place", b'{"accountId": [1], "size": 1}', "System.Int32. Path: $.accountId"),
        ("Order/place", b'{"accountId": 1, "size": 4294967296}', "System.Int32. Path: $.size"),
        ("Order/search", b'{"accountId": {"id": 1}}', "System.Int32"),
        ("Contract/searchById", b'{"contractId": ["x"]}', "System.String"),
        ("History/retrieveBars", b'{"unit": 2.0}', "System.Int32"),
        ("Trade/search", b"[" * 3000 + b"]" * 3000, "nested deeper"),
    ],
)
async def test_bodies_that_do_not_bind_get_problem_details_not_500(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, raw: bytes, why: str
) -> None:
    status, reply = await api(http, gateway, path, raw)
    assert status == 400, reply
    assert why in str(reply["errors"]["$"])


@pytest.mark.parametrize(
    "bars",
    [
        {"unit": 6, "unitNumber": 100, "limit": 1000},  # back past year 1: a 500 from datetime
        {"unit": 2, "unitNumber": 1, "startTime": "0001-01-01T00:00:00Z"},
        {"unit": 2, "unitNumber": 10**6},
        {"unit": 2, "limit": -1},
    ],
)
async def test_out_of_range_bar_requests_are_refused(
    gateway: Gateway, http: aiohttp.ClientSession, bars: dict[str, Any]
) -> None:
    status, reply = await api(
        http, gateway, "History/retrieveBars", {"contractId": next(iter(gateway.markets)), **bars}
    )
    assert status == 200, reply
    assert reply["success"] is False
    assert reply["bars"] == []


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("tokens/expire", b'{"inS": NaN}', "NaN"),
        ("tokens/expire", b'{"inS": 1e400}', "out of range"),
        ("market/rates", {"quote": 1e308}, "quote must be a number in"),
        ("market/bursts", {"factor": 2, "duration": 1e-300, "every": 1e-300}, "duration must be"),
        ("market/bursts", {"factor": 1e300, "duration": 1}, "factor must be"),
        ("faults", {"fault": "slow_negotiate", "params": {"delay_s": 1e308}}, "delay_s"),
        ("hubs/market/broadcast", {"target": "X", "arguments": [2**64]}, "out of range (64 bits)"),
        ("hubs/market/broadcast", {"target": "X", "arguments": nested(40)}, "nested"),
    ],
)
async def test_the_control_api_refuses_what_would_break_a_timer_or_an_encoder(
    gateway: Gateway, http: aiohttp.ClientSession, path: str, raw: bytes | dict[str, Any], field: str
) -> None:
    status, reply = await sim(http, gateway.server.url, path, raw)
    assert status == 400, reply
    assert field in reply["error"]
    await market_moves(gateway)


async def test_a_broadcast_of_what_no_protocol_carries_is_refused_with_a_hub_client_connected(
    server: Any, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, protocol=MESSAGEPACK)
    status, reply = await sim(http, server.url, "hubs/demo/broadcast", {"target": "T", "arguments": [2**64]})
    assert status == 400, reply
    invoke = f"connections/{client_id(server)}/invoke"
    status, reply = await sim(http, server.url, invoke, b'{"target": "T", "timeoutS": NaN}')
    assert status == 400, reply
    await client.send(Invocation("Echo", ["still here"], "1"))
    assert await client.next_message() == Completion.with_result("1", "still here")


def client_id(server: Any) -> str:
    return next(iter(server.sessions))


# -- the hub -------------------------------------------------------------------------------------


async def test_a_result_the_protocol_cannot_encode_is_an_error_completion_and_the_connection_lives(
    server: Any, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, protocol=MESSAGEPACK)
    await client.send(Invocation("Add", [2**64 - 1, 1], "1"))  # 2**64: past what MessagePack carries
    reply = await client.next_message()
    assert isinstance(reply, Completion)
    assert reply.invocation_id == "1"
    assert reply.error is not None
    assert "serialize" in reply.error
    await client.send(Invocation("Echo", ["alive"], "2"))
    assert await client.next_message() == Completion.with_result("2", "alive")


async def test_a_handshake_past_the_record_limit_is_refused_even_with_its_separator(
    server: Any, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url, handshake=False)
    pad = "x" * (40 * 1024)  # the limit is 32 KB
    await client.ws.send_str('{"protocol":"json","version":1,"pad":"' + pad + '"}\x1e')
    frame = await client.ws.receive()
    assert frame.type is aiohttp.WSMsgType.TEXT
    assert "error" in frame.data


async def test_a_frame_past_the_size_limit_is_refused_before_it_is_buffered(
    server: Any, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.ws.send_str("x" * (server_module.ws_message_limit(32 * 1024) + 1))
    assert await client.ws_close_code() == 1009
    record = await _closed(server)
    assert record.close["reason"] == "websocket_error"
    assert record.close["by"] == "server"


async def _closed(server: Any) -> Any:
    [record] = server.records.values()
    await until(lambda: record.close is not None, what="the connection record closed")
    return record


# -- memory --------------------------------------------------------------------------------------


async def test_the_request_log_keeps_a_few_headers_each_cut_short_and_stays_under_its_byte_cap(
    server: Any, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {f"X-Junk-{i}": "y" * 4000 for i in range(30)} | {"User-Agent": "u" * 5000}
    for _ in range(40):
        async with http.get(f"{server.url}/nowhere", headers=headers) as r:
            assert r.status == 404
    entries = server.request_log()
    assert len(entries) == 40
    assert all(e["headersOmitted"] >= 30 for e in entries)
    assert all(len(v) <= 256 for e in entries for _, v in e["headers"])
    assert server.requests.bytes <= server_module.REQUEST_LOG_BYTES


async def test_connection_records_are_capped_in_bytes_each_way(
    server: Any, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    for _n in range(300):  # ~30 KB each: 9 MB in, past the 1 MB the record keeps
        await client.send(Invocation("Echo", ["z" * 30_000], None))
    await client.send(Invocation("Echo", ["last"], "end"))
    assert await client.next_message(within_s=10) == Completion.with_result("end", "last")
    record = next(iter(server.records.values()))
    assert record.count_in == 301
    assert record.size < 8 * 1024 * 1024
    assert record.messages[-1][1] == "out"  # the newest kept, both ways


# -- slow clients --------------------------------------------------------------------------------


async def test_a_body_that_never_finishes_gets_408_and_a_dropped_body_one_log_line(
    server: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(control_module, "BODY_TIMEOUT_S", 0.3)
    host, port = server.url.removeprefix("http://").split(":")
    head = (
        "POST /_sim/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{"
    )
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head.encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 3)
    assert b" 408 " in status
    writer.close()
    caplog.set_level(logging.INFO)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head.encode())
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()
    await until(lambda: "went away mid-body" in caplog.text, what="the one log line")
    assert "Traceback" not in caplog.text


async def test_a_client_trickling_its_headers_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "HEADER_TIMEOUT_S", 0.5)
    async with server_module.SimulatorServer(ServerConfig(), []) as srv:
        host, port = srv.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 3) == b""  # closed, never answered
        writer.close()


# -- the control API belongs to its owner ----------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "rebound.example:1234"}, 403),
        ({"Host": "[::1"}, 403),  # does not parse: refused, not a 500
        ({"Origin": "http://[::1"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Origin": "http://localhost:3000", "Content-Type": "application/json"}, 200),
        ({"Host": "localhost", "Content-Type": "application/json"}, 200),
    ],
)
async def test_cross_site_requests_are_refused(
    gateway: Gateway, http: aiohttp.ClientSession, headers: dict[str, str], status: int
) -> None:
    async with http.post(f"{gateway.server.url}/_sim/tokens/expire", data=b"{}", headers=headers) as r:
        assert r.status == status, await r.text()
    assert all(t["expiresInS"] > 3600 for t in gateway.tokens.summary())


async def test_with_a_control_token_only_its_holder_drives_the_simulator(http: aiohttp.ClientSession) -> None:
    gw = build_gateway(ServerConfig(control_token="s3cret"), GatewayConfig())
    async with gw.server:
        url = gw.server.url
        async with http.post(f"{url}/_sim/tokens/expire", json={}) as r:
            assert r.status == 401
        async with http.get(f"{url}/_sim/requests", headers={"X-Faultline-Control-Token": "wrong"}) as r:
            assert r.status == 401
        async with http.get(f"{url}/_sim/health") as r:
            assert r.status == 200  # a health check carries no secret
        async with http.get(f"{url}/_sim/requests", headers={"X-Faultline-Control-Token": "s3cret"}) as r:
            assert r.status == 200


# -- no silent death -------------------------------------------------------------------------------


async def test_a_market_step_that_raises_is_logged_shown_in_health_and_survived(
    gateway: Gateway,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = gateway.market_hub
    real = hub.run_until
    broken = True

    def run_until(t: float, limit: int) -> int:
        if broken:
            raise RuntimeError("a step broke")
        return real(t, limit)

    async with http.get(f"{gateway.server.url}/_sim/health") as r:
        assert r.status == 200
    monkeypatch.setattr(hub, "run_until", run_until)
    await until(lambda: "market" in gateway.server.tasks.failed, what="the failure recorded")
    async with http.get(f"{gateway.server.url}/_sim/health") as r:
        health = await r.json()
        assert r.status == 503
        assert health["status"] == "degraded"
        assert "a step broke" in health["tasks"]["market"]["lastError"]
    assert caplog.text.count("Traceback") <= 1  # the first failure with its traceback, then counted
    broken = False
    await market_moves(gateway)  # the task lived through it


async def test_a_replay_that_breaks_is_logged_health_says_degraded_and_sigterm_still_exits_0(
    tmp_path: Path,
) -> None:
    recording = tmp_path / "broken.jsonl"
    good = {"t": 0.0, "hub": "market", "target": "GatewayQuote", "key": "CON.F.US.MNQ.Z26", "arguments": []}
    bad = {**good, "t": 0.01, "target": "GatewayDepth", "arguments": ["CON.F.US.MNQ.Z26", "not a list"]}
    recording.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    log_path = tmp_path / "simulator.log"
    with SimulatorProcess("--replay", str(recording), "--demo-rate", "0", log_path=log_path) as process:
        async with aiohttp.ClientSession(headers=control_headers(process.url)) as http:

            async def health() -> tuple[int, Any]:
                async with http.get(f"{process.url}/_sim/health") as r:
                    return r.status, await r.json()

            async with asyncio.timeout(10):
                while (answer := await health())[0] == 200:  # noqa: ASYNC110 - another process
                    await asyncio.sleep(0.05)
            status, body = answer
            assert status == 503
            assert body["tasks"]["replay"]["state"] == "ended"
    log = log_path.read_text()
    assert process.exit_code == 0
    assert log.count("Traceback") == 1  # the failure, once; nothing at shutdown
    assert "background task replay ended" in log


def test_only_a_loopback_bind_goes_without_the_warning() -> None:
    assert not any(map(bound_beyond_loopback, ["127.0.0.1", "localhost", "::1", "127.0.0.2"]))
    assert all(map(bound_beyond_loopback, ["0.0.0.0", "::", "192.168.1.5", "sim.example"]))


async def test_a_demo_tick_and_a_history_flush_that_fail_are_shown_and_survived(
    tmp_path: Path, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ServerConfig(history_path=str(tmp_path / "history.jsonl"))
    async with server_module.SimulatorServer(config, [DemoHub(rate_per_s=50.0)]) as srv:
        client = await connect(http, srv.url)
        await client.send(Invocation("Subscribe", [], "1"))
        assert await client.next_message() == Completion.with_result("1", True)
        hub = srv.hubs["demo"]
        real_tick = hub.next_tick
        monkeypatch.setattr(hub, "next_tick", lambda: 1 / 0)
        monkeypatch.setattr(srv.history, "flush", lambda: (_ for _ in ()).throw(OSError(28, "No space left")))
        await until(lambda: {"demo", "history"} <= set(srv.tasks.failed), what="both failures recorded")
        async with http.get(f"{srv.url}/_sim/health") as r:
            assert r.status == 503
            tasks = (await r.json())["tasks"]
        assert "ZeroDivisionError" in tasks["demo"]["lastError"]
        assert "No space left" in tasks["history"]["lastError"]
        monkeypatch.setattr(hub, "next_tick", real_tick)
        ticks = [await client.next_message() for _ in range(3)]  # the ticker lived through it
        assert all(isinstance(t, Invocation) and t.target == "Tick" for t in ticks)
