"""Margin tiers of the first dex: parsed from `meta` (documented and recorded shapes), published by the
market collector's families, and changed over scenario time by `margin_tiers` events."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client.metrics_core import Metric

from exporter.collectors.market import market_families
from exporter.hyperliquid.margin import parse_meta_terms
from exporter.hyperliquid.market import parse_meta_and_asset_ctxs
from tests.replay.support import Replay
from tests.support.binaries import REPO_ROOT

# The reference's meta example (hyperliquid-api.md A.2), with the tiered table it shows.
META: dict[str, Any] = {
    "universe": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 50, "marginTableId": 50},
        {"name": "SOL", "szDecimals": 2, "maxLeverage": 10, "marginTableId": 51},
        {"name": "DOGE", "szDecimals": 0, "maxLeverage": 20, "marginTableId": 20},
        {"name": "LOOM", "szDecimals": 1, "maxLeverage": 3, "isDelisted": True, "marginTableId": 3},
    ],
    "marginTables": [
        [50, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 50}]}],
        [
            51,
            {
                "description": "tiered 10x",
                "marginTiers": [
                    {"lowerBound": "0.0", "maxLeverage": 10},
                    {"lowerBound": "3000000.0", "maxLeverage": 5},
                ],
            },
        ],
    ],
    "collateralToken": 0,
}


def test_each_coin_gets_its_tables_tiers_and_maintenance_margins() -> None:
    terms = parse_meta_terms(META, "meta")
    assert terms.skipped == ()
    assert terms.collateral_token == 0
    by_coin = {coin.coin: coin for coin in terms.coins}
    assert set(by_coin) == {"BTC", "SOL", "DOGE"}  # delisted LOOM has no tiers worth publishing
    assert [t.maintenance_margin_ratio for t in by_coin["BTC"].tiers] == [0.01]
    assert [(t.lower_bound_usd, t.maintenance_margin_ratio) for t in by_coin["SOL"].tiers] == [
        (0.0, 0.05),
        (3_000_000.0, 0.1),
    ]
    # Table 20 is not listed: one tier at the coin's own maximum leverage.
    assert by_coin["DOGE"].table_id == 20
    assert [t.max_leverage for t in by_coin["DOGE"].tiers] == [20]


def test_the_2023_recording_without_tables_parses_to_single_tiers() -> None:
    recorded = json.loads((REPO_ROOT / "tests/fixtures/hyperliquid-recorded/test_get_info.json").read_text())
    terms = parse_meta_terms(recorded["response"], "meta")
    assert terms.skipped == ()
    assert terms.tables == ()
    assert terms.collateral_token is None
    btc = next(coin for coin in terms.coins if coin.coin == "BTC")
    assert btc.table_id is None
    assert [t.maintenance_margin_ratio for t in btc.tiers] == [0.01]


def test_a_malformed_table_costs_that_table_only() -> None:
    meta = {**META, "marginTables": [*META["marginTables"], [52, {"marginTiers": [{"lowerBound": "x"}]}]]}
    terms = parse_meta_terms(meta, "meta")
    assert len(terms.skipped) == 1
    assert {table.table_id for table in terms.tables} == {50, 51}


def samples(families: list[Metric], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in families
        if family.name == name
        for sample in family.samples
    }


def test_the_first_dex_publishes_margin_tiers_without_a_dex_label_and_builder_dexes_with_one() -> None:
    ctx = {"markPx": "1", "oraclePx": "1", "funding": "0", "openInterest": "1"}
    data = parse_meta_and_asset_ctxs([META, [ctx, ctx, ctx, {}]])
    first = market_families(data, 10)
    assert (
        samples(first, "hyperliquid_market_maintenance_margin_ratio")[(("coin", "SOL"), ("tier", "1"))] == 0.1
    )
    assert samples(first, "hyperliquid_market_margin_table")[(("coin", "SOL"),)] == 51
    assert (
        samples(first, "hyperliquid_margin_table_tier_lower_bound_usd")[(("table", "51"), ("tier", "1"))]
        == 3e6
    )
    builder = market_families(data, 10, dex="xyz")
    ratios = samples(builder, "hyperliquid_market_maintenance_margin_ratio")
    assert ratios[(("coin", "SOL"), ("dex", "xyz"), ("tier", "1"))] == 0.1
    assert all(dict(labels).get("dex") == "xyz" for labels in ratios)


def test_a_margin_tiers_event_moves_the_coin_to_a_new_table() -> None:
    replay = Replay(
        {
            "name": "tiers",
            "market": {"baseline": False, "coins": [{"name": "BTC", "price": 95000, "max_leverage": 40}]},
            "hlp": {"children": []},
            "events": [
                {"at": 60, "kind": "margin_tiers", "coin": "BTC", "tiers": [[0, 20], [150000000, 10]]}
            ],
        }
    )
    before = parse_meta_terms(replay.at(30).info({"type": "meta"}), "meta")
    after = parse_meta_terms(replay.at(90).info({"type": "meta"}), "meta")
    assert [t.maintenance_margin_ratio for t in before.coins[0].tiers] == [0.0125]
    assert [(t.lower_bound_usd, t.maintenance_margin_ratio) for t in after.coins[0].tiers] == [
        (0.0, 0.025),
        (150_000_000.0, 0.05),
    ]
    assert after.coins[0].table_id != before.coins[0].table_id
