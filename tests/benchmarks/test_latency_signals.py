"""The detection-latency benchmark's conditions for the criticals added with issue 15, on hand-made
timelines: each must hold exactly when its alerting rule's expression would."""

from __future__ import annotations

from benchmarks.latency_signals import (
    ACCOUNT_INFO,
    AUTO_DELEVERAGES,
    LIQUIDATIONS,
    MARK,
    MARKET_INFO,
    OPEN_INTEREST_SIZE,
    OPEN_INTEREST_USD,
    ORACLE,
    POSITION_NOTIONAL,
    builder_dex_oracle_walk,
    cascade_breadth,
    first_backstop_or_adl_fill_at,
    liquidation_cascade,
    market_delisted,
    plans,
)
from benchmarks.latency_timeline import Sample, Timeline, View, snapshot_of

COINS = ("BTC", "ETH", "SOL", "HYPE", "AVAX", "XRP")


def _market(price: float, open_interest: float, coins: tuple[str, ...] = COINS) -> list[Sample]:
    samples = []
    for coin in coins:
        samples += [
            Sample(MARK, {"coin": coin, "quote": "USDT"}, price),
            Sample(OPEN_INTEREST_SIZE, {"coin": coin}, open_interest),
            Sample(OPEN_INTEREST_USD, {"coin": coin}, open_interest * price),
        ]
    return samples


def _timeline(*snapshots: tuple[float, list[Sample]]) -> Timeline:
    timeline = Timeline()
    for at, samples in snapshots:
        timeline.add(at, snapshot_of(samples))
    return timeline


def _holds(condition: object, timeline: Timeline, at: float) -> bool:
    assert callable(condition)
    return bool(condition(View(timeline, at)))


def test_cascade_breadth_needs_five_coins_with_open_interest_and_price_down_five_percent() -> None:
    timeline = _timeline(
        (0.0, _market(100.0, 100_000.0)),
        (300.0, _market(94.0, 94_000.0)),
        (301.0, _market(94.0, 94_000.0, COINS[:4]) + _market(100.0, 100_000.0, COINS[4:])),
    )
    assert _holds(cascade_breadth, timeline, 300.0)
    assert not _holds(cascade_breadth, timeline, 301.0)  # four coins moved
    assert not _holds(cascade_breadth, timeline, 0.0)  # nothing 5 minutes earlier


def test_cascade_breadth_counts_a_short_squeeze_and_ignores_small_books() -> None:
    squeeze = _timeline((0.0, _market(100.0, 100_000.0)), (300.0, _market(106.0, 94_000.0)))
    small = _timeline((0.0, _market(1.0, 100_000.0)), (300.0, _market(0.9, 94_000.0)))
    assert _holds(cascade_breadth, squeeze, 300.0)
    assert not _holds(cascade_breadth, small, 300.0)  # under $1M of open interest


def test_liquidation_cascade_also_needs_backstop_or_adl_within_five_minutes() -> None:
    signal = liquidation_cascade()
    adl = Sample(AUTO_DELEVERAGES, {"coin": "BTC"}, 0.0)
    backstop = Sample(LIQUIDATIONS, {"coin": "BTC", "method": "backstop"}, 3.0)
    market = Sample(LIQUIDATIONS, {"coin": "BTC", "method": "market"}, 9.0)
    crashed = _market(94.0, 94_000.0)
    timeline = _timeline(
        (0.0, [*_market(100.0, 100_000.0), adl]),
        (300.0, [*crashed, adl, market]),
        (301.0, [*crashed, adl, market, backstop]),
    )
    assert not _holds(signal.condition, timeline, 300.0)  # only market liquidations
    assert _holds(signal.condition, timeline, 301.0)
    assert signal.probed_part is cascade_breadth


def test_market_delisted_needs_a_monitored_position_in_the_last_fifteen_minutes() -> None:
    signal = market_delisted("DLX")
    hlp = Sample(ACCOUNT_INFO, {"account": "0xhlp", "role": "hlp"}, 1.0)
    other = Sample(ACCOUNT_INFO, {"account": "0xother", "role": "vault"}, 1.0)
    listed = Sample(MARKET_INFO, {"coin": "DLX", "delisted": "false"}, 1.0)
    delisted = Sample(MARKET_INFO, {"coin": "DLX", "delisted": "true"}, 1.0)
    held = Sample(POSITION_NOTIONAL, {"account": "0xhlp", "coin": "DLX"}, 1_500_000.0)
    held_by_other = Sample(POSITION_NOTIONAL, {"account": "0xother", "coin": "DLX"}, 1_500_000.0)
    timeline = _timeline((0.0, [hlp, listed, held]), (300.0, [hlp, delisted]))
    assert not _holds(signal.condition, timeline, 0.0)
    assert _holds(signal.condition, timeline, 300.0)  # the settlement closed the position
    assert not _holds(signal.condition, timeline, 1000.0)  # only held more than 15 minutes ago
    unmonitored = _timeline((0.0, [other, listed, held_by_other]), (300.0, [other, delisted]))
    assert not _holds(signal.condition, unmonitored, 300.0)


def test_builder_dex_oracle_walk_needs_the_mark_lagging_against_the_move() -> None:
    signal = builder_dex_oracle_walk("xyz:TSLA")

    def prices(oracle: float, mark: float, dex: str = "xyz") -> list[Sample]:
        labels = {"coin": f"{dex}:TSLA", "quote": "USDC", "dex": dex}
        return [Sample(ORACLE, labels, oracle), Sample(MARK, labels, mark)]

    timeline = _timeline(
        (0.0, prices(100.0, 100.0)),
        (60.0, prices(103.1, 101.5)),  # +3.1 % while the mark lags 1.55 % behind
        (61.0, prices(103.1, 103.0)),  # the book followed
    )
    assert _holds(signal.condition, timeline, 60.0)
    assert not _holds(signal.condition, timeline, 61.0)
    first_dex = _timeline((0.0, prices(100.0, 100.0, dex="")), (60.0, prices(103.1, 101.5, dex="")))
    assert not _holds(builder_dex_oracle_walk(None).condition, first_dex, 60.0)  # builder dexes only


def test_plans_time_every_critical_without_for_that_the_api_drives() -> None:
    timed = {
        watch.alertname
        for plan in plans().values()
        for watch in plan.watches
        if watch.severity == "critical" and watch.without_for
    }
    assert timed == {
        "HyperliquidAccountAutoDeleveraged",
        "HyperliquidAutoDeleveraging",
        "HyperliquidHLPBackstopTakeover",
        "HyperliquidLiquidationCascade",
        "HyperliquidMarketDelisted",
    }
    assert first_backstop_or_adl_fill_at("cascade-2025-10-10") == 34.0
