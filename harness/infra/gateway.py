"""The simulated Gateway as the harness uses it: the login it accepts, the account it streams, the
simulator flags every run starts from, and the two REST calls the harness itself makes.

Everything that logs in on the harness's behalf (a scenario, the soak, a driver given no
``--api-key``) takes the credentials from here, and they are the simulator's own defaults.
"""

from __future__ import annotations

import aiohttp

from client import GatewayTokens
from simulator.projectx.gateway import DEFAULT_API_KEY, DEFAULT_USER

from ..errors import HarnessError

USER = DEFAULT_USER
API_KEY = DEFAULT_API_KEY
ACCOUNT = 12345  # the simulated account the user hub streams
TIMEOUT_S = 10.0
# The hub methods that change what a connection is subscribed to (reference/projectx-protocol.md):
# what a run collects from the server's side to judge resubscription.
SUBSCRIPTION_METHODS = frozenset(
    f"{verb}{topic}"
    for verb in ("Subscribe", "Unsubscribe")
    for topic in (
        "ContractQuotes",
        "ContractTrades",
        "ContractMarketDepth",
        "Accounts",
        "Orders",
        "Positions",
        "Trades",
    )
)

# The market streams by the names clients subscribe them under: the target each is delivered as,
# and the hub method (after its Subscribe/Unsubscribe verb) that asks for it.
STREAM_TARGETS = {"quotes": "GatewayQuote", "trades": "GatewayTrade", "depth": "GatewayDepth"}
STREAM_METHODS = {"quotes": "ContractQuotes", "trades": "ContractTrades", "depth": "ContractMarketDepth"}


# Every target a client is called back for, by the kind the adapters name its events.
TARGETS = {
    "quote": "GatewayQuote",
    "trade": "GatewayTrade",
    "depth": "GatewayDepth",
    "account": "GatewayUserAccount",
    "order": "GatewayUserOrder",
    "position": "GatewayUserPosition",
    "user_trade": "GatewayUserTrade",
}


def hub_of(target: str) -> str:
    """The hub that carries ``target``'s events: the user hub's all start ``GatewayUser``."""
    return "user" if target.startswith("GatewayUser") else "market"


USER_TARGETS = tuple(target for target in TARGETS.values() if hub_of(target) == "user")


# Timers scaled to seconds (the reference client is tuned to them, ``clients/reference.py``), two
# symbols, and rates a scenario can reason about.
SCALED_FLAGS = (
    "--keep-alive", "0.5", "--client-timeout", "3", "--handshake-timeout", "2",
    "--symbols", "MNQ,MES", "--quote-rate", "20", "--trade-rate", "10", "--depth-rate", "5",
    "--demo-rate", "0", "--log-level", "WARNING",
)  # fmt: skip


async def login(base: str) -> str:
    """A fresh token for the default user, as a client gets one (``POST /api/Auth/loginKey``)."""
    tokens = GatewayTokens(base, USER, API_KEY)
    try:
        return await tokens.token()
    finally:
        await tokens.close()


async def contracts(base: str, token: str) -> list[str]:
    """The ids of the contracts the Gateway lists (``POST /api/Contract/available``)."""
    url = f"{base}/api/Contract/available"
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(url, json={}, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise HarnessError(f"POST {url}: {exc!r}") from exc
    if not isinstance(body, dict) or not body.get("success"):
        raise HarnessError(f"POST {url} refused: {body}")
    return [c["id"] for c in body["contracts"]]
