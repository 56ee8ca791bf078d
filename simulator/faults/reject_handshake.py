"""``reject_handshake``: the handshake is answered with ``{"error": ...}`` and the connection
closed, as ASP.NET does for a protocol it does not support."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import ServerFault, Spec

if TYPE_CHECKING:
    from ..session import HubSession


class RejectHandshake(ServerFault):
    name = "reject_handshake"
    describes = "handshake refused with an error"
    params_spec: ClassVar[Spec] = {"error": (str, "The protocol 'json' is not supported.")}

    async def handshake(self, session: HubSession) -> str | None:
        return str(self.params["error"])
