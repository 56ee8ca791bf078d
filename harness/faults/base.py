"""What every network fault is: a name, JSON parameters, ``apply`` and ``clear`` on one proxy."""

from __future__ import annotations

from collections import abc
from typing import Any, ClassVar

from ..toxiproxy import Toxiproxy

REGISTRY: dict[str, type[NetworkFault]] = {}


class NetworkFault:
    name: ClassVar[str]
    describes: ClassVar[str]  # one line: what the client sees

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name in REGISTRY:
            raise ValueError(f"two faults named {cls.name!r}")
        REGISTRY[cls.name] = cls

    async def apply(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        raise NotImplementedError

    async def clear(self, toxiproxy: Toxiproxy, proxy: str) -> None:
        """Undo ``apply``: remove this fault's toxics (by the names it gave them)."""
        for name in self.toxic_names(proxy):
            await toxiproxy.remove_toxic(proxy, name)

    def toxic_names(self, proxy: str) -> abc.Iterable[str]:
        return ()

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.name, **self.params}


def fault_named(name: str, **params: Any) -> NetworkFault:
    cls = REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"unknown fault {name!r}: choose from {sorted(REGISTRY)}")
    return cls(**params)


async def add_both(
    toxiproxy: Toxiproxy, proxy: str, type_: str, prefix: str, attributes: dict[str, Any]
) -> None:
    for stream in ("upstream", "downstream"):
        await toxiproxy.add_toxic(proxy, type_, stream, attributes, name=f"{prefix}_{stream}")
