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

import aiohttp

from ..processes import control_headers

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


async def _post(url: str, body: dict[str, Any] | None = None) -> Any:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout, headers=control_headers(url)) as http,
        http.post(url, json=body or {}) as response,
    ):
        reply = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"control API {url}: {response.status} {reply}")
        return reply


async def _delete(url: str, what: str) -> None:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout, headers=control_headers(url)) as http,
        http.delete(url) as response,
    ):
        if response.status >= 400:
            raise RuntimeError(f"control API: {what}: {response.status} {await response.text()}")


async def _open_connections(control_url: str, hub: str) -> list[str]:
    timeout = aiohttp.ClientTimeout(total=5)
    params = {"hub": hub, "open": "true"}
    async with (
        aiohttp.ClientSession(timeout=timeout, headers=control_headers(control_url)) as http,
        http.get(f"{control_url}/_sim/connections", params=params) as response,
    ):
        return [c["connectionId"] for c in (await response.json())["connections"]]


class ServerClose(ServerFault):
    name = "server_close"

    async def apply(self, control_url: str, hub: str) -> None:
        body = {
            "error": self.params.get("error"),
            "allowReconnect": bool(self.params.get("allow_reconnect", True)),
        }
        for connection in await _open_connections(control_url, hub):
            await _post(f"{control_url}/_sim/connections/{connection}/close", body)


class ServerAbort(ServerFault):
    name = "server_abort"

    async def apply(self, control_url: str, hub: str) -> None:
        for connection in await _open_connections(control_url, hub):
            await _post(
                f"{control_url}/_sim/connections/{connection}/abort",
                {"reset": bool(self.params.get("reset"))},
            )


class ExpireTokens(ServerFault):
    name = "expire_tokens"

    async def apply(self, control_url: str, hub: str) -> None:
        await _post(f"{control_url}/_sim/tokens/expire", {})


class Burst(ServerFault):
    """``burst``: the market's rates multiplied by ``factor`` for ``duration`` seconds (all kinds)."""

    name = "burst"

    async def apply(self, control_url: str, hub: str) -> None:
        body = {"factor": self.params.get("factor", 20), "duration": self.params.get("duration", 2)}
        await _post(f"{control_url}/_sim/market/bursts", body)

    async def clear(self, control_url: str, hub: str) -> None:
        """Ends every burst (the profile's too: the control API has no per-burst delete)."""
        await _delete(f"{control_url}/_sim/market/bursts", "ending the bursts")


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
        body = {"fault": self.fault, "params": self.params, "hub": hub}
        entry = await _post(f"{control_url}/_sim/faults", body)
        self._ids[hub] = int(entry["id"])

    async def clear(self, control_url: str, hub: str) -> None:
        fault_id = self._ids.pop(hub, None)
        if fault_id is not None:
            await _delete(f"{control_url}/_sim/faults/{fault_id}", f"clearing fault {fault_id}")


def server_fault(name: str, params: dict[str, Any]) -> ServerFault:
    """The harness's server fault called ``name`` (``server:<fault>`` for the simulator's own)."""
    if name.startswith("server:"):
        return SimulatorFault(name.removeprefix("server:"), **params)
    return SERVER_FAULTS[name](**params)
