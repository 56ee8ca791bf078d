"""One contract's market, seeded: a price on the tick grid, a book that is never crossed, trades
at prices the book allows, a session volume that only grows.

Everything is a pure function of the seed and the order of calls; wall-clock time comes from the
injected ``clock`` only for timestamps, so with a fixed clock the same seed gives the same bytes.
Payload keys are the Gateway's (``GatewayQuote``, ``GatewayTrade``, ``GatewayDepth`` data).
"""

from __future__ import annotations

import random
from collections import abc
from datetime import UTC, datetime
from typing import Any

from .catalog import Contract

BOOK_LEVELS = 10  # price levels per side

# DomType (project-x-py types/market_data.py)
DOM_ASK, DOM_BID, DOM_BEST_ASK, DOM_BEST_BID, DOM_TRADE, DOM_RESET = 1, 2, 3, 4, 5, 6
BUY, SELL = 0, 1  # TradeLogType: aggressor side


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


class ContractMarket:
    def __init__(self, contract: Contract, seed: int, clock: abc.Callable[[], float]) -> None:
        self.contract = contract
        self.clock = clock
        self._rng = random.Random(f"{seed}:{contract.id}")
        self.bid_ticks = round(contract.base_price / contract.tick_size)  # best bid, in ticks
        self.spread_ticks = 1
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self._refill_book()
        self.open = self.high = self.low = self.last = self.price(self.bid_ticks)
        self.volume = 0

    # -- prices --------------------------------------------------------------------------------

    def price(self, ticks: int) -> float:
        return round(ticks * self.contract.tick_size, 10)

    @property
    def best_bid(self) -> float:
        return self.price(max(self.bids))

    @property
    def best_ask(self) -> float:
        return self.price(min(self.asks))

    def _refill_book(self) -> None:
        """Rebuild levels around the best bid/ask, keeping sizes of levels that survive."""
        top_ask = self.bid_ticks + self.spread_ticks
        bids = {
            self.bid_ticks - i: self.bids.get(self.bid_ticks - i) or self._size() for i in range(BOOK_LEVELS)
        }
        asks = {top_ask + i: self.asks.get(top_ask + i) or self._size() for i in range(BOOK_LEVELS)}
        self.bids, self.asks = bids, asks

    def _size(self) -> int:
        return self._rng.randint(1, 40)

    # -- events --------------------------------------------------------------------------------

    def step_price(self) -> list[dict[str, Any]]:
        """Move the market one step; the depth entries that changed."""
        move = self._rng.choice((-1, 0, 0, 0, 1))
        self.spread_ticks = 1 if self._rng.random() < 0.85 else 2
        old_bids, old_asks = self.bids, self.asks
        self.bid_ticks += move
        self._refill_book()
        return self._depth_changes(old_bids, old_asks)

    def churn_depth(self) -> list[dict[str, Any]]:
        """Resting size changes at one level, no price move; the depth entries that changed
        (the level, and the best bid/ask entry too when the level is the touch)."""
        side = self._rng.choice((DOM_BID, DOM_ASK))
        book = self.bids if side == DOM_BID else self.asks
        ticks = self._rng.choice(sorted(book))
        book[ticks] = self._size()
        now = iso(self.clock())
        changes = [self._level(side, ticks, book[ticks], now)]
        touch = max(self.bids) if side == DOM_BID else min(self.asks)
        if ticks == touch:
            changes.append(
                self._level(DOM_BEST_BID if side == DOM_BID else DOM_BEST_ASK, ticks, book[ticks], now)
            )
        return changes

    def quote(self) -> dict[str, Any]:
        now = iso(self.clock())
        return {
            "symbol": self.contract.symbol_id,
            "symbolName": f"/{self.contract.symbol}",
            "lastPrice": self.last,
            "bestBid": self.best_bid,
            "bestAsk": self.best_ask,
            "change": round(self.last - self.open, 10),
            "changePercent": round((self.last - self.open) / self.open, 6),
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "volume": self.volume,
            "lastUpdated": now,
            "timestamp": now,
        }

    def trade(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One aggressive trade at the touch, taking size from the book: the trade list (one
        trade per message: the SDK's data manager reads only element [1] of longer lists) and
        the depth entries the trade changed (the touch level and its best bid/ask entry)."""
        side = self._rng.choice((BUY, SELL))
        book, ticks = (self.asks, min(self.asks)) if side == BUY else (self.bids, max(self.bids))
        size = min(book[ticks], self._rng.randint(1, 5))
        book[ticks] -= size
        if book[ticks] == 0:
            book[ticks] = self._size()  # the level refreshes at once: the book stays two-sided
        trade = self.record_trade(self.price(ticks), size, side)
        kind, best = (DOM_ASK, DOM_BEST_ASK) if side == BUY else (DOM_BID, DOM_BEST_BID)
        now = trade["timestamp"]
        depth = [self._level(kind, ticks, book[ticks], now), self._level(best, ticks, book[ticks], now)]
        return [trade], depth

    def record_trade(self, price: float, size: int, side: int) -> dict[str, Any]:
        self.last = price
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.volume += size
        return {
            "symbolId": self.contract.symbol_id,
            "price": price,
            "timestamp": iso(self.clock()),
            "type": side,
            "volume": size,
        }

    def depth_snapshot(self) -> list[dict[str, Any]]:
        """What a new depth subscriber gets first: a reset, then every level."""
        now = iso(self.clock())
        reset = {"timestamp": now, "type": DOM_RESET, "price": 0.0, "volume": 0, "currentVolume": 0}
        levels = [self._level(DOM_BID, t, s, now) for t, s in sorted(self.bids.items(), reverse=True)]
        levels += [self._level(DOM_ASK, t, s, now) for t, s in sorted(self.asks.items())]
        return [reset, *levels]

    def _level(self, kind: int, ticks: int, size: int, now: str) -> dict[str, Any]:
        return {
            "timestamp": now,
            "type": kind,
            "price": self.price(ticks),
            "volume": size,
            "currentVolume": size,
        }

    def _depth_changes(self, old_bids: dict[int, int], old_asks: dict[int, int]) -> list[dict[str, Any]]:
        now = iso(self.clock())
        changes = []
        for kind, old, new in ((DOM_BID, old_bids, self.bids), (DOM_ASK, old_asks, self.asks)):
            for ticks in sorted(set(old) | set(new)):
                size = new.get(ticks, 0)
                if old.get(ticks) != size:
                    changes.append(self._level(kind, ticks, size, now))
        changes.append(self._level(DOM_BEST_BID, max(self.bids), self.bids[max(self.bids)], now))
        changes.append(self._level(DOM_BEST_ASK, min(self.asks), self.asks[min(self.asks)], now))
        return changes

    def fill_price(self, side: int) -> float:
        """Where a market order of ``side`` (0 buy, 1 sell) fills: the touch it takes."""
        return self.best_ask if side == BUY else self.best_bid

    def bars(self, start: float, end: float, unit_s: float, limit: int) -> list[dict[str, Any]]:
        """History: a seeded walk of bars ending at the current price (oldest first)."""
        count = max(0, min(limit, int((end - start) // unit_s)))
        rng = random.Random(f"bars:{self.contract.id}:{int(start)}:{unit_s}")
        tick = self.contract.tick_size
        close = self.last
        bars = []
        for i in range(count):
            t = end - (i + 1) * unit_s
            move = rng.randint(-8, 8) * tick
            open_ = round(close - move, 10)
            high = round(max(open_, close) + rng.randint(0, 4) * tick, 10)
            low = round(min(open_, close) - rng.randint(0, 4) * tick, 10)
            stamp = datetime.fromtimestamp(t - t % unit_s, UTC).isoformat()
            bars.append({"t": stamp, "o": open_, "h": high, "l": low, "c": close, "v": rng.randint(50, 2000)})
            close = open_
        return bars[::-1]
