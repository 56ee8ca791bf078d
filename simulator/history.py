"""Send history: every message the server sent to every connection, in order, compactly.

One entry per message per connection: ``n`` (global, from 1), ``t`` (epoch seconds, when the
message was queued for the connection), ``connectionId``, ``hub``, ``type`` (the hub message type
number), ``target`` (invocations), ``key`` (the stream the hub names for it: a contract id on the
market hub, an account id on the user hub) and ``seq`` (the per-stream sequence number from the
message's ``seq`` header), and ``entries`` when the message's last argument is a list (``GatewayTrade``,
``GatewayDepth``: the prints or levels it carries; absent otherwise), for clients that call back once
per entry. A checker compares this with what a client recorded: a ``(target, key,
seq)`` sent to a connection that the client never saw and never reported is a silent loss.

The newest ``limit`` entries stay in memory for the control API (``GET /_sim/history``); with a
path, every entry is also written to a new JSON-lines file, flushed at least every ``FLUSH_INTERVAL_S``
while the server runs and when it stops, so a run's whole history survives a long soak.
"""

from __future__ import annotations

import asyncio
from collections import abc, deque
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from signalr_protocol import HubMessage, Invocation

from .tasks import Supervisor, stop

if TYPE_CHECKING:
    from .hub import Hub

FLUSH_INTERVAL_S = 0.5
FIELDS = ("n", "t", "connectionId", "hub", "type", "target", "key", "seq", "entries")

# What a message says, shared by every connection a broadcast reaches:
# (hub, type, target, key, seq, entries)
About = tuple[str, int, str | None, str | None, int | None, int | None]
Entry = tuple[int, float, str, About]  # (n, t, connectionId, about)


def entry_json(entry: Entry) -> dict[str, Any]:
    n, t, connection_id, about = entry
    row = dict(zip(FIELDS, (n, t, connection_id, *about), strict=True))
    if row["entries"] is None:  # most messages carry no list: keep their rows as they were
        del row["entries"]
    return row


class SendHistory:
    def __init__(self, limit: int, path: str | Path | None = None, tasks: Supervisor | None = None) -> None:
        self.tasks = tasks or Supervisor()
        self.entries: deque[Entry] = deque(maxlen=limit)
        self.count = 0
        self.path = Path(path) if path is not None else None
        self._file: IO[bytes] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._last_message: HubMessage | None = None
        self._last_about: About = ("", 0, None, None, None, None)

    def add(self, t: float, connection_id: str, hub: Hub, message: HubMessage) -> None:
        self.count += 1
        if message is not self._last_message:  # a broadcast: work out what it is once
            self._last_message = message
            target = key = seq = entries = None
            if isinstance(message, Invocation):
                target = message.target
                key = hub.stream_key(message)
                if (raw := message.headers.get("seq")) is not None and raw.isdigit():
                    seq = int(raw)
                if message.arguments and isinstance(message.arguments[-1], list):
                    entries = len(message.arguments[-1])
            self._last_about = (hub.name, int(message.type), target, key, seq, entries)
        entry: Entry = (self.count, t, connection_id, self._last_about)
        self.entries.append(entry)
        if self._file is not None:
            self._file.write(orjson.dumps(entry_json(entry)) + b"\n")

    @property
    def first(self) -> int:
        """The ``n`` of the oldest entry still in memory (``count + 1`` when there is none)."""
        return self.entries[0][0] if self.entries else self.count + 1

    def read(
        self,
        *,
        since: int = 0,
        limit: int,
        connection_id: str | None = None,
        hub: str | None = None,
        target: str | None = None,
    ) -> list[Entry]:
        """Entries with ``n > since`` that match the filters, oldest first, at most ``limit``."""
        skip = max(0, since - self.first + 1)
        rows: list[Entry] = []
        for index in range(skip, len(self.entries)):
            entry = self.entries[index]
            if connection_id is not None and entry[2] != connection_id:
                continue
            if hub is not None and entry[3][0] != hub:
                continue
            if target is not None and entry[3][2] != target:
                continue
            rows.append(entry)
            if len(rows) >= limit:
                break
        return rows

    # -- the file ------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the file (never overwriting one) and flush it periodically, when the server starts."""
        if self.path is not None and self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("xb", buffering=1 << 20)
            self._flusher = asyncio.create_task(self._flush_periodically())

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                self.flush()
            except OSError as exc:  # a full disk: logged and shown in health; the next flush tries again
                self.tasks.step_failed("history", exc)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    async def close(self) -> None:
        await stop(self._flusher)
        self._flusher = None
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError as exc:
                self.tasks.step_failed("history", exc)


def read_history_file(path: str | Path) -> abc.Iterator[dict[str, Any]]:
    """The entries of a history file, for checkers that run on a saved run."""
    with Path(path).open("rb") as f:
        for line in f:
            if line.strip():
                yield orjson.loads(line)
