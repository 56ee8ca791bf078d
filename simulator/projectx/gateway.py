"""The simulated ProjectX Gateway on one port: REST under /api, hubs user and market (plus demo).

``build_gateway`` wires the parts: one token service, one catalog, one seeded market per contract,
one ledger, and the hubs that stream them. Hub requests need a valid token, from the
``Authorization: Bearer`` header or the ``access_token`` query (the SDK uses the query); the
simulator records which.
"""

from __future__ import annotations

import time
from collections import abc
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from ..config import ServerConfig
from ..demo_hub import DemoHub
from ..endpoints import Authenticator
from ..recording import find_token
from ..server import SimulatorServer
from .catalog import Catalog
from .control import GatewayControl
from .market import ContractMarket
from .market_hub import MarketHub, Rates
from .rest import RestApi
from .streams import StreamCounters
from .tokens import TokenError, TokenService
from .trading import Ledger
from .user_hub import UserHub

AUTHENTICATED_HUBS = ("user", "market")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    seed: int = 0
    symbols: tuple[str, ...] = ("MNQ", "MES", "MGC")
    token_lifetime_s: float = 24 * 3600
    credentials: dict[str, str] = field(default_factory=lambda: {"sim": "sim-api-key-0001"})
    quote_rate_per_s: float = 4.0
    trade_rate_per_s: float = 2.0
    demo_rate_per_s: float = 10.0


@dataclass(slots=True)
class Gateway:
    server: SimulatorServer
    tokens: TokenService
    catalog: Catalog
    markets: dict[str, ContractMarket]
    ledger: Ledger
    user_hub: UserHub
    market_hub: MarketHub
    counters: StreamCounters


def hub_authenticator(tokens: TokenService) -> Authenticator:
    def authenticate(request: web.Request, hub: str) -> str | None:
        if hub not in AUTHENTICATED_HUBS:
            return None
        _, token = find_token(request)
        if token is None:
            return "missing_token"
        try:
            tokens.validate(token)
        except TokenError as exc:
            return f"{exc.problem.value}_token"
        return None

    return authenticate


def build_gateway(
    server_config: ServerConfig, config: GatewayConfig, clock: abc.Callable[[], float] = time.time
) -> Gateway:
    tokens = TokenService(config.token_lifetime_s, clock)
    catalog = Catalog(list(config.symbols), datetime.fromtimestamp(clock(), UTC).date())
    markets = {cid: ContractMarket(c, config.seed, clock) for cid, c in catalog.contracts.items()}
    counters = StreamCounters(clock)
    user_hub = UserHub(catalog, counters)
    ledger = Ledger(catalog, markets, user_hub.deliver)
    market_hub = MarketHub(
        markets,
        Rates(config.quote_rate_per_s, config.trade_rate_per_s),
        counters,
        ledger.on_market,
        config.seed,
    )
    hubs = [user_hub, market_hub, DemoHub(rate_per_s=config.demo_rate_per_s, seed=config.seed)]
    server = SimulatorServer(server_config, hubs, authenticate=hub_authenticator(tokens))
    server.app.add_routes(RestApi(tokens, catalog, markets, ledger, dict(config.credentials)).routes())
    server.app.add_routes(GatewayControl(tokens, market_hub, counters).routes())
    return Gateway(server, tokens, catalog, markets, ledger, user_hub, market_hub, counters)
