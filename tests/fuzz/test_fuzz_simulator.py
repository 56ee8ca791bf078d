"""Fuzz the live simulator: hostile REST bodies, control-API bodies and hub messages (JSON and
MessagePack, valid-but-hostile and malformed), from Hypothesis, against ``python -m simulator``.

The oracle, after every request: no 5xx. After each round: no traceback in the simulator's log,
``/_sim/health`` answers 200, the market streams advance, RSS stays under ``RSS_GROWTH_MB`` over
where it started. A round is a few hundred requests (seconds; the suite takes well under a minute
in ``make test``); ``FAULTLINE_FUZZ_MINUTES=10`` repeats rounds for that long in all, a quarter per
surface, on the same simulator (the bad-input soak in docs/simulator-limits.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import abc
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.infra.processes import SimulatorProcess, control_headers
from simulator.projectx.rest import FIELDS

pytestmark = pytest.mark.slow

EXAMPLES = 120  # per surface and round
RSS_GROWTH_MB = 120
MINUTES = float(os.environ.get("FAULTLINE_FUZZ_MINUTES", "0"))  # the whole suite's, over 4 surfaces
CONTRACT = "CON.F.US.MNQ.Z26"

# -- values a careless or hostile script sends ------------------------------------------------------

hostile_numbers = (
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30, 10**400, 1e308, -1e308, 1e-300, 0.5, 0.1, -0.0])
    | st.integers()
    | st.floats()
)
scalars = st.none() | st.booleans() | hostile_numbers | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
raw_bodies = st.sampled_from(
    [
        b"{",
        b"[]",
        b"null",
        b'"x"',
        b"NaN",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"\xff\xfe\x00",
        b'{"a": ' + b"9" * 10_000 + b"}",
        b'{"a": "\\ud800"}',
    ]
) | st.binary(max_size=200)


def to_json(value: Any) -> bytes:
    """``value`` as Python's json writes it: NaN, Infinity and 400-digit integers included."""
    return json.dumps(value, allow_nan=True).encode()


def bodies(fields: abc.Sequence[str]) -> st.SearchStrategy[bytes]:
    typed = st.fixed_dictionaries({}, optional={name: json_values for name in fields}).map(to_json)
    return typed | raw_bodies | json_values.map(to_json)


REST_PATHS = ["Auth/loginKey", "Auth/validate", "Account/search", "Contract/search", "Contract/searchById",
              "Contract/available", "History/retrieveBars", "Position/searchOpen", "Position/closeContract",
              "Order/place", "Order/cancel", "Order/modify", "Order/search", "Order/searchOpen",
              "Trade/search", "no/such/path"]  # fmt: skip
CONTROL = {  # path -> its body's fields
    "tokens/expire": ["fingerprint", "inS"],
    "market/rates": ["quote", "trade", "depth", "contract"],
    "market/bursts": ["factor", "duration", "start", "every", "contracts", "events"],
    "faults": ["fault", "params", "hub", "connection"],
    "hubs/market/broadcast": ["target", "arguments"],
    "hubs/user/broadcast": ["target", "arguments"],
}
SESSION_CONTROL = {"send": ["target", "arguments"], "invoke": ["target", "arguments", "timeoutS"],
                   "close": ["error", "allowReconnect", "wsCode"], "abort": ["reset"]}  # fmt: skip
HUB_METHODS = ["SubscribeContractQuotes", "SubscribeContractTrades", "SubscribeContractMarketDepth",
               "UnsubscribeContractQuotes", "NoSuchMethod", "Echo", "Add", "Counter", "Delay"]  # fmt: skip
FAULTS = ["stop_pings", "split_frames", "duplicate_messages", "error_completions", "huge_message",
          "slow_negotiate", "slow_upgrade", "reject_handshake", "negotiate_status", "nonsense"]  # fmt: skip

rest_requests = st.tuples(st.sampled_from(REST_PATHS), bodies(list(FIELDS)))
control_requests = st.sampled_from(sorted(CONTROL)).flatmap(
    lambda path: st.tuples(
        st.just(path),
        bodies(CONTROL[path])
        | st.fixed_dictionaries(
            {"fault": st.sampled_from(FAULTS)},
            optional={
                "params": st.dictionaries(
                    st.sampled_from(["delay_s", "size", "bytes", "status", "methods", "close_after_s", "x"]),
                    json_values,
                    max_size=3,
                )
            },
        ).map(to_json),
    )
)
session_requests = st.sampled_from(sorted(SESSION_CONTROL)).flatmap(
    lambda action: st.tuples(st.just(action), bodies(SESSION_CONTROL[action]))
)
invocations = st.builds(
    lambda target, args, invocation_id: {
        "type": 1,
        "target": target,
        "arguments": args,
        "invocationId": invocation_id,
    },
    st.sampled_from(HUB_METHODS),
    st.lists(json_values, max_size=3),
    st.none() | st.text(max_size=6),
)
hub_frames = st.one_of(
    invocations.map(lambda m: ("text", to_json(m) + b"\x1e")),
    json_values.map(lambda v: ("text", to_json(v) + b"\x1e")),
    st.binary(max_size=300).map(lambda b: ("text", b + b"\x1e")),
    st.binary(max_size=300).map(lambda b: ("binary", b)),
    st.lists(st.one_of(hostile_numbers, st.text(max_size=5), st.none()), max_size=6).map(
        lambda items: ("binary", _varint(len(p := _pack(items))) + p)
    ),
)


def _pack(items: list[Any]) -> bytes:
    try:
        return bytes(msgpack.packb(items))
    except (OverflowError, ValueError, TypeError):
        return b"\xc1"  # never-used byte: malformed on purpose


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


# -- the live simulator ----------------------------------------------------------------------------


class Live:
    def __init__(self, process: SimulatorProcess, runner: asyncio.Runner) -> None:
        self.process, self.runner, self.url = process, runner, process.url
        self.control = control_headers(self.url) | {"Content-Type": "application/json"}
        self.http: aiohttp.ClientSession = runner.run(self._session())
        self.token = self.run(self._login())
        self.rss_start_mb = self.rss_mb()
        self.requests = 0

    async def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))

    def run(self, coro: abc.Coroutine[Any, Any, Any]) -> Any:
        return self.runner.run(coro)

    async def _login(self) -> str:
        body = {"userName": "sim", "apiKey": "sim-api-key-0001"}
        async with self.http.post(f"{self.url}/api/Auth/loginKey", json=body) as r:
            token: str = (await r.json())["token"]
        return token

    async def post(self, url: str, raw: bytes, headers: dict[str, str]) -> int:
        self.requests += 1
        async with self.http.post(url, data=raw, headers=headers) as r:
            await r.read()
            return r.status

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    async def reset(self) -> None:
        """Undo what a valid control call may have set, so the next round starts from the default."""
        for method, path, body in (
            ("DELETE", "faults", None), ("DELETE", "market/bursts", None),
            ("POST", "market/rates", {"quote": 20, "trade": 10, "depth": 5}),
        ):  # fmt: skip
            async with self.http.request(
                method, f"{self.url}/_sim/{path}", json=body, headers=self.control
            ) as r:
                assert r.status == 200, await r.text()
        self.token = await self._login()

    async def check(self) -> None:
        """The round's oracle: health, streams advancing, no traceback, RSS bounded."""
        await self.reset()
        async with self.http.get(f"{self.url}/_sim/health") as r:
            assert r.status == 200, await r.text()
        async with self.http.get(f"{self.url}/_sim/market/rates", headers=self.control) as r:
            before = (await r.json())["events"]
        await asyncio.sleep(0.5)
        async with self.http.get(f"{self.url}/_sim/market/rates", headers=self.control) as r:
            assert (await r.json())["events"] > before, "the market stopped"
        log = self.process.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[log.index("Traceback") - 300 :][:3000]
        growth = self.rss_mb() - self.rss_start_mb
        assert growth < RSS_GROWTH_MB, f"RSS grew {growth:.0f} MB over {self.requests} requests"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> abc.Iterator[Live]:
    log = tmp_path_factory.mktemp("fuzz") / "simulator.log"
    with (
        asyncio.Runner() as runner,
        SimulatorProcess(
            "--demo-rate", "5", "--quote-rate", "20", "--trade-rate", "10", "--depth-rate", "5", log_path=log
        ) as process,
    ):
        state = Live(process, runner)
        try:
            yield state
        finally:
            runner.run(state.http.close())
            print(
                f"\nfuzz: {state.requests} requests, RSS {state.rss_start_mb:.0f} -> {state.rss_mb():.0f} MB"
            )


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def rounds(live: Live, one_round: abc.Callable[[], None]) -> None:
    """One round, or rounds for a quarter of ``FAULTLINE_FUZZ_MINUTES``; the oracle after each."""
    until = time.monotonic() + MINUTES * 60 / 4
    while True:
        one_round()
        live.run(live.check())
        if time.monotonic() >= until:
            return


def test_rest_bodies_never_get_a_5xx(live: Live) -> None:
    @FUZZ
    @given(rest_requests)
    def one(request: tuple[str, bytes]) -> None:
        path, raw = request
        headers = {"Authorization": f"Bearer {live.token}", "Content-Type": "application/json"}
        status = live.run(live.post(f"{live.url}/api/{path}", raw, headers))
        assert status < 500, (path, raw[:200])

    rounds(live, one)


def test_control_bodies_never_get_a_5xx(live: Live) -> None:
    @FUZZ
    @given(control_requests | st.tuples(st.just("tokens/expire"), raw_bodies))
    def one(request: tuple[str, bytes]) -> None:
        path, raw = request
        status = live.run(live.post(f"{live.url}/_sim/{path}", raw, live.control))
        assert status < 500, (path, raw[:200])

    rounds(live, one)


async def _hub_frames(live: Live, hub: str, frames: list[tuple[str, bytes]], binary: bool) -> None:
    url = f"{live.url}/hubs/{hub}"
    params = {"access_token": live.token}
    async with live.http.post(f"{url}/negotiate", params={**params, "negotiateVersion": "1"}) as r:
        assert r.status < 500
        if r.status != 200:
            return
        negotiated = await r.json()
    async with live.http.ws_connect(url, params={**params, "id": negotiated["connectionToken"]}) as ws:
        handshake = {"protocol": "messagepack" if binary else "json", "version": 1}
        await ws.send_str(json.dumps(handshake) + "\x1e")
        for kind, data in frames:
            if ws.closed:
                break
            if kind == "text":
                await ws.send_str(data.decode(errors="replace"))
            else:
                await ws.send_bytes(data)
        await asyncio.sleep(0.02)
    # and the control API's view of the connection (its record, as JSON) must still read
    async with live.http.get(f"{live.url}/_sim/connections", headers=live.control) as r:
        assert r.status == 200
        rows = (await r.json())["connections"]
    if rows:
        last = rows[-1]["connectionId"]
        async with live.http.get(f"{live.url}/_sim/connections/{last}", headers=live.control) as r:
            assert r.status == 200
            json.loads(await r.text())  # strict: no NaN


def test_hub_messages_never_break_the_server(live: Live) -> None:
    @FUZZ
    @given(
        st.sampled_from(["market", "user", "demo"]),
        st.lists(hub_frames, min_size=1, max_size=4),
        st.booleans(),
    )
    def one(hub: str, frames: list[tuple[str, bytes]], binary: bool) -> None:
        live.run(_hub_frames(live, hub, frames, binary))

    rounds(live, one)


def test_control_calls_on_live_connections_never_get_a_5xx(live: Live) -> None:
    async def target() -> str | None:
        async with live.http.get(
            f"{live.url}/_sim/connections", params={"open": "true"}, headers=live.control
        ) as r:
            rows = (await r.json())["connections"]
        return rows[-1]["connectionId"] if rows else None

    async def attempt(action: str, raw: bytes) -> None:
        url = f"{live.url}/hubs/demo"
        async with live.http.post(f"{url}/negotiate", params={"negotiateVersion": "1"}) as r:
            negotiated = await r.json()
        async with live.http.ws_connect(url, params={"id": negotiated["connectionToken"]}) as ws:
            await ws.send_str('{"protocol":"messagepack","version":1}\x1e')
            await ws.receive(timeout=3)
            connection = await target()
            assert connection is not None
            url = f"{live.url}/_sim/connections/{connection}/{action}"
            call = asyncio.create_task(live.post(url, raw, live.control))
            await asyncio.sleep(0.05)  # an invoke waits for an answer this client never gives
        status = await call  # the socket closed: an invoke still waiting is a 409
        assert status < 500 or status in (502, 504), (action, raw[:200])  # 502/504: the client's own

    @FUZZ
    @given(session_requests)
    def one(request: tuple[str, bytes]) -> None:
        live.run(attempt(*request))

    rounds(live, one)
