"""Run the real project-x-py SDK (3.x or 4.x) against a simulator, unpatched but for its config
object, and report what it saw as JSON lines: authenticate, instrument, bars, both hubs,
subscriptions, quotes/trades/depth, and the order/fill/position events of a market order placed
through the SDK. Standard library + project_x_py only; run in the SDK's own venv.

    python projectx_sdk_check.py --base http://127.0.0.1:PORT [--symbol MNQ] [--seconds 4]
"""

import asyncio
import time

from driver_io import check_parser, emit, run_check  # beside this file


async def main(args):
    from project_x_py import ProjectX, ProjectXRealtimeClient
    from project_x_py.models import ProjectXConfig

    base = args.base
    cfg = ProjectXConfig(
        api_url=f"{base}/api", user_hub_url=f"{base}/hubs/user", market_hub_url=f"{base}/hubs/market"
    )
    counts = {}

    def counter(name):
        async def on_event(data):
            counts[name] = counts.get(name, 0) + 1
            if counts[name] <= 2 or name in (
                "order_update",
                "position_update",
                "trade_execution",
                "account_update",
            ):
                emit("callback", name=name, data=data)

        return on_event

    async with ProjectX(username=args.user, api_key=args.api_key, config=cfg) as client:
        await client.authenticate()
        emit("authenticated", account=client.account_info.id)
        instrument = await client.get_instrument(args.symbol)
        emit("instrument", id=instrument.id, name=instrument.name)
        bars = await client.get_bars(args.symbol, days=1, interval=1)
        emit("bars", count=len(bars))
        rt = ProjectXRealtimeClient(
            jwt_token=client.session_token, account_id=str(client.account_info.id), config=cfg
        )
        for name in (
            "quote_update",
            "market_trade",
            "market_depth",
            "order_update",
            "position_update",
            "trade_execution",
            "account_update",
        ):
            await rt.add_callback(name, counter(name))
        started = time.time()
        connected = await rt.connect()
        emit("connected", result=connected, seconds=round(time.time() - started, 2))
        emit("subscribed_user", result=await rt.subscribe_user_updates())
        emit("subscribed_market", result=await rt.subscribe_market_data([instrument.id]))
        await asyncio.sleep(args.seconds)
        from project_x_py import EventBus, OrderManager

        orders = OrderManager(client, EventBus())
        await orders.initialize(realtime_client=rt)
        response = await orders.place_market_order(contract_id=instrument.id, side=0, size=1)
        emit("order_placed", response=response)
        await asyncio.sleep(1.5)
        emit("counts", counts=counts)
        started = time.time()
        await rt.disconnect()
        emit("disconnected", seconds=round(time.time() - started, 2))


if __name__ == "__main__":
    parser = check_parser(seconds=4.0)
    run_check(main, parser.parse_args())
