"""What a server-side fault is, and the set of faults active on a server.

A ``ServerFault`` has a name (its file's), checked parameters, and hooks the server calls at the
points it can misbehave: negotiate, the WebSocket upgrade, the handshake, each outgoing message,
the frames written, each invocation received; ``apply``/``clear`` act on live connections when the
fault is injected or cleared. Every hook defaults to "behave". A fault is scoped to all hubs, one
hub, or one connection.
"""

from __future__ import annotations

import itertools
from collections import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from ..values import BadValue, encodable

if TYPE_CHECKING:
    from signalr_protocol import HubMessage

    from ..session import HubSession

REGISTRY: dict[str, type[ServerFault]] = {}
Spec = dict[str, tuple[type | tuple[type, ...], Any]]  # parameter -> (accepted types, default)


class FaultError(ValueError):
    """Bad fault name or parameters; the message says which."""


def check_params(fault: str, spec: Spec, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked against ``spec`` (no unknown names, the declared types, finite 64-bit
    values) with the defaults filled in; ``FaultError`` says what is wrong. The harness's faults
    (``harness/faults``) declare and check their parameters with this too."""
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise FaultError(f"{fault}: unknown parameter(s) {unknown}: expected {sorted(spec)}")
    checked: dict[str, Any] = {}
    for key, (kinds, default) in spec.items():
        value = params.get(key, default)
        if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            raise FaultError(f"{fault}: {key} must not be a boolean")
        if not isinstance(value, kinds):
            raise FaultError(f"{fault}: {key} has the wrong type: {value!r}")
        try:
            encodable(value, key)  # finite, 64-bit, shallow: no NaN timer, no overflow later
        except BadValue as exc:
            raise FaultError(f"{fault}: {exc}") from None
        checked[key] = value
    return checked


class ServerFault:
    name: ClassVar[str]
    describes: ClassVar[str]
    params_spec: ClassVar[Spec] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name.startswith("_"):  # "_status", "_slow": shared bases, not faults
            REGISTRY[cls.name] = cls

    def __init__(self, **params: Any) -> None:
        self.params = check_params(self.name, self.params_spec, params)
        self.check()

    def check(self) -> None:
        """Raise ``FaultError`` for parameter values that make no sense."""

    # -- hooks (default: behave) ----------------------------------------------------------------

    async def negotiate(self, request: web.Request) -> web.StreamResponse | None:
        return None

    async def upgrade(self, request: web.Request) -> web.StreamResponse | None:
        return None

    async def handshake(self, session: HubSession) -> str | None:
        """Before the handshake is accepted; a text rejects it with that error."""
        return None

    def copies(self, message: HubMessage) -> int:
        """How many times an outgoing message is sent (0 drops it)."""
        return 1

    def frames(self, frames: list[bytes]) -> list[bytes]:
        return frames

    def invocation_error(self, target: str) -> str | None:
        """An error Completion text to answer this invocation with instead of running it."""
        return None

    async def connected(self, session: HubSession) -> None:
        """After the handshake of each new connection it reaches (while the fault is active)."""

    async def apply(self, session: HubSession) -> None:
        """When injected, on each live connection it reaches."""

    async def clear(self, session: HubSession) -> None:
        """When cleared, on each live connection it reached."""


@dataclass(slots=True)
class ActiveFault:
    id: int
    fault: ServerFault
    hub: str | None  # None: every hub
    connection: str | None  # None: every connection

    def reaches(self, hub: str, connection: str | None) -> bool:
        if self.hub is not None and self.hub != hub:
            return False
        return self.connection is None or self.connection == connection

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fault": self.fault.name,
            "params": self.fault.params,
            "hub": self.hub,
            "connection": self.connection,
        }


class FaultSet:
    def __init__(self) -> None:
        self.active: dict[int, ActiveFault] = {}
        self._ids = itertools.count(1)

    def add(self, fault: ServerFault, hub: str | None, connection: str | None) -> ActiveFault:
        entry = ActiveFault(next(self._ids), fault, hub, connection)
        self.active[entry.id] = entry
        return entry

    def remove(self, fault_id: int) -> ActiveFault | None:
        return self.active.pop(fault_id, None)

    def reaching(self, hub: str, connection: str | None = None) -> list[ServerFault]:
        return [a.fault for a in self.active.values() if a.reaches(hub, connection)]

    def __bool__(self) -> bool:
        return bool(self.active)


# Faults of the link, not the server: the harness makes them with Toxiproxy in front of a hub.
NETWORK_FAULTS = ("bandwidth", "cut_after", "half_open", "latency", "partition", "refuse", "reset", "slicer")
# Things a timeline can do that the control API does elsewhere than /_sim/faults.
ELSEWHERE = {
    "burst": "POST /_sim/market/bursts with factor and duration",
    "expire_tokens": "POST /_sim/tokens/expire",
    "revoke_tokens": "POST /_sim/tokens/revoke",
    "server_close": "POST /_sim/connections/{id}/close (or the hub_down fault)",
    "server_abort": "POST /_sim/connections/{id}/abort",
}


def make_fault(name: str, params: abc.Mapping[str, Any]) -> ServerFault:
    cls = REGISTRY.get(name)
    if cls is None:
        if name in NETWORK_FAULTS:
            raise FaultError(
                f"{name!r} is a network fault: the harness makes it with Toxiproxy between the client and "
                f"this server (a timeline step, or python -m harness.explore), not the simulator. "
                f"The simulator's own faults: {', '.join(sorted(REGISTRY))}"
            )
        if name in ELSEWHERE:
            raise FaultError(f"{name!r} is not a fault of this endpoint: it is {ELSEWHERE[name]}")
        raise FaultError(f"unknown fault {name!r}: choose from {', '.join(sorted(REGISTRY))}")
    return cls(**params)
