"""``/hubs/user``: account, order, position and trade events, as the Gateway streams them.

Methods: SubscribeAccounts() (no argument: an argument is a binding error, as on the real hub),
SubscribeOrders/Positions/Trades(accountId) and their Unsubscribe*; UnsubscribeAccounts takes an
optional account id (project-x-py 3.3.0 sends one). All idempotent. Events are invoked with one
argument ``{"action": 0|1, "data": {...}}``: ``GatewayUserAccount``, ``GatewayUserOrder``,
``GatewayUserPosition``, ``GatewayUserTrade``.
"""

from __future__ import annotations

from typing import Any

from signalr_protocol import Invocation

from ..hub import Hub, HubError, hub_method
from ..session import HubSession
from .catalog import Catalog
from .replay import Recorder
from .streams import StreamCounters

ACCOUNTS, ORDERS, POSITIONS, TRADES = (
    "GatewayUserAccount",
    "GatewayUserOrder",
    "GatewayUserPosition",
    "GatewayUserTrade",
)
SUBS = "user.subscriptions"
ALL_ACCOUNTS = -1


class UserHub(Hub):
    name = "user"

    def __init__(self, catalog: Catalog, counters: StreamCounters) -> None:
        super().__init__()
        self.catalog = catalog
        self.counters = counters
        self.recorder: Recorder | None = None

    def replay_publish(self, target: str, account: str, arguments: list[Any]) -> bool:
        """Send a recorded event; False when its account or target is not on this hub."""
        known = target in (ACCOUNTS, ORDERS, POSITIONS, TRADES) and len(arguments) == 1
        if not known or not account.isdigit() or int(account) not in self.catalog.accounts:
            return False
        self.deliver(target, int(account), arguments[0])
        return True

    def deliver(self, target: str, account_id: int, payload: dict[str, Any]) -> None:
        """Send a user event to every connection subscribed to it (the ledger calls this)."""
        headers = self.counters.headers(target, account_id)
        if self.recorder is not None:
            self.recorder.publish(self.name, target, str(account_id), [payload])
        wanted = {(target, account_id), (target, ALL_ACCOUNTS)}
        subscribers = [s for s in self.sessions.values() if wanted & s.items.get(SUBS, set())]
        if subscribers:
            self.broadcast(target, [payload], subscribers, headers)

    def _set(self, caller: HubSession, target: str, account_id: Any, on: bool) -> None:
        if account_id != ALL_ACCOUNTS and (
            not isinstance(account_id, int) or account_id not in self.catalog.accounts
        ):
            raise HubError(f"Account '{account_id}' was not found.")
        subs: set[tuple[str, int]] = caller.items.setdefault(SUBS, set())
        (subs.add if on else subs.discard)((target, account_id))

    @hub_method("SubscribeAccounts")
    async def subscribe_accounts(self, caller: HubSession) -> None:
        self._set(caller, ACCOUNTS, ALL_ACCOUNTS, True)

    @hub_method("UnsubscribeAccounts")
    async def unsubscribe_accounts(self, caller: HubSession, account_id: Any = None) -> None:
        self._set(caller, ACCOUNTS, ALL_ACCOUNTS, False)

    @hub_method("SubscribeOrders")
    async def subscribe_orders(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, ORDERS, account_id, True)

    @hub_method("SubscribePositions")
    async def subscribe_positions(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, POSITIONS, account_id, True)

    @hub_method("SubscribeTrades")
    async def subscribe_trades(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, TRADES, account_id, True)

    @hub_method("UnsubscribeOrders")
    async def unsubscribe_orders(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, ORDERS, account_id, False)

    @hub_method("UnsubscribePositions")
    async def unsubscribe_positions(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, POSITIONS, account_id, False)

    @hub_method("UnsubscribeTrades")
    async def unsubscribe_trades(self, caller: HubSession, account_id: Any) -> None:
        self._set(caller, TRADES, account_id, False)

    def subscriptions(self, session: HubSession) -> list[list[Any]]:
        return sorted([t, a] for t, a in session.items.get(SUBS, ()))

    def stream_key(self, message: Invocation) -> str | None:
        """The account id of a user event (``data.accountId``; an account's own ``data.id``)."""
        if message.target not in (ACCOUNTS, ORDERS, POSITIONS, TRADES) or not message.arguments:
            return None
        event = message.arguments[0]
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict):
            return None
        account = data.get("id") if message.target == ACCOUNTS else data.get("accountId")
        return None if account is None else str(account)
