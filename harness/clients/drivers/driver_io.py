"""What every driver shares: its command line and its event output. Standard library only, so
drivers stay free of this project and run in any client's interpreter (they import this file from
their own folder)."""

import argparse
import asyncio
import inspect
import json
import sys
import threading
import time

_out = threading.Lock()  # signalrcore calls back from its own threads


def emit(event, **fields):
    """One event as a JSON line on stdout, stamped with wall-clock time."""
    line = json.dumps({"event": event, "t": time.time(), **fields}, default=repr)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True, help="hub URL, e.g. http://127.0.0.1:8765/hubs/demo")
    parser.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    parser.add_argument(
        "--reconnect", action="store_true", help="enable the client's own automatic reconnect"
    )
    parser.add_argument(
        "--keep-alive", type=float, default=15.0, help="client keep-alive seconds, if it has one"
    )
    parser.add_argument(
        "--token", help="bearer token for the client's access-token factory (Authorization header)"
    )
    return parser.parse_args()


def command_failed(name, exc=None):
    if exc is None:
        emit("command_failed", cmd=name, message="unknown command")
    else:
        emit("command_failed", cmd=name, type=type(exc).__name__, message=str(exc))


class Behaviour:
    """A user callback of a kind the scenarios ask for (``on`` with ``does``): ``noop``, ``raise``,
    ``sleep`` (``seconds``) or ``reentrant`` (invokes ``Subscribe``/``UnsubscribeContractTrades``
    of ``contract`` from inside the handler). Bare libraries cannot remove a handler, so ``off``
    disarms it, as their users do. Each call is reported as a ``callback`` event."""

    def __init__(self, handle, does, params):
        if does not in ("noop", "raise", "sleep", "reentrant"):
            raise ValueError(f"unknown callback behaviour {does!r}")
        self.handle, self.does, self.params = handle, does, params
        self.armed = True
        self.calls = 0

    def call(self):
        """Run the behaviour's own part; returns (seconds to sleep, invocation to send or None)."""
        if not self.armed:
            return 0.0, None
        self.calls += 1
        raised = self.does == "raise"
        emit("callback", handle=self.handle, raised=raised)
        if raised:
            raise RuntimeError("a bug in someone's strategy")
        if self.does == "reentrant":
            verb = "Subscribe" if self.calls % 2 else "Unsubscribe"
            return 0.0, (f"{verb}ContractTrades", [self.params["contract"]])
        return float(self.params.get("seconds", 0.0)) if self.does == "sleep" else 0.0, None


def check_parser(seconds):
    """The command line every SDK check (``*_check.py``) takes; a check adds its own flags."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the simulator's base URL (REST)")
    parser.add_argument("--symbol", default="MNQ")
    parser.add_argument("--seconds", type=float, default=seconds, help="how long to stream")
    parser.add_argument("--user", default="sim")
    parser.add_argument("--api-key", default="sim-api-key-0001")
    return parser


def run_check(main, args):
    """Run a check's ``main(args)`` (plain or async); an exception is reported as an event, then raised."""
    try:
        result = main(args)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except Exception as exc:
        emit("exception", type=type(exc).__name__, message=str(exc))
        raise
