"""One Toxiproxy proxy per hub in front of the simulator: what every run (chaos, soak, load,
explore) puts between a client and the hubs, so a network fault can hit one hub and not the other.

With Toxiproxy in a container (``docker-compose.yml``), two variables say how it reaches the host's
simulator and which published ports it listens on for the client:
``FAULTLINE_PROXY_UPSTREAM_HOST`` (default ``127.0.0.1``) and ``FAULTLINE_PROXY_PORTS``
(``USER,MARKET``; default: any free port on 127.0.0.1).

    proxies = HubProxies(toxiproxy, prefix="soak-")
    await proxies.open(simulator.url)      # proxies.names["market"], proxies.urls["market"]
    ...
    await proxies.close()                  # deletes them: their connections close at once
"""

from __future__ import annotations

import os
from collections import abc

from ..errors import SetupError
from .toxiproxy import Toxiproxy

HUBS = ("user", "market")


def _fixed_ports() -> list[str]:
    ports = [p.strip() for p in os.environ.get("FAULTLINE_PROXY_PORTS", "").split(",") if p.strip()]
    if ports and (len(ports) != len(HUBS) or not all(p.isdigit() for p in ports)):
        raise SetupError(f"FAULTLINE_PROXY_PORTS={ports}: expected two ports, USER,MARKET")
    return ports


class HubProxies:
    def __init__(self, toxiproxy: Toxiproxy, prefix: str = "") -> None:
        self.toxiproxy = toxiproxy
        self.prefix = prefix
        self.names: dict[str, str] = {}  # hub -> proxy name (what a fault is applied to)
        self.urls: dict[str, str] = {}  # hub -> the hub's URL through its proxy (what a client dials)

    async def open(self, simulator_url: str, hubs: abc.Sequence[str] = HUBS) -> None:
        """A proxy per hub to the simulator at ``simulator_url``; a proxy of the same name left by a
        run that was killed is deleted first."""
        port = simulator_url.rsplit(":", 1)[1]
        upstream_host = os.environ.get("FAULTLINE_PROXY_UPSTREAM_HOST", "127.0.0.1")
        fixed = _fixed_ports()
        existing = await self.toxiproxy.proxies()
        for hub in hubs:
            name = f"{self.prefix}{hub}"
            if name in existing:
                await self.toxiproxy.delete_proxy(name)
            listen = f"0.0.0.0:{fixed[HUBS.index(hub)]}" if fixed else "127.0.0.1:0"
            proxy = await self.toxiproxy.create_proxy(name, f"{upstream_host}:{port}", listen)
            self.names[hub] = proxy.name
            self.urls[hub] = f"http://127.0.0.1:{proxy.port}/hubs/{hub}"

    async def close(self) -> None:
        """Delete the proxies. Deleting closes their connections at once; removing toxics first would
        flush held data into sockets nobody reads, which can hang Toxiproxy's API."""
        for name in self.names.values():
            await self.toxiproxy.delete_proxy(name)
        self.names.clear()
