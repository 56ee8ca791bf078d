"""Client adapters: the one interface scenarios drive any client through, recording what it saw.

``ClientAdapter`` is what a scenario needs of a client: connect, subscribe and unsubscribe market
and user streams, add and remove callbacks, status, close. Every adapter records its observations
(each event with its time, stream and ``seq``; each state change; each reported gap) into the run's
``RunHistory``, which the checkers read.

``ReferenceAdapter`` runs the reference client in-process. Clients in another interpreter (or
language) get an out-of-process adapter speaking the JSON-lines protocol of ``harness/drivers``
(next issue); the interface is the same.
"""

from __future__ import annotations

from typing import Any, Protocol

from client import ClientConfig, Event, Handle, RealtimeClient, TokenProvider

from .run_history import RunHistory

TARGETS = {
    "quote": "GatewayQuote",
    "trade": "GatewayTrade",
    "depth": "GatewayDepth",
    "account": "GatewayUserAccount",
    "order": "GatewayUserOrder",
    "position": "GatewayUserPosition",
    "user_trade": "GatewayUserTrade",
}


class ClientAdapter(Protocol):
    name: str

    async def connect(self) -> None: ...

    async def subscribe(self, stream: str, key: Any) -> None:
        """``stream``: quotes, trades, depth (``key`` a contract id) or user (an account id)."""

    async def unsubscribe(self, stream: str, key: Any) -> None: ...

    def add_callback(self, kind: str, callback: Any) -> Any: ...

    def remove_callback(self, handle: Any) -> None: ...

    def status(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class ReferenceAdapter:
    name = "reference"

    def __init__(self, config: ClientConfig, tokens: TokenProvider, history: RunHistory) -> None:
        self.client = RealtimeClient(config, tokens)
        self.history = history
        for kind in TARGETS:
            self.client.on(kind, self._record)
        self.client.on("gap", self._gap)
        self.client.on("state", self._state)

    def _record(self, event: Event) -> None:
        self.history.observe(
            event.kind, hub=event.hub, target=TARGETS[event.kind], key=event.key, seq=event.seq
        )

    def _gap(self, event: Event) -> None:
        self.history.observe("gap", key=event.key, data=event.data)

    def _state(self, event: Event) -> None:
        self.history.observe("state", hub=event.key, data=event.data)

    async def connect(self) -> None:
        await self.client.connect()

    async def subscribe(self, stream: str, key: Any) -> None:
        if stream == "user":
            await self.client.subscribe_user(int(key))
        else:
            await getattr(self.client, f"subscribe_{stream}")(key)
        self.history.observe("subscribed", stream=stream, key=str(key))

    async def unsubscribe(self, stream: str, key: Any) -> None:
        if stream == "user":
            await self.client.unsubscribe_user(int(key))
        else:
            await getattr(self.client, f"unsubscribe_{stream}")(key)
        self.history.observe("unsubscribed", stream=stream, key=str(key))

    def add_callback(self, kind: str, callback: Any) -> Handle:
        return self.client.on(kind, callback)

    def remove_callback(self, handle: Any) -> None:
        handle.remove()

    def status(self) -> dict[str, Any]:
        return {"hubs": self.client.status(), "metrics": self.client.metrics()}

    def sample_metrics(self) -> None:
        metrics = self.client.metrics()
        self.history.observe(
            "metrics", queued=metrics["queued"], tasks=metrics["tasks"], counters=metrics["counters"]
        )

    async def close(self) -> None:
        await self.client.close()
