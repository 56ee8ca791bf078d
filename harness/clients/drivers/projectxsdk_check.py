"""Run projectx-sdk (PyPI, 0.2.39) against a simulator, unpatched, and report what it saw as JSON
lines: log in, accounts, contracts, bars, both hubs, quotes/trades/depth, the order/trade/position/
account events of a market order, and one ``endpoint`` line for every REST endpoint the SDK has
(each ``/api/...`` path in ``projectx_sdk/utils/constants.py`` and ``endpoints/*.py``), with the
HTTP status it got. Standard library + projectx_sdk only; run in the SDK's own venv.

The statuses come from urllib3's own DEBUG record of each response (the SDK calls ``requests``),
read by a logging handler: nothing of the SDK is patched. The realtime client is the one
``client.realtime`` builds, made with the simulator's hub URLs (``client.realtime`` takes them
only from its hard-coded table).

    python projectxsdk_check.py --base http://127.0.0.1:PORT [--symbol MNQ] [--seconds 2]
"""

import json
import logging
import os
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from driver_io import check_parser, emit, run_check  # beside this file

# The SDK reuses a token cached under ~/.projectx_sdk by an earlier process (auth.py:76-84): a token
# another simulator issued. A fresh HOME, before the import, makes this run log in.
HOME = tempfile.mkdtemp(prefix="projectxsdk-check-")
os.environ["HOME"] = HOME


class Responses(logging.Handler):
    """Each HTTP response urllib3 logs: (method, path without query, status)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []

    def emit(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) >= 7 and str(args[4]).startswith("/"):
            self.seen.append((args[3], str(args[4]).split("?")[0], args[6]))


def watch_responses():
    responses = Responses()
    pool = logging.getLogger("urllib3.connectionpool")
    pool.setLevel(logging.DEBUG)
    pool.propagate = False  # its records hold hub URLs with the token: kept out of any output
    pool.addHandler(responses)
    return responses


def call(responses, path, fn, *args, **kwargs):
    """One SDK call; its line names ``path`` and the status the server answered there."""
    since = len(responses.seen)
    started = time.monotonic()
    result, error = None, None
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    statuses = [s for _, p, s in responses.seen[since:] if p.lower() == path.lower()]
    emit(
        "endpoint",
        path=path,
        status=statuses[-1] if statuses else None,
        statuses=statuses,
        ok=error is None,
        result=summary(result),
        error=error,
        took_s=round(time.monotonic() - started, 3),
    )
    return result


def summary(value):
    if isinstance(value, list):
        return {"count": len(value), "first": summary(value[0]) if value else None}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def main(args):
    from projectx_sdk import ProjectXClient

    responses = watch_responses()
    started = time.monotonic()
    try:
        client = ProjectXClient(username=args.user, api_key=args.api_key, base_url=args.base)  # logs in
    except Exception as exc:
        emit("endpoint", path="/api/Auth/loginKey", status=_last(responses), ok=False, error=repr(exc))
        raise
    login = [s for _, p, s in responses.seen if p == "/api/Auth/loginKey"]
    emit("endpoint", path="/api/Auth/loginKey", status=login[-1] if login else None, statuses=login,
         ok=bool(client.auth.token), result=None, error=None, took_s=round(time.monotonic() - started, 3))  # fmt: skip
    account, contract, bars = look_up(responses, client, args.symbol)
    rt, counts = stream(client, args, account, contract)
    trade(responses, client, account, contract, bars)
    time.sleep(1.0)
    emit("counts", counts=dict(counts))
    after_reconnect(responses, client, args, (account, contract), counts)
    stop(rt, args.after_stop)
    # Last: application login, which replaces the client's token when it succeeds.
    call(responses, "/api/Auth/loginApp", client.auth.authenticate_with_app, args.user, "sim-password",
         "sim-device", "00000000-0000-0000-0000-000000000000", "sim-verify-key")  # fmt: skip
    emit("done", paths=sorted({p for _, p, _ in responses.seen if p.startswith("/api/")}))


def look_up(responses, client, symbol):
    accounts = call(responses, "/api/Account/search", client.accounts.search, only_active_accounts=True)
    account = accounts[0].id
    emit("accounts", ids=[a.id for a in accounts])
    contracts = call(responses, "/api/Contract/search", client.contracts.search, symbol)
    contract = contracts[0].id
    emit("contract", id=contract, name=contracts[0].name)
    found = call(responses, "/api/Contract/searchById", client.contracts.search_by_id, contract)
    emit("contract_by_id", found=found is not None)
    now = datetime.now(UTC)
    bars = call(responses, "/api/History/retrieveBars", client.history.retrieve_bars, contract,
                now - timedelta(days=1), now, limit=50)  # fmt: skip
    emit("bars", count=len(bars or []))
    call(responses, "/api/Order/searchOpen", client.orders.search_open, account)
    call(responses, "/api/Position/searchOpen", client.positions.search_open, account)
    return account, contract, bars


def stream(client, args, account, contract):
    """Both hubs, as client.realtime would build them but for the URLs; every stream subscribed."""
    from projectx_sdk.realtime import SyncRealTimeClient

    rt = SyncRealTimeClient(
        auth_token=client.auth.get_token(),
        environment=client.environment,
        user_hub_url=f"{args.base}/hubs/user",
        market_hub_url=f"{args.base}/hubs/market",
    )
    counts = {}
    lock = threading.Lock()

    def counter(name):
        def on_event(*event):
            with lock:
                counts[name] = counts.get(name, 0) + 1
            if name in ("order", "position", "user_trade", "account"):
                emit("callback", name=name)

        return on_event

    started = time.monotonic()
    rt.start()
    emit("connected", result=rt.is_connected(), seconds=round(time.monotonic() - started, 3))
    rt.user.subscribe_accounts(counter("account"))
    rt.user.subscribe_orders(account, counter("order"))
    rt.user.subscribe_positions(account, counter("position"))
    rt.user.subscribe_trades(account, counter("user_trade"))
    rt.market.subscribe_quotes(contract, counter("quote"))
    rt.market.subscribe_trades(contract, counter("trade"))
    rt.market.subscribe_market_depth(contract, counter("depth"))
    emit("subscribed")
    time.sleep(args.seconds)
    return rt, counts


def trade(responses, client, account, contract, bars):
    """A market order, a partial and a full close, a limit order modified and cancelled, searches."""
    from projectx_sdk import OrderSide, OrderType

    since = datetime.now(UTC) - timedelta(hours=1)
    order = call(responses, "/api/Order/place", client.orders.place, account, contract, OrderType.MARKET,
                 OrderSide.BUY, 2)  # fmt: skip
    emit("order_placed", order_id=order)
    time.sleep(1.0)
    call(responses, "/api/Position/partialCloseContract", client.positions.partial_close_contract,
         account, contract, 1)  # fmt: skip
    call(responses, "/api/Position/closeContract", client.positions.close_contract, account, contract)
    # Far below the market, so it stays open; whole points, so a multiple of any index tick (0.25).
    price = float(int((bars[-1].close if bars else 20000.0) * 0.5))
    limit = call(responses, "/api/Order/place", client.orders.place, account, contract, OrderType.LIMIT,
                 OrderSide.BUY, 1, limit_price=price)  # fmt: skip
    call(responses, "/api/Order/modify", client.orders.modify, account, limit, limit_price=price - 1.0)
    call(responses, "/api/Order/cancel", client.orders.cancel, account, limit)
    call(responses, "/api/Order/search", client.orders.search, account, since)
    call(responses, "/api/Trade/search", client.trades.search, account, since)
    call(responses, "/api/Auth/validate", client.auth.validate_token)


def after_reconnect(responses, client, args, trading, counts):
    """The server closes both hubs (allowing reconnect, through the simulator's control API); the SDK
    reconnects 5 s later. Then a market order: what reaches the callbacks on the new connections?"""
    account, contract = trading
    listing = control(args.base, "GET", "/_sim/connections?open=true")
    for row in listing["connections"]:
        control(args.base, "POST", f"/_sim/connections/{row['connectionId']}/close", {"allowReconnect": True})
    before = dict(counts)
    time.sleep(6.5)  # the SDK's reconnect sleeps 5 s (realtime/connection.py:519)
    reopened = control(args.base, "GET", "/_sim/connections?open=true")["connections"]
    emit("reconnected", hubs=sorted(r["hub"] for r in reopened),
         subscriptions={r["hub"]: r.get("subscriptions") for r in reopened})  # fmt: skip
    since = dict(counts)
    call(responses, "/api/Order/place", client.orders.place, account, contract, 2, 1, 1)  # market buy 1
    time.sleep(2.0)
    call(responses, "/api/Position/closeContract", client.positions.close_contract, account, contract)
    emit("after_reconnect", before=before, since=since, now=dict(counts))


def control(base, method, path, body=None):
    """One call to the simulator's control API (``/_sim/``), standard library only."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stop(rt, after_stop_s):
    started = time.monotonic()
    rt.stop()
    emit("stopped", seconds=round(time.monotonic() - started, 3))
    # stop() closes the sockets, and each close starts the SDK's reconnect 5 s later
    # (realtime/connection.py:440-447): what the client's own objects say after that.
    connections = (rt._async_client._user_connection, rt._async_client._market_connection)
    time.sleep(after_stop_s)
    emit("after_stop", connected=[c.is_connected() for c in connections], seconds=after_stop_s)


def _last(responses):
    return responses.seen[-1][2] if responses.seen else None


if __name__ == "__main__":
    parser = check_parser(seconds=2.0)
    parser.add_argument("--after-stop", type=float, default=6.5, help="how long to watch after stop()")
    run_check(main, parser.parse_args())
