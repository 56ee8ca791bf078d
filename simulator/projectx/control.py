"""The Gateway's additions to the control API (``/_sim/``), same conventions as ``simulator.control``:

    GET  /_sim/tokens                 every issued token: fingerprint, user, seconds to expiry, revoked
    POST /_sim/tokens/expire          {"fingerprint"?: str, "inS"?: number}  expire one (or all) tokens
    POST /_sim/tokens/revoke          {"fingerprint"?: str}                   revoke one (or all)
    GET    /_sim/market/rates         the profile's rates and bursts, each contract's rates now
    POST   /_sim/market/rates         {"quote"?, "trade"?, "depth"?: events/s, "contract"?: id|symbol}
    POST   /_sim/market/bursts        {"factor", "duration", "start"?, "every"?, "contracts"?, "events"?}
                                      a burst starting ``start`` seconds from now (default 0)
    DELETE /_sim/market/bursts        end every burst (the profile's too)
    GET    /_sim/streams              the last sequence number sent on every stream (target/key)
    GET    /_sim/replay               the replay's progress and the recording's size (null when off)
    GET    /_sim/limits               the REST rate limits in force and how many requests got 429

Fingerprints are the ones connection records show (``token.fingerprint``), so a scenario can
expire exactly the token a connection presented.
"""

from __future__ import annotations

from collections import abc
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..control import fail, field, json_body, reply
from .profile import ProfileError, parse_burst, parse_rates

if TYPE_CHECKING:
    from .gateway import Gateway


class GatewayControl:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.tokens = gateway.tokens
        self.market_hub = gateway.market_hub
        self.counters = gateway.counters

    def routes(self) -> abc.Iterable[web.AbstractRouteDef]:
        return [
            web.get("/_sim/tokens", self.list_tokens),
            web.post("/_sim/tokens/expire", self.expire),
            web.post("/_sim/tokens/revoke", self.revoke),
            web.get("/_sim/market/rates", self.rates),
            web.post("/_sim/market/rates", self.set_rates),
            web.post("/_sim/market/bursts", self.add_burst),
            web.delete("/_sim/market/bursts", self.clear_bursts),
            web.get("/_sim/streams", self.streams),
            web.get("/_sim/replay", self.replay),
            web.post("/_sim/replay/start", self.start_replay),
            web.get("/_sim/limits", self.limits),
        ]

    async def list_tokens(self, request: web.Request) -> web.Response:
        return reply({"tokens": self.tokens.summary()})

    def _fingerprint(self, body: dict[str, Any]) -> str | None:
        fingerprint: str | None = field(body, "fingerprint", (str, type(None)), None)
        if fingerprint is not None and not self.tokens.select(fingerprint=fingerprint):
            raise fail(404, f"no token with fingerprint {fingerprint}")
        return fingerprint

    async def expire(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        in_s = field(body, "inS", (int, float), 0.0)
        if in_s < 0:
            raise fail(400, "field 'inS' must not be negative")
        return reply({"expired": self.tokens.expire(fingerprint=self._fingerprint(body), in_s=in_s)})

    async def revoke(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        return reply({"revoked": self.tokens.revoke(fingerprint=self._fingerprint(body))})

    def _rates(self) -> dict[str, Any]:
        hub = self.market_hub
        profile = hub.profile
        return {
            "default": profile.default,
            "overrides": profile.overrides,
            "bursts": [b.to_json() for b in profile.bursts],
            "now": hub.schedule.rates_now(),
            "streamTimeS": round(hub.stream_time(), 6),
            "lagS": round(hub.lag_s, 6),
            "events": hub.events,
        }

    async def rates(self, request: web.Request) -> web.Response:
        return reply(self._rates())

    def _contract_key(self, body: dict[str, Any]) -> str | None:
        key: str | None = field(body, "contract", (str, type(None)), None)
        markets = self.market_hub.markets
        if key is not None and key not in markets and all(m.contract.symbol != key for m in markets.values()):
            raise fail(404, f"no contract or symbol {key!r}: listed are {sorted(markets)}")
        return key

    async def set_rates(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        key = self._contract_key(body)
        try:
            rates = parse_rates({k: v for k, v in body.items() if k != "contract"}, "body")
        except ProfileError as exc:
            raise fail(400, str(exc)) from None
        self.market_hub.set_profile(self.market_hub.profile.with_rates(rates, key))
        return reply(self._rates())

    async def add_burst(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        hub = self.market_hub
        try:
            burst = parse_burst(body, "body")
        except ProfileError as exc:
            raise fail(400, str(exc)) from None
        for key in sorted(burst.contracts or ()):
            self._contract_key({"contract": key})
        burst = replace(burst, start_s=hub.stream_time() + burst.start_s)
        hub.set_profile(hub.profile.with_burst(burst))
        return reply(self._rates())

    async def clear_bursts(self, request: web.Request) -> web.Response:
        self.market_hub.set_profile(self.market_hub.profile.without_bursts())
        return reply(self._rates())

    async def streams(self, request: web.Request) -> web.Response:
        return reply({"streams": self.counters.last()})

    async def replay(self, request: web.Request) -> web.Response:
        replayer = self.gateway.replayer
        recorder = self.gateway.recorder
        return reply(
            {
                "replay": replayer.status() if replayer else None,
                "record": {"file": str(recorder.path), "events": recorder.events} if recorder else None,
            }
        )

    async def start_replay(self, request: web.Request) -> web.Response:
        replayer = self.gateway.replayer
        if replayer is None:
            raise fail(409, "no replay: the simulator runs without --replay")
        if replayer.started:
            raise fail(409, "the replay has started already (--replay-start on-request starts it once)")
        replayer.start()
        return reply({"replay": replayer.status()})

    async def limits(self, request: web.Request) -> web.Response:
        limits = self.gateway.limits
        if limits is None:
            return reply({"limits": None, "refused": 0})
        return reply(
            {"limits": {k: v.to_text() for k, v in limits.limits.items()}, "refused": limits.refused}
        )
