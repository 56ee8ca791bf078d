"""The Gateway's additions to the control API (``/_sim/``), same conventions as ``simulator.control``:

    GET  /_sim/tokens                 every issued token: fingerprint, user, seconds to expiry, revoked
    POST /_sim/tokens/expire          {"fingerprint"?: str, "inS"?: number}  expire one (or all) tokens
    POST /_sim/tokens/revoke          {"fingerprint"?: str}                   revoke one (or all)
    GET  /_sim/market/rates           current rates
    POST /_sim/market/rates           {"quotePerS"?: number, "tradePerS"?: number}  change them live
    GET  /_sim/streams                the last sequence number sent on every stream (target/key)

Fingerprints are the ones connection records show (``token.fingerprint``), so a scenario can
expire exactly the token a connection presented.
"""

from __future__ import annotations

from collections import abc
from typing import Any

from aiohttp import web

from ..control import fail, field, json_body, reply
from .market_hub import MarketHub
from .streams import StreamCounters
from .tokens import TokenService


def _non_negative(body: dict[str, Any], name: str) -> float | None:
    value: float | None = field(body, name, (int, float, type(None)), None)
    if value is not None and value < 0:
        raise fail(400, f"field {name!r} must not be negative")
    return value


class GatewayControl:
    def __init__(self, tokens: TokenService, market_hub: MarketHub, counters: StreamCounters) -> None:
        self.tokens = tokens
        self.market_hub = market_hub
        self.counters = counters

    def routes(self) -> abc.Iterable[web.AbstractRouteDef]:
        return [
            web.get("/_sim/tokens", self.list_tokens),
            web.post("/_sim/tokens/expire", self.expire),
            web.post("/_sim/tokens/revoke", self.revoke),
            web.get("/_sim/market/rates", self.rates),
            web.post("/_sim/market/rates", self.set_rates),
            web.get("/_sim/streams", self.streams),
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
        in_s = _non_negative(body, "inS") or 0.0
        return reply({"expired": self.tokens.expire(fingerprint=self._fingerprint(body), in_s=in_s)})

    async def revoke(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        return reply({"revoked": self.tokens.revoke(fingerprint=self._fingerprint(body))})

    def _rates(self) -> dict[str, float]:
        rates = self.market_hub.rates
        return {"quotePerS": rates.quote_per_s, "tradePerS": rates.trade_per_s}

    async def rates(self, request: web.Request) -> web.Response:
        return reply(self._rates())

    async def set_rates(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        self.market_hub.set_rates(
            quote_per_s=_non_negative(body, "quotePerS"), trade_per_s=_non_negative(body, "tradePerS")
        )
        return reply(self._rates())

    async def streams(self, request: web.Request) -> web.Response:
        return reply({"streams": self.counters.last()})
