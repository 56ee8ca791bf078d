"""The fake ProjectX Gateway: a protocol-faithful ASP.NET Core SignalR hub server on aiohttp.

``SimulatorServer`` serves the hubs (``/hubs/{name}``: negotiate + WebSocket), the control API
(``/_sim/``) and, from the ProjectX issue on, the REST API (``/api``). Hubs subclass ``Hub``.
"""

from .config import ServerConfig
from .demo_hub import DemoHub
from .hub import BindingError, Hub, HubError, hub_method
from .server import SimulatorServer
from .session import HubSession

__all__ = [
    "BindingError",
    "DemoHub",
    "Hub",
    "HubError",
    "HubSession",
    "ServerConfig",
    "SimulatorServer",
    "hub_method",
]
