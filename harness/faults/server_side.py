"""Faults only the server can make, through the simulator's control API (``/_sim/``).

- ``server_close``: the hub closes every connection with a Close message (``error``,
  ``allow_reconnect``), as a restarting or rejecting ASP.NET Core server does;
- ``server_abort``: the hub drops every connection's TCP without a Close (``reset`` for an RST);
- ``expire_tokens``: every issued token expires now, so reconnects need a fresh one;
- ``burst``: the market streams run ``factor`` times faster for ``duration`` seconds (a step's
  ``duration_s`` ends it too, so the scenario's clock knows when the flood is over).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..sim_control import SimulatorControl

SERVER_FAULTS: dict[str, type[ServerFault]] = {}


class ServerFault:
    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name.endswith(":"):  # "server:" prefixes the simulator's own faults
            SERVER_FAULTS[cls.name] = cls

    async def apply(self, control_url: str, hub: str) -> None:
        raise NotImplementedError

    async def clear(self, control_url: str, hub: str) -> None:
        """Most server faults are events, not states: nothing to undo."""


async def _open_connections(control: SimulatorControl, hub: str) -> list[str]:
    return [c["connectionId"] for c in await control.connections(hub, open_only=True)]


class ServerClose(ServerFault):
    name = "server_close"

    async def apply(self, control_url: str, hub: str) -> None:
        allow = bool(self.params.get("allow_reconnect", True))
        async with SimulatorControl(control_url) as control:
            for connection in await _open_connections(control, hub):
                await control.close(connection, error=self.params.get("error"), allowReconnect=allow)


class ServerAbort(ServerFault):
    name = "server_abort"

    async def apply(self, control_url: str, hub: str) -> None:
        async with SimulatorControl(control_url) as control:
            for connection in await _open_connections(control, hub):
                await control.abort(connection, reset=bool(self.params.get("reset")))


class ExpireTokens(ServerFault):
    name = "expire_tokens"

    async def apply(self, control_url: str, hub: str) -> None:
        async with SimulatorControl(control_url) as control:
            await control.expire_tokens()


class Burst(ServerFault):
    """``burst``: the market's rates multiplied by ``factor`` for ``duration`` seconds (all kinds)."""

    name = "burst"

    async def apply(self, control_url: str, hub: str) -> None:
        async with SimulatorControl(control_url) as control:
            await control.add_burst(
                factor=self.params.get("factor", 20), duration=self.params.get("duration", 2)
            )

    async def clear(self, control_url: str, hub: str) -> None:
        """Ends every burst (the profile's too: the control API has no per-burst delete)."""
        async with SimulatorControl(control_url) as control:
            await control.clear_bursts()


class SimulatorFault(ServerFault):
    """``server:<name>``: any of the simulator's own faults (``GET /_sim/faults/types``: stop_pings,
    reject_handshake, negotiate_status, split_frames, duplicate_messages, malformed_message,
    hub_down, ...), injected for the step's hub and cleared after its duration."""

    name = "server:"

    def __init__(self, fault: str, **params: Any) -> None:
        super().__init__(**params)
        self.fault = fault
        self._ids: dict[str, int] = {}

    async def apply(self, control_url: str, hub: str) -> None:
        async with SimulatorControl(control_url) as control:
            self._ids[hub] = await control.add_fault(self.fault, self.params, hub=hub)

    async def clear(self, control_url: str, hub: str) -> None:
        fault_id = self._ids.pop(hub, None)
        if fault_id is not None:
            async with SimulatorControl(control_url) as control:
                await control.clear_fault(fault_id)


def server_fault(name: str, params: dict[str, Any]) -> ServerFault:
    """The harness's server fault called ``name`` (``server:<fault>`` for the simulator's own)."""
    if name.startswith("server:"):
        return SimulatorFault(name.removeprefix("server:"), **params)
    return SERVER_FAULTS[name](**params)
