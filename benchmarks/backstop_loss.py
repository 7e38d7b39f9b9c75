"""HLP's projected backstop loss in each scenario, as `coin:hyperliquid_hlp_projected_backstop_loss_usd:sum`
computes it, from the simulator's own `clearinghouseState` and `l2Book` bodies (no servers): for the three
largest watched positions in a coin by notional at their liquidation price, the part the book's side
within 2 % cannot absorb, times the move it implies (2 % per book's worth of excess, at least 2 %, at most
100 %). Prints each coin's highest value over the scenario's first hour, when it was reached, and the
takeover notional of positions whose coin has no measured depth (`parse_depth` gives none for a book with
an empty side, as jelly-2025-03-26's JELLY). HyperliquidManipulationRisk's loss threshold sits between
the ordinary scenarios' values and the build-ups'.

    PYTHONPATH=. .venv/bin/python -m benchmarks.backstop_loss
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass

from exporter.hyperliquid.book import parse_depth
from exporter.replay.clock import ScenarioClock
from exporter.replay.info_accounts import AccountBodies
from exporter.replay.info_market import MarketBodies
from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline

SCENARIOS = (
    "calm",
    "usdt-depeg-2022-05",
    "usdc-depeg-2023-03-11",
    "venue-wide-crash",
    "cascade-2025-10-10",
    "eth-whale-2025-03-12",
    "watched-whale",
    "oracle-deviation",
    "jelly-2025-03-26",
    "jelly-buildup",
    "popcat-buildup",
)
STEP_SECONDS = 60
BAND = 0.02
LARGEST = 3


@dataclass(frozen=True)
class Takeover:
    """A watched position as the backstop would take it over: its notional at the liquidation price and
    the book side HLP would trade to exit it (a long is sold into the bids, a short bought from the asks)."""

    coin: str
    side: str
    notional: float


def position_loss(notional: float, depth: float) -> float:
    """The rule's loss for one position: the excess over the book's side within 2 %, times 2 % per
    book's worth of excess, at least 2 % and at most the whole excess."""
    excess = max(notional - depth, 0.0)
    move = 1.0 if depth <= 0 else min(max(BAND * excess / depth, BAND), 1.0)
    return excess * move


def coin_losses(
    takeovers: list[Takeover], depth: dict[tuple[str, str], float]
) -> tuple[dict[str, float], dict[str, float]]:
    """(loss per coin, takeover notional per coin left out for want of a book), over each coin's three
    largest takeovers."""
    by_coin: dict[str, list[Takeover]] = defaultdict(list)
    for takeover in takeovers:
        by_coin[takeover.coin].append(takeover)
    losses: dict[str, float] = {}
    unmeasured: dict[str, float] = {}
    for coin, held in by_coin.items():
        for takeover in sorted(held, key=lambda t: t.notional, reverse=True)[:LARGEST]:
            side_depth = depth.get((coin, takeover.side))
            if side_depth is None:
                unmeasured[coin] = unmeasured.get(coin, 0.0) + takeover.notional
            else:
                losses[coin] = losses.get(coin, 0.0) + position_loss(takeover.notional, side_depth)
    return losses, unmeasured


def takeovers_at(accounts: AccountBodies, addresses: list[str], now: float) -> list[Takeover]:
    found = []
    for address in addresses:
        for entry in accounts.clearinghouse_state(address, now)["assetPositions"]:
            position = entry["position"]
            if position["liquidationPx"] is None:
                continue
            size = float(position["szi"])
            side = "bid" if size > 0 else "ask"
            found.append(Takeover(position["coin"], side, abs(size) * float(position["liquidationPx"])))
    return found


def depth_at(market: MarketBodies, coins: set[str], now: float) -> dict[tuple[str, str], float]:
    depth: dict[tuple[str, str], float] = {}
    for coin in coins:
        parsed = parse_depth(market.l2_book(now, coin))
        if parsed is not None:
            for side in ("bid", "ask"):
                depth[(coin, side)] = parsed[(side, BAND)]
    return depth


def highest_losses(name: str) -> dict[str, tuple[float, int, float]]:
    """coin -> (highest loss, scenario second reached, highest unmeasured takeover notional)."""
    scenario = load_scenario(name)
    timeline = Timeline(scenario)
    clock = ScenarioClock()
    accounts = AccountBodies(timeline, clock)
    market = MarketBodies(timeline.market, clock)
    watched = [account.address for account in scenario.accounts]
    highest: dict[str, tuple[float, int, float]] = {}
    for t in range(0, int(min(scenario.duration, 3600)) + 1, STEP_SECONDS):
        takeovers = takeovers_at(accounts, watched, float(t))
        losses, unmeasured = coin_losses(
            takeovers, depth_at(market, {takeover.coin for takeover in takeovers}, float(t))
        )
        for coin in set(losses) | set(unmeasured):
            loss, at, left_out = highest.get(coin, (0.0, t, 0.0))
            if losses.get(coin, 0.0) > loss:
                loss, at = losses[coin], t
            highest[coin] = (loss, at, max(left_out, unmeasured.get(coin, 0.0)))
    return highest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    for name in parser.parse_args().scenario or SCENARIOS:
        highest = highest_losses(name)
        shown = (
            "; ".join(
                f"{coin} ${loss:,.0f} at {at} s" + (f" (${left:,.0f} unmeasured)" if left else "")
                for coin, (loss, at, left) in sorted(highest.items())
            )
            or "no watched position with a liquidation price"
        )
        print(f"{name:24} {shown}")


if __name__ == "__main__":
    main()
