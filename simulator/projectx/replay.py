"""Record what the hubs publish, and replay it: a captured stream played back to new clients.

A recording is JSON lines, one event each, in publication order::

    {"t": 0.0, "hub": "market", "target": "GatewayDepth", "key": "CON.F.US.MNQ.Z26",
     "arguments": [...], "snapshot": true}
    {"t": 0.2501, "hub": "market", "target": "GatewayQuote", "key": "CON.F.US.MNQ.Z26", "arguments": [...]}
    {"t": 3.1, "hub": "user", "target": "GatewayUserOrder", "key": "12345", "arguments": [...]}

``t`` is seconds since the recording started. Every contract's book is recorded first (``snapshot``)
so that a replay can give a new depth subscriber a reset and snapshot of the book as it stands at
that point of the replay. Events are recorded whether or not anyone was subscribed, so a replay
has the whole stream.

Replaying (``python -m simulator --replay FILE [--replay-speed X]``) sends each event at its
original offset divided by X (counted from the server's start, or with ``--replay-start
on-request`` from ``POST /_sim/replay/start``), through the same paths as generated ones: to the
subscribers of its contract or account, with fresh ``seq``/``sentAt`` headers, into the send
history. The market does not move on its own during a replay. Contracts must match (same
``--symbols`` and ``--months``, recorded in the same quarter); events of unknown contracts are
skipped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import abc
from pathlib import Path
from typing import IO, Any

import orjson

from .market import DOM_ASK, DOM_BID, DOM_RESET

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, path: Path, clock: abc.Callable[[], float]) -> None:
        self.path = path
        self.clock = clock  # the event loop's clock
        self.events = 0
        self._start: float | None = None
        self._file: IO[bytes] | None = None

    def start(self, snapshots: abc.Mapping[str, list[dict[str, Any]]]) -> None:
        self._file = self.path.open("xb", buffering=1 << 20)
        self._start = self.clock()
        for contract_id, snapshot in snapshots.items():
            self._write(0.0, "market", "GatewayDepth", contract_id, [contract_id, snapshot], snapshot=True)

    def publish(self, hub: str, target: str, key: str, arguments: list[Any]) -> None:
        if self._file is not None and self._start is not None:
            self._write(self.clock() - self._start, hub, target, key, arguments)

    def _write(self, t: float, hub: str, target: str, key: str, arguments: list[Any], **extra: Any) -> None:
        assert self._file is not None
        entry = {"t": round(t, 6), "hub": hub, "target": target, "key": key, "arguments": arguments, **extra}
        self._file.write(orjson.dumps(entry) + b"\n")
        self.events += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class ReplayBook:
    """Each contract's book as the replayed depth events leave it, for new depth subscribers."""

    def __init__(self) -> None:
        self._levels: dict[str, dict[tuple[int, float], dict[str, Any]]] = {}

    def reset(self, contract_id: str, snapshot: list[dict[str, Any]]) -> None:
        self._levels[contract_id] = {}
        self.apply(contract_id, snapshot)

    def apply(self, contract_id: str, changes: list[dict[str, Any]]) -> None:
        levels = self._levels.setdefault(contract_id, {})
        for change in changes:
            if change.get("type") not in (DOM_BID, DOM_ASK):
                continue
            key = (change["type"], change["price"])
            if change.get("volume", 0) == 0:
                levels.pop(key, None)
            else:
                levels[key] = change

    def snapshot(self, contract_id: str) -> list[dict[str, Any]]:
        levels = self._levels.get(contract_id, {})
        bids = sorted((v for (k, _), v in levels.items() if k == DOM_BID), key=lambda v: -v["price"])
        asks = sorted((v for (k, _), v in levels.items() if k == DOM_ASK), key=lambda v: v["price"])
        stamp = (bids or asks or [{"timestamp": None}])[0]["timestamp"]
        reset = {"timestamp": stamp, "type": DOM_RESET, "price": 0.0, "volume": 0, "currentVolume": 0}
        return [reset, *bids, *asks]


def recorded_event(line: bytes, number: int) -> dict[str, Any]:
    """Line ``number`` of a recording as its event; ``ValueError`` saying which line and why."""
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"line {number}: not JSON: {exc}") from None
    ok = (
        isinstance(entry, dict)
        and isinstance(entry.get("t"), int | float)
        and 0 <= entry["t"] < math.inf
        and all(isinstance(entry.get(k), str) for k in ("hub", "target", "key"))
        and isinstance(entry.get("arguments"), list)
    )
    if not ok:
        raise ValueError(f"line {number}: not a recorded event (t, hub, target, key, arguments)")
    return entry  # type: ignore[no-any-return]


Publish = abc.Callable[[str, str, str, list[Any]], bool]  # hub, target, key, arguments -> known?


class Replayer:
    def __init__(
        self, path: Path, speed: float, book: ReplayBook, publish: Publish, *, on_request: bool = False
    ) -> None:
        self.path = path
        self.on_request = on_request  # the clock starts on ``start()``, not with the server
        self._go = asyncio.Event()
        self.speed = speed
        self.book = book
        self.publish = publish
        self.sent = 0
        self.skipped = 0
        self.position_s = 0.0
        self.done = False
        self.error: str | None = None

    def status(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "speed": self.speed,
            "sent": self.sent,
            "skipped": self.skipped,
            "positionS": self.position_s,
            "started": self.started,
            "done": self.done,
            "error": self.error,
        }

    @property
    def started(self) -> bool:
        return self._go.is_set() or not self.on_request

    def start(self) -> None:
        self._go.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        if self.on_request:
            await self._go.wait()
        start = loop.time()
        try:
            with self.path.open("rb") as f:
                for number, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    entry = self._entry(line, number)
                    delay = start + entry["t"] / self.speed - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    elif self.sent % 1024 == 0:
                        await asyncio.sleep(0)  # far behind or "as fast as possible": stay fair
                    self._play(entry)
        except (
            Exception
        ) as exc:  # a file unreadable, a line malformed: the supervisor logs it, health shows it
            self.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.done = True
            log.info("replay of %s ended: %d sent, %d skipped", self.path, self.sent, self.skipped)

    def _entry(self, line: bytes, number: int) -> dict[str, Any]:
        entry = recorded_event(line, number)
        self.position_s = float(entry["t"])
        return entry

    def _play(self, entry: dict[str, Any]) -> None:
        key, arguments = entry["key"], entry["arguments"]
        if entry["hub"] == "market" and entry["target"] == "GatewayDepth" and len(arguments) == 2:
            if entry.get("snapshot"):
                self.book.reset(key, arguments[1])
                return
            self.book.apply(key, arguments[1])
        if self.publish(entry["hub"], entry["target"], key, arguments):
            self.sent += 1
        else:
            self.skipped += 1
