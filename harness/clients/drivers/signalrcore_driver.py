"""Drive ``signalrcore`` (0.9.5 or 1.0.x) over JSON lines. See README.md in this folder."""

import json
import logging
import sys
import time

from driver_io import Behaviour, command_failed, emit, parse_args
from signalrcore.hub_connection_builder import HubConnectionBuilder


def build(args):
    options = {"verify_ssl": False}
    if args.token:
        options["access_token_factory"] = lambda: args.token
    builder = HubConnectionBuilder().with_url(args.url, options=options)
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


def act(conn, behaviour):
    """A behaviour's handler, on signalrcore's receive thread as every handler is."""
    seconds, invocation = behaviour.call()
    if seconds:
        time.sleep(seconds)
    if invocation:
        conn.send(*invocation)


def run(args):
    conn = build(args)
    behaviours = {}
    emit("ready", client="signalrcore")
    for line in sys.stdin:
        command = json.loads(line)
        name = command.get("cmd")
        try:
            if name == "start":
                conn.start()
            elif name == "on" and command.get("does"):
                behaviour = Behaviour(command["handle"], command["does"], command.get("params", {}))
                behaviours[behaviour.handle] = behaviour
                conn.on(command["target"], lambda arguments, b=behaviour: act(conn, b))
            elif name == "off":
                behaviours.pop(command["handle"]).armed = False
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
                command_failed(name)
        except Exception as exc:  # report and keep serving: the harness decides what a failure means
            command_failed(name, exc)


def main():
    run(parse_args("Drive signalrcore over JSON lines."))


if __name__ == "__main__":
    main()
