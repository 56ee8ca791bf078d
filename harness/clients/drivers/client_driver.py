"""The whole-client driver protocol: what every adapter process shares (standard library only).

A client driver runs one realtime client (both hubs, its own reconnect logic, its own token
handling) in its own interpreter and speaks JSON lines, one object per line:

commands on stdin, each with a ``ref`` the answer carries back:

| ``cmd`` | fields | does |
|---|---|---|
| ``connect`` | ``timeout_s`` (optional) | connect both hubs as the client's user would |
| ``subscribe`` / ``unsubscribe`` | ``stream`` (quotes, trades, depth, user), ``key`` | change what it streams |
| ``add_callback`` | ``kind``, ``does`` (noop, raise, sleep, reentrant, owned), ``params`` | register a callback; the answer's ``result`` is its handle |
| ``remove_callback`` | ``handle`` | unregister it |
| ``refresh_token`` | | get a fresh token (log in again) and hand it to the client's own refresh API; the answer's ``result`` is ``{"result": bool}``, what that API said; ``ok: false`` with "unsupported" when it has none |
| ``close`` | | disconnect as the client's user would |
| ``exit`` | | close and exit |

events on stdout, each with ``t`` (epoch seconds):
``ready`` (``client``; ``states``: the hub states this client can report, when it cannot
report them all; ``entries``: the kinds, of ``trade`` and ``depth``, the client calls back once per
entry of a message's list rather than once per message, so the harness counts those in entries); ``done`` (``ref``, ``ok``, ``result``, ``error``, ``took_s``); ``message`` (``kind``,
``hub``, ``target``, ``key``, ``seq`` when the client exposes it); ``state`` (``hub``, ``from``,
``to``, ``reason``: what the client itself says about the hub); ``metrics`` (``tasks``,
``queued``, ``counters``, and ``callbacks`` when the client can count its registered callbacks;
``loop_lag_ms`` and ``heartbeat_rtt_ms``, the newest of each, when the client measures them)
every 100 ms; ``gap`` (``key``, ``data``) if the client reports losses; ``token_logged``
(``logger``, ``level``, ``where``: a log record held the client's token, ``token_watch.py``);
``memory_window`` when memray tracks the client (``memory_agent.py``).

The ``owned`` behaviour is a bound method of an object nobody but the client keeps: a client that
holds callbacks strongly keeps that object alive (and counts it), one that holds bound methods
weakly lets it go (R9). Its handle is null: there is nothing left to remove.

What a client cannot say, its driver leaves out, and the verdicts that need it are *unknown*
(neither passed nor failed; ``harness/run/verdicts.py``), never failed by construction:

| left out | how | makes unknown |
|---|---|---|
| ``seq`` of a message | null or absent | nothing: loss and duplicates are then judged by counting each stream |
| ``metrics.queued`` | null | ``queues_bounded`` (and the soak's ``queued_bounded``) |
| ``metrics.tasks`` | null | ``tasks_bounded`` |
| ``metrics.callbacks`` | absent | the soak's ``callbacks_bounded`` |
| ``metrics.loop_lag_ms``, ``metrics.heartbeat_rtt_ms`` | absent or null | nothing: the report draws no such chart (the driver does not measure them itself: a probe in the client's loop would wake a loop that some bugs need idle, see ``serve``) |
| a counter in ``metrics.counters`` | absent or null (never 0 for "I do not count this") | ``<counter>_between`` (``callbacks_skipped_open_breaker``, ``seq_gaps``, ``callback_timeouts``, ...); ``tokens_logged`` absent makes ``token_never_in_logs`` unknown |
| ``refresh_token`` | answered ``ok: false``, error "unsupported" | the verdicts about a refresh |
| a hub state | ``ready.states`` lists the ones it can report | checks that need the missing state: ``*_failed_visibly`` without ``failed`` |
| ``gap`` events | never sent | nothing: every loss then counts as silent (a client that reports no loss loses silently) |

For soaks (hours at 1000+ msg/s) the harness sets ``FAULTLINE_MESSAGE_EVENTS=0``: messages are
only counted (``counters.messages``), not sent one by one, and ``FAULTLINE_METRICS_INTERVAL_S``
(default 0.1) spaces the metrics out.

A driver subclasses ``ClientDriver`` and fills in the client-specific methods; this file owns the
command loop, the callback behaviours and the sampling, so a driver stays small.
"""

import asyncio
import json
import os
import sys
import threading
import time

from token_watch import TokenLogWatch  # beside this file

KINDS = {  # = harness.infra.gateway.TARGETS: drivers import nothing of this project
    "quote": "GatewayQuote",
    "trade": "GatewayTrade",
    "depth": "GatewayDepth",
    "account": "GatewayUserAccount",
    "order": "GatewayUserOrder",
    "position": "GatewayUserPosition",
    "user_trade": "GatewayUserTrade",
}
USER_KINDS = ("account", "order", "position", "user_trade")
_out = threading.Lock()  # clients may call back from their own threads
MESSAGE_EVENTS = os.environ.get("FAULTLINE_MESSAGE_EVENTS", "1") != "0"
METRICS_INTERVAL_S = float(os.environ.get("FAULTLINE_METRICS_INTERVAL_S", "0.1"))


def emit(event, **fields):
    line = json.dumps({"event": event, "t": time.time(), **fields}, default=repr)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class CallbackBehaviours:
    """The callbacks a scenario can ask for, built as plain functions of one event. They count their
    own calls (``callback_calls``, ``callback_errors``): the driver sees how often the client ran
    them, whatever the client itself reports."""

    def __init__(self, driver):
        self.driver = driver
        self.counters = {"callback_calls": 0, "callback_errors": 0}
        self._reentrant_calls = 0

    def build(self, does, params):
        counters = self.counters

        if does == "noop":

            def noop(event):
                counters["callback_calls"] += 1

            return noop
        if does == "raise":

            def broken(event):
                counters["callback_calls"] += 1
                counters["callback_errors"] += 1
                raise RuntimeError("a bug in someone's strategy")

            return broken
        if does == "sleep":
            seconds = float(params.get("seconds", 0.002))

            async def slow(event):
                counters["callback_calls"] += 1
                await asyncio.sleep(seconds)

            return slow
        if does == "owned":

            class Owner:  # kept by nobody but the client it is registered with
                def on_event(self, event):
                    counters["callback_calls"] += 1

            return Owner().on_event
        if does == "reentrant":
            contract = params["contract"]

            async def reentrant(event):
                counters["callback_calls"] += 1
                self._reentrant_calls += 1
                handle = await self.driver.add_callback("trade", self.build("noop", {}))
                if self._reentrant_calls % 2:
                    await self.driver.subscribe("trades", contract)
                else:
                    await self.driver.unsubscribe("trades", contract)
                await self.driver.remove_callback(handle)

            return reentrant
        raise ValueError(f"unknown callback behaviour {does!r}")


class ClientDriver:
    """Subclasses implement the async ``connect(timeout_s)``, ``subscribe(stream, key)``,
    ``unsubscribe(stream, key)``, ``add_callback(kind, fn) -> handle``, ``remove_callback(handle)``
    and ``close()``, and either ``hub_states()`` or ``state`` events; they call
    ``self.message(kind, hub, key, seq)`` for every event the client delivers to its user.
    ``prepare()`` and ``metrics()`` are optional."""

    name = "client"
    poll_s = 0.02
    # The hub states the client can tell its user; None: all of them (disconnected, connecting,
    # connected, reconnecting, failed, closed). A state it cannot report makes the checks that need
    # it unknown, not failed (a client with only a connected flag never says "failed").
    states_reported = None
    # The kinds the client calls back once per entry of the message's list (a trade print, a depth
    # level) rather than once per message; the driver then calls ``message`` once per callback.
    entries = ()

    def __init__(self):
        self.behaviours = CallbackBehaviours(self)
        self.states = {"user": "disconnected", "market": "disconnected"}
        self.counters = self.behaviours.counters
        self.counters.update({"reconnects": 0, "messages": 0})
        self._own_tasks = set()
        self.token_watch = TokenLogWatch(
            self.tokens,
            lambda logger, level, where: emit("token_logged", logger=logger, level=level, where=where),
        )

    def tokens(self):
        """The token strings the client holds now (for ``token_watch``); none: nothing is watched."""
        return ()

    async def refresh_token(self):
        """Get a fresh token and give it to the client's refresh API: ``{"result": bool}``."""
        raise NotImplementedError("unsupported: this client has no token refresh API")

    async def add_owned_callback(self, kind, fn):
        """Register ``fn`` (an ``owned`` behaviour) without keeping a reference to it."""
        await self.add_callback(kind, fn)

    async def prepare(self):
        """Import the client and log in before ``ready``, so ``connect`` times only connecting."""

    # -- what subclasses call -------------------------------------------------------------------

    def message(self, kind, hub, key, seq=None):
        self.counters["messages"] += 1
        if MESSAGE_EVENTS:
            emit("message", kind=kind, hub=hub, target=KINDS[kind], key=str(key), seq=seq)

    def metrics(self):
        """What the client says about itself every 100 ms: ``tasks`` (default: the tasks in this
        process's loop that are not the driver's), ``queued`` (None: the client does not say) and
        ``counters`` (default: the driver's own counts)."""
        return {"tasks": self.task_count(), "queued": None, "counters": dict(self.counters)}

    def task_count(self):
        """Tasks in the client's loop that are not the driver's (read from the watch thread)."""
        for _ in range(10):
            try:
                return len([t for t in asyncio.all_tasks(self.loop) if t not in self._own_tasks])
            except RuntimeError:  # the loop changed its task set while we counted: count again
                continue
        return None

    def hub_states(self):
        """Each hub's (state, reason) as the client tells its user, polled every 20 ms. A client
        that pushes state changes emits ``state`` events itself and returns {} here."""
        return {}

    # -- the loop -------------------------------------------------------------------------------

    async def serve(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        self._own_tasks = {asyncio.current_task()}
        self.loop = loop
        self.token_watch.install()
        await self.prepare()
        memory = None
        if os.environ.get("FAULTLINE_MEMRAY_DIR"):  # a soak tracks this client
            try:
                from memory_agent import MemoryAgent  # beside this file
            except ImportError as exc:  # this file copied alone into someone's driver
                emit("memory_error", error=f"memory_agent.py not found beside client_driver.py: {exc}")
            else:
                memory = MemoryAgent.from_environment(emit)
        if memory is not None:
            self._own_tasks.add(memory.start(loop))
        # Watching runs in a thread, not in the client's loop: a task waking the loop every few ms
        # would hide bugs that need an idle loop (project-x-py 3.3.0 sets asyncio.Events from
        # another thread; with a busy loop its connect() returns at once, idle it waits 10 s).
        threading.Thread(target=self._watch, name="driver-watch", daemon=True).start()
        ready = {"client": self.name}
        if self.states_reported is not None:
            ready["states"] = list(self.states_reported)
        if self.entries:
            ready["entries"] = list(self.entries)
        emit("ready", **ready)
        while line := await reader.readline():
            command = json.loads(line)
            if command.get("cmd") == "exit":
                await self._run(command, self.close)
                if memory is not None:
                    await memory.stop()
                return
            task = asyncio.create_task(self._dispatch(command))  # commands may overlap (races)
            self._own_tasks.add(task)
            task.add_done_callback(self._own_tasks.discard)

    async def _dispatch(self, command):
        name = command.get("cmd")
        handlers = {
            "connect": lambda: self.connect(command.get("timeout_s")),
            "subscribe": lambda: self.subscribe(command["stream"], command["key"]),
            "unsubscribe": lambda: self.unsubscribe(command["stream"], command["key"]),
            "add_callback": lambda: self._add_callback(command),
            "remove_callback": lambda: self.remove_callback(command["handle"]),
            "refresh_token": self.refresh_token,
            "close": self.close,
        }
        if name not in handlers:
            emit("done", ref=command.get("ref"), ok=False, error=f"unknown command {name!r}", took_s=0.0)
            return
        await self._run(command, handlers[name])

    async def _add_callback(self, command):
        fn = self.behaviours.build(command["does"], command.get("params", {}))
        if command["does"] == "owned":
            return await self.add_owned_callback(command["kind"], fn)  # handle None: nothing to remove
        return await self.add_callback(command["kind"], fn)

    async def _run(self, command, handler):
        started = time.monotonic()
        try:
            result = await handler()
        except Exception as exc:  # the harness decides what a failure means
            emit(
                "done",
                ref=command.get("ref"),
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                took_s=time.monotonic() - started,
            )
        else:
            emit("done", ref=command.get("ref"), ok=True, result=result, took_s=time.monotonic() - started)

    def _watch(self):
        seen = {"user": False, "market": False}
        next_sample = 0.0
        while True:
            for hub, (state, reason) in self.hub_states().items():
                old = self.states[hub]
                if state != old:
                    if state == "connected":
                        if seen[hub]:
                            self.counters["reconnects"] += 1
                        seen[hub] = True
                    self.states[hub] = state
                    emit("state", hub=hub, **{"from": old, "to": state, "reason": reason})
            if time.monotonic() >= next_sample:
                next_sample = time.monotonic() + METRICS_INTERVAL_S
                self.token_watch.rescan()
                metrics = self.metrics()
                if self.tokens():  # watched: say how many records held a token (0 is a result)
                    metrics["counters"] = {**metrics["counters"], "tokens_logged": self.token_watch.count}
                emit("metrics", **metrics)
            time.sleep(self.poll_s)


def run(driver):
    """Serve ``driver`` until ``exit`` or end of input; whatever the client left running is the
    harness's to reap (it kills the process group)."""
    asyncio.run(driver.serve())
