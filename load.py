"""Load the simulator's market hub with locust: ``locust -f load.py --headless -u 10 -r 10 -t 30s``.

Each user logs in (REST), negotiates, opens a WebSocket to the market hub, shakes hands in the
JSON protocol and subscribes quotes, trades and depth of ``--contracts-per-user`` contracts, like
a real client. Every hub message it receives is a locust request event (type ``WSR``, name = the
hub target) with its end-to-end latency (the simulator's ``sentAt`` header to receipt) and size,
so locust's stats, charts, ``--csv``, ``--html`` and ``--exit-code-on-error`` all work. A jump in a
stream's ``seq`` header is a failure (``SeqGap``). Without ``--host`` a simulator is started (and
stopped) for the run; the stream rate is set on it through the control API (``--rate``).

Thresholds (checked at the end, exit code 1 when missed): ``--min-msgs-per-s`` and
``--max-p99-ms`` (p99 from a microsecond histogram: locust rounds sub-100 ms latencies to whole
milliseconds). Distributed: ``--master`` plus ``--worker`` processes, or ``--processes N``.
Faults during the run: ``--fault latency:market:5:10:ms=200`` (repeatable) puts Toxiproxy between
the users and the simulator and plays the step from ``harness.faults`` (``harness/load/faults.py``).
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
from locust import User, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import WorkerRunner

from harness.errors import ProcessError, SetupError
from harness.infra import gateway
from harness.infra.processes import ManagedProcess
from harness.load import simulator
from harness.load.faults import parse_step
from harness.load.feed import FeedError, HubFeed, contracts, login, run_timers
from harness.load.stats import Histogram, SeqTracker, judge
from signalr_protocol import Close, Invocation

ROOT = Path(__file__).resolve().parent
YIELD_EVERY = 64  # a receive loop fed faster than it reads never yields under gevent: make it

HISTOGRAM = Histogram()  # this process's latencies; workers send theirs to the master
GAPS = {"gaps": 0}  # sequence gaps seen by this process's users (workers report theirs)
MARKET_SUBSCRIPTIONS = ("SubscribeContractQuotes", "SubscribeContractTrades", "SubscribeContractMarketDepth")
STATE: dict[str, Any] = {"simulator": None, "faults": None, "control": ""}
_user_index = itertools.count()


class SeqGap(Exception):
    """Messages of a stream never arrived (its ``seq`` jumped)."""


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("Faultline load")
    group.add_argument(
        "--contracts-per-user", type=int, default=1, help="contracts each user subscribes (default 1)"
    )
    group.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="events/s per contract and kind (quote, trade, depth) set on the simulator (default 50)",
    )
    group.add_argument(
        "--months", type=int, default=4, help="expiries per symbol of a started simulator (default 4)"
    )
    group.add_argument("--symbols", default="MNQ,MES,NQ,ES", help="symbols of a started simulator")
    group.add_argument(
        "--min-msgs-per-s", type=float, default=0.0, help="fail below this received rate (0: off)"
    )
    group.add_argument("--max-p99-ms", type=float, default=0.0, help="fail above this p99 latency (0: off)")
    group.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="FAULT:HUB:START:DURATION[:k=v,...]",
        help="a fault during the run, through Toxiproxy (repeatable), e.g. latency:market:5:10:ms=200",
    )
    group.add_argument(
        "--user-hub",
        action="store_true",
        help="each user also connects the user hub and subscribes the account's streams",
    )
    group.add_argument("--account", type=int, default=12345, help="account of the user-hub subscriptions")
    group.add_argument("--api-user", default=gateway.USER, help="Gateway user name")
    group.add_argument("--api-key", default=gateway.API_KEY, help="Gateway API key")


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return  # workers get the host from the master
    options = environment.parsed_options
    for spec in options.fault:  # refuse a bad --fault before anything starts
        try:
            parse_step(spec)
        except ValueError as exc:
            sys.stderr.write(f"load: {exc}\n")
            os._exit(2)  # an event handler's exception is only logged: leave now, nothing started yet
    try:
        _start_processes(environment, options)
    except (ProcessError, SetupError) as exc:
        sys.stderr.write(f"load: {exc}\n")
        for name in ("faults", "simulator"):
            if STATE[name] is not None:
                STATE[name].stop()
        os._exit(2)


def _start_processes(environment: Environment, options: Any) -> None:
    logs = Path(tempfile.gettempdir())
    if not environment.host:
        log = logs / f"faultline-load-simulator-{int(time.time())}.log"
        STATE["simulator"] = simulator.start(options.months, options.symbols, log)
        environment.host = STATE["simulator"].url
        print(f"load: started a simulator at {environment.host} (log {log})")
    STATE["control"] = environment.host
    if options.fault:  # the users connect through Toxiproxy; the faults process plays the steps
        upstream = environment.host.split("://", 1)[1].rstrip("/")
        steps = [arg for spec in options.fault for arg in ("--step", spec)]
        log = logs / f"faultline-load-faults-{int(time.time())}.log"
        argv = [
            sys.executable,
            "-m",
            "harness.load.faults",
            "--upstream",
            upstream,
            "--control",
            environment.host,
        ]
        STATE["faults"] = ManagedProcess(
            [*argv, *steps], ready_pattern=r"^proxy (http://\S+)$", name="faults", log_path=log, cwd=ROOT
        )
        environment.host = STATE["faults"].start().group(1)
        print(f"load: users connect through Toxiproxy at {environment.host}; faults log {log}")


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner) and environment.parsed_options is not None:
        rate = environment.parsed_options.rate
        simulator.set_rates(STATE["control"], rate, rate, rate)
        if STATE["faults"] is not None:
            os.kill(STATE["faults"].pid, signal.SIGUSR1)  # step times count from now


@events.reset_stats.add_listener
def _reset() -> None:  # --reset-stats: the ramp's latencies and gaps go too
    HISTOGRAM.reset()
    GAPS["gaps"] = 0


@events.report_to_master.add_listener
def _to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data["faultline"] = {"hist": HISTOGRAM.to_dict(), "gaps": GAPS["gaps"]}
    HISTOGRAM.reset()  # sent: start a fresh window
    GAPS["gaps"] = 0


@events.worker_report.add_listener
def _from_worker(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if report := data.get("faultline"):
        HISTOGRAM.merge(Histogram.from_dict(report["hist"]))
        GAPS["gaps"] += report["gaps"]


@events.quitting.add_listener
def _verdict(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    try:
        received = sum(e.num_requests for e in environment.stats.entries.values() if e.method == "WSR")
        total = environment.stats.total
        seconds = max(total.last_request_timestamp - total.start_time, 1e-9) if received else 0.0
        options = environment.parsed_options
        verdict = judge(
            received=received,
            seconds=seconds,
            gaps=GAPS["gaps"],
            p99_us=HISTOGRAM.percentile(0.99),
            min_rate=options.min_msgs_per_s if options else 0.0,
            max_p99_ms=options.max_p99_ms if options else 0.0,
        )
        print("load: " + "\nload: ".join(verdict.lines))
        print(f"load: latency us p50 {HISTOGRAM.percentile(0.5):.0f}, p99 {HISTOGRAM.percentile(0.99):.0f}, "
              f"max {HISTOGRAM.max_us:.0f}")  # fmt: skip
        if not verdict.ok:
            environment.process_exit_code = 1
    finally:
        for name in ("faults", "simulator"):
            if STATE[name] is not None:
                STATE[name].stop()


class MarketFeedUser(User):
    """One market-hub connection subscribing quotes, trades and depth of its contracts (and, with
    ``--user-hub``, a user-hub connection subscribing the account's streams)."""

    def on_start(self) -> None:
        options = self.environment.parsed_options
        base = self.host or ""
        self.feeds: list[HubFeed] = []
        self.seq = SeqTracker()  # per connection: users sharing a contract see the same seqs
        with self.environment.events.request.measure("WS", "connect"):
            token = login(base, options.api_user, options.api_key)
            available = contracts(base, token)
            first = next(_user_index) * options.contracts_per_user
            mine = [available[(first + i) % len(available)] for i in range(options.contracts_per_user)]
            market = HubFeed.connect(base, "market", token)
            self.feeds.append(market)
            for contract in mine:
                for method in MARKET_SUBSCRIPTIONS:
                    market.invoke(method, [contract])
            if options.user_hub:
                user = HubFeed.connect(base, "user", token)
                self.feeds.append(user)
                user.invoke("SubscribeAccounts", [])
                for method in ("SubscribeOrders", "SubscribePositions", "SubscribeTrades"):
                    user.invoke(method, [options.account])
        if not self.feeds:
            raise StopUser()
        self.greenlets = [gevent.spawn(self._receive, feed) for feed in self.feeds]
        self.greenlets.append(gevent.spawn(run_timers, self.feeds))  # keep-alive pings, server timeout

    def _receive(self, feed: HubFeed) -> None:
        fire = self.environment.events.request.fire
        n = 0
        try:
            for message, size, received_at in feed.messages():
                n += 1
                if n % YIELD_EVERY == 0:
                    gevent.sleep(0)
                if isinstance(message, Close):
                    fire(request_type="WS", name="close", response_time=0, response_length=0,
                         exception=FeedError(f"server closed: {message.error}"))  # fmt: skip
                    return
                if not isinstance(message, Invocation) or not message.headers:
                    continue  # completions of our subscribes, pings
                latency_us = (received_at - float(message.headers["sentAt"])) * 1e6
                HISTOGRAM.add(latency_us)
                key = _stream_key(message)
                missing = self.seq.check(message.target, key, int(message.headers["seq"]))
                gap = None
                if missing:
                    GAPS["gaps"] += 1
                    gap = SeqGap(f"{message.target}/{key}: {missing} missing")
                fire(request_type="WSR", name=message.target, response_time=latency_us / 1000,
                     response_length=size, exception=gap)  # fmt: skip
        except FeedError as exc:  # the server was silent past the server timeout, or broke the protocol
            fire(request_type="WS", name="close", response_time=0, response_length=0, exception=exc)

    @task
    def idle(self) -> None:
        gevent.sleep(3600)  # the work happens in the receive greenlet

    def on_stop(self) -> None:
        for greenlet in getattr(self, "greenlets", []):
            greenlet.kill(block=True)
        for feed in getattr(self, "feeds", []):
            feed.close()
        self.feeds = []


def _stream_key(message: Invocation) -> str:
    """The stream's key as the simulator numbers it: the contract (market events' first argument)
    or the account (a user event's ``data.accountId``, an account's own ``data.id``)."""
    first = message.arguments[0] if message.arguments else ""
    if isinstance(first, dict):
        data = first.get("data") or {}
        return str(data.get("id") if message.target == "GatewayUserAccount" else data.get("accountId"))
    return str(first)
