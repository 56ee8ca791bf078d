"""Run the real topstep-sdk (0.1.4) against a simulator, unpatched, pointed there by its own
``Config`` object, and report what it did as JSON lines: one ``call`` line per SDK method called,
with the HTTP status of every request that call made (seen through an httpx event hook on the
client the SDK is given, its documented ``http_client=`` parameter), then the realtime events.

It calls every REST endpoint the SDK exposes (Status/ping, Auth/loginKey and validate, Account,
Contract search/searchById/available, History, Order search/searchOpen/searchById/v2 query/place/
modify/cancel, Position searchOpen/closeContract/partialCloseContract, Trade search) and the helpers
built on them; connects both hubs, subscribes every stream, places a market order and counts the
quote/trade/depth callbacks and the order/trade/position/account events it brings. Standard library,
httpx and topstep_sdk only; run in the SDK's own venv.

    python topstep_sdk_check.py --base http://127.0.0.1:PORT [--symbol MNQ] [--seconds 2]
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta

from driver_io import check_parser, emit, run_check  # beside this file


class Calls:
    """Each SDK call, with the HTTP requests it made (method, path, status) and what it returned."""

    def __init__(self):
        self.requests = []

    async def on_response(self, response):
        request = response.request
        self.requests.append(
            {"method": request.method, "path": request.url.path, "status": response.status_code}
        )

    async def call(self, name, awaitable, show=None):
        since = len(self.requests)
        started = time.monotonic()
        try:
            result = await awaitable
        except Exception as exc:
            emit(
                "call",
                name=name,
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                http=self.requests[since:],
                took_s=round(time.monotonic() - started, 3),
            )
            return None
        shown = show(result) if show is not None else result
        took = round(time.monotonic() - started, 3)
        emit("call", name=name, ok=True, result=shown, http=self.requests[since:], took_s=took)
        return result


def counter(counts, kind):
    def on_event(*args):
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("account", "order", "position", "user_trade"):
            model = args[0]
            emit("callback", kind=kind, id=getattr(model, "id", None), status=getattr(model, "status", None))

    return on_event


async def rest_before_hubs(client, calls, symbol):
    await calls.call("ping", client.ping())
    await calls.call("authenticate", client.authenticate())
    await calls.call("validate", client.validate(), show=bool)
    accounts = await calls.call("accounts.search", client.accounts.search(), show=lambda r: [a.id for a in r])
    contracts = await calls.call(
        "contracts.search", client.contracts.search(symbol), show=lambda r: [c.id for c in r]
    )
    cid = contracts[0].id
    await calls.call("contracts.search_by_id", client.contracts.search_by_id(cid), show=lambda c: c and c.id)
    await calls.call("contracts.available", client.contracts.available(), show=len)
    await calls.call(
        "contracts.get_by_symbol", client.contracts.get_by_symbol(symbol), show=lambda c: c and c.id
    )
    from topstep_sdk import AggregateBarUnit

    now = datetime.now(UTC)
    bars = client.history.retrieve_bars(
        cid,
        unit=AggregateBarUnit.MINUTE,
        unit_number=1,
        start_time=now - timedelta(hours=2),
        end_time=now,
        limit=50,
    )
    await calls.call("history.retrieve_bars", bars, show=len)
    return accounts[0].id, cid


async def trade(client, calls, account, cid, seconds):
    from topstep_sdk import OrderType

    since = datetime.now(UTC) - timedelta(hours=1)
    order = await calls.call("orders.buy", client.orders.buy(account, cid, 2))
    await calls.call(
        "orders.wait_for_fill",
        client.orders.wait_for_fill(account, order, timeout=10, poll_interval=0.2),
        show=lambda o: int(o.status),
    )
    await calls.call("orders.get", client.orders.get(account, order), show=lambda o: o and o.id)
    await calls.call(
        "positions.search_open", client.positions.search_open(account), show=lambda r: [p.size for p in r]
    )
    await calls.call("positions.partial_close", client.positions.partial_close(account, cid, 1))
    await asyncio.sleep(seconds / 2)
    await calls.call("positions.close", client.positions.close(account, cid))
    limit = await calls.call(
        "orders.place",
        client.orders.place(account, cid, side=0, type=OrderType.LIMIT, size=1, limit_price=1.0),
    )
    await calls.call("orders.modify", client.orders.modify(account, limit, limit_price=2.0))
    await calls.call(
        "orders.search_open", client.orders.search_open(account), show=lambda r: [o.id for o in r]
    )
    await calls.call("orders.cancel", client.orders.cancel(account, limit))
    await calls.call("orders.search", client.orders.search(account, start_timestamp=since), show=len)
    await calls.call(
        "orders.query",
        client.orders.query(account, page_size=10, include_total_count=True),
        show=lambda r: {"orders": len(r.orders or []), "total": r.total_count},
    )
    await calls.call(
        "orders.sell", client.orders.sell(account, cid, 1, type=OrderType.LIMIT, limit_price=99999.0)
    )
    await calls.call("orders.cancel_all", client.orders.cancel_all(account))
    await calls.call("orders.buy", client.orders.buy(account, cid, 1))
    await calls.call("positions.close_all", client.positions.close_all(account))
    await calls.call("trades.search", client.trades.search(account, start_timestamp=since), show=len)
    await asyncio.sleep(seconds / 2)


async def main(args):
    import httpx
    from topstep_sdk import AsyncTopstepClient, Config

    base = args.base
    config = Config(
        username=args.user,
        api_key=args.api_key,
        rest_base_url=base,
        user_hub_url=f"{base}/hubs/user",
        market_hub_url=f"{base}/hubs/market",
    )
    calls = Calls()
    # The SDK's own defaults for its httpx client (_http.py:45-49), plus a hook that sees each status.
    http = httpx.AsyncClient(
        base_url=config.rest_base_url,
        timeout=config.timeout,
        headers={"Accept": "application/json"},
        event_hooks={"response": [calls.on_response]},
    )
    counts = {}
    async with http, AsyncTopstepClient(config, http_client=http) as client:
        account, cid = await rest_before_hubs(client, calls, args.symbol)
        market, user = client.market_hub(), client.user_hub()
        market.on_quote(counter(counts, "quote"))
        market.on_trade(counter(counts, "trade"))
        market.on_depth(counter(counts, "depth"))
        for kind in ("account", "order", "position"):
            getattr(user, f"on_{kind}")(counter(counts, kind))
        user.on_trade(counter(counts, "user_trade"))
        started = time.monotonic()
        await asyncio.gather(market.start(), user.start())
        emit(
            "connected",
            market=market.connected,
            user=user.connected,
            seconds=round(time.monotonic() - started, 3),
        )
        await market.subscribe_quotes(cid)
        await market.subscribe_trades(cid)
        await market.subscribe_depth(cid)
        await user.subscribe_accounts()
        await user.subscribe_orders(account)
        await user.subscribe_positions(account)
        await user.subscribe_trades(account)
        await asyncio.sleep(args.seconds)
        await trade(client, calls, account, cid, args.seconds)
        emit("counts", counts=counts)
        started = time.monotonic()
        await asyncio.gather(market.stop(), user.stop())
        emit("stopped", seconds=round(time.monotonic() - started, 3))
    emit("requests", requests=calls.requests)


if __name__ == "__main__":
    parser = check_parser(seconds=2.0)
    run_check(main, parser.parse_args())
