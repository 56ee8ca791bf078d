"""The simulated Gateway in-process, links that fail on demand, and a client wired to them."""

from __future__ import annotations

from collections import abc
from dataclasses import replace
from typing import Any

import pytest

from client import BackoffPolicy, ClientConfig, GatewayTokens, HeartbeatPolicy, RealtimeClient
from simulator import ServerConfig
from simulator.projectx import Gateway, GatewayConfig, build_gateway
from simulator.projectx.profile import StreamProfile

from .netfault import FaultyLink

ACCOUNT = 12345


def fast_config(base_url: str, **changes: Any) -> ClientConfig:
    """Timers shrunk so that detection and recovery take fractions of a second."""
    config = ClientConfig(
        base_url,
        connect_timeout_s=2.0,
        operation_timeout_s=2.0,
        keep_alive_interval_s=0.2,
        server_timeout_s=1.0,
        heartbeat=HeartbeatPolicy(interval_s=0.2, timeout_s=0.5),
        backoff=BackoffPolicy(initial_s=0.05, max_s=0.2),
        seed=7,
    )
    return replace(config, **changes)


@pytest.fixture
async def gateway() -> abc.AsyncIterator[Gateway]:
    profile = StreamProfile(default={"quote": 50, "trade": 20, "depth": 10})
    gw = build_gateway(
        ServerConfig(keep_alive_interval_s=0.2, client_timeout_s=2.0), GatewayConfig(profile=profile)
    )
    async with gw.server:
        yield gw


@pytest.fixture
def contract(gateway: Gateway) -> str:
    return next(iter(gateway.markets))


@pytest.fixture
async def links(gateway: Gateway) -> abc.AsyncIterator[dict[str, FaultyLink]]:
    """One link per hub, as the Toxiproxy layer has one proxy per hub."""
    made = {hub: FaultyLink("127.0.0.1", gateway.server.port) for hub in ("user", "market")}
    for link in made.values():
        await link.start()
    yield made
    for link in made.values():
        await link.close()


def tokens(gateway: Gateway) -> GatewayTokens:
    return GatewayTokens(gateway.server.url, "sim", "sim-api-key-0001")


@pytest.fixture
async def client(gateway: Gateway, links: dict[str, FaultyLink]) -> abc.AsyncIterator[RealtimeClient]:
    config = fast_config(
        gateway.server.url,
        user_hub_url=links["user"].url("/hubs/user"),
        market_hub_url=links["market"].url("/hubs/market"),
    )
    made = RealtimeClient(config, tokens(gateway))
    yield made
    await made.close()


def server_subscriptions(gateway: Gateway, hub: str) -> list[list[Any]]:
    """What the server holds for the open connections of ``hub`` (all of them, concatenated)."""
    target = gateway.server.hubs[hub]
    rows: list[list[Any]] = []
    for session in gateway.server.sessions.values():
        if session.hub is target and session.is_open:
            rows += target.subscriptions(session)
    return rows
