"""Drive the real project-x-py realtime client (3.x or 4.x, unpatched) as a client under test.

It is used the way the SDK's own docs use it: ``ProjectX`` logs in with an API key (REST), then
``ProjectXRealtimeClient`` gets that JWT, connects both hubs, subscribes market data per contract
and the user's updates. What the harness sees is what the SDK gives its user: the callbacks it
runs and its ``user_connected`` / ``market_connected`` flags (polled every 20 ms). See
``client_driver.py`` for the protocol.

    python projectx_client.py --base http://127.0.0.1:PORT [--user sim] [--api-key KEY]
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

    def metrics(self):
        metrics = super().metrics()
        registry = getattr(self.rt, "callbacks", None)  # the SDK's own callback storage (R9)
        if isinstance(registry, dict):
            metrics["callbacks"] = sum(len(v) for v in list(registry.values()))
        return metrics

    async def close(self):
        if self.closed:
            return True
        if self.rt is not None:
            await self.rt.disconnect()
        self.closed = True
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
    run(ProjectXDriver(parser.parse_args()))


if __name__ == "__main__":
    main()
