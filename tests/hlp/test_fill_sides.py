"""Which side of a liquidation or ADL a fill is on, and what each side counts as, on the real record.

The ADL fill is the real one of 10 Oct 2025 21:16:04.831 UTC (tests/fixtures/node/); the liquidator's
own side is built in the recorded shape (Liquidated Cross Long, naming itself, negative closedPnl,
sharing the trade's tid and hash: hyperliquid-api.md "Liquidation marker").
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.collectors.fill_events import EventCounters
from exporter.hyperliquid.fills import FillSide, parse_fills
from tests.support.binaries import FIXTURES_DIR

HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
OTHER = "0xabc0000000000000000000000000000000000001"
MAKERS = ("0x1110000000000000000000000000000000000001", "0x2220000000000000000000000000000000000002")


def recorded_block() -> dict[str, Any]:
    document = json.loads((FIXTURES_DIR / "node" / "adl_block_758800641.json").read_text())
    line: dict[str, Any] = document["line"]
    return line


def recorded_adl() -> tuple[str, dict[str, Any]]:
    user, fill = recorded_block()["events"][0]
    return user, fill


def liquidators_side(adl: dict[str, Any]) -> dict[str, Any]:
    """The other side of the recorded ADL trade: HLP Liquidator's own long closed, naming itself."""
    return {
        **adl,
        "side": "A",
        "dir": "Liquidated Cross Long",
        "startPosition": "1000.0",
        "closedPnl": "-210.5",
        "oid": adl["oid"] + 1,
        "liquidation": {"liquidatedUser": HLP_LIQUIDATOR, "markPx": "22.025", "method": "backstop"},
    }


def counters_showing(*coins: str) -> EventCounters:
    counters = EventCounters(is_liquidator=lambda account: account == HLP_LIQUIDATOR)
    counters.liquidations.published((coin, method) for coin in coins for method in ("market", "backstop"))
    counters.auto_deleverages.published(coins)
    return counters


def test_the_recorded_adl_fill_is_the_deleveraged_accounts_side() -> None:
    user, raw = recorded_adl()
    [fill] = parse_fills([raw]).fills
    assert fill.side_for(user) is FillSide.DELEVERAGED
    assert fill.liquidation is not None
    assert fill.liquidation.liquidated_user == HLP_LIQUIDATOR
    assert fill.liquidation.mark_price_usd == 22.025
    assert (fill.closed_pnl_usd, fill.fee_usd) == (194.275035, 0.0)
    assert fill.notional_usd == pytest.approx(22.075 * 28.53)


def test_the_liquidators_own_side_is_liquidated_and_counts_as_venue_adl() -> None:
    _, raw = recorded_adl()
    [own] = parse_fills([liquidators_side(raw)]).fills
    assert own.side_for(HLP_LIQUIDATOR) is FillSide.LIQUIDATED
    counters = counters_showing("AVAX")
    counters.add(HLP_LIQUIDATOR, own)
    assert counters.auto_deleverages.get("AVAX").count == 1
    assert counters.liquidations.series() == set()  # never a backstop takeover
    assert counters.account_liquidations[(HLP_LIQUIDATOR, "AVAX")].count == 1
    assert counters.realized_loss.series() == {HLP_LIQUIDATOR}


def test_both_sides_of_one_adl_trade_count_once_and_each_account_its_own() -> None:
    user, raw = recorded_adl()
    [adl] = parse_fills([raw]).fills
    [own] = parse_fills([liquidators_side(raw)]).fills
    assert adl.trade_key == own.trade_key
    counters = counters_showing("AVAX")
    counters.add(user, adl)
    counters.add(HLP_LIQUIDATOR, own)
    assert counters.auto_deleverages.get("AVAX").count == 1
    assert counters.auto_deleverages.get("AVAX").notional_usd == pytest.approx(adl.notional_usd)
    assert counters.account_deleverages[(user, "AVAX")].count == 1
    assert counters.covered_losses[(user, "AVAX")].liquidated_user == HLP_LIQUIDATOR
    # Realized PnL by account: the deleveraged side gained, the liquidator lost.
    counters.realized_profit.published([user])
    counters.realized_loss.published([HLP_LIQUIDATOR])
    assert counters.realized_profit.get(user).notional_usd == pytest.approx(194.275035)
    assert counters.realized_loss.get(HLP_LIQUIDATOR).notional_usd == pytest.approx(210.5)


def test_a_backstop_takeover_is_a_liquidation_never_adl() -> None:
    takeover = {
        "coin": "SOL", "px": "67.5499", "sz": "100.0", "side": "B", "time": 1_760_130_900_000,
        "dir": "Liquidated Cross Long", "closedPnl": "0.0", "hash": "0x" + "ab" * 32, "oid": 1,
        "crossed": True, "fee": "0.0", "tid": 77,
        "liquidation": {"liquidatedUser": OTHER, "markPx": "68.2", "method": "backstop"},
    }  # fmt: skip
    [fill] = parse_fills([takeover]).fills
    assert fill.side_for(HLP_LIQUIDATOR) is FillSide.TAKEOVER
    counters = counters_showing("SOL")
    counters.add(HLP_LIQUIDATOR, fill)
    assert counters.liquidations.get(("SOL", "backstop")).count == 1
    assert counters.auto_deleverages.get("SOL").count == 0
    assert dict(counters.account_liquidations) == {}


def test_a_market_liquidation_counts_once_across_makers_and_the_liquidated_account() -> None:
    shared = {"coin": "ETH", "side": "B", "time": 1_760_130_901_000, "closedPnl": "0.0",
              "hash": "0x" + "cd" * 32, "crossed": False, "fee": "-0.1"}  # fmt: skip
    marker = {"liquidatedUser": OTHER, "markPx": "3900.0", "method": "market"}
    makers = [
        {**shared, "px": "3890.0", "sz": "1.0", "dir": "Open Long", "oid": 10 + k, "tid": 500 + k,
         "liquidation": marker}
        for k in range(2)
    ]  # fmt: skip
    own = [
        {**shared, "side": "A", "px": "3890.0", "sz": "1.0", "dir": "Liquidated Cross Long", "oid": 20,
         "tid": 500 + k, "closedPnl": "-50.0", "liquidation": marker}
        for k in range(2)
    ]  # fmt: skip
    counters = counters_showing("ETH")
    for maker, raw in zip(MAKERS, makers, strict=True):
        counters.count(maker, parse_fills([raw]).fills)
        assert parse_fills([raw]).fills[0].side_for(maker) is FillSide.TAKEOVER
    counters.count(OTHER, parse_fills(own).fills)  # a watched account's own side of the same trades
    assert parse_fills(own).fills[0].side_for(OTHER) is FillSide.LIQUIDATED
    totals = counters.liquidations.get(("ETH", "market"))
    assert totals.count == 1
    assert totals.notional_usd == pytest.approx(2 * 3890.0)  # each trade's notional once
    assert counters.account_liquidations[(OTHER, "ETH")].count == 2
    assert counters.auto_deleverages.get("ETH").count == 0


def test_a_first_event_in_an_unshown_coin_waits_for_its_zero() -> None:
    user, raw = recorded_adl()
    [adl] = parse_fills([raw]).fills
    counters = EventCounters()
    counters.add(user, adl)
    assert counters.auto_deleverages.get("AVAX").count == 0  # held back: not on /metrics yet
    assert "AVAX" in counters.coins
    counters.auto_deleverages.published(["AVAX"])
    assert counters.auto_deleverages.get("AVAX").count == 1
