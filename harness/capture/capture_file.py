"""The capture file: JSON lines, version 1. A contract: ``harness/incident`` reads it.

Every entry has ``kind`` and ``t``, seconds since the capture started on a monotonic clock,
rounded to 6 decimals. Lines are in the order they were written; an entry written when something
finished carries the ``t`` of when it began (``rest`` and ``negotiate``: the request's arrival;
``silence``: the last data before it; ``close``: when the first side ended), so ``t`` is not
monotonic down the file: sort by ``t`` for a timeline.

``capture``    first line: ``version`` 1, ``t`` 0.0, ``started`` (UTC ISO 8601), ``upstream``,
               ``hubs_upstream`` (where ``/hubs/*`` went), ``listen`` (``host:port``), ``silence_s``.
``rest``       one plain HTTP exchange (``/api/...`` and any path that is not a hub's): ``method``,
               ``path``, ``query`` (name -> value, a list when repeated), ``status``, ``took_ms``,
               ``request`` and ``response`` (the JSON body, null when empty, ``{"bytes": n}`` when
               not JSON; gzip/deflate bodies are recorded decoded), ``token``; with ``error`` when
               the exchange failed, ``status`` then being what the client got: 502 upstream not
               reachable, 504 no answer in time, 408/413 the client's body late or too large.
``negotiate``  ``POST /hubs/{hub}/negotiate``: ``hub``, ``negotiate_version`` (the version in the
               server's reply; null when it gave none), ``status``, ``took_ms``, ``token``,
               ``id_fp`` (fingerprint of the reply's ``?id=`` value: connectionToken for v1,
               connectionId for v0); ``error`` as for ``rest`` (the exchange failed: 502/504);
               ``reply_error`` when a 200 reply cannot be used: its ``{"error": ...}``, or why it
               is not a negotiate reply.
``open``       one per WebSocket upgrade attempt: ``conn`` (``<hub>-<n>``, n counts attempts),
               ``hub``, ``id_fp`` (of the ``?id=``; null: negotiation skipped), ``status`` (101, or
               the upstream's refusal, or 502/504), ``token``, ``error``. A refused attempt has no
               further entries.
``record``     one SignalR record: ``conn``, ``hub``, ``from`` (client|server), ``type``, ``bytes``
               (on the wire, separator or VarInt prefix included) and the fields it has:
               ``handshake_request`` (``protocol``, ``version``), ``handshake_response``
               (``error``), ``invocation`` (``target``, ``arguments``, ``invocation_id``,
               ``stream_ids``, ``headers``), ``stream_item`` (``invocation_id``, ``item``),
               ``completion`` (``invocation_id``, ``result`` or ``error``), ``stream_invocation``,
               ``cancel_invocation``, ``ping``, ``close`` (``error``, ``allow_reconnect``), ``ack``
               and ``sequence`` (``sequence_id``), ``unparsable`` (``error``: the codec's reason,
               ``unknown message type``, or bytes after a framing error). Optional fields are
               present only when the record has them (``records.message_fields``).
``silence``    no data frame from the server for longer than ``silence_s``: ``conn``, ``hub``,
               ``from`` (server), ``t`` (when it began), ``lasted_s``, ``ended``
               (record|close|capture_end); written when it ends.
``close``      exactly one per opened connection: ``conn``, ``hub``, ``by``, ``how``, ``code``,
               ``error``, ``allow_reconnect`` (``bridge`` says how each is decided).
``end``        last line: ``reason`` (``signal``, or ``error: ...`` when ``CaptureProxy`` was left on
               an exception), ``connections`` (opened, i.e. ``open`` entries with status 101),
               ``records``, ``rest``. Missing when the process was killed or the file could not be
               written any more (a full disk: no line is written after the first failed write).

``token`` is ``{"where": "header"|"query"|"both"|null, "fp": "sha256:<12 hex>"|null}`` (plus
``query_fp`` when header and query carry different tokens). No secret is ever written
(``redaction``); as a last net, a JWT found in a serialised line is replaced before the write.

Writing: the file is opened unbuffered and each entry (or each frame's records) goes out in one
``write`` of whole lines, flushed as it is written (line buffering without the buffer), so a
crash leaves only whole lines. Writes are synchronous on the
event loop: a local file append is far cheaper than the socket work around it, and doing it in
the proxy's own order keeps the file in the order things happened.
"""

from __future__ import annotations

import base64
import json
import logging
from collections import abc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import msgpack
import orjson

from ..errors import HarnessError
from .redaction import scrub_bytes

VERSION = 1
log = logging.getLogger(__name__)


class CaptureError(HarnessError):
    """A capture file cannot be written or read as one."""


def _json_safe(value: Any) -> Any:
    """orjson's fallback for what MessagePack decodes and JSON lacks."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, msgpack.Timestamp):
        return value.to_datetime().isoformat()
    if isinstance(value, msgpack.ExtType):
        return {"ext": value.code, "base64": _json_safe(value.data)["base64"]}
    return repr(value)


def _plain(value: Any) -> Any:
    """A copy with every mapping key a string, for values orjson refuses (bytes keys)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(_json_safe(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(entry: abc.Mapping[str, Any]) -> bytes:
    """One line of the file, newline included."""
    try:
        line = orjson.dumps(entry, default=_json_safe, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        line = orjson.dumps(_plain(entry), default=_json_safe, option=orjson.OPT_NON_STR_KEYS)
    if b"eyJ" in line:
        scrubbed = scrub_bytes(line)
        if scrubbed != line:
            log.warning("a %s entry held an unredacted JWT: replaced by its fingerprint", entry.get("kind"))
            line = scrubbed
    return line + b"\n"


class CaptureWriter:
    """Appends entries to a new capture file and counts what ``end`` reports."""

    def __init__(
        self,
        path: Path,
        *,
        force: bool = False,
        clock: abc.Callable[[], float],
        on_error: abc.Callable[[OSError], None] | None = None,
    ) -> None:
        try:
            self._file: BinaryIO = path.open("wb" if force else "xb", buffering=0)
        except FileExistsError:
            raise CaptureError(f"{path} exists: choose another --out or pass --force") from None
        except OSError as exc:
            raise CaptureError(f"cannot create {path}: {exc.strerror or exc}") from None
        self.path = path
        self._clock = clock
        self._t0 = clock()
        self.connections = self.records = self.rest = 0
        self.closed = False
        self.error: OSError | None = None  # the first write that failed (a full disk): nothing after it
        self._on_error = on_error

    def t(self, now: float | None = None) -> float:
        """Seconds since the capture started (``now`` from the same clock), rounded to 6 decimals."""
        return round((self._clock() if now is None else now) - self._t0, 6)

    def header(
        self, *, upstream: str, listen: str, silence_s: float, hubs_upstream: str | None = None
    ) -> None:
        started = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        self.write(
            {
                "kind": "capture",
                "version": VERSION,
                "t": 0.0,
                "started": started,
                "upstream": upstream,
                "hubs_upstream": hubs_upstream or upstream,
                "listen": listen,
                "silence_s": silence_s,
            }
        )

    def write(self, entry: abc.Mapping[str, Any]) -> None:
        self.write_all((entry,))

    def write_all(self, entries: abc.Iterable[abc.Mapping[str, Any]]) -> None:
        """Write ``entries`` with one system call (whole lines only)."""
        if self.closed or self.error is not None:
            return
        lines = []
        for entry in entries:
            kind = entry["kind"]
            if kind == "record":
                self.records += 1
            elif kind == "rest":
                self.rest += 1
            elif kind == "open" and entry["status"] == 101:
                self.connections += 1
            lines.append(dumps(entry))
        if lines:
            try:
                self._file.write(b"".join(lines))
            except OSError as exc:
                self.error = exc
                log.error("cannot write %s: %s; the capture records nothing more", self.path, exc)
                if self._on_error is not None:
                    self._on_error(exc)

    def end(self, reason: str) -> None:
        """Write the ``end`` entry and close the file (once)."""
        if self.closed:
            return
        self.write(
            {
                "kind": "end",
                "t": self.t(),
                "reason": reason,
                "connections": self.connections,
                "records": self.records,
                "rest": self.rest,
            }
        )
        self.closed = True
        self._file.close()


def read_capture(path: Path | str) -> list[dict[str, Any]]:
    """Every entry of a capture file, in file order. ``CaptureError`` when the first line is not a
    version 1 capture header or a line is not a JSON object. A file without an ``end`` entry (the
    proxy was killed) is read as far as it goes."""
    entries: list[dict[str, Any]] = []
    with Path(path).open("rb") as file:
        for number, line in enumerate(file, 1):
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise CaptureError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(entry, dict) or "kind" not in entry:
                raise CaptureError(f"{path}:{number}: not a capture entry")
            if number == 1 and (entry["kind"] != "capture" or entry.get("version") != VERSION):
                raise CaptureError(f"{path}: not a version {VERSION} capture (first line: {entry['kind']!r})")
            entries.append(entry)
    if not entries:
        raise CaptureError(f"{path}: empty, not a capture")
    return entries
