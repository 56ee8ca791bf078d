"""The reference realtime client for the ProjectX hubs (asyncio, on ``signalr_protocol``).

It fixes each finding of the project-x-py 3.3.0 realtime review (R1-R18 in DESIGN.md §3); the
module that fixes a finding says so in its docstring. The public surface::

    RealtimeClient(ClientConfig(base_url), GatewayTokens(base_url, user, api_key))
        .connect() / .close() / async with
        .subscribe_quotes|trades|depth(contract_id), .unsubscribe_*, .subscribe_user(account_id)
        .on(kind, callback) -> Handle          kinds: quote trade depth account order position
                                               user_trade gap state other
        .status(), .metrics(), .state(hub)
"""

from .auth import GatewayTokens, StaticToken, TokenProvider, token_expiry
from .backoff import Backoff, BackoffPolicy
from .callbacks import Event, Handle
from .config import CallbackPolicy, ClientConfig, DispatchPolicy, HeartbeatPolicy
from .errors import (
    AuthError,
    ClientError,
    ConnectError,
    HubClosedError,
    InvocationError,
    OperationTimeout,
    UsageError,
)
from .hub import HubState, StateChange
from .realtime import RealtimeClient

__all__ = [
    "AuthError",
    "Backoff",
    "BackoffPolicy",
    "CallbackPolicy",
    "ClientConfig",
    "ClientError",
    "ConnectError",
    "DispatchPolicy",
    "Event",
    "GatewayTokens",
    "Handle",
    "HeartbeatPolicy",
    "HubClosedError",
    "HubState",
    "InvocationError",
    "OperationTimeout",
    "RealtimeClient",
    "StateChange",
    "StaticToken",
    "TokenProvider",
    "UsageError",
    "token_expiry",
]
