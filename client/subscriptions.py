"""Subscriptions as desired state (R13): callers say what they want; one reconciler per hub makes
the server's set equal to it, one invocation at a time, so concurrent subscribe and unsubscribe
calls converge to exactly the intended set, with no duplicates.

After every reconnect the hub's ``on_open`` hook calls ``restore``, which subscribes everything
desired before the hub is reported connected. An item the server refuses (an error Completion,
e.g. an unknown contract) leaves the desired set and its waiters get the ``InvocationError``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from .errors import ClientError, HubClosedError, InvocationError, OperationTimeout
from .hub import HubConnection, HubState, Invoker
from .metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    subscribe: str  # the hub method, e.g. SubscribeContractQuotes
    unsubscribe: str
    arguments: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return f"{self.subscribe}({', '.join(map(repr, self.arguments))})"


class SubscriptionSet:
    def __init__(self, hub: HubConnection, metrics: Metrics, timeout_s: float) -> None:
        self.hub = hub
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.desired: dict[Subscription, None] = {}  # ordered: restored in the order asked
        self.applied: set[Subscription] = set()
        self.refused: dict[Subscription, InvocationError] = {}
        self._resync: set[Subscription] = set()
        self._changed = asyncio.Event()
        self._settled = asyncio.Event()

    # -- what callers do ------------------------------------------------------------------------

    async def want(self, item: Subscription) -> None:
        """Desire ``item`` and wait until the server has it (``OperationTimeout`` if the hub does
        not get there in time: the item stays desired and is applied when it can be)."""
        self.refused.pop(item, None)
        self.desired[item] = None
        await self._converge(item, present=True)

    async def drop(self, item: Subscription) -> None:
        self.desired.pop(item, None)
        self._resync.discard(item)
        await self._converge(item, present=False)

    def resync(self, item: Subscription) -> None:
        """Unsubscribe and subscribe again (for a fresh depth snapshot), without waiting."""
        if item in self.desired:
            self._resync.add(item)
            self._changed.set()

    async def _converge(self, item: Subscription, *, present: bool) -> None:
        self._changed.set()  # wake the reconciler
        try:
            async with asyncio.timeout(self.timeout_s):
                while (item in self.applied) != present:
                    if present and item in self.refused:
                        raise self.refused[item]
                    await self._settled.wait()
        except TimeoutError:
            done = "applied" if present else "removed"
            raise OperationTimeout(
                f"{item} not {done} within {self.timeout_s} s (hub {self.hub.state.value})"
            ) from None

    def _notify(self) -> None:
        """Wake everyone waiting for ``applied`` to change."""
        settled, self._settled = self._settled, asyncio.Event()
        settled.set()

    def hub_changed(self) -> None:
        """The hub's state changed: the reconciler may have work (or may have to stop)."""
        self._changed.set()
        self._notify()

    # -- the hub's side -------------------------------------------------------------------------

    async def restore(self, invoke: Invoker) -> None:
        """Subscribe everything desired on a fresh connection (the hub's on_open hook)."""
        self.applied.clear()
        self._resync.clear()
        for item in list(self.desired):
            await self._apply(invoke, item, present=True)
        self._notify()

    def lost(self) -> None:
        """The connection ended: the server forgot every subscription."""
        self.applied.clear()
        self._notify()

    async def run(self) -> None:
        """The reconciler (a task the client owns): make ``applied`` equal ``desired``."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            while self.hub.state is HubState.CONNECTED and (step := self._next_step()) is not None:
                item, present = step
                try:
                    await self._apply(self._invoke_now, item, present=present)
                except (HubClosedError, OperationTimeout, ClientError) as exc:
                    log.info(
                        "%s hub: %s not applied yet (%s); retried after reconnect", self.hub.name, item, exc
                    )
                    break
                self._notify()

    async def _invoke_now(self, target: str, arguments: list[Any], timeout_s: float) -> Any:
        return await self.hub.invoke(target, *arguments, timeout_s=timeout_s)

    def _next_step(self) -> tuple[Subscription, bool] | None:
        for item in self._resync:
            self._resync.discard(item)
            self.applied.discard(item)  # unsubscribe first, then subscribe below
            return item, False
        for item in self.desired:
            if item not in self.applied and item not in self.refused:
                return item, True
        for item in self.applied:
            if item not in self.desired:
                return item, False
        return None

    async def _apply(self, invoke: Invoker, item: Subscription, *, present: bool) -> None:
        method = item.subscribe if present else item.unsubscribe
        try:
            await invoke(method, list(item.arguments), self.timeout_s)
        except InvocationError as exc:
            self.metrics.count("invocation_errors")
            if present:
                log.warning("%s hub: %s refused: %s", self.hub.name, item, exc.error)
                self.desired.pop(item, None)
                self.refused[item] = exc
            return  # an unsubscribe the server refuses leaves nothing subscribed either
        if present:
            self.applied.add(item)
        else:
            self.applied.discard(item)
