"""Drive ``pysignalr`` over JSON lines. See README.md in this folder."""

import asyncio
import json
import sys

from driver_io import Behaviour, command_failed, emit, parse_args
from pysignalr.client import SignalRClient


def build(args):
    protocol = None
    if args.protocol == "messagepack":
        from pysignalr.protocol.messagepack import MessagepackProtocol

        protocol = MessagepackProtocol()
    factory = (lambda: args.token) if args.token else None
    client = SignalRClient(
        args.url, protocol=protocol, retry_sleep=0.2, retry_count=50, access_token_factory=factory
    )

    async def on_open():
        emit("open")

    async def on_close():
        emit("close")

    async def on_error(message):
        emit("error", message=message.error, ref=message.invocation_id)

    client.on_open(on_open)
    client.on_close(on_close)
    client.on_error(on_error)
    return client


def add_behaviour(client, behaviours, command):
    behaviour = Behaviour(command["handle"], command["does"], command.get("params", {}))
    behaviours[behaviour.handle] = behaviour

    async def act(arguments):
        seconds, invocation = behaviour.call()
        if seconds:
            await asyncio.sleep(seconds)
        if invocation:
            await client.send(*invocation)

    client.on(command["target"], act)


async def run_client(client):
    try:
        await client.run()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # pysignalr lets many errors escape run(): that is evidence, not a crash
        emit("exception", type=type(exc).__name__, message=str(exc))


async def run(args):
    client = build(args)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    task = None
    behaviours = {}
    emit("ready", client="pysignalr")
    while line := await reader.readline():
        command = json.loads(line)
        name = command.get("cmd")
        try:
            if name == "start":
                task = asyncio.create_task(run_client(client))
            elif name == "on" and command.get("does"):
                add_behaviour(client, behaviours, command)
            elif name == "off":
                behaviours.pop(command["handle"]).armed = False
            elif name == "on":
                target = command["target"]

                async def handler(arguments, target=target):
                    emit("invocation", target=target, args=arguments)

                client.on(target, handler)
            elif name == "invoke":
                ref = command["ref"]

                async def done(message, ref=ref):
                    emit("completion", ref=ref, result=message.result, error=message.error)

                await client.send(command["target"], command.get("args", []), done)
            elif name == "send":
                await client.send(command["target"], command.get("args", []))
            elif name == "stream":
                ref = command["ref"]

                async def item(value, ref=ref):
                    emit("stream_item", ref=ref, item=value)

                async def complete(message, ref=ref):
                    emit("completion", ref=ref, result=None, error=message.error)

                await client.stream(command["target"], command.get("args", []), item, complete)
            elif name in ("stop", "exit"):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                emit("stopped")
                if name == "exit":
                    return
            else:
                command_failed(name)
        except Exception as exc:  # report and keep serving: the harness decides what a failure means
            command_failed(name, exc)


def main():
    # pysignalr always reconnects and has no keep-alive setting: --reconnect and --keep-alive are moot.
    asyncio.run(run(parse_args("Drive pysignalr over JSON lines.")))


if __name__ == "__main__":
    main()
