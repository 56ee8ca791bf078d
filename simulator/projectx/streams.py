"""Per-stream sequence numbers and send times, carried in SignalR message headers.

A stream is (target, key): ("GatewayQuote", contract id), ("GatewayUserOrder", account id). Every
message of a stream carries ``{"seq": "<n>", "sentAt": "<epoch seconds>"}``; real clients ignore
headers (the interop tests prove it), while a checker or the load test can spot gaps and measure
end-to-end latency. The header values are strings, as the protocol requires.
"""

from __future__ import annotations

import time
from collections import abc, defaultdict

SEQ = "seq"
SENT_AT = "sentAt"


class StreamCounters:
    def __init__(self, clock: abc.Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._next: defaultdict[tuple[str, str], int] = defaultdict(int)

    def headers(self, target: str, key: object) -> dict[str, str]:
        stream = (target, str(key))
        self._next[stream] += 1
        return {SEQ: str(self._next[stream]), SENT_AT: f"{self.clock():.6f}"}

    def last(self) -> dict[str, int]:
        return {f"{t}/{k}": n for (t, k), n in self._next.items()}
