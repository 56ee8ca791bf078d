"""Drive the real topstep-sdk 0.1.4 (unpatched) as a client under test.

It is used the way the SDK's README shows, with its own ``Config`` object for the three URLs (the
one way to give it hub URLs: ``from_env()`` reads only the REST base): ``AsyncTopstepClient(config)``
logs in with an API key, ``client.market_hub()`` / ``client.user_hub()`` give one hub client each,
handlers go in with ``on_quote`` / ``on_order`` ..., ``start()`` connects and ``subscribe_*`` asks
for streams. What the harness sees is what the SDK gives its user: the handlers it runs and each
hub's ``connected`` flag (polled every 20 ms). See ``client_driver.py`` for the protocol.

What the SDK's API decides here:

- One handler per event type, and registering again replaces it (``market_hub.py:69-82``,
  ``user_hub.py:67-85``): the driver registers one multiplexer per event, as any user with more than
  one consumer must. It records the event, then runs the scenario's callbacks in order, awaiting
  async ones inline (as the SDK awaits its handler) and letting an exception out to the SDK, whose
  own error path then runs (logged; the rest of a trade or depth message's entries skipped).
- Trade and depth handlers run once per *entry* of the message's list (``_emit_many``,
  ``market_hub.py:23-36``): ``ready`` says so (``entries``), one ``message`` per callback.
- No unsubscribe API at all: ``unsubscribe`` is answered "unsupported" (a filter here would hide
  what the SDK does on the wire).
- No failed state and no reason: a ``connected`` flag per hub. ``connecting`` / ``reconnecting``
  are what the user knows from having called ``start()``; a ``start()`` that timed out has stopped
  its hub (``_signalr.py:86-91``), which is ``disconnected`` until ``start()`` is called again.
- Token refresh: ``client.validate()`` renews the REST token, which every hub (re)connect reads
  (``client.py:90-95``); a live connection keeps the token it opened with.
- Not countable: its callbacks (one slot per event: a count would be the driver's own list), its
  queues (websockets' receive buffer is internal). Tasks: those of this process's loop.

    python topstep_client.py --base http://127.0.0.1:PORT [--user-hub URL] [--market-hub URL]
"""

import argparse
import asyncio
import importlib.metadata
import inspect
import itertools
import time

from client_driver import ClientDriver, run

HUBS = ("user", "market")
MARKET_EVENTS = {"quote": "on_quote", "trade": "on_trade", "depth": "on_depth"}
USER_EVENTS = {
    "account": "on_account",
    "order": "on_order",
    "position": "on_position",
    "user_trade": "on_trade",
}
USER_SUBSCRIBE = ("subscribe_orders", "subscribe_positions", "subscribe_trades")


class TopstepDriver(ClientDriver):
    # A connected flag per hub, and the driver's knowledge of start(): never "failed", no reason.
    states_reported = ("disconnected", "connecting", "connected", "reconnecting", "closed")
    # The kinds whose handler runs once per entry of a message's list argument (``_emit_many``).
    entries = ("trade", "depth")

    def __init__(self, args):
        super().__init__()
        self.args = args
        self.name = "topstep-sdk"
        self.client = None
        self.hubs = {}
        self.callbacks = {kind: {} for kind in (*MARKET_EVENTS, *USER_EVENTS)}
        self.closed = False
        self._handles = itertools.count()
        self._started = set()  # hubs whose start() the user called and that did not give up
        self._opened = set()  # hubs that were connected at least once since their start()

    async def prepare(self):
        from topstep_sdk import AsyncTopstepClient, Config

        self.name = f"topstep-sdk {importlib.metadata.version('topstep-sdk')}"
        base = self.args.base
        config = Config(
            username=self.args.user,
            api_key=self.args.api_key,
            rest_base_url=base,  # the host: the SDK's paths carry /api
            user_hub_url=self.args.user_hub or f"{base}/hubs/user",
            market_hub_url=self.args.market_hub or f"{base}/hubs/market",
        )
        self.client = AsyncTopstepClient(config)
        await self.client.authenticate()
        accounts = await self.client.accounts.search()
        self.account = accounts[0].id
        self.hubs = {"user": self.client.user_hub(), "market": self.client.market_hub()}
        for kind, method in MARKET_EVENTS.items():
            getattr(self.hubs["market"], method)(self._market_multiplexer(kind))
        for kind, method in USER_EVENTS.items():
            getattr(self.hubs["user"], method)(self._user_multiplexer(kind))

    # -- the one handler per event ----------------------------------------------------------------

    def _market_multiplexer(self, kind):
        async def on_market(contract_id, data):
            self.message(kind, "market", contract_id)
            await self._run_callbacks(kind, (contract_id, data))

        return on_market

    def _user_multiplexer(self, kind):
        async def on_user(model):
            key = model.id if kind == "account" else model.account_id
            self.message(kind, "user", key)
            await self._run_callbacks(kind, model)

        return on_user

    async def _run_callbacks(self, kind, event):
        for fn in list(self.callbacks[kind].values()):
            result = fn(event)  # an exception goes on to the SDK: its own error path runs
            if inspect.isawaitable(result):
                await result

    async def add_callback(self, kind, fn):
        handle = next(self._handles)
        self.callbacks[kind][handle] = fn
        return handle

    async def remove_callback(self, handle):
        registered = next((r for r in self.callbacks.values() if handle in r), None)
        if registered is None:
            return False
        del registered[handle]
        return True

    async def add_owned_callback(self, kind, fn):
        # The multiplexer's list holds it, as the SDK holds its one handler: strongly.
        self.callbacks[kind][f"owned-{next(self._handles)}"] = fn

    # -- commands ---------------------------------------------------------------------------------

    async def connect(self, timeout_s=None):
        started = time.monotonic()
        timeout = 15.0 if timeout_s is None else timeout_s  # start()'s own default is 15 s
        self._started.update(HUBS)
        results = await asyncio.gather(
            *(self.hubs[hub].start(timeout=timeout) for hub in HUBS), return_exceptions=True
        )
        failed = {}
        for hub, result in zip(HUBS, results, strict=True):
            if isinstance(result, BaseException):
                self._started.discard(hub)  # start() stopped the hub before it raised
                self._opened.discard(hub)
                failed[hub] = f"{type(result).__name__}: {result}"
        took = round(time.monotonic() - started, 3)
        await self._published()
        if failed:
            raise ConnectionError(f"start() raised after {took} s: {failed}")
        return {"result": True, "seconds": took}

    async def _published(self, bound_s=0.5):
        """Wait (bounded) until the watch thread has reported each hub as the SDK now has it, so the
        answer to ``connect`` never overtakes a state change that ``start()`` itself caused."""
        deadline = time.monotonic() + bound_s
        while time.monotonic() < deadline:
            if all(self.states[hub] == state for hub, (state, _) in self.hub_states().items()):
                return
            await asyncio.sleep(self.poll_s / 2)

    async def subscribe(self, stream, key):
        if stream == "user":
            user = self.hubs["user"]
            await user.subscribe_accounts()
            for method in USER_SUBSCRIBE:
                await getattr(user, method)(int(key))
            return True
        market = self.hubs["market"]
        method = {"quotes": "subscribe_quotes", "trades": "subscribe_trades", "depth": "subscribe_depth"}
        await getattr(market, method[stream])(str(key))
        return True

    async def unsubscribe(self, stream, key):
        raise NotImplementedError("unsupported: topstep-sdk has no unsubscribe API")

    async def refresh_token(self):
        """The SDK's refresh: ``client.validate()`` renews the REST token the hubs read at (re)connect."""
        started = time.monotonic()
        token = await self.client.validate()
        return {"result": bool(token), "seconds": round(time.monotonic() - started, 3)}

    async def close(self):
        if self.closed:
            return True
        # Closed from the moment the user asks: the flags going False while stopping are not a loss.
        self.closed = True
        # Both at once: each stop() may wait up to websockets' 10 s close_timeout for a close reply.
        await asyncio.gather(*(hub.stop() for hub in self.hubs.values()))
        if self.client is not None:
            await self.client.aclose()
        return True

    # -- what the SDK tells its user --------------------------------------------------------------

    def hub_states(self):
        states = {}
        for hub in HUBS:
            sdk = self.hubs.get(hub)
            if self.closed:
                states[hub] = ("closed", "stopped by the user")
            elif sdk is not None and sdk.connected:
                self._opened.add(hub)
                states[hub] = ("connected", "connected is True")
            elif hub not in self._started:
                states[hub] = ("disconnected", "connected is False; not started")
            elif hub in self._opened:
                states[hub] = ("reconnecting", "connected is False")
            else:
                states[hub] = ("connecting", "connected is False")
        return states

    def tokens(self):
        token = self.client.http.token if self.client is not None else None
        return (token,) if token else ()


def main():
    parser = argparse.ArgumentParser(description="Drive topstep-sdk over JSON lines.")
    parser.add_argument("--base", required=True, help="simulator base URL (REST, without /api)")
    parser.add_argument("--user-hub", help="user hub URL (default: BASE/hubs/user)")
    parser.add_argument("--market-hub", help="market hub URL (default: BASE/hubs/market)")
    parser.add_argument("--user", default="sim")
    parser.add_argument("--api-key", default="sim-api-key-0001")
    run(TopstepDriver(parser.parse_args()))


if __name__ == "__main__":
    main()
