"""Fills as the API reports them: one factory for ids, hashes and fees, and liquidation bursts."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

from exporter.replay.market import CoinTrack, Market
from exporter.replay.scenario import FillsEvent

HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
TAKER_FEE_RATE = 0.00035
MAKER_REBATE_RATE = 0.00003


@dataclass(frozen=True)
class Liquidation:
    liquidated_user: str | None
    mark_px: float
    method: Literal["market", "backstop"]


@dataclass(frozen=True)
class Fill:
    time: float  # scenario seconds; fills of one burst share it, hence one millisecond
    coin: str
    px: float
    sz: float
    side: Literal["B", "A"]
    direction: str
    start_position: float
    closed_pnl: float
    hash: str
    oid: int
    tid: int
    crossed: bool
    fee: float
    liquidation: Liquidation | None = None


class FillMaker:
    """Deterministic tids, oids and hashes from the scenario seed; tids grow with each fill made."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._next_tid = 100_000_000_000_000 + self._rng.randrange(10**12)
        self._next_oid = 40_000_000_000 + self._rng.randrange(10**9)

    def make(
        self,
        time: float,
        coin: str,
        px: float,
        sz: float,
        side: Literal["B", "A"],
        direction: str,
        start_position: float,
        closed_pnl: float,
        crossed: bool,
        liquidation: Liquidation | None,
    ) -> Fill:
        self._next_tid += self._rng.randint(1, 5_000)
        self._next_oid += self._rng.randint(1, 50)
        if liquidation is not None and liquidation.method == "backstop":
            fee = 0.0
        else:
            fee = sz * px * (TAKER_FEE_RATE if crossed else -MAKER_REBATE_RATE)
        return Fill(
            time=time,
            coin=coin,
            px=px,
            sz=sz,
            side=side,
            direction=direction,
            start_position=start_position,
            closed_pnl=closed_pnl,
            hash=f"0x{self._rng.getrandbits(256):064x}",
            oid=self._next_oid,
            tid=self._next_tid,
            crossed=crossed,
            fee=fee,
            liquidation=liquidation,
        )

    def random_address(self) -> str:
        return f"0x{self._rng.getrandbits(160):040x}"


@dataclass(frozen=True)
class BurstFills:
    """A burst's fills on its own account, and (for ADL) the matching fills of the deleveraged accounts."""

    own: list[Fill]
    counterparts: list[Fill]  # counterparts[k] is the other side of own[k] (ADL only)


# An HLP liquidator's loss on the inventory ADL closes, as a share of the notional (a model: the real
# figure is each fill's closedPnl); the deleveraged side gains the matching share.
ADL_LOSS_RATIO = 0.02


def liquidation_burst(
    event: FillsEvent,
    account: str,
    coins: list[CoinTrack],
    market: Market,
    held: dict[str, float],
    maker: FillMaker,
) -> BurstFills:
    """The fills of a `fills` event on `account` (its address); `held` is its position per coin.

    Auto-deleveraging is modelled as the venue records it (Hyperliquid's node-data archive, 10 Oct
    2025; tests/fixtures/node/): the underwater account, here an HLP liquidator, gets `Liquidated
    Cross Long`/`Short` fills whose `liquidation.liquidatedUser` is itself (negative closedPnl), and
    each is matched by an `Auto-Deleveraging` fill of a profitable counterparty with the same `tid`
    and `hash`, naming the underwater account as `liquidatedUser` (method `backstop`).
    """
    own: list[Fill] = []
    counterparts: list[Fill] = []
    running = dict(held)
    for k in range(event.count):
        coin = coins[k % len(coins)]
        time = event.at if event.same_millisecond else event.at + event.spread_over * k / event.count
        mark = market.mark_price(coin, time)
        before = running.get(coin.name, 0.0)
        if event.method == "adl":
            # The real ADL fill: px 22.075 against markPx 22.025 (the previous oracle/mark price).
            px = mark * 1.0023
            direction = f"Liquidated Cross {'Long' if event.side == 'A' else 'Short'}"
            liquidation = Liquidation(account, mark, "backstop")
        elif event.method == "backstop":
            # Documented real backstop fill: SOL px 67.5499 against markPx 68.2.
            px = mark * (0.9905 if event.side == "B" else 1.0095)
            direction = f"Liquidated Cross {'Long' if event.side == 'B' else 'Short'}"
            liquidation = Liquidation(event.liquidated_user or maker.random_address(), mark, "backstop")
        else:
            px = mark * (0.997 if event.side == "B" else 1.003)
            direction = "Open Long" if event.side == "B" else "Open Short"
            liquidation = Liquidation(event.liquidated_user or maker.random_address(), mark, "market")
        step = 10.0**-coin.spec.sz_decimals
        size = max(step, round(event.notional_usd / px, coin.spec.sz_decimals))
        running[coin.name] = before + (size if event.side == "B" else -size)
        crossed = event.method != "market"
        closed_pnl = -size * px * ADL_LOSS_RATIO if event.method == "adl" else 0.0
        fill = maker.make(
            time, coin.name, px, size, event.side, direction, before, closed_pnl, crossed, liquidation
        )
        own.append(fill)
        if event.method == "adl":
            counterparts.append(deleveraged_side(fill, size * px * ADL_LOSS_RATIO))
    return BurstFills(own, counterparts)


def deleveraged_side(fill: Fill, closed_pnl: float) -> Fill:
    """The profitable counterparty's `Auto-Deleveraging` fill of the same trade (start position set later)."""
    other: Literal["B", "A"] = "B" if fill.side == "A" else "A"
    return replace(
        fill,
        side=other,
        direction="Auto-Deleveraging",
        start_position=-fill.sz if other == "B" else fill.sz,
        closed_pnl=closed_pnl,
        oid=fill.oid + 1,
    )
