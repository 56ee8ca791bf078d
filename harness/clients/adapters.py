"""Client adapters: the one interface scenarios drive any client through, recording what it saw.

``ClientAdapter`` is what a scenario needs of a client: connect, subscribe and unsubscribe market
and user streams, add and remove callbacks, status, close. Every adapter records its observations
(each event with its time, stream and ``seq``; each state change; each reported gap) into the run's
``RunHistory``, which the checkers read.

Callbacks cross process boundaries as *behaviours*, not functions: ``noop``, ``raise`` (always
throws), ``sleep`` (``seconds``, a slow consumer), ``reentrant`` (subscribes and unsubscribes
``contract`` and registers a callback from inside the dispatch) and ``owned`` (a bound method of an
object only the client keeps: R9). Every adapter builds them in the client's own language, so one
scenario drives every client.

What an adapter cannot get from its client it leaves out, and the checks that need it say
*unknown* (``harness/run/verdicts.py``): ``refresh_token`` returns None for a client with no refresh
API; a client that does not count its callbacks reports none.

``ReferenceAdapter`` runs the reference client in-process. Clients in another interpreter (or
language) run in their own process (``harness/clients/process_adapters.py``); the interface is the same.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from client import ClientConfig, ClientError, Event, GatewayTokens, Handle, RealtimeClient, TokenProvider

from ..infra.gateway import TARGETS
from ..run.history import RunHistory

DRIVERS = Path(__file__).resolve().parent / "drivers"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation (``connect()``, a token refresh) told its caller (``ok``), in its own
    words, and how long it took."""

    ok: bool
    detail: str
    took_s: float


class ClientAdapter(Protocol):
    name: str
    # True when the client's API subscribes a contract's quotes, trades and depth together
    # (project-x-py's subscribe_market_data): scenarios then expect all three on the server.
    streams_per_contract: bool

    async def start(self) -> None:
        """Get ready to connect (start the client's process, if it has one)."""

    async def connect(self, timeout_s: float | None = None) -> Outcome: ...

    async def subscribe(self, stream: str, key: Any) -> bool:
        """``stream``: quotes, trades, depth (``key`` a contract id) or user (an account id).
        True when the client told its caller it worked; a refusal it reports is False, not raised."""

    async def unsubscribe(self, stream: str, key: Any) -> bool: ...

    async def add_callback(self, kind: str, does: str = "noop", **params: Any) -> Any: ...

    async def remove_callback(self, handle: Any) -> None: ...

    async def refresh_token(self, within_s: float | None = None) -> Outcome | None:
        """Log in again and hand the fresh token to the client's own refresh API; None when the
        client has none. ``within_s`` bounds the wait (a refresh that never returns is a result)."""

    def callback_count(self, kind: str) -> int: ...

    def callback_calls(self) -> int:
        """How often the client ran the behaviours added with ``add_callback``."""

    def state(self, hub: str) -> str: ...

    def status(self) -> dict[str, Any]: ...

    def sample_metrics(self) -> None: ...

    async def close(self) -> None: ...


class AdapterBase:
    """What every adapter does the same way: subscriptions go through ``_change`` (each adapter
    says how), and connect outcomes are recorded alike."""

    history: RunHistory

    async def subscribe(self, stream: str, key: Any) -> bool:
        return await self._change("subscribe", stream, key)

    async def unsubscribe(self, stream: str, key: Any) -> bool:
        return await self._change("unsubscribe", stream, key)

    async def _change(self, verb: str, stream: str, key: Any) -> bool:
        raise NotImplementedError

    def _connected(self, outcome: Outcome) -> Outcome:
        self.history.observe("connect", ok=outcome.ok, detail=outcome.detail, took_s=round(outcome.took_s, 3))
        return outcome

    def _refreshed(self, outcome: Outcome) -> Outcome:
        self.history.observe("refresh", ok=outcome.ok, detail=outcome.detail, took_s=round(outcome.took_s, 3))
        return outcome


def token_log_watch(tokens: abc.Callable[[], abc.Iterable[str]], history: RunHistory) -> Any:
    """The drivers' ``TokenLogWatch`` (``drivers/token_watch.py``), for a client in this process.
    Loaded by path: the drivers are scripts for other interpreters, not a package."""
    spec = importlib.util.spec_from_file_location("faultline_token_watch", DRIVERS / "token_watch.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def report(logger: str, level: str, where: str) -> None:
        history.observe("token_logged", logger=logger, level=level, where=where)

    return module.TokenLogWatch(tokens, report)


class ReferenceAdapter(AdapterBase):
    name = "reference"
    streams_per_contract = False

    def __init__(self, config: ClientConfig, tokens: TokenProvider, history: RunHistory) -> None:
        self.client = RealtimeClient(config, tokens)
        self.history = history
        for kind in TARGETS:
            self.client.on(kind, self._record)
        self.client.on("gap", self._gap)
        self.client.on("state", self._state)
        self._calls = 0
        self._owned: list[Handle] = []
        self._token_watch = token_log_watch(self._tokens, history)
        self._token_watch.install()

    def _tokens(self) -> tuple[str, ...]:
        current = self.client.tokens.current if isinstance(self.client.tokens, GatewayTokens) else None
        return (current,) if current else ()

    def _record(self, event: Event) -> None:
        self.history.observe(
            event.kind, hub=event.hub, target=TARGETS[event.kind], key=event.key, seq=event.seq
        )

    def _gap(self, event: Event) -> None:
        self.history.observe("gap", key=event.key, data=event.data)

    def _state(self, event: Event) -> None:
        self.history.observe("state", hub=event.key, data=event.data)

    async def start(self) -> None:
        """In-process: nothing to start."""

    async def connect(self, timeout_s: float | None = None) -> Outcome:
        started = time.monotonic()
        try:
            await self.client.connect(timeout_s=timeout_s)
            outcome = Outcome(True, "connected", time.monotonic() - started)
        except ClientError as exc:
            outcome = Outcome(False, str(exc), time.monotonic() - started)
        return self._connected(outcome)

    async def _change(self, verb: str, stream: str, key: Any) -> bool:
        method = getattr(self.client, f"{verb}_{stream}")
        try:
            await method(int(key) if stream == "user" else key)
        except ClientError as exc:
            self.history.observe(f"{verb}d", stream=stream, key=str(key), ok=False, error=str(exc))
            return False
        self.history.observe(f"{verb}d", stream=stream, key=str(key), ok=True)
        return True

    async def add_callback(self, kind: str, does: str = "noop", **params: Any) -> Handle | None:
        try:
            return self.client.on(kind, self._behaviour(does, params))
        except ClientError as exc:  # past max_per_kind: refused, as the client says
            self.history.observe("callback_refused", of=kind, error=str(exc))
            return None

    async def refresh_token(self, within_s: float | None = None) -> Outcome | None:
        """The reference client takes tokens from its provider at each connect: a refresh is a
        new token from the Gateway, used from the next connection on (live ones stay as they are)."""
        tokens = self.client.tokens
        started = time.monotonic()
        try:
            async with asyncio.timeout(within_s):
                tokens.invalidate(await tokens.token())
                await tokens.token()
            outcome = Outcome(True, "token refreshed", time.monotonic() - started)
        except (ClientError, TimeoutError) as exc:
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
        return self._refreshed(outcome)

    def _behaviour(self, does: str, params: dict[str, Any]) -> abc.Callable[[Event], Any]:
        if does == "owned":
            calls = self

            class Owner:  # kept by nobody but the client: a bound method, held weakly there
                def on_event(self, event: Event) -> None:
                    calls._calls += 1

            return Owner().on_event
        if does == "noop":

            def noop(event: Event) -> None:
                self._calls += 1

            return noop
        if does == "raise":

            def broken(event: Event) -> None:
                self._calls += 1
                raise RuntimeError("a bug in someone's strategy")

            return broken
        if does == "sleep":
            seconds = float(params.get("seconds", 0.002))

            async def slow(event: Event) -> None:
                self._calls += 1
                await asyncio.sleep(seconds)

            return slow
        if does == "reentrant":
            contract = params["contract"]

            async def reentrant(event: Event) -> None:
                self._calls += 1
                handle = self.client.on("trade", lambda e: None)
                if self._calls % 2:
                    await self.subscribe("trades", contract)
                else:
                    await self.unsubscribe("trades", contract)
                handle.remove()

            return reentrant
        raise ValueError(f"unknown callback behaviour {does!r}")

    async def remove_callback(self, handle: Any) -> None:
        handle.remove()

    def callback_count(self, kind: str) -> int:
        return self.client.callbacks.count(kind)

    def callback_calls(self) -> int:
        return self._calls

    def state(self, hub: str) -> str:
        return self.client.state(hub).value

    def status(self) -> dict[str, Any]:
        return {"hubs": self.client.status(), "metrics": self.client.metrics()}

    def sample_metrics(self) -> None:
        metrics = self.client.metrics()
        counters = {**metrics["counters"], "tokens_logged": self._token_watch.count}
        windows = metrics["windows"]  # the newest sample of each: the reports draw them over time
        self.history.observe(
            "metrics",
            queued=metrics["queued"],
            tasks=metrics["tasks"],
            callbacks=metrics["callbacks"],
            loop_lag_ms=windows["loop_lag_ms"]["last"],
            heartbeat_rtt_ms=windows["heartbeat_rtt_ms"]["last"],
            counters=counters,
        )

    async def close(self) -> None:
        try:
            await self.client.close()
        finally:
            self._token_watch.uninstall()
