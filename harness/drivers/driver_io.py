"""What every driver shares: its command line and its event output. Standard library only, so
drivers stay free of this project and run in any client's interpreter (they import this file from
their own folder)."""

import argparse
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
    return parser.parse_args()


def command_failed(name, exc=None):
    if exc is None:
        emit("command_failed", cmd=name, message="unknown command")
    else:
        emit("command_failed", cmd=name, type=type(exc).__name__, message=str(exc))
