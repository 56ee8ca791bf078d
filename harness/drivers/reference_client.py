"""The reference client behind the whole-client protocol: the example for writing an adapter
(README, "I have my own client"), and the proof that the protocol loses nothing (the catalogue
runs it with ``--client reference-process``). It runs in this project's venv.

    python reference_client.py --base URL --user-hub URL --market-hub URL [--seed N] [--config JSON]
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this project's packages

from client_driver import KINDS, ClientDriver, emit, run

from client import ClientError, GatewayTokens, RealtimeClient
from harness.chaos import client_config


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
        self.client = RealtimeClient(config, GatewayTokens(args.base, "sim", "sim-api-key-0001"))
        for kind in KINDS:
            self.client.on(kind, lambda e: self.message(e.kind, e.hub, e.key, e.seq))
        self.client.on("state", lambda e: emit("state", hub=e.key, **e.data))
        self.client.on("gap", lambda e: emit("gap", key=e.key, data=e.data))

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

    async def close(self):
        await self.client.close()

    def metrics(self):
        metrics = self.client.metrics()
        counters = {**self.behaviours.counters, **metrics["counters"]}  # the client's own win
        return {"tasks": metrics["tasks"], "queued": metrics["queued"], "counters": counters}


def main():
    parser = argparse.ArgumentParser(description="Drive the reference client over JSON lines.")
    for flag in ("--base", "--user-hub", "--market-hub"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="{}", help="ClientConfig changes as JSON (policies as objects)")
    run(ReferenceDriver(parser.parse_args()))


if __name__ == "__main__":
    main()
