"""Drive the real project-x-py realtime client (3.x or 4.x, unpatched) as a client under test.

It is used the way the SDK's own docs use it: ``ProjectX`` logs in with an API key (REST), then
``ProjectXRealtimeClient`` gets that JWT, connects both hubs, subscribes market data per contract
and the user's updates. What the harness sees is what the SDK gives its user: the callbacks it
runs and its ``user_connected`` / ``market_connected`` flags (polled every 20 ms). See
``client_driver.py`` for the protocol.

In-process observations (the driver runs in the SDK's process): the number of callbacks the SDK
stores (``metrics.callbacks``, from ``rt.callbacks``), quotes it coalesced (4.x: ``get_stats()``'s
``coalesced_quote_dropped`` as ``counters.quotes_coalesced``), the batching path's queues when
``--batching`` is on (``metrics.queued``), and log records that carry its JWT (``token_watch.py``).
``refresh_token`` logs in again and calls ``rt.update_jwt_token(new)``, the SDK's refresh API.

    python projectx_client.py --base http://127.0.0.1:PORT [--user sim] [--api-key KEY] [--batching]
"""

import argparse
import inspect
import time

from client_driver import USER_KINDS, ClientDriver, run

EVENTS = {  # the SDK's callback names -> our event kinds
    "quote_update": "quote",
    "market_trade": "trade",
    "market_depth": "depth",
    "account_update": "account",
    "order_update": "order",
    "position_update": "position",
    "trade_execution": "user_trade",
}
KIND_EVENT = {kind: name for name, kind in EVENTS.items()}


class ProjectXDriver(ClientDriver):
    # The SDK has a connected flag per hub and nothing else: no failed state, no reason.
    states_reported = ("disconnected", "connecting", "connected", "reconnecting", "closed")

    def __init__(self, args):
        super().__init__()
        self.args = args
        self.name = "project-x-py"
        self.client = None
        self.rt = None
        self.account = None
        self.wanted = {}  # contract -> set of streams the scenario asked for
        self.closed = False
        self._opened = set()
        self._handles = {}
        self._next_handle = 0

    async def prepare(self):
        from project_x_py import ProjectX, ProjectXRealtimeClient, __version__
        from project_x_py.models import ProjectXConfig

        self.name = f"project-x-py {__version__}"
        base = self.args.base
        config = ProjectXConfig(
            api_url=f"{base}/api",
            user_hub_url=self.args.user_hub or f"{base}/hubs/user",
            market_hub_url=self.args.market_hub or f"{base}/hubs/market",
        )
        self.client = ProjectX(username=self.args.user, api_key=self.args.api_key, config=config)
        await self.client.__aenter__()
        await self.client.authenticate()
        self.account = self.client.account_info.id
        self.rt = ProjectXRealtimeClient(
            jwt_token=self.client.session_token, account_id=str(self.account), config=config
        )
        if self.args.batching:  # the SDK's documented switch: rt.enable_batching() (R15)
            self.rt.enable_batching()
        for name, kind in EVENTS.items():
            await self.rt.add_callback(name, self._recorder(kind))

    def _recorder(self, kind):
        hub = "user" if kind in USER_KINDS else "market"

        async def record(event):
            if hub == "market":
                key = event.get("contract_id") if isinstance(event, dict) else None
            else:
                data = event.get("data", event) if isinstance(event, dict) else {}
                key = data.get("accountId", self.account) if isinstance(data, dict) else self.account
            self.message(kind, hub, key)

        return record

    def hub_states(self):
        states = {}
        for hub in ("user", "market"):
            if self.closed:
                states[hub] = ("closed", "closed by the user")
            elif self.rt is not None and getattr(self.rt, f"{hub}_connected", False):
                self._opened.add(hub)
                states[hub] = ("connected", f"{hub}_connected is True")
            else:
                state = "reconnecting" if hub in self._opened else "connecting"
                states[hub] = (state if self.rt is not None else "disconnected", f"{hub}_connected is False")
        return states

    async def connect(self, timeout_s=None):
        started = time.monotonic()
        result = await self.rt.connect()  # the SDK has no timeout argument: its own wait decides
        return {"result": bool(result), "seconds": round(time.monotonic() - started, 3)}

    async def subscribe(self, stream, key):
        if stream == "user":
            return await self.rt.subscribe_user_updates()
        streams = self.wanted.setdefault(str(key), set())
        first = not streams
        streams.add(stream)
        # One SDK call subscribes quotes, trades and depth of a contract: call it once per contract,
        # as an SDK user would, so duplicates on the wire are the SDK's own.
        return await self.rt.subscribe_market_data([str(key)]) if first else True

    async def unsubscribe(self, stream, key):
        if stream == "user":
            return await self.rt.unsubscribe_user_updates()
        streams = self.wanted.get(str(key), set())
        if stream not in streams:
            return True
        streams.discard(stream)
        return await self.rt.unsubscribe_market_data([str(key)]) if not streams else True

    async def add_callback(self, kind, fn):
        if inspect.iscoroutinefunction(fn):
            callback = fn
        else:

            async def callback(event, fn=fn):  # the SDK awaits callbacks it is given
                fn(event)

        await self.rt.add_callback(KIND_EVENT[kind], callback)
        handle = self._next_handle
        self._next_handle += 1
        self._handles[handle] = (KIND_EVENT[kind], callback)
        return handle

    async def remove_callback(self, handle):
        event, callback = self._handles.pop(handle)
        await self.rt.remove_callback(event, callback)
        return True

    async def add_owned_callback(self, kind, fn):
        await self.rt.add_callback(KIND_EVENT[kind], fn)  # the SDK calls plain callables as they are

    def tokens(self):
        return tuple(
            t for t in (getattr(self.rt, "jwt_token", None), getattr(self.client, "session_token", None)) if t
        )

    async def refresh_token(self):
        """A fresh JWT through REST (log in again), then the SDK's own hub refresh."""
        started = time.monotonic()
        await self.client.authenticate()
        result = await self.rt.update_jwt_token(self.client.session_token)
        return {"result": bool(result), "seconds": round(time.monotonic() - started, 3)}

    def metrics(self):
        metrics = super().metrics()
        registry = getattr(self.rt, "callbacks", None)  # the SDK's own callback storage (R9)
        if isinstance(registry, dict):
            metrics["callbacks"] = sum(len(v) for v in list(registry.values()))
        stats = getattr(self.rt, "get_stats", None)
        if stats is not None:
            try:
                dropped = stats().get("coalesced_quote_dropped")  # 4.x counts the quotes it coalesced
            except Exception:  # read from the watch thread while the loop changes it: next time
                dropped = None
            if dropped is not None:
                metrics["counters"]["quotes_coalesced"] = dropped
        batched = getattr(self.rt, "_batched_handler", None)
        if self.args.batching and batched is not None:  # the batching path's own queues (R15)
            handlers = ("quote_handler", "trade_handler", "depth_handler")
            queues = [getattr(getattr(batched, h, None), "message_queue", ()) for h in handlers]
            metrics["queued"] = sum(len(q) for q in queues)
        return metrics

    async def close(self):
        if self.closed:
            return True
        # Closed from the moment the user asks: the flags going False during disconnect() are the
        # user's doing, not a lost hub (the watch thread would otherwise report "reconnecting").
        self.closed = True
        if self.rt is not None:
            await self.rt.disconnect()
        if self.client is not None:
            await self.client.__aexit__(None, None, None)
        return True


def main():
    parser = argparse.ArgumentParser(description="Drive project-x-py over JSON lines.")
    parser.add_argument("--base", required=True, help="simulator base URL (REST)")
    parser.add_argument("--user-hub", help="user hub URL (default: BASE/hubs/user)")
    parser.add_argument("--market-hub", help="market hub URL (default: BASE/hubs/market)")
    parser.add_argument("--user", default="sim")
    parser.add_argument("--api-key", default="sim-api-key-0001")
    parser.add_argument("--batching", action="store_true", help="rt.enable_batching() before connect")
    run(ProjectXDriver(parser.parse_args()))


if __name__ == "__main__":
    main()
