"""Drive projectx-sdk (PyPI, 0.2.39; signalrcore 0.9.2 on websocket-client 0.54.0), unpatched, as a
client under test. Standard library and the SDK only: it runs in the SDK's venv.

Used as its README shows, but for the hub URLs: ``ProjectXClient(username, api_key, base_url=)``
logs in (in its constructor), and the realtime client is the one ``client.realtime`` builds, a
``SyncRealTimeClient``, made here with the simulator's hub URLs (``client.realtime`` takes them
only from its hard-coded table, ``client.py:174-182``; the class itself takes them,
``realtime/__init__.py:195-214``). Its ``start()``/``stop()`` are blocking, so they run in a
worker thread; its callbacks run synchronously on signalrcore's socket thread of each hub.

What it can tell its user, and so what this driver reports:

- hub states from the objects it builds, one ``SignalRConnection`` per hub: ``is_connected()``
  and ``get_reconnection_status()`` (its reconnection worker, failure count, circuit breaker).
  The breaker (5 failed reconnects, ``realtime/connection.py:572-578``) ends all retrying: that
  is ``failed``. After ``close`` the state stays ``closed`` unless the SDK connects the hub again
  (it does, 5 s after ``stop()``): then it is reported ``connected``, with that reason.
- ``metrics.callbacks``: the callbacks the SDK stores in its hub objects' lists (read only).
  Market callbacks exist per (stream, contract) and only through ``subscribe_*``: a callback the
  scenario adds for a stream with no contract subscribed is held by this driver until one is, and
  while any is held ``callbacks`` is left out (the SDK's count would not hold what it was never
  given). ``metrics.tasks``: the threads the SDK runs (socket readers, reconnection workers), its
  unit of concurrency (it starts no per-message task). ``queued``: null (it dispatches on the
  socket thread, no queue).
- no ``seq`` (the SDK passes the payload only), no ``gap`` events, no refresh API for a live hub
  (``refresh_token`` answers "unsupported"), user callbacks that cannot be removed.

    python projectxsdk_client.py --base http://127.0.0.1:PORT [--user-hub URL] [--market-hub URL]
"""

import argparse
import asyncio
import atexit
import importlib.metadata
import os
import shutil
import tempfile
import threading
import time

# The SDK caches its login token on disk under ~/.projectx_sdk (auth.py:87-138) and a new process
# reuses a cached token without logging in (auth.py:76-84): a token an earlier run's simulator
# issued, which this simulator does not know (REST 401, then AuthenticationError). Each driver
# process gets its own HOME, set before the SDK is imported, so every run logs in.
_HOME = tempfile.mkdtemp(prefix="projectxsdk-home-")
os.environ["HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, True)

from client_driver import USER_KINDS, ClientDriver, run  # noqa: E402 (beside this file)

MARKET = {"quote": "quotes", "trade": "trades", "depth": "depth"}  # kind -> stream
SUBSCRIBE = {"quotes": "subscribe_quotes", "trades": "subscribe_trades", "depth": "subscribe_market_depth"}
UNSUBSCRIBE = {
    "quotes": "unsubscribe_quotes",
    "trades": "unsubscribe_trades",
    "depth": "unsubscribe_market_depth",
}
USER_SUBSCRIBE = {
    "order": "subscribe_orders",
    "position": "subscribe_positions",
    "user_trade": "subscribe_trades",
}


class ProjectXSdkDriver(ClientDriver):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.name = "projectx-sdk"
        self.client = None
        self.rt = None
        self.account = None
        self.connecting = False
        self.closed = False
        self._polls = 0  # hub_states() calls so far (the watch thread's)
        self._polled = threading.Condition()
        self._opened = set()
        self.market_keys = {stream: set() for stream in SUBSCRIBE}  # contracts subscribed per stream
        self.user_subscribed = False
        self.user_recorders_given = False
        self._handles = {}  # handle -> (kind, SDK callable)
        self._on = {}  # handle -> contracts the SDK holds that callable for (market kinds)
        self._pending_user = []  # (kind, callable) added before the user hub was subscribed
        self._next_handle = 0
        self._recorders = {kind: self._recorder(kind) for kind in ("quote", "trade", "depth")}
        self._user_recorders = {kind: self._user_recorder(kind) for kind in USER_KINDS}

    async def prepare(self):
        from projectx_sdk import ProjectXClient
        from projectx_sdk.realtime import SyncRealTimeClient

        self.name = f"projectx-sdk {importlib.metadata.version('projectx-sdk')}"  # __version__ says 0.1.0
        base = self.args.base
        self.client = await asyncio.to_thread(
            ProjectXClient, username=self.args.user, api_key=self.args.api_key, base_url=base
        )
        accounts = await asyncio.to_thread(self.client.accounts.search, only_active_accounts=True)
        self.account = accounts[0].id
        self.rt = SyncRealTimeClient(
            auth_token=self.client.auth.get_token(),
            environment=self.client.environment,
            user_hub_url=self.args.user_hub or f"{base}/hubs/user",
            market_hub_url=self.args.market_hub or f"{base}/hubs/market",
        )

    # -- what the SDK calls --------------------------------------------------------------------

    def _recorder(self, kind):
        def record(contract_id, data):
            self.message(kind, "market", contract_id)

        return record

    def _user_recorder(self, kind):
        def record(*args):  # the SDK passes signalrcore's argument list as is (user_hub.py:675-680)
            self.message(kind, "user", _account_of(kind, args, self.account))

        return record

    def _sdk_callable(self, kind, fn):
        """``fn`` (a behaviour of one event) as the SDK calls it: synchronously on its socket thread.
        An async behaviour runs on the driver's loop while that thread waits, as a slow synchronous
        callback would hold it."""
        loop = self.loop
        if asyncio.iscoroutinefunction(fn):

            def call(event):
                asyncio.run_coroutine_threadsafe(fn(event), loop).result()

        else:
            call = fn
        if kind in USER_KINDS:
            return lambda *args: call({"args": args})
        return lambda contract_id, data: call({"contract_id": contract_id, "data": data})

    # -- connections ---------------------------------------------------------------------------

    def _connections(self):
        """Each hub's SignalRConnection: the SDK's own state objects (the realtime client builds
        them; SyncRealTimeClient.is_connected() only says whether both are up)."""
        inner = getattr(self.rt, "_async_client", None) if self.rt is not None else None
        if inner is None:
            return {}
        return {"user": inner._user_connection, "market": inner._market_connection}

    def hub_states(self):
        connections = self._connections()
        states = {}
        for hub in ("user", "market"):
            connection = connections.get(hub)
            if connection is None:
                state = ("closed", "closed by the user") if self.closed else None
                if state is None and self.connecting:
                    state = ("connecting", "start() running")
                states[hub] = state or ("disconnected", "not started")
                continue
            states[hub] = self._hub_state(hub, connection)
        with self._polled:
            self._polls += 1
            self._polled.notify_all()
        return states

    def _hub_state(self, hub, connection):
        status = connection.get_reconnection_status()
        if connection.is_connected():
            self._opened.add(hub)
            if self.closed:
                return "connected", "is_connected() True: the SDK reconnected after stop()"
            return "connected", "is_connected() True"
        if self.closed:
            return "closed", "closed by the user"
        failures = status.get("consecutive_failures", 0)
        if not status.get("reconnection_active") and (status.get("circuit_breaker_time") or failures >= 5):
            remaining = status.get("circuit_breaker_remaining", 0)
            return "failed", (
                f"circuit breaker after {failures} consecutive reconnect failures "
                f"({remaining:.0f} s left); no reconnection runs"
            )
        if status.get("reconnection_active"):
            attempt = status.get("reconnect_attempts", 0)
            return "reconnecting", f"reconnection worker active, attempt {attempt}, {failures} failure(s)"
        if hub not in self._opened:
            return ("connecting", "start() running") if self.connecting else ("disconnected", "never opened")
        return "disconnected", "is_connected() False, no reconnection running"

    async def connect(self, timeout_s=None):
        started = time.monotonic()
        self.connecting = True
        try:
            # No timeout argument: start() waits up to 30 s per hub, its whole future 30 s.
            await asyncio.to_thread(self.rt.start)
        finally:
            self.connecting = False
            await asyncio.to_thread(self._states_reported)
        return {"result": bool(self.rt.is_connected()), "seconds": round(time.monotonic() - started, 3)}

    def _states_reported(self):
        """Wait (at most 1 s) until the watch thread has reported the states start() left: the poll
        under way may predate it, the next one reads it, and the one after begins when its state
        events are out. So the answer to connect never overtakes the states it produced."""
        with self._polled:
            target = self._polls + 3
            self._polled.wait_for(lambda: self._polls >= target, timeout=1.0)

    # -- subscriptions -------------------------------------------------------------------------

    async def subscribe(self, stream, key):
        if stream == "user":
            return await asyncio.to_thread(self._subscribe_user)
        key = str(key)
        method = getattr(self.rt.market, SUBSCRIBE[stream])
        kind = {v: k for k, v in MARKET.items()}[stream]
        # The first callback of a contract sends the Subscribe (market_hub.py:436-446); the
        # scenario's callbacks for this stream join it on this contract.
        await asyncio.to_thread(method, key, self._recorders[kind])
        self.market_keys[stream].add(key)
        for handle, (k, fn) in list(self._handles.items()):
            if k == kind and key not in self._on.setdefault(handle, set()):
                await asyncio.to_thread(method, key, fn)
                self._on[handle].add(key)
        return True

    def _subscribe_user(self):
        hub = self.rt.user
        account = self.account
        given = self.user_recorders_given  # the SDK keeps user callbacks for good: give them once
        hub.subscribe_accounts(None if given else self._user_recorders["account"])
        for kind, method in USER_SUBSCRIBE.items():
            getattr(hub, method)(account, None if given else self._user_recorders[kind])
        self.user_recorders_given = True
        self.user_subscribed = True
        for kind, fn in self._pending_user:
            self._add_user_callback(kind, fn)
        self._pending_user.clear()
        return True

    async def unsubscribe(self, stream, key):
        if stream == "user":
            return await asyncio.to_thread(self._unsubscribe_user)
        key = str(key)
        # With no callback, the SDK drops every callback of the contract and sends the Unsubscribe
        # (market_hub.py:460-483); the scenario's callbacks join again on the next subscribe.
        await asyncio.to_thread(getattr(self.rt.market, UNSUBSCRIBE[stream]), key, None)
        self.market_keys[stream].discard(key)
        kind = {v: k for k, v in MARKET.items()}[stream]
        for handle, (k, _) in self._handles.items():
            if k == kind:
                self._on.get(handle, set()).discard(key)
        return True

    def _unsubscribe_user(self):
        hub = self.rt.user
        hub.unsubscribe_accounts()
        hub.unsubscribe_orders(self.account)
        hub.unsubscribe_positions(self.account)
        hub.unsubscribe_trades(self.account)
        self.user_subscribed = False
        return True

    # -- callbacks -----------------------------------------------------------------------------

    async def add_callback(self, kind, fn):
        handle = self._next_handle
        self._next_handle += 1
        callback = self._sdk_callable(kind, fn)
        self._handles[handle] = (kind, callback)
        if kind in USER_KINDS:
            await asyncio.to_thread(self._give_user_callback, kind, callback)
            return handle
        stream = MARKET[kind]
        self._on[handle] = set()
        for key in sorted(self.market_keys[stream]):
            await asyncio.to_thread(getattr(self.rt.market, SUBSCRIBE[stream]), key, callback)
            self._on[handle].add(key)
        return handle

    async def add_owned_callback(self, kind, fn):
        """Handed to the SDK for every contract now subscribed for its stream, and kept by nobody
        else (a contract subscribed later does not get it: the driver keeps no reference)."""
        callback = self._sdk_callable(kind, fn)
        if kind in USER_KINDS:
            await asyncio.to_thread(self._give_user_callback, kind, callback)
            return None
        stream = MARKET[kind]
        for key in sorted(self.market_keys[stream]):
            await asyncio.to_thread(getattr(self.rt.market, SUBSCRIBE[stream]), key, callback)
        return None

    def _give_user_callback(self, kind, callback):
        if self.user_subscribed:
            self._add_user_callback(kind, callback)
        else:
            self._pending_user.append((kind, callback))

    def _add_user_callback(self, kind, callback):
        """The SDK's one way to add a user callback: it sends that Subscribe again (user_hub.py:444-469)."""
        hub = self.rt.user
        if kind == "account":
            hub.subscribe_accounts(callback)
        else:
            getattr(hub, USER_SUBSCRIBE[kind])(self.account, callback)

    async def remove_callback(self, handle):
        kind, callback = self._handles[handle]
        if kind in USER_KINDS:
            raise NotImplementedError("unsupported: projectx-sdk cannot remove a user-hub callback")
        del self._handles[handle]
        method = getattr(self.rt.market, UNSUBSCRIBE[MARKET[kind]]) if self.rt is not None else None
        for key in sorted(self._on.pop(handle, ())):
            # The recorder stays on the contract, so this never sends an Unsubscribe.
            await asyncio.to_thread(method, key, callback)
        return True

    # -- what the SDK says about itself --------------------------------------------------------

    def tokens(self):
        tokens = {getattr(getattr(self.client, "auth", None), "token", None)}
        tokens |= {c.access_token for c in self._connections().values()}
        return tuple(t for t in tokens if t)

    def metrics(self):
        metrics = super().metrics()
        metrics["tasks"] = len([t for t in threading.enumerate() if _sdk_thread(t)])
        if not self._held_by_driver():
            stored = self._stored_callbacks()
            if stored is not None:
                metrics["callbacks"] = stored
        return metrics

    def _held_by_driver(self):
        pending_market = any(not self._on.get(h) for h, (k, _) in list(self._handles.items()) if k in MARKET)
        return pending_market or bool(self._pending_user)

    def _stored_callbacks(self):
        inner = getattr(self.rt, "_async_client", None) if self.rt is not None else None
        if inner is None:
            return None
        market, user = inner.market, inner.user
        try:
            lists = [
                *list(market._quote_callbacks.values()),
                *list(market._trade_callbacks.values()),
                *list(market._depth_callbacks.values()),
                user._account_callbacks,
                *list(user._order_callbacks.values()),
                *list(user._position_callbacks.values()),
                *list(user._trade_callbacks.values()),
            ]
        except RuntimeError:  # a dict changed size under us (read from the watch thread): next time
            return None
        return sum(len(callbacks) for callbacks in lists)

    async def close(self):
        if self.closed:
            return True
        # Closed from the moment the user asks; the SDK reconnects 5 s later all the same
        # (realtime/connection.py:440-447), which the watch thread reports as connected again.
        self.closed = True
        if self.rt is not None:
            await asyncio.to_thread(self.rt.stop)
        return True


def _sdk_thread(thread):
    """Threads the SDK started (its loop, socket readers, reconnection workers), not this driver's
    (the main thread, the watch thread, asyncio.to_thread's workers)."""
    own = thread is threading.main_thread() or thread.name == "driver-watch"
    return not own and not thread.name.startswith("asyncio_")


def _account_of(kind, args, default):
    """The account an event is about: ``[{"action": .., "data": {...}}]`` as the hub sends it."""
    payload = args[0] if args else None
    if isinstance(payload, list) and payload:
        payload = payload[0]
    data = payload.get("data", payload) if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return default
    return data.get("id" if kind == "account" else "accountId", default)


def main():
    parser = argparse.ArgumentParser(description="Drive projectx-sdk over JSON lines.")
    parser.add_argument("--base", required=True, help="simulator base URL (REST, without /api)")
    parser.add_argument("--user-hub", help="user hub URL (default: BASE/hubs/user)")
    parser.add_argument("--market-hub", help="market hub URL (default: BASE/hubs/market)")
    parser.add_argument("--user", default="sim")
    parser.add_argument("--api-key", default="sim-api-key-0001")
    parser.add_argument("--seed", type=int, default=0, help="accepted for the protocol; unused")
    run(ProjectXSdkDriver(parser.parse_args()))


if __name__ == "__main__":
    main()
