"""Stream invariants a trader would check: the book is never crossed, trades print at prices the
book allows, session volume only grows, positions are the sum of fills, same seed => same bytes."""

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from signalr_protocol import JSON, Invocation
from simulator.projectx.catalog import Catalog
from simulator.projectx.market import DOM_ASK, DOM_BID, DOM_RESET, ContractMarket
from simulator.projectx.market_hub import MarketHub
from simulator.projectx.profile import Burst, StreamProfile, parse_burst
from simulator.projectx.streams import StreamCounters
from simulator.projectx.trading import MARKET, Ledger

CATALOG = Catalog(["MNQ", "MGC"], date(2026, 11, 23))
steps = st.lists(st.sampled_from(["price", "trade", "depth"]), max_size=200)


def market(seed: int, symbol_index: int = 0) -> ContractMarket:
    return ContractMarket(list(CATALOG.contracts.values())[symbol_index], seed, clock=lambda: 1_800_000_000.0)


class DepthFollower:
    """A client's book, built only from what the market hub sends: snapshot, then increments."""

    def __init__(self, snapshot: list[dict[str, Any]]) -> None:
        assert snapshot[0]["type"] == DOM_RESET
        self.bids: dict[float, int] = {}
        self.asks: dict[float, int] = {}
        self.apply(snapshot[1:])

    def apply(self, changes: list[dict[str, Any]]) -> None:
        for change in changes:
            book = {DOM_BID: self.bids, DOM_ASK: self.asks}.get(change["type"])
            if book is None:
                continue  # best bid/ask entries repeat a level already sent
            if change["volume"] == 0:
                book.pop(change["price"], None)
            else:
                book[change["price"]] = change["volume"]


@given(seed=st.integers(0, 10**6), actions=steps, which=st.integers(0, 1))
def test_book_never_crossed_trades_inside_it_volume_grows(seed: int, actions: list[str], which: int) -> None:
    m = market(seed, which)
    follower = DepthFollower(m.depth_snapshot())
    volume = m.volume
    for action in actions:
        bid, ask = m.best_bid, m.best_ask
        assert bid < ask
        if action == "price":
            follower.apply(m.step_price())
            assert all(v > 0 for v in (*m.bids.values(), *m.asks.values()))
        elif action == "depth":
            follower.apply(m.churn_depth())
            assert (m.best_bid, m.best_ask) == (bid, ask)  # size changes only
        else:
            [trade], depth = m.trade()
            follower.apply(depth)
            assert trade["price"] in (bid, ask)
            assert m.volume == volume + trade["volume"] > volume
        assert m.volume >= volume
        volume = m.volume
        tick = m.contract.tick_size
        assert abs(m.best_bid / tick - round(m.best_bid / tick)) < 1e-6  # on the tick grid
        # the increments alone keep a client's book equal to the market's, and never crossed
        assert follower.bids == {m.price(t): v for t, v in m.bids.items()}
        assert follower.asks == {m.price(t): v for t, v in m.asks.items()}
        assert max(follower.bids) < min(follower.asks)


@given(seed=st.integers(0, 10**6), actions=steps)
def test_same_seed_same_bytes(seed: int, actions: list[str]) -> None:
    def stream() -> bytes:
        m = market(seed)
        out = []
        for action in actions:
            if action == "price":
                data: Any = (m.step_price(), m.quote())
            else:
                data = m.churn_depth() if action == "depth" else m.trade()
            out.append(JSON.encode(Invocation("x", [m.contract.id, data])))
        return b"".join(out)

    assert stream() == stream()


@settings(max_examples=60)
@given(
    orders=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 5), st.booleans()), max_size=30),
    seed=st.integers(0, 99),
)
def test_positions_are_the_sum_of_fills_and_balance_adds_up(
    orders: list[tuple[int, int, bool]], seed: int
) -> None:
    catalog = Catalog(["MNQ"], date(2026, 11, 23))
    [contract] = catalog.contracts.values()
    markets = {contract.id: ContractMarket(contract, seed, clock=lambda: 1_800_000_000.0)}
    events: list[tuple[str, dict]] = []
    ledger = Ledger(catalog, markets, lambda target, account, payload: events.append((target, payload)))
    start_balance = catalog.accounts[12345].balance
    for side, size, move in orders:
        ledger.place(12345, contract.id, order_type=MARKET, side=side, size=size)
        if move:
            markets[contract.id].step_price()
    fills = [p["data"] for t, p in events if t == "GatewayUserTrade"]
    net = sum(f["size"] if f["side"] == 0 else -f["size"] for f in fills)
    open_positions = ledger.open_positions(12345)
    signed = sum(p["size"] if p["type"] == 1 else -p["size"] for p in open_positions)
    assert signed == net
    realised = sum(f["profitAndLoss"] or 0.0 for f in fills)
    fees = sum(f["fees"] for f in fills)
    assert abs(catalog.accounts[12345].balance - (start_balance + realised - fees)) < 0.011 * max(
        1, len(fills)
    )
    # each fill: order pending, order filled, trade, position, account, in that order
    kinds = [t for t, _ in events]
    assert kinds == [
        "GatewayUserOrder",
        "GatewayUserOrder",
        "GatewayUserTrade",
        "GatewayUserPosition",
        "GatewayUserAccount",
    ] * len(orders)


class Capture:
    """Stands where a Recorder stands: every publication, encoded as a client would get it."""

    def __init__(self) -> None:
        self.out: list[bytes] = []

    def publish(self, hub: str, target: str, key: str, arguments: list[Any]) -> None:
        self.out.append(JSON.encode(Invocation(target, arguments)))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    rates=st.fixed_dictionaries({k: st.floats(0, 50, allow_nan=False) for k in ("quote", "trade", "depth")}),
    burst=st.none()
    | st.builds(
        lambda f, d, s: parse_burst({"factor": f, "duration": d, "start": s, "events": ["trade"]}),
        st.floats(0, 10),
        st.floats(0.1, 2),
        st.floats(0, 3),
    ),
)
def test_same_seed_and_profile_same_hub_stream(
    seed: int, rates: dict[str, float], burst: Burst | None
) -> None:
    profile = StreamProfile(default=rates, bursts=() if burst is None else (burst,))

    def stream(step_s: float) -> list[bytes]:
        markets = {
            cid: ContractMarket(c, seed, clock=lambda: 1_800_000_000.0)
            for cid, c in CATALOG.contracts.items()
        }
        hub = MarketHub(
            markets, profile, StreamCounters(clock=lambda: 1_800_000_000.0), lambda cid: None, seed
        )
        capture = Capture()
        hub.recorder = capture  # type: ignore[assignment]
        for i in range(1, int(4 / step_s) + 1):
            hub.run_until(i * step_s, 10**6)
        return capture.out

    # the same bytes whether the driver wakes every 10 ms or every second (a busy or idle machine)
    assert stream(0.01) == stream(1.0)
