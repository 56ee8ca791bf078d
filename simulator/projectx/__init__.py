"""The ProjectX Gateway (TopstepX) emulation: tokens, REST, the user and market hubs, seeded
markets and a trading ledger. ``build_gateway`` assembles them on a ``SimulatorServer``."""

from .gateway import Gateway, GatewayConfig, build_gateway

__all__ = ["Gateway", "GatewayConfig", "build_gateway"]
