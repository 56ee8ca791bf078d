"""Orders, fills, positions and balances for the simulated accounts.

An order placed through REST goes through the states the Gateway reports (OrderStatus: 1 Open,
2 Filled, 3 Cancelled, 5 Rejected, 6 Pending) and, when it fills, produces user-hub events in the
Gateway's order: Order (pending) -> Order (filled) -> Trade -> Position -> Account. Market orders
fill at the touch; limit and stop orders rest until the market reaches them (``on_market``).
Positions are the sum of fills; balances move by realised P&L minus fees.

Every dict emitted has exactly the SDK model's keys (3.3.0 builds ``Order(**data)`` etc.).

Orders are refused (``OrderRejected``, the Gateway's ``success: false``) past the simulator's
documented limits: a size from 1 to ``MAX_ORDER_SIZE`` contracts; a price positive, finite, at most
``MAX_PRICE`` and on the contract's tick grid. Within them every balance and P&L stays a plain,
finite number whatever a client sends.
"""

from __future__ import annotations

import itertools
from collections import abc
from dataclasses import dataclass
from typing import Any

from ..values import BadValue, number
from .catalog import Account, Catalog, Contract
from .market import BUY, ContractMarket, iso

OPEN, FILLED, CANCELLED, REJECTED, PENDING = 1, 2, 3, 5, 6
LIMIT, MARKET, STOP_LIMIT, STOP = 1, 2, 3, 4
LONG, SHORT = 1, 2
NEW, UPDATE = 0, 1  # event "action"

MAX_ORDER_SIZE = 1_000  # contracts per order: far past any funded account's limit, far from overflow
MAX_PRICE = 10_000_000.0

Emit = abc.Callable[[str, int, dict[str, Any]], None]  # (target, account id, {"action", "data"})


def _check_size(size: Any, max_size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= max_size:
        raise OrderRejected(f"Invalid order size: must be 1 to {max_size} contracts.")


def _price(contract: Contract, value: Any, what: str) -> float:
    """``value`` as a price of ``contract``: finite, in (0, MAX_PRICE], on its tick grid."""
    try:
        price = float(number(value, f"{what} price", low=0.0, high=MAX_PRICE, low_open=True))
    except BadValue as exc:
        raise OrderRejected(f"Invalid {what} price: {exc}.") from None
    ticks = price / contract.tick_size
    if abs(ticks - round(ticks)) > 1e-6:
        raise OrderRejected(
            f"Invalid {what} price: {price} is not a multiple of the tick size {contract.tick_size}."
        )
    return price


class OrderRejected(Exception):
    """The Gateway answers success=false with this message. ``reason`` says what was wrong, in
    words every endpoint maps to its own ``errorCode`` enum (``rest.py``): ``account``,
    ``contract``, ``order``, ``position`` (not found), ``size`` (a close size that is not in the
    position), ``account_rejected`` (the account cannot trade), ``rejected`` (anything else)."""

    def __init__(self, message: str, reason: str = "rejected") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class Order:
    id: int
    account_id: int
    contract: Contract
    created: str
    type: int
    side: int
    size: int
    limit_price: float | None
    stop_price: float | None
    custom_tag: str | None
    status: int = OPEN
    fill_volume: int = 0
    filled_price: float | None = None
    updated: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract.id,
            "symbolId": self.contract.symbol_id,
            "creationTimestamp": self.created,
            "updateTimestamp": self.updated,
            "status": self.status,
            "type": self.type,
            "side": self.side,
            "size": self.size,
            "fillVolume": self.fill_volume,
            "limitPrice": self.limit_price,
            "stopPrice": self.stop_price,
            "filledPrice": self.filled_price,
            "customTag": self.custom_tag,
        }


@dataclass(slots=True)
class Position:
    id: int
    account_id: int
    contract: Contract
    created: str
    size: int = 0  # signed: + long, - short
    average_price: float = 0.0

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract.id,
            "creationTimestamp": self.created,
            "type": LONG if self.size > 0 else SHORT if self.size < 0 else 0,
            "size": abs(self.size),
            "averagePrice": self.average_price,
        }


class Ledger:
    def __init__(self, catalog: Catalog, markets: dict[str, ContractMarket], emit: Emit) -> None:
        self.catalog = catalog
        self.markets = markets
        self.emit = emit
        self.orders: dict[int, Order] = {}
        self.trades: list[dict[str, Any]] = []
        self.positions: dict[tuple[int, str], Position] = {}
        self._ids = itertools.count(9001)

    def _now(self) -> str:
        market = next(iter(self.markets.values()))
        return iso(market.clock())

    def account(self, account_id: Any) -> Account:
        account = self.catalog.accounts.get(account_id) if isinstance(account_id, int) else None
        if account is None:
            raise OrderRejected("Account not found.", "account")
        return account

    # -- orders --------------------------------------------------------------------------------

    def place(
        self,
        account_id: Any,
        contract_id: Any,
        *,
        order_type: Any,
        side: Any,
        size: Any,
        limit_price: Any = None,
        stop_price: Any = None,
        custom_tag: Any = None,
        max_size: int = 0,
    ) -> Order:
        """A new order, checked as the Gateway would (``OrderRejected`` says why not); ``max_size``
        (default ``MAX_ORDER_SIZE``) is raised only to close a position whole."""
        max_size = max_size or MAX_ORDER_SIZE
        account = self.account(account_id)
        contract = self.catalog.contracts.get(contract_id) if isinstance(contract_id, str) else None
        if contract is None:
            raise OrderRejected("Contract not found.", "contract")
        if order_type not in (LIMIT, MARKET, STOP_LIMIT, STOP) or side not in (0, 1):
            raise OrderRejected("Invalid order type or side.")
        _check_size(size, max_size)
        if order_type in (LIMIT, STOP_LIMIT) and limit_price is None:
            raise OrderRejected("A limit price is required.")
        if order_type in (STOP, STOP_LIMIT) and stop_price is None:
            raise OrderRejected("A stop price is required.")
        limit_price = _price(contract, limit_price, "limit") if order_type in (LIMIT, STOP_LIMIT) else None
        stop_price = _price(contract, stop_price, "stop") if order_type in (STOP, STOP_LIMIT) else None
        if not account.can_trade:
            raise OrderRejected("Account cannot trade.", "account_rejected")
        now = self._now()
        order = Order(
            next(self._ids),
            account.id,
            contract,
            now,
            order_type,
            side,
            size,
            limit_price,
            stop_price,
            custom_tag if isinstance(custom_tag, str) else None,
            status=PENDING if order_type == MARKET else OPEN,
            updated=now,
        )
        self.orders[order.id] = order
        self._order_event(order, NEW)
        if order_type == MARKET:
            self._fill(order, self.markets[contract.id].fill_price(side))
        else:
            self.on_market(contract.id)
        return order

    def cancel(self, account_id: Any, order_id: Any) -> Order:
        order = self._open_order(account_id, order_id)
        order.status, order.updated = CANCELLED, self._now()
        self._order_event(order, UPDATE)
        return order

    def modify(self, account_id: Any, order_id: Any, size: Any, limit_price: Any, stop_price: Any) -> Order:
        order = self._open_order(account_id, order_id)
        if size is not None:
            _check_size(size, MAX_ORDER_SIZE)
        limit = _price(order.contract, limit_price, "limit") if limit_price is not None else None
        stop = _price(order.contract, stop_price, "stop") if stop_price is not None else None
        if size is not None:
            order.size = size
        if limit is not None:
            order.limit_price = limit
        if stop is not None:
            order.stop_price = stop
        order.updated = self._now()
        self._order_event(order, UPDATE)
        self.on_market(order.contract.id)
        return order

    def _open_order(self, account_id: Any, order_id: Any) -> Order:
        order = self.order(account_id, order_id)
        if order.status not in (OPEN, PENDING):
            raise OrderRejected("Order is not open.")
        return order

    def on_market(self, contract_id: str) -> None:
        """Fill resting orders the market has reached (call after each price move)."""
        market = self.markets[contract_id]
        for order in [o for o in self.orders.values() if o.contract.id == contract_id and o.status == OPEN]:
            touch = market.fill_price(order.side)
            buying = order.side == BUY
            if order.type in (STOP, STOP_LIMIT) and order.stop_price is not None:
                if (market.last >= order.stop_price) if buying else (market.last <= order.stop_price):
                    if order.type == STOP:
                        self._fill(order, touch)
                        continue
                    order.type = LIMIT  # a triggered stop-limit rests as a limit
                else:
                    continue
            limit = order.limit_price
            if (
                order.type == LIMIT
                and limit is not None
                and ((touch <= limit) if buying else (touch >= limit))
            ):
                self._fill(order, touch)

    def close_position(self, account_id: Any, contract_id: Any, size: Any = None) -> Order:
        """A market order closing the position in ``contract_id``: all of it, or ``size`` contracts
        (``Position/partialCloseContract``); filled like any order, with the same user-hub events."""
        self.account(account_id)
        if not isinstance(contract_id, str) or contract_id not in self.catalog.contracts:
            raise OrderRejected("Contract not found.", "contract")
        position = self.positions.get((account_id, contract_id))
        if position is None or position.size == 0:
            raise OrderRejected("Position not found.", "position")
        whole = abs(position.size)
        if size is None:
            size = whole
        elif not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= whole:
            raise OrderRejected(f"Invalid close size: must be 1 to {whole} contracts.", "size")
        side = 1 if position.size > 0 else 0
        return self.place(account_id, contract_id, order_type=MARKET, side=side, size=size, max_size=whole)

    def order(self, account_id: Any, order_id: Any) -> Order:
        """The order ``order_id`` of the account, in any state (``Order/searchById``)."""
        self.account(account_id)
        order = self.orders.get(order_id) if isinstance(order_id, int) else None
        if order is None or order.account_id != account_id:
            raise OrderRejected("Order not found.", "order")
        return order

    # -- fills ---------------------------------------------------------------------------------

    def _fill(self, order: Order, price: float) -> None:
        now = self._now()
        account = self.catalog.accounts[order.account_id]
        contract = order.contract
        order.status, order.fill_volume, order.filled_price, order.updated = FILLED, order.size, price, now
        self._order_event(order, UPDATE)
        signed = order.size if order.side == BUY else -order.size
        position = self.positions.get((account.id, contract.id))
        if position is None:
            position = Position(next(self._ids), account.id, contract, now)
            self.positions[(account.id, contract.id)] = position
        pnl = self._apply(position, signed, price)
        fees = round(contract.fee_per_side * order.size, 2)
        trade = {
            "id": next(self._ids),
            "accountId": account.id,
            "contractId": contract.id,
            "creationTimestamp": now,
            "price": price,
            "profitAndLoss": pnl,
            "fees": fees,
            "side": order.side,
            "size": order.size,
            "voided": False,
            "orderId": order.id,
        }
        self.trades.append(trade)
        self.emit("GatewayUserTrade", account.id, {"action": NEW, "data": trade})
        self.emit("GatewayUserPosition", account.id, {"action": UPDATE, "data": position.to_api()})
        account.balance = round(account.balance + (pnl or 0.0) - fees, 2)
        self.emit("GatewayUserAccount", account.id, {"action": UPDATE, "data": account.to_api()})
        if position.size == 0:
            del self.positions[(account.id, contract.id)]

    def _apply(self, position: Position, signed: int, price: float) -> float | None:
        """Add a fill to a position; the realised P&L if it reduced one (None: a half-turn)."""
        contract = position.contract
        point_value = contract.tick_value / contract.tick_size
        old = position.size
        if old == 0 or (old > 0) == (signed > 0):  # opening or adding
            total = old + signed
            position.average_price = round(
                (position.average_price * abs(old) + price * abs(signed)) / abs(total), 10
            )
            position.size = total
            return None
        closed = min(abs(old), abs(signed))
        direction = 1 if old > 0 else -1
        pnl = round((price - position.average_price) * closed * direction * point_value, 2)
        position.size = old + signed
        if position.size == 0:
            position.average_price = 0.0
        elif (position.size > 0) != (old > 0):  # flipped: the remainder opens at this price
            position.average_price = price
        return pnl

    def _order_event(self, order: Order, action: int) -> None:
        self.emit("GatewayUserOrder", order.account_id, {"action": action, "data": order.to_api()})

    # -- queries -------------------------------------------------------------------------------

    def open_positions(self, account_id: int) -> list[dict[str, Any]]:
        return [p.to_api() for (acct, _), p in self.positions.items() if acct == account_id and p.size]

    def search_orders(self, account_id: int, *, open_only: bool) -> list[dict[str, Any]]:
        return [
            o.to_api()
            for o in self.orders.values()
            if o.account_id == account_id and (not open_only or o.status in (OPEN, PENDING))
        ]

    def search_trades(self, account_id: int) -> list[dict[str, Any]]:
        return [t for t in self.trades if t["accountId"] == account_id]
