"""Drive ``signalrcore`` (0.9.5 or 1.0.x) over JSON lines. See README.md in this folder."""

import argparse
import json
import logging
import sys
import threading
import time

from signalrcore.hub_connection_builder import HubConnectionBuilder

_out = threading.Lock()


def emit(event, **fields):
    line = json.dumps({"event": event, "t": time.time(), **fields}, default=repr)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def build(args):
    builder = HubConnectionBuilder().with_url(args.url, options={"verify_ssl": False})
    builder.configure_logging(logging.WARNING)
    if args.protocol == "messagepack":
        from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

        builder.with_hub_protocol(MessagePackHubProtocol())
    if args.reconnect:
        builder.with_automatic_reconnect(
            {
                "type": "raw",
                "keep_alive_interval": args.keep_alive,
                "reconnect_interval": 1,
                "max_attempts": None,
            }
        )
    conn = builder.build()
    conn.on_open(lambda: emit("open"))
    conn.on_close(lambda: emit("close"))
    conn.on_reconnect(lambda: emit("reconnecting"))
    conn.on_error(
        lambda m: emit("error", message=getattr(m, "error", repr(m)), ref=getattr(m, "invocation_id", None))
    )
    return conn


def completion_handler(ref):
    def handle(message):
        message = message[0] if isinstance(message, list) and message else message
        emit(
            "completion",
            ref=ref,
            result=getattr(message, "result", None),
            error=getattr(message, "error", None),
        )

    return handle


def stream_handlers(ref):
    return {
        "next": lambda item: emit("stream_item", ref=ref, item=item),
        "complete": lambda m: emit("completion", ref=ref, result=None, error=getattr(m, "error", None)),
        "error": lambda m: emit("error", ref=ref, message=getattr(m, "error", repr(m))),
    }


def run(args):
    conn = build(args)
    emit("ready", client="signalrcore")
    for line in sys.stdin:
        command = json.loads(line)
        name = command.get("cmd")
        try:
            if name == "start":
                conn.start()
            elif name == "on":
                target = command["target"]
                conn.on(
                    target, lambda arguments, target=target: emit("invocation", target=target, args=arguments)
                )
            elif name == "invoke":
                ref = command["ref"]
                conn.send(
                    command["target"], command.get("args", []), completion_handler(ref), invocation_id=ref
                )
            elif name == "send":
                conn.send(command["target"], command.get("args", []))
            elif name == "stream":
                conn.stream(command["target"], command.get("args", [])).subscribe(
                    stream_handlers(command["ref"])
                )
            elif name in ("stop", "exit"):
                conn.stop()
                emit("stopped")
                if name == "exit":
                    return
            else:
                emit("command_failed", cmd=name, message="unknown command")
        except Exception as exc:  # report and keep serving: the harness decides what a failure means
            emit("command_failed", cmd=name, type=type(exc).__name__, message=str(exc))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    parser.add_argument("--reconnect", action="store_true", help="with_automatic_reconnect (raw, every 1 s)")
    parser.add_argument("--keep-alive", type=float, default=15.0)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
