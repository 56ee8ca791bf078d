"""``expire_tokens``: every token the Gateway issued expires now (the hub is ignored: tokens are the
Gateway's), so a client's next negotiate or REST call needs a fresh one, as at the end of a JWT's
lifetime under load."""

from __future__ import annotations

from .base import Fault, FaultTarget


class ExpireTokens(Fault):
    name = "expire_tokens"
    layer = "server"
    describes = "every issued token expired"

    async def apply(self, target: FaultTarget, hub: str) -> None:
        async with target.control() as control:
            await control.expire_tokens()
