"""Stream features of the Gateway: record and replay, the send-history file, REST rate limits."""

import asyncio
import time
from collections import abc
from pathlib import Path

import aiohttp
import orjson

from signalr_protocol import Completion, Invocation
from simulator import ServerConfig
from simulator.history import read_history_file
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.limits import parse_limits
from simulator.projectx.market import DOM_ASK, DOM_BID, DOM_RESET
from simulator.projectx.profile import StreamProfile

from ..polling import until
from .test_projectx_control import control, market_client
from .test_projectx_rest import login, post

FAST = StreamProfile(default={"quote": 100, "trade": 50, "depth": 50})


async def record(path: Path, seconds: float) -> Gateway:
    gw = build_gateway(ServerConfig(), GatewayConfig(profile=FAST, record_path=path))
    async with gw.server:
        await asyncio.sleep(seconds)
    return gw


async def subscribed(
    http: aiohttp.ClientSession, gw: Gateway, contract: str, *targets: str
) -> abc.AsyncIterator[Invocation]:
    """Invocations from a fresh market connection subscribed to ``targets`` on ``contract``."""
    client = await market_client(http, gw, await login(http, gw))
    for n, target in enumerate(targets):
        await client.send(Invocation(target, [contract], str(n)))
    try:
        while True:
            message = await client.next_message()
            if isinstance(message, Invocation):
                yield message
            else:
                assert not isinstance(message, Completion) or message.error is None
    finally:
        await client.ws.close()


async def test_a_replay_sends_the_recorded_events_in_order_and_rebuilds_the_book(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "market.jsonl"
    recorded_gw = await record(path, 0.6)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    contract = next(iter(recorded_gw.markets))
    snapshots = [e for e in lines if e.get("snapshot")]
    assert {e["key"] for e in snapshots} == set(recorded_gw.markets)
    recorded = [e for e in lines if e["key"] == contract and not e.get("snapshot")]
    assert recorded == sorted(recorded, key=lambda e: e["t"])
    assert {e["target"] for e in recorded} == {"GatewayQuote", "GatewayTrade", "GatewayDepth"}
    assert recorded_gw.recorder is not None
    assert recorded_gw.recorder.events == len(lines)

    gw = build_gateway(ServerConfig(), GatewayConfig(profile=FAST, replay_path=path, replay_speed=0.5))
    async with gw.server:
        stream = subscribed(http, gw, contract, "SubscribeContractQuotes", "SubscribeContractMarketDepth")
        first = await anext(stream)
        assert first.target == "GatewayDepth"
        snapshot = first.arguments[1]
        assert snapshot[0]["type"] == DOM_RESET
        bids = [level["price"] for level in snapshot if level["type"] == DOM_BID]
        asks = [level["price"] for level in snapshot if level["type"] == DOM_ASK]
        assert bids == sorted(bids, reverse=True)
        assert asks == sorted(asks)
        assert max(bids) < min(asks)
        received = [await anext(stream) for _ in range(20)]
        await stream.aclose()
        # what arrives is a stretch of the recording, in the recorded order, with fresh headers
        wanted = [(e["target"], e["arguments"]) for e in recorded if e["target"] != "GatewayTrade"]
        got = [(m.target, m.arguments) for m in received]
        start = wanted.index(got[0])
        assert wanted[start : start + len(got)] == got
        assert all("seq" in m.headers for m in received)
        assert not any(m.target == "GatewayTrade" for m in received)  # not subscribed
        _, status = await control(http, gw, "GET", "replay")
        assert status["replay"]["sent"] > 0
        assert status["replay"]["skipped"] == 0
        assert status["replay"]["error"] is None


async def test_a_faster_replay_takes_the_recorded_time_divided_by_the_speed(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "market.jsonl"
    await record(path, 0.5)
    span = max(orjson.loads(line)["t"] for line in path.read_bytes().splitlines())
    gw = build_gateway(ServerConfig(), GatewayConfig(replay_path=path, replay_speed=2.0))
    started = time.monotonic()
    async with gw.server:
        assert gw.replayer is not None
        replayer = gw.replayer
        await until(lambda: replayer.done, within_s=10.0, what="replay finished")
        elapsed = time.monotonic() - started
        assert gw.market_hub.events == 0  # the market did not move on its own
    assert elapsed >= span / 2.0 * 0.95  # never early; how late depends on the machine
    assert replayer.error is None
    assert replayer.sent > 0


async def test_a_broken_recording_stops_the_replay_with_the_line_that_is_wrong(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(
        '{"t": 0, "hub": "market", "target": "GatewayQuote", "key": "x", "arguments": []}\nnot json\n'
    )
    gw = build_gateway(ServerConfig(), GatewayConfig(replay_path=path))
    async with gw.server:
        replayer = gw.replayer
        assert replayer is not None
        await until(lambda: replayer.done, what="replay stopped")
        _, status = await control(http, gw, "GET", "replay")
    assert "line 2: not JSON" in status["replay"]["error"]
    assert status["replay"]["skipped"] == 1  # the unknown contract "x"


async def test_the_history_file_holds_every_entry_the_control_api_shows(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "history.jsonl"
    gw = build_gateway(ServerConfig(history_path=str(path)), GatewayConfig(profile=FAST))
    contract = next(iter(gw.markets))
    async with gw.server:
        stream = subscribed(http, gw, contract, "SubscribeContractTrades")
        trades = [await anext(stream) for _ in range(10)]
        await stream.aclose()
        _, page = await control(http, gw, "GET", "history?target=GatewayTrade")
    on_file = [e for e in read_history_file(path) if e["target"] == "GatewayTrade"]
    assert on_file == page["entries"]
    assert [e["seq"] for e in on_file[:10]] == [int(m.headers["seq"]) for m in trades]
    assert [e["entries"] for e in on_file[:10]] == [len(m.arguments[1]) for m in trades]  # the prints
    assert {e["key"] for e in on_file} == {contract}
    quotes = [e for e in read_history_file(path) if e["target"] == "GatewayQuote"]
    assert all("entries" not in e for e in quotes)  # a quote is one object: no entries field


async def test_rest_rate_limits_answer_429_per_bucket_and_spare_login(http: aiohttp.ClientSession) -> None:
    gw = build_gateway(ServerConfig(), GatewayConfig(rate_limits=parse_limits("bars=2/60,other=3/60")))
    contract = next(iter(gw.markets))
    bars = {"contractId": contract, "live": False, "unit": 2, "unitNumber": 1, "limit": 5,
            "startTime": "2026-11-20T00:00:00+00:00", "endTime": "2026-11-20T01:00:00+00:00"}  # fmt: skip
    async with gw.server:
        token = await login(http, gw)
        statuses = [(await post(http, gw, "History/retrieveBars", bars, token))[0] for _ in range(3)]
        assert statuses == [200, 200, 429]
        others = [(await post(http, gw, "Account/search", {}, token))[0] for _ in range(4)]
        assert others == [200, 200, 200, 429]
        await login(http, gw)  # not authenticated, never limited
        _, limits = await control(http, gw, "GET", "limits")
    assert limits == {"limits": {"bars": "2/60", "other": "3/60"}, "refused": 2}


async def test_validate_renews_the_callers_token_and_logout_revokes_it(http: aiohttp.ClientSession) -> None:
    gw = build_gateway(ServerConfig(), GatewayConfig())
    async with gw.server:
        token = await login(http, gw)
        status, body = await post(http, gw, "Auth/validate", {}, token)
        assert status == 200
        renewed = body["newToken"]
        assert renewed != token
        assert (await post(http, gw, "Auth/logout", {}, token))[0] == 200
        assert (await post(http, gw, "Account/search", {}, token))[0] == 401
        assert (await post(http, gw, "Account/search", {}, renewed))[0] == 200


async def test_a_replay_started_on_request_waits_for_it_and_starts_once(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    path = tmp_path / "market.jsonl"
    await record(path, 0.3)
    gw = build_gateway(ServerConfig(), GatewayConfig(replay_path=path, replay_on_request=True))
    async with gw.server:
        assert gw.replayer is not None
        replayer = gw.replayer
        _, status = await control(http, gw, "GET", "replay")
        assert (status["replay"]["started"], status["replay"]["sent"]) == (False, 0)
        code, started = await control(http, gw, "POST", "replay/start")
        assert (code, started["replay"]["started"]) == (200, True)
        await until(lambda: replayer.done, within_s=10.0, what="replay finished")
        assert replayer.sent > 0
        code, again = await control(http, gw, "POST", "replay/start")
        assert code == 409
        assert "started already" in again["error"]
