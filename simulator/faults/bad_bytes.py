"""One-shot faults that put on the wire what a correct server never would, once per connection
reached, when injected: ``malformed_message`` (a record that is not JSON), ``unknown_message`` (a
message type from the future: clients must ignore it), ``huge_message`` (an invocation of
``bytes`` bytes)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from signalr_protocol import Invocation

from .base import FaultError, ServerFault, Spec

if TYPE_CHECKING:
    from ..session import HubSession


class MalformedMessage(ServerFault):
    name = "malformed_message"
    describes = "a record that is not JSON"

    async def apply(self, session: HubSession) -> None:
        await session.write_frame(b'{"type":1,"target":"GatewayQuote","arguments":[\x1e')


class UnknownMessage(ServerFault):
    name = "unknown_message"
    describes = "a message of an unknown type"

    async def apply(self, session: HubSession) -> None:
        await session.write_frame(json.dumps({"type": 99, "payload": "from the future"}).encode() + b"\x1e")


class HugeMessage(ServerFault):
    name = "huge_message"
    describes = "one very large invocation"
    params_spec: ClassVar[Spec] = {"bytes": (int, 1_000_000)}

    def check(self) -> None:
        if not 1 <= self.params["bytes"] <= 64_000_000:
            raise FaultError("huge_message: bytes must be 1 to 64000000")

    async def apply(self, session: HubSession) -> None:
        session.send_message(Invocation("Huge", ["x" * self.params["bytes"]]))
