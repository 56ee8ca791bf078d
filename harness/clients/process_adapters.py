"""Adapters for clients that run in their own process: any client with a driver speaking the
whole-client protocol (``harness/clients/drivers/client_driver.py``; project-x-py), and bare SignalR
clients (pysignalr, signalrcore) driven hub by hub through their raw drivers.

Both record what the client showed its user into the run's ``RunHistory`` with the client
process's own timestamps, exactly as the reference adapter does: every event (kind, hub, key, and
``seq`` when the client exposes message headers), every state change the client reports, and its
metrics. Every command is bounded (``command_timeout_s``): a command that never answers is recorded
as ``hung`` and the scenario goes on. ``close`` is bounded too, then the process is killed; how it
ended (exited, terminated, killed) is recorded as ``adapter_shutdown``.
"""

from __future__ import annotations

import itertools
import time
from collections import abc
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ProcessError
from ..infra.gateway import TARGETS, hub_of
from ..run.history import RunHistory
from .adapters import AdapterBase, Outcome
from .driver_process import DriverProcess, Event, signalr_driver
from .envs import ClientEnv

COMMAND_TIMEOUT_S = 20.0  # project-x-py 3.3.0's connect() alone waits 10 s


class DriverAdapter(AdapterBase):
    """A client under test in its own process, speaking the whole-client protocol."""

    def __init__(
        self,
        name: str,
        argv: abc.Sequence[str],
        history: RunHistory,
        log_path: Path,
        *,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
        streams_per_contract: bool = False,
        shutdown_s: float = 5.0,
        env: abc.Mapping[str, str] | None = None,
        keep: abc.Callable[[Event], bool] | None = None,
    ) -> None:
        self.name = name
        self.streams_per_contract = streams_per_contract
        self.shutdown_s = shutdown_s  # per step of close: ask, then SIGTERM, then SIGKILL
        self.history = history
        self.command_timeout_s = command_timeout_s
        self.process = DriverProcess(name, argv, log_path=log_path, on_event=self._record, keep=keep, env=env)
        self._refs = itertools.count(1)
        self._states: dict[str, str] = {}
        self._callback_counts: dict[str, int] = {}
        self._callback_kinds: dict[Any, str] = {}
        self._last_metrics: dict[str, Any] = {}

    def _record(self, event: Event) -> None:
        kind = event["event"]
        if kind == "message":
            self.history.observe_at(
                event["t"],
                event["kind"],
                hub=event["hub"],
                target=event["target"],
                key=event["key"],
                seq=event.get("seq"),
            )
        elif kind == "state":
            self._states[event["hub"]] = event["to"]
            data = {"from": event["from"], "to": event["to"], "reason": event.get("reason")}
            self.history.observe_at(event["t"], "state", hub=event["hub"], data=data)
        elif kind == "metrics":
            self._last_metrics = event
            fields = {k: event.get(k) for k in ("queued", "tasks", "callbacks", "counters")}
            measured = {k: event[k] for k in ("loop_lag_ms", "heartbeat_rtt_ms") if event.get(k) is not None}
            self.history.observe_at(event["t"], "metrics", **fields, **measured)
        elif kind == "gap":
            self.history.observe_at(event["t"], "gap", key=event.get("key"), data=event.get("data"))
        elif kind == "token_logged":
            fields = {k: event.get(k) for k in ("logger", "level", "where")}
            self.history.observe_at(event["t"], "token_logged", **fields)

    async def start(self) -> None:
        await self.process.start(within_s=60.0)
        ready = next((e for e in self.process.events if e["event"] == "ready"), {})
        if isinstance(ready.get("states"), list):  # what the client cannot report is unknown
            self.history.meta["client_states"] = ready["states"]
        if isinstance(ready.get("entries"), list):  # called back per entry: counted in entries
            self.history.meta["client_entries"] = [TARGETS[kind] for kind in ready["entries"]]

    async def call(self, cmd: str, within_s: float | None = None, **fields: Any) -> Event:
        """Send one command and wait (bounded: ``within_s``, else ``command_timeout_s``) for its
        answer; a missing answer is recorded as ``hung``."""
        bound = within_s if within_s is not None else self.command_timeout_s
        ref = next(self._refs)
        since = len(self.process.events)
        try:
            await self.process.command(cmd, ref=ref, **fields)
        except (ProcessError, ConnectionError) as exc:  # the client's process is gone
            self.history.observe("driver_gone", command=cmd)
            return {"event": "done", "ok": False, "error": f"driver not running: {type(exc).__name__}"}
        try:
            return await self.process.wait_for(
                lambda e: e["event"] == "done" and e.get("ref") == ref, bound, f"answer to {cmd}", since=since
            )
        except ProcessError:
            self.history.observe("hung", command=cmd, bound_s=bound)
            return {"event": "done", "ok": False, "error": f"no answer within {bound} s", "hung": True}

    async def connect(self, timeout_s: float | None = None) -> Outcome:
        started = time.monotonic()
        # A client asked to connect within T that has not answered T + 12 s later is hung (the
        # slack covers clients that ignore T: project-x-py waits its own 10 s).
        within = None if timeout_s is None else timeout_s + 12.0
        answer = await self.call("connect", within_s=within, timeout_s=timeout_s)
        took = time.monotonic() - started
        result = answer.get("result") or {}
        ok = bool(answer.get("ok")) and bool(result.get("result", True))
        return self._connected(Outcome(ok, answer.get("error") or f"connect() returned {result}", took))

    async def _change(self, verb: str, stream: str, key: Any) -> bool:
        answer = await self.call(verb, stream=stream, key=str(key))
        # The client's own word: an SDK returning False (or raising) said it did not work.
        ok = bool(answer.get("ok")) and answer.get("result") is not False
        self.history.observe(f"{verb}d", stream=stream, key=str(key), ok=ok, error=answer.get("error"))
        return ok

    async def refresh_token(self, within_s: float | None = None) -> Outcome | None:
        started = time.monotonic()
        answer = await self.call("refresh_token", within_s=within_s)
        took = time.monotonic() - started
        if not answer.get("ok") and "unsupported" in str(answer.get("error")):
            return None  # the client has no refresh API: what needs one is unknown
        said = (answer.get("result") or {}).get("result", True) if answer.get("ok") else False
        detail = answer.get("error") or f"returned {answer.get('result')}"
        return self._refreshed(Outcome(bool(said), detail, took))

    async def add_callback(self, kind: str, does: str = "noop", **params: Any) -> Any:
        answer = await self.call("add_callback", kind=kind, does=does, params=params)
        handle = answer.get("result")
        if answer.get("ok") and does != "owned":  # an owned callback has no handle: never removed
            self._callback_counts[kind] = self._callback_counts.get(kind, 0) + 1
            self._callback_kinds[handle] = kind
        return handle

    async def remove_callback(self, handle: Any) -> None:
        answer = await self.call("remove_callback", handle=handle)
        if answer.get("ok") and (kind := self._callback_kinds.pop(handle, None)):
            self._callback_counts[kind] -= 1

    def callback_count(self, kind: str) -> int:
        """Callbacks of ``kind`` the scenario registered and did not remove (the client does not say)."""
        return self._callback_counts.get(kind, 0)

    def callback_calls(self) -> int:
        return int((self._last_metrics.get("counters") or {}).get("callback_calls", 0))

    def state(self, hub: str) -> str:
        return self._states.get(hub, "disconnected")

    def status(self) -> dict[str, Any]:
        return {"hubs": dict(self._states), "metrics": self._last_metrics}

    def sample_metrics(self) -> None:
        """The driver samples itself every 100 ms; nothing to do here."""

    async def close(self) -> None:
        if self.process.shutdown is not None:
            return
        if self.process.running:
            await self.call("close", within_s=self.shutdown_s)
        how = await self.process.close(within_s=self.shutdown_s)
        self.history.observe("adapter_shutdown", client=self.name, how=how)


class BareSignalRAdapter(AdapterBase):
    """A bare SignalR client library (no ProjectX layer), one raw driver process per hub, used as
    its own docs suggest: the library's automatic reconnect on, keep-alive as short as it allows,
    the token from an access-token factory (in the URL for pysignalr, whose factory misses the first
    negotiate), one ``Subscribe*`` invocation per stream. Nothing
    resubscribes after a reconnect: that is the application's job with a bare client."""

    streams_per_contract = False
    STREAMS: ClassVar[dict[str, tuple[str, ...]]] = {  # the Gateway's methods, without the verb
        "quotes": ("ContractQuotes",),
        "trades": ("ContractTrades",),
        "depth": ("ContractMarketDepth",),
        "user": ("Accounts", "Orders", "Positions", "Trades"),  # Accounts takes no argument
    }

    def __init__(
        self,
        env: ClientEnv,
        python: Path,
        urls: dict[str, str],
        token: str,
        history: RunHistory,
        *,
        log_dir: Path,
        index: int = 0,
    ) -> None:
        self.name = env.name
        self.history = history
        in_url = env.token_in_url  # as project-x-py 4.x does with pysignalr
        self.drivers = {
            hub: signalr_driver(
                env,
                python,
                f"{url}?access_token={token}" if in_url else url,
                reconnect=True,
                keep_alive_s=1.0,
                token=None if in_url else token,
                log_path=log_dir / f"{env.name}-{index}-{hub}.log",
            )
            for hub, url in urls.items()
        }
        for hub, driver in self.drivers.items():
            driver.on_event = self._recorder(hub)
        self._states = dict.fromkeys(self.drivers, "disconnected")
        self._opened: set[str] = set()
        self._refs = itertools.count(1)
        self._counters = {"reconnects": 0, "messages": 0, "callback_calls": 0, "callback_errors": 0}
        self._callbacks: dict[str, str] = {}
        self._started = False
        self._closing = False

    def _recorder(self, hub: str) -> abc.Callable[[Event], None]:
        kinds = {target: kind for kind, target in TARGETS.items()}

        def record(event: Event) -> None:
            name = event["event"]
            if name == "invocation" and event["target"] in kinds:
                args = event.get("args") or []
                if hub == "market":
                    key = args[0] if args else None
                else:  # [{"action": n, "data": {...}}]: an account's own id, or the event's accountId
                    data = (args[0] if args and isinstance(args[0], dict) else {}).get("data") or {}
                    key = data.get("id") if event["target"] == TARGETS["account"] else data.get("accountId")
                self._counters["messages"] += 1
                self.history.observe_at(
                    event["t"], kinds[event["target"]], hub=hub, target=event["target"], key=str(key)
                )
            elif name == "exception":  # the library's run loop raised: this client is gone for good
                self._state(hub, "failed", f"{event.get('type')}: {event.get('message')}", event["t"])
            elif name == "callback":
                self._counters["callback_calls"] += 1
                self._counters["callback_errors"] += bool(event.get("raised"))
            elif name in ("open", "close", "reconnecting", "driver_exited"):
                # Automatic reconnect is on: after a close the library tries again (reconnecting);
                # a driver that exited is gone (failed). The user's own close is "closed", from
                # the moment the user asks (what the library says while stopping is not a loss).
                to = {"open": "connected", "driver_exited": "failed"}.get(name, "reconnecting")
                if self._closing and to != "connected":
                    to = "closed"
                if name == "open" and hub in self._opened:
                    self._counters["reconnects"] += 1
                if name == "open":
                    self._opened.add(hub)
                self._state(hub, to, name, event["t"])

        return record

    def _state(self, hub: str, to: str, reason: str, t: float) -> None:
        old = self._states[hub]
        if old != to:
            self._states[hub] = to
            data = {"from": old, "to": to, "reason": reason}
            self.history.observe_at(t, "state", hub=hub, data=data)

    async def _invoke(self, hub: str, target: str, args: list[Any]) -> bool:
        driver = self.drivers[hub]
        ref = f"r{next(self._refs)}"
        since = len(driver.events)
        await driver.command("invoke", target=target, args=args, ref=ref)
        try:
            answer = await driver.wait_for(
                lambda e: e.get("ref") == ref, COMMAND_TIMEOUT_S, f"completion of {target}", since=since
            )
        except ProcessError:
            self.history.observe("hung", command=target, bound_s=COMMAND_TIMEOUT_S)
            return False
        return answer["event"] == "completion" and not answer.get("error")

    async def start(self) -> None:
        for driver in self.drivers.values():
            await driver.start(within_s=60.0)
            for target in TARGETS.values():
                await driver.command("on", target=target)

    async def connect(self, timeout_s: float | None = None) -> Outcome:
        started = time.monotonic()
        if not self._started:  # a second connect() waits for the library's own reconnects
            self._started = True
            for hub, driver in self.drivers.items():
                self._state(hub, "connecting", "start", time.time())
                await driver.command("start")
        try:
            for hub, driver in self.drivers.items():
                await driver.wait_for(
                    lambda e: e["event"] == "open", timeout_s or COMMAND_TIMEOUT_S, f"{hub} open"
                )
            outcome = Outcome(True, "both hubs open", time.monotonic() - started)
        except ProcessError as exc:
            outcome = Outcome(False, str(exc).splitlines()[0], time.monotonic() - started)
        return self._connected(outcome)

    async def _change(self, verb: str, stream: str, key: Any) -> bool:
        hub = "user" if stream == "user" else "market"
        arg = int(key) if stream == "user" else str(key)
        ok = True
        for method in self.STREAMS[stream]:
            ok &= await self._invoke(hub, verb.capitalize() + method, [] if method == "Accounts" else [arg])
        self.history.observe(f"{verb}d", stream=stream, key=str(key), ok=ok)
        return ok

    async def refresh_token(self, within_s: float | None = None) -> Outcome | None:
        """A bare library has no token refresh of its own (its factory is called at each connect)."""
        return None

    async def add_callback(self, kind: str, does: str = "noop", **params: Any) -> Any:
        """One more handler of the kind's target in the raw driver, running the behaviour."""
        hub = hub_of(TARGETS[kind])
        handle = f"{hub}:{next(self._refs)}"
        await self.drivers[hub].command("on", target=TARGETS[kind], does=does, params=params, handle=handle)
        self._callbacks[handle] = kind
        return handle

    async def remove_callback(self, handle: Any) -> None:
        """Bare libraries cannot remove a handler: the driver disarms it (as their users do)."""
        if self._callbacks.pop(handle, None) is not None:
            await self.drivers[handle.split(":")[0]].command("off", handle=handle)

    def callback_count(self, kind: str) -> int:
        return sum(1 for k in self._callbacks.values() if k == kind)

    def callback_calls(self) -> int:
        return self._counters["callback_calls"]

    def state(self, hub: str) -> str:
        return self._states.get(hub, "disconnected")

    def status(self) -> dict[str, Any]:
        return {"hubs": dict(self._states), "counters": dict(self._counters)}

    def sample_metrics(self) -> None:
        self.history.observe("metrics", queued=None, tasks=None, counters=dict(self._counters))

    async def close(self) -> None:
        self._closing = True
        for hub, driver in self.drivers.items():
            if driver.shutdown is None:
                how = await driver.close(within_s=5.0)
                self._state(hub, "closed", "closed by the user", time.time())
                self.history.observe("adapter_shutdown", client=f"{self.name}/{hub}", how=how)
