"""Callbacks: a bounded registry with handles, weak references to bound methods, and a circuit
breaker per callback (R6, R7, R9).

- ``add`` returns a ``Handle``; ``handle.remove()`` unregisters. At most ``max_per_kind`` callbacks
  per kind: one more is a ``UsageError``, never silent growth.
- A bound method is held through a weak reference: when its object is collected, the callback
  goes with it.
- The registry is copy-on-write: dispatch runs over a snapshot, so a callback may add or remove
  callbacks (or subscribe, unsubscribe) while events are being dispatched. No lock is taken, so
  none can be held while a callback runs.
- Each callback is isolated: an exception or (async) timeout counts as a failure and is logged at
  most once per ``error_log_interval_s`` with the number suppressed; ``breaker_failures`` in a row
  open its breaker for ``breaker_cooldown_s``, then one trial call decides. Other callbacks of the
  same event are unaffected.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from collections import abc
from dataclasses import dataclass
from typing import Any

from .config import CallbackPolicy
from .errors import UsageError
from .metrics import Metrics

log = logging.getLogger(__name__)

KINDS = frozenset(
    {"quote", "trade", "depth", "account", "order", "position", "user_trade", "gap", "state", "other"}
)


@dataclass(slots=True)  # not frozen: built once per message, and frozen init costs 2x
class Event:
    """What a callback receives. ``key`` is the contract id (market) or account id (user)."""

    kind: str
    key: str | None
    data: Any
    received_at: float  # event-loop time when the message arrived
    seq: int | None = None  # the per-stream sequence number, when the server sends one
    hub: str | None = None


Callback = abc.Callable[[Event], Any]


class _Entry:
    __slots__ = ("failures", "is_async", "kind", "last_log", "name", "open_until", "ref", "suppressed")

    def __init__(self, kind: str, ref: abc.Callable[[], Callback | None], name: str, is_async: bool) -> None:
        self.kind = kind
        self.ref = ref
        self.name = name
        self.is_async = is_async
        self.failures = 0
        self.open_until: float | None = None
        self.last_log: float | None = None
        self.suppressed = 0


class Handle:
    """Unregisters its callback; removing twice is harmless."""

    def __init__(self, registry: CallbackRegistry, entry: _Entry) -> None:
        self._registry = registry
        self._entry = entry

    def remove(self) -> None:
        self._registry._remove(self._entry)

    @property
    def active(self) -> bool:
        return self._entry in self._registry._entries.get(self._entry.kind, ())


class CallbackRegistry:
    def __init__(self, policy: CallbackPolicy, metrics: Metrics) -> None:
        self.policy = policy
        self.metrics = metrics
        self._entries: dict[str, tuple[_Entry, ...]] = {}
        self.async_kinds: set[str] = set()  # kinds with an async callback: dispatched with await

    def add(self, kind: str, callback: Callback) -> Handle:
        if kind not in KINDS:
            raise UsageError(f"unknown event kind {kind!r}: choose from {sorted(KINDS)}")
        if not callable(callback):
            raise UsageError(f"callback for {kind!r} is not callable: {callback!r}")
        current = self._entries.get(kind, ())
        if len(current) >= self.policy.max_per_kind:
            raise UsageError(
                f"{len(current)} callbacks for {kind!r} already (max_per_kind): remove some first"
            )
        name = getattr(callback, "__qualname__", repr(callback))
        entry = _Entry(kind, lambda: callback, name, inspect.iscoroutinefunction(callback))
        if inspect.ismethod(callback):
            method_ref = weakref.WeakMethod(callback, lambda _: self._remove(entry))
            entry.ref = method_ref
        self._entries[kind] = (*current, entry)
        self._update_async(kind)
        return Handle(self, entry)

    def _remove(self, entry: _Entry) -> None:
        current = self._entries.get(entry.kind, ())
        if entry in current:
            self._entries[entry.kind] = tuple(e for e in current if e is not entry)
            self._update_async(entry.kind)

    def _update_async(self, kind: str) -> None:
        if any(e.is_async for e in self._entries.get(kind, ())):
            self.async_kinds.add(kind)
        else:
            self.async_kinds.discard(kind)

    def count(self, kind: str | None = None) -> int:
        if kind is not None:
            return len(self._entries.get(kind, ()))
        return sum(len(entries) for entries in self._entries.values())

    def _runnable(self, entry: _Entry) -> Callback | None:
        """The entry's callback, unless its breaker is open or its object was collected."""
        if entry.open_until is not None and asyncio.get_running_loop().time() < entry.open_until:
            self.metrics.count("callbacks_skipped_open_breaker")
            return None
        callback = entry.ref()
        if callback is None:
            self._remove(entry)
        return callback

    @staticmethod
    def _succeeded(entry: _Entry) -> None:
        """A call went through: the breaker closes."""
        entry.failures = 0
        entry.open_until = None

    def dispatch_sync(self, event: Event) -> None:
        """``dispatch`` for a kind whose callbacks are all plain functions: no coroutine per event."""
        for entry in self._entries.get(event.kind, ()):
            if (callback := self._runnable(entry)) is None:
                continue
            try:
                result = callback(event)
                if result is not None and inspect.isawaitable(result):
                    _discard(result)
                    raise TypeError(
                        "the callback returned an awaitable: register an `async def` to be awaited"
                    )
            except Exception as exc:  # a callback's failure must not reach the others
                self._failed(entry, exc)
            else:
                if entry.failures:  # checked here: this runs for every event
                    self._succeeded(entry)

    async def dispatch(self, event: Event) -> None:
        """Run every callback of ``event.kind``, each isolated from the others."""
        for entry in self._entries.get(event.kind, ()):
            if (callback := self._runnable(entry)) is None:
                continue
            try:
                result = callback(event)
                if result is not None and inspect.isawaitable(result):
                    async with asyncio.timeout(self.policy.timeout_s):
                        await result
            except TimeoutError as exc:
                self.metrics.count("callback_timeouts")
                self._failed(entry, exc)
            except Exception as exc:  # a callback's failure must not reach the others
                self._failed(entry, exc)
            else:
                if entry.failures:  # checked here: this runs for every event
                    self._succeeded(entry)

    def _failed(self, entry: _Entry, exc: BaseException) -> None:
        now = asyncio.get_running_loop().time()
        policy = self.policy
        self.metrics.count("callback_errors")
        entry.failures += 1
        if entry.failures >= policy.breaker_failures:
            entry.open_until = now + policy.breaker_cooldown_s
        if entry.last_log is None or now - entry.last_log >= policy.error_log_interval_s:
            opened = " (breaker open)" if entry.open_until is not None else ""
            more = f"; {entry.suppressed} more suppressed" if entry.suppressed else ""
            log.error("callback %s for %r failed%s%s", entry.name, entry.kind, opened, more, exc_info=exc)
            entry.last_log, entry.suppressed = now, 0
        else:
            entry.suppressed += 1


def _discard(awaitable: abc.Awaitable[Any]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()  # a coroutine never awaited: closed, so Python does not warn about it later
