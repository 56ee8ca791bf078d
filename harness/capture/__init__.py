"""Capture: a SignalR-aware recording reverse proxy for ProjectX clients (``python -m harness.capture``).

Point a client at it instead of the Gateway: everything is forwarded unchanged to the upstream,
and the session is written to a JSON-lines capture file (``capture_file`` holds the format, a
contract ``harness/incident`` reads): REST exchanges, negotiates, each hub connection's opening,
every SignalR record both ways (decoded with ``signalr_protocol``'s readers and codecs), server
silences and how each connection ended (who, and whether by Close message, close frame, FIN or
reset). Secrets never reach the file, only fingerprints (``redaction``).

    proxy.py         the aiohttp server: routes, REST and negotiate forwarding, upgrades
    upstream.py      the one client of the upstream: header rules, timeouts, the upgrade probe
    bridge.py        one hub WebSocket: two pumps, the ending and its mirror on the other leg
    records.py       SignalR records per direction, bytes in, capture fields out (no I/O)
    redaction.py     secrets to fingerprints
    capture_file.py  the writer, the format, and ``read_capture``
"""

from .capture_file import VERSION, CaptureError, CaptureWriter, read_capture
from .proxy import CaptureProxy
from .records import RecordTap
from .redaction import fingerprint, redact, token_sighting

__all__ = [
    "VERSION",
    "CaptureError",
    "CaptureProxy",
    "CaptureWriter",
    "RecordTap",
    "fingerprint",
    "read_capture",
    "redact",
    "token_sighting",
]
