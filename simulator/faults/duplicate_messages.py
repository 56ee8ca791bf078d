"""``duplicate_messages``: every outgoing invocation is sent twice (same ``seq`` header), as by a
buggy fan-out or a retrying relay. A client that counts or applies increments twice is caught."""

from __future__ import annotations

from signalr_protocol import HubMessage, Invocation

from .base import ServerFault


class DuplicateMessages(ServerFault):
    name = "duplicate_messages"
    describes = "every invocation sent twice"

    def copies(self, message: HubMessage) -> int:
        return 2 if isinstance(message, Invocation) else 1
