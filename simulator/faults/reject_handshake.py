"""``reject_handshake``: the handshake is answered with ``{"error": ...}`` and the connection
closed, as ASP.NET does for a protocol it does not support; ``close_after_s`` later (default at
once), as when a proxy between them holds the socket: a client that takes the answer for success
then says it is connected for that long (project-x-py 3.3.0, R1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import FaultError, ServerFault, Spec

if TYPE_CHECKING:
    from ..session import HubSession


class RejectHandshake(ServerFault):
    name = "reject_handshake"
    describes = "handshake refused with an error"
    params_spec: ClassVar[Spec] = {
        "error": (str, "The protocol 'json' is not supported."),
        "close_after_s": ((int, float), 0.0),
    }

    def check(self) -> None:
        if not 0 <= self.params["close_after_s"] <= 60:
            raise FaultError(f"{self.name}: close_after_s must be between 0 and 60")

    async def handshake(self, session: HubSession) -> str | None:
        session.linger_s = float(self.params["close_after_s"])
        return str(self.params["error"])
