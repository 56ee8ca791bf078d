"""The reference client behind the whole-client protocol: the example for writing an adapter
(docs/clients-under-test.md, "I have my own client"), and the proof that the protocol loses nothing (the catalogue
runs it with ``--client reference-process``). It runs in this project's venv.

    python reference_client.py --base URL --user-hub URL --market-hub URL [--seed N] [--config JSON]
                               [--leak callbacks:N | --leak bytes:RATE]

``--leak`` makes it a deliberately leaking client, the soak detector's positive control:
``callbacks:N`` registers one more callback every N messages and never removes it, with the
registry's bound lifted: the review's unbounded callback storage (R9), grown by the message flow.
``bytes:RATE`` keeps RATE bytes per hour (suffixes k, M, G) of small objects, allotted as messages
arrive: a calibrated leak for measuring the detector's sensitivity.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # this project's packages

from client_driver import KINDS, ClientDriver, emit, run

from client import ClientError, GatewayTokens, RealtimeClient
from harness.clients.reference import client_config, leak, size


class ReferenceDriver(ClientDriver):
    name = "reference (process)"

    def __init__(self, args):
        super().__init__()
        self.args = args
        self.handles = {}

    async def prepare(self):
        args = self.args
        config = client_config(args.base, args.user_hub, args.market_hub, args.seed)
        changes = {}
        for name, value in json.loads(args.config).items():  # policies arrive as dicts: rebuild them
            current = getattr(config, name)
            changes[name] = type(current)(**value) if dataclasses.is_dataclass(current) else value
        config = dataclasses.replace(config, **changes)
        mode, _, amount = (args.leak or "none:0").partition(":")
        if mode == "callbacks":  # the review's client: no bound on its callback storage
            config = dataclasses.replace(
                config, callbacks=dataclasses.replace(config.callbacks, max_per_kind=2**62)
            )
        self.gateway_tokens = GatewayTokens(args.base, "sim", "sim-api-key-0001")
        self.client = RealtimeClient(config, self.gateway_tokens)
        on_message = {"callbacks": self._leak_callbacks, "bytes": self._leak_bytes}.get(mode, self._count)
        self.leak_every = max(1, int(amount)) if mode == "callbacks" else 0
        self.leak_rate = size(amount) / 3600 if mode == "bytes" else 0.0
        self.leaked, self.owed, self.last = [], 0.0, time.monotonic()
        for kind in KINDS:
            self.client.on(kind, on_message)
        self.client.on("state", lambda e: emit("state", hub=e.key, **e.data))
        self.client.on("gap", lambda e: emit("gap", key=e.key, data=e.data))

    def _count(self, e):
        self.message(e.kind, e.hub, e.key, e.seq)

    def _leak_callbacks(self, e):
        self.message(e.kind, e.hub, e.key, e.seq)
        if self.counters["messages"] % self.leak_every == 0:
            self.client.on("gap", lambda gap, n=self.counters["messages"]: None)  # never removed

    def _leak_bytes(self, e):
        self.message(e.kind, e.hub, e.key, e.seq)
        now = time.monotonic()
        self.owed += (now - self.last) * self.leak_rate
        self.last = now
        while self.owed >= 256:  # 256-byte objects (223 bytes of payload + the bytes header)
            self.leaked.append(bytes(223))
            self.owed -= 256

    async def connect(self, timeout_s=None):
        try:
            await self.client.connect(timeout_s=timeout_s)
        except ClientError as exc:
            return {"result": False, "error": str(exc)}
        return {"result": True}

    async def subscribe(self, stream, key):
        if stream == "user":
            return await self.client.subscribe_user(int(key))
        return await getattr(self.client, f"subscribe_{stream}")(key)

    async def unsubscribe(self, stream, key):
        if stream == "user":
            return await self.client.unsubscribe_user(int(key))
        return await getattr(self.client, f"unsubscribe_{stream}")(key)

    async def add_callback(self, kind, fn):
        handle = self.client.on(kind, fn)
        self.handles[id(handle)] = handle
        return id(handle)

    async def remove_callback(self, handle):
        self.handles.pop(handle).remove()

    async def add_owned_callback(self, kind, fn):
        self.client.on(kind, fn)  # the client holds a bound method weakly: it goes with its object

    def tokens(self):
        current = self.gateway_tokens.current
        return (current,) if current else ()

    async def refresh_token(self):
        """A new token from the Gateway, used from the next connection on."""
        self.gateway_tokens.invalidate(await self.gateway_tokens.token())
        await self.gateway_tokens.token()
        return {"result": True}

    async def close(self):
        await self.client.close()

    def metrics(self):
        metrics = self.client.metrics()
        counters = {**self.behaviours.counters, **metrics["counters"]}  # the client's own win
        windows = metrics["windows"]  # the newest sample of each: the reports draw them over time
        return {
            "tasks": metrics["tasks"],
            "queued": metrics["queued"],
            "callbacks": metrics["callbacks"],
            "loop_lag_ms": windows["loop_lag_ms"]["last"],
            "heartbeat_rtt_ms": windows["heartbeat_rtt_ms"]["last"],
            "counters": counters,
        }


def main():
    parser = argparse.ArgumentParser(description="Drive the reference client over JSON lines.")
    for flag in ("--base", "--user-hub", "--market-hub"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="{}", help="ClientConfig changes as JSON (policies as objects)")
    parser.add_argument("--leak", type=leak, help="callbacks:N or bytes:RATE (per hour): leak on purpose")
    args = parser.parse_args()
    run(ReferenceDriver(args))


if __name__ == "__main__":
    main()
