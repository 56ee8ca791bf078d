"""Contracts and accounts the simulated Gateway knows, with the exact field sets the SDK accepts.

project-x-py 3.3.0 builds ``Instrument(**json)`` and ``Account(**json)``: an extra or missing key
raises, so ``to_api`` emits exactly the model's keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

MONTH_CODES = "FGHJKMNQUVXZ"
QUARTERLY = (3, 6, 9, 12)


@dataclass(frozen=True, slots=True)
class Contract:
    id: str  # CON.F.US.MNQ.Z26
    name: str  # MNQZ6
    description: str
    tick_size: float
    tick_value: float
    symbol_id: str  # F.US.MNQ
    base_price: float
    fee_per_side: float

    @property
    def symbol(self) -> str:
        """The base symbol: MNQ."""
        return self.symbol_id.rsplit(".", 1)[-1]

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "tickSize": self.tick_size,
            "tickValue": self.tick_value,
            "activeContract": True,
            "symbolId": self.symbol_id,
        }


@dataclass(frozen=True, slots=True)
class Product:
    symbol: str
    description: str
    tick_size: float
    tick_value: float
    base_price: float
    fee_per_side: float


PRODUCTS = {
    p.symbol: p
    for p in (
        Product("MNQ", "Micro E-mini Nasdaq-100", 0.25, 0.5, 21000.0, 0.37),
        Product("MES", "Micro E-mini S&P 500", 0.25, 1.25, 6000.0, 0.37),
        Product("NQ", "E-mini Nasdaq-100", 0.25, 5.0, 21000.0, 1.40),
        Product("ES", "E-mini S&P 500", 0.25, 12.5, 6000.0, 1.40),
        Product("MGC", "Micro Gold", 0.1, 1.0, 2650.0, 0.52),
        Product("MCL", "Micro WTI Crude Oil", 0.01, 1.0, 70.0, 0.52),
        Product("M2K", "Micro E-mini Russell 2000", 0.1, 0.5, 2300.0, 0.37),
        Product("MYM", "Micro E-mini Dow", 1.0, 0.5, 44000.0, 0.37),
    )
}


def front_month(today: date, ahead: int = 0) -> tuple[int, int]:
    """The next quarterly expiry month on or after ``today`` (year, month), or the one ``ahead``
    quarters after it."""
    year = today.year
    index = next((i for i, month in enumerate(QUARTERLY) if month >= today.month), None)
    if index is None:
        year, index = year + 1, 0
    year, index = year + (index + ahead) // len(QUARTERLY), (index + ahead) % len(QUARTERLY)
    return year, QUARTERLY[index]


def contract_for(symbol: str, today: date, ahead: int = 0) -> Contract:
    product = PRODUCTS.get(symbol)
    if product is None:
        raise ValueError(f"unknown product {symbol!r}: choose from {', '.join(PRODUCTS)}")
    year, month = front_month(today, ahead)
    code = MONTH_CODES[month - 1]
    month_name = date(year, month, 1).strftime("%B %Y")
    return Contract(
        id=f"CON.F.US.{symbol}.{code}{year % 100:02d}",
        name=f"{symbol}{code}{year % 10}",
        description=f"{product.description}: {month_name}",
        tick_size=product.tick_size,
        tick_value=product.tick_value,
        symbol_id=f"F.US.{symbol}",
        base_price=product.base_price,
        fee_per_side=product.fee_per_side,
    )


@dataclass(slots=True)
class Account:
    id: int
    name: str
    balance: float
    can_trade: bool = True
    is_visible: bool = True
    simulated: bool = True

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "balance": round(self.balance, 2),
            "canTrade": self.can_trade,
            "isVisible": self.is_visible,
            "simulated": self.simulated,
        }


class Catalog:
    """The contracts of ``symbols``, each in its next ``months`` quarterly expiries (front first).

    With more than one month, ``Contract/search`` for a symbol returns all of them, and
    project-x-py picks the alphabetically first name (MNQH7 before MNQZ6), not the front month.
    """

    def __init__(
        self,
        symbols: list[str],
        today: date,
        *,
        months: int = 1,
        accounts: list[Account] | None = None,
    ) -> None:
        contracts = (contract_for(s, today, ahead) for s in symbols for ahead in range(months))
        self.contracts = {c.id: c for c in contracts}
        self.accounts = {a.id: a for a in (accounts or [Account(12345, "PRAC-V2-12345-1", 50_000.0)])}

    def search(self, text: str) -> list[Contract]:
        needle = text.strip().upper()
        return [
            c for c in self.contracts.values() if needle in c.name.upper() or needle in c.symbol_id.upper()
        ]
