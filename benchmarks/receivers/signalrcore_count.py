"""Count GatewayQuote invocations with signalrcore (run in its own venv by bench_clients.py).

Prints ``ready`` once connected, then one JSON line after --messages invocations:
{"messages", "elapsed_s" (first to last), "cpu_s" (this process, same span)}.
"""

import argparse
import json
import logging
import sys
import threading
import time

from signalrcore.hub_connection_builder import HubConnectionBuilder


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, required=True)
    args = parser.parse_args()
    opened, done = threading.Event(), threading.Event()
    state = {"n": 0, "first": None, "cpu": None}

    def on_quote(arguments):
        if state["first"] is None:
            state["first"], state["cpu"] = time.perf_counter(), time.process_time()
        state["n"] += 1
        if state["n"] == args.messages:
            state["last"], state["cpu_end"] = time.perf_counter(), time.process_time()
            done.set()

    builder = HubConnectionBuilder().with_url(args.url, options={"verify_ssl": False})
    builder.configure_logging(logging.ERROR)
    conn = builder.build()
    conn.on_open(opened.set)
    conn.on("GatewayQuote", on_quote)
    conn.start()
    if not opened.wait(20):
        sys.exit("signalrcore did not connect within 20 s")
    print("ready", flush=True)
    if not done.wait(300):
        sys.exit(f"only {state['n']} of {args.messages} messages within 300 s")
    result = {
        "messages": state["n"],
        "elapsed_s": state["last"] - state["first"],
        "cpu_s": state["cpu_end"] - state["cpu"],
    }
    print(json.dumps(result), flush=True)
    conn.stop()


if __name__ == "__main__":
    main()
