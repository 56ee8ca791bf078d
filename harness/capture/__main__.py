"""``python -m harness.capture --upstream URL --out FILE [--listen HOST:PORT] [--silence 5s] [--force]``

Prints ``capture listening on http://HOST:PORT -> UPSTREAM, writing FILE`` as its first stdout
line (the real port when 0 was asked), records until SIGINT or SIGTERM, then closes every hub
connection, writes the ``end`` entry and exits 0.

Exit codes: 2 for bad flags and for an ``--out`` that exists (without ``--force``) or cannot be
created; 3 when the listen address cannot be bound (the file is not created); 1 when the capture
file cannot be written any more (a full disk): the capture stops, the file ending at the last whole
line written, with no ``end`` entry.

Durations are ``500ms``, ``5s``, ``2m``, ``1h`` or plain seconds. ``harness.run.durations`` has
no milliseconds and sits above this part in the layers, hence this small parser of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from pathlib import Path

from yarl import URL

from .capture_file import CaptureError
from .proxy import CaptureProxy

EXIT_USAGE = 2
EXIT_LISTEN = 3
UNITS_S = {"ms": 0.001, "s": 1.0, "": 1.0, "m": 60.0, "h": 3600.0}
log = logging.getLogger("harness.capture")


def duration_s(text: str) -> float:
    """``500ms``, ``5s``, ``2m``, ``1h``, ``5`` -> seconds (``ArgumentTypeError`` otherwise)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 500ms, 5s, 2m)")
    return float(match.group(1)) * UNITS_S[match.group(2) or ""]


def upstream_url(text: str) -> str:
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text.rstrip("/")


def listen_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:0)")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.capture",
        description="Record a ProjectX client's session (REST and hubs) through a transparent proxy.",
    )
    parser.add_argument("--upstream", type=upstream_url, required=True, help="the Gateway (or simulator) URL")
    parser.add_argument(
        "--hubs-upstream",
        type=upstream_url,
        default=None,
        metavar="URL",
        help="where /hubs/* go, when the hubs are on another host (TopstepX: https://rtc.topstepx.com); "
        "default --upstream",
    )
    parser.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 0),
        help="HOST:PORT to listen on (default 127.0.0.1:0, a free port)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the capture file to create (JSON lines)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument(
        "--silence",
        type=duration_s,
        default=5.0,
        help="record a silence when the server sends nothing on a hub for longer (default 5s)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.out.exists() and not args.force:
        parser.error(f"{args.out} exists: choose another --out or pass --force")
    if not args.out.parent.is_dir():
        parser.error(f"cannot create {args.out}: {args.out.parent} is not a directory")
    return args


async def serve(args: argparse.Namespace) -> int:
    host, port = args.listen
    proxy = CaptureProxy(
        args.upstream,
        args.out,
        silence_s=args.silence,
        host=host,
        port=port,
        force=args.force,
        hubs_upstream=args.hubs_upstream,
    )
    try:
        await proxy.start()
    except CaptureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"error: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return EXIT_LISTEN
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)  # before the ready line: a signal right after it counts
    print(f"capture listening on {proxy.url} -> {args.upstream}, writing {args.out}", flush=True)
    if args.hubs_upstream:
        print(f"capture: /hubs/* -> {args.hubs_upstream}", flush=True)
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(proxy.failed.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    if not stop.is_set():
        print(f"error: cannot write {args.out}: {proxy.writer.error}", file=sys.stderr)
        await proxy.stop(f"error: cannot write {args.out}")
        return 1
    log.info("signal received: closing the capture")
    await proxy.stop("signal")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
