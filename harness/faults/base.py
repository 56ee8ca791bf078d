"""What every fault is: a name, declared parameters, and ``apply``/``clear`` against one hub of a
``FaultTarget``, whichever layer makes it.

Two layers, one vocabulary: a ``network`` fault acts on the Toxiproxy proxy in front of the hub
(the client's TCP link), a ``server`` fault on the simulator through its control API (what only
the server can do: a Close, an abort, expired tokens, a burst, or any of the simulator's own faults
as ``server:<name>``). Parameters are declared in ``params_spec`` and checked as the simulator checks
its own (``simulator.faults.base.check_params``), so a bad timeline is refused when it is built, not
halfway through a run. Registering is subclassing: the class's ``name`` is its registry key.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from simulator.faults import REGISTRY as SIMULATOR_FAULTS
from simulator.faults.base import FaultError, Spec, check_params

from ..infra.sim_control import SimulatorControl
from ..infra.toxiproxy import Toxiproxy

__all__ = ["REGISTRY", "Fault", "FaultError", "FaultTarget", "NetworkFault", "Spec", "fault_named", "names"]
REGISTRY: dict[str, type[Fault]] = {}
SIMULATOR_PREFIX = "server:"  # "server:<name>": one of the simulator's own faults (simulator.py here)


@dataclass(frozen=True, slots=True)
class FaultTarget:
    """Where faults land: Toxiproxy and its proxy per hub (network faults), the simulator's control
    API (server faults)."""

    toxiproxy: Toxiproxy
    proxies: abc.Mapping[str, str]  # hub -> proxy name
    control_url: str

    def control(self) -> SimulatorControl:
        return SimulatorControl(self.control_url)


class Fault:
    name: ClassVar[str]
    layer: ClassVar[Literal["network", "server"]]
    describes: ClassVar[str]  # one line: what the client sees
    params_spec: ClassVar[Spec] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:  # a shared base (NetworkFault), not a fault
            return
        if cls.name in REGISTRY:
            raise ValueError(f"two faults named {cls.name!r}")
        REGISTRY[cls.name] = cls

    def __init__(self, **params: Any) -> None:
        self.params = check_params(self.name, self.params_spec, params)
        self.check()

    def check(self) -> None:
        """Raise ``FaultError`` for parameter values that make no sense."""

    @property
    def holds_data(self) -> bool:
        """Whether, while applied, it stops reading the link's data (a ``bandwidth`` toxic at rate 0,
        or slower than what is queued). Toxiproxy cannot remove a toxic that sits in front of such a
        one: the removal waits for the held data for ever and takes the whole API with it
        (``reference/toxiproxy.md`` 1.5, Toxiproxy #558). ``Timeline`` refuses that order."""
        return False

    async def apply(self, target: FaultTarget, hub: str) -> None:
        raise NotImplementedError

    async def clear(self, target: FaultTarget, hub: str) -> None:
        """Undo ``apply``. Many server faults are events, not states: nothing to undo."""


class NetworkFault(Fault):
    """A fault of the link: toxics on the hub's proxy, removed by the names it gave them."""

    layer = "network"

    async def clear(self, target: FaultTarget, hub: str) -> None:
        proxy = target.proxies[hub]
        for name in self.toxic_names():
            await target.toxiproxy.remove_toxic(proxy, name)

    def toxic_names(self) -> abc.Iterable[str]:
        return ()

    async def add_toxic(self, target: FaultTarget, hub: str, type_: str, attributes: dict[str, Any]) -> None:
        """One toxic on the hub's server->client stream, named after this fault."""
        await target.toxiproxy.add_toxic(target.proxies[hub], type_, "downstream", attributes, name=self.name)


def fault_named(name: str, params: abc.Mapping[str, Any] | None = None) -> Fault:
    """The fault called ``name`` with ``params`` checked; ``FaultError`` (a ValueError) names what
    is wrong: an unknown fault (and the known ones), or a bad parameter."""
    params = dict(params or {})
    if name.startswith(SIMULATOR_PREFIX) and name != SIMULATOR_PREFIX:
        return REGISTRY[SIMULATOR_PREFIX](fault=name.removeprefix(SIMULATOR_PREFIX), **params)
    cls = REGISTRY.get(name) if name != SIMULATOR_PREFIX else None
    if cls is None:
        raise FaultError(f"unknown fault {name!r}: choose from {', '.join(names())}")
    return cls(**params)


def names() -> list[str]:
    """Every name a timeline step can use, the simulator's own faults as ``server:<name>``."""
    own = sorted(n for n in REGISTRY if n != SIMULATOR_PREFIX)
    return [*own, *(f"{SIMULATOR_PREFIX}{n}" for n in sorted(SIMULATOR_FAULTS))]


async def add_both(
    target: FaultTarget, hub: str, type_: str, prefix: str, attributes: dict[str, Any]
) -> None:
    for stream in ("upstream", "downstream"):
        name = f"{prefix}_{stream}"
        await target.toxiproxy.add_toxic(target.proxies[hub], type_, stream, attributes, name=name)


def positive(fault: Fault, key: str, *, zero: bool = False) -> None:
    """``FaultError`` unless the parameter ``key`` is above 0 (or 0 itself, with ``zero``)."""
    value = fault.params[key]
    if value < 0 or (value == 0 and not zero):
        raise FaultError(f"{fault.name}: {key} must be {'0 or more' if zero else 'above 0'}, not {value!r}")
