"""A client for the simulator's control API (``/_sim/``), built like the Toxiproxy client: one
aiohttp session, every call bounded by ``timeout_s``, every refusal raised as ``ControlError`` with
the server's own message, and one place for the routes and the credentials (the control token the
harness gave the simulator it started, ``harness.infra.processes.control_headers``).

    async with SimulatorControl(simulator.url) as control:
        await control.add_fault("stop_pings", hub="market")
        rows = await control.connections(hub="market", open_only=True)
"""

from __future__ import annotations

from typing import Any, Self

import aiohttp

from ..errors import HarnessError
from .processes import control_headers


class ControlError(HarnessError):
    """The control API refused a call, or did not answer in time; ``status`` (0: no answer)."""

    def __init__(self, status: int, message: str, call: str) -> None:
        super().__init__(f"control API {call}: {f'HTTP {status}' if status else 'no answer'}: {message}")
        self.status = status
        self.message = message


class SimulatorControl:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._http: aiohttp.ClientSession | None = None

    async def _call(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        if self._http is None:
            self._http = aiohttp.ClientSession(headers=control_headers(self.url))
        call = f"{method} /_sim/{path}"
        try:
            async with self._http.request(
                method,
                f"{self.url}/_sim/{path}",
                json=body,
                params=query or None,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as response:
                answer = await response.json(content_type=None)
                if response.status >= 400:
                    message = answer.get("error", answer) if isinstance(answer, dict) else answer
                    raise ControlError(response.status, str(message), call)
                return answer
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ControlError(0, f"{type(exc).__name__}: {exc}", call) from exc

    # -- connections -------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call("GET", "health")
        return answer

    async def connections(self, hub: str | None = None, *, open_only: bool = False) -> list[dict[str, Any]]:
        query = {"hub": hub} if hub else {}
        if open_only:
            query["open"] = "true"
        rows: list[dict[str, Any]] = (await self._call("GET", "connections", **query))["connections"]
        return rows

    async def connection(self, connection_id: str, *, messages: bool = True) -> dict[str, Any]:
        query = {} if messages else {"messages": "false"}
        record: dict[str, Any] = await self._call("GET", f"connections/{connection_id}", **query)
        return record

    async def close(self, connection_id: str, **body: Any) -> None:
        """``error``, ``allowReconnect``, ``wsCode``: as the control API documents them."""
        await self._call("POST", f"connections/{connection_id}/close", body)

    async def abort(self, connection_id: str, *, reset: bool = False) -> None:
        await self._call("POST", f"connections/{connection_id}/abort", {"reset": reset})

    async def requests(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self._call("GET", "requests"))["requests"]
        return rows

    # -- faults, tokens, market ----------------------------------------------------------------

    async def add_fault(
        self, fault: str, params: dict[str, Any] | None = None, *, hub: str | None = None
    ) -> int:
        body: dict[str, Any] = {"fault": fault, "params": params or {}}
        if hub is not None:
            body["hub"] = hub
        fault_id: int = (await self._call("POST", "faults", body))["id"]
        return fault_id

    async def clear_fault(self, fault_id: int | None = None) -> None:
        """One fault, or every fault when ``fault_id`` is None."""
        await self._call("DELETE", "faults" if fault_id is None else f"faults/{fault_id}")

    async def expire_tokens(self, fingerprint: str | None = None, *, in_s: float = 0.0) -> int:
        body: dict[str, Any] = {"inS": in_s}
        if fingerprint is not None:
            body["fingerprint"] = fingerprint
        expired: int = (await self._call("POST", "tokens/expire", body))["expired"]
        return expired

    async def add_burst(self, **burst: Any) -> None:
        """``factor``, ``duration``, ``start``, ``every``, ``contracts``, ``events``."""
        await self._call("POST", "market/bursts", burst)

    async def clear_bursts(self) -> None:
        await self._call("DELETE", "market/bursts")

    async def start_replay(self) -> dict[str, Any]:
        """Start a ``--replay-start on-request`` replay's clock; its status."""
        status: dict[str, Any] = (await self._call("POST", "replay/start"))["replay"]
        return status

    # -- the send history ----------------------------------------------------------------------

    async def flush_history(self) -> str | None:
        """Have the simulator write its history file's buffer now; the file's path (None: none)."""
        path: str | None = (await self._call("POST", "history/flush"))["file"]
        return path

    async def close_session(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_session()
