"""The simulated ProjectX Gateway on one port: REST under /api, hubs user and market (plus demo).

``build_gateway`` wires the parts: one token service, one catalog, one seeded market per contract,
one ledger, and the hubs that stream them. Hub requests need a valid token, from the
``Authorization: Bearer`` header or the ``access_token`` query (the SDK uses the query); the
simulator records which.
"""

from __future__ import annotations

import asyncio
import time
from collections import abc
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from ..config import ServerConfig
from ..demo_hub import DemoHub
from ..endpoints import Authenticator
from ..recording import find_token
from ..server import SimulatorServer
from ..tasks import stop as stop_task
from .catalog import Catalog
from .control import GatewayControl
from .limits import Limit, RateLimiter
from .market import ContractMarket
from .market_hub import MarketHub
from .profile import StreamProfile
from .replay import Recorder, ReplayBook, Replayer
from .rest import RestApi
from .streams import StreamCounters
from .tokens import TokenError, TokenService, challenge
from .trading import Ledger
from .user_hub import UserHub

AUTHENTICATED_HUBS = ("user", "market")
# The one login the simulator accepts unless told otherwise (``--user``, ``--api-key``).
DEFAULT_USER = "sim"
DEFAULT_API_KEY = "sim-api-key-0001"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    seed: int = 0
    symbols: tuple[str, ...] = ("MNQ", "MES", "MGC")
    token_lifetime_s: float = 24 * 3600
    credentials: dict[str, str] = field(default_factory=lambda: {DEFAULT_USER: DEFAULT_API_KEY})
    months: int = 1  # quarterly expiries listed per symbol
    profile: StreamProfile = field(default_factory=StreamProfile)  # rates and bursts
    demo_rate_per_s: float = 10.0
    rate_limits: dict[str, Limit] | None = None  # None: no 429s
    record_path: Path | None = None  # append what the hubs publish (JSON lines)
    replay_path: Path | None = None  # stream this recording instead of generating the market
    replay_speed: float = 1.0
    replay_on_request: bool = False  # the replay waits for POST /_sim/replay/start


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
    limits: RateLimiter | None = None
    recorder: Recorder | None = None
    replayer: Replayer | None = None


def hub_authenticator(tokens: TokenService) -> Authenticator:
    def authenticate(request: web.Request, hub: str) -> str | None:
        if hub not in AUTHENTICATED_HUBS:
            return None
        _, token = find_token(request)
        if token is None:
            return challenge(None)
        try:
            tokens.validate(token)
        except TokenError as exc:
            return challenge(exc)
        return None

    return authenticate


def build_gateway(
    server_config: ServerConfig, config: GatewayConfig, clock: abc.Callable[[], float] = time.time
) -> Gateway:
    tokens = TokenService(config.token_lifetime_s, clock)
    catalog = Catalog(list(config.symbols), datetime.fromtimestamp(clock(), UTC).date(), months=config.months)
    markets = {cid: ContractMarket(c, config.seed, clock) for cid, c in catalog.contracts.items()}
    counters = StreamCounters(clock)
    user_hub = UserHub(catalog, counters)
    ledger = Ledger(catalog, markets, user_hub.deliver)
    market_hub = MarketHub(
        markets,
        config.profile,
        counters,
        ledger.on_market,
        config.seed,
    )
    hubs = [user_hub, market_hub, DemoHub(rate_per_s=config.demo_rate_per_s, seed=config.seed)]
    server = SimulatorServer(server_config, hubs, authenticate=hub_authenticator(tokens))
    limits = RateLimiter(config.rate_limits) if config.rate_limits else None
    rest = RestApi(tokens, catalog, markets, ledger, dict(config.credentials), limits=limits)
    server.app.add_routes(rest.routes())
    gateway = Gateway(server, tokens, catalog, markets, ledger, user_hub, market_hub, counters, limits)
    if config.record_path is not None:
        _record(gateway, config.record_path)
    if config.replay_path is not None:
        _replay(gateway, config.replay_path, config.replay_speed, config.replay_on_request)
    server.app.add_routes(GatewayControl(gateway).routes())
    return gateway


def _record(gateway: Gateway, path: Path) -> None:
    recorder = gateway.recorder = Recorder(path, lambda: asyncio.get_running_loop().time())
    gateway.market_hub.recorder = gateway.user_hub.recorder = recorder

    async def start(app: web.Application) -> None:
        recorder.start({cid: m.depth_snapshot() for cid, m in gateway.markets.items()})

    async def stop(app: web.Application) -> None:
        recorder.close()

    gateway.server.app.on_startup.append(start)
    gateway.server.app.on_cleanup.append(stop)


def _replay(gateway: Gateway, path: Path, speed: float, on_request: bool) -> None:
    book = ReplayBook()
    hubs = {"market": gateway.market_hub.replay_publish, "user": gateway.user_hub.replay_publish}

    def publish(hub: str, target: str, key: str, arguments: list[Any]) -> bool:
        send = hubs.get(hub)
        return send is not None and send(target, key, arguments)

    replayer = gateway.replayer = Replayer(path, speed, book, publish, on_request=on_request)
    gateway.market_hub.generate = False
    gateway.market_hub.snapshot_of = book.snapshot
    tasks: list[asyncio.Task[None]] = []

    async def start(app: web.Application) -> None:
        tasks.append(gateway.server.tasks.run("replay", replayer.run()))

    async def stop(app: web.Application) -> None:
        for task in tasks:
            await stop_task(task)

    gateway.server.app.on_startup.append(start)
    gateway.server.app.on_cleanup.append(stop)
