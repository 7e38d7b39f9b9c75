"""Market parsers against real recordings and the documented examples (incl. nulls and delisted coins)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fills import parse_listed_coins
from exporter.hyperliquid.market import parse_meta_and_asset_ctxs, parse_open_interest_caps
from tests.support.binaries import FIXTURES_DIR

RECORDED = FIXTURES_DIR / "hyperliquid-recorded"

# The documented metaAndAssetCtxs example, plus a delisted coin (documented meta flags), a thin-book
# coin whose midPx, premium and impactPxs are null, and a newer context carrying dayBaseVlm.
DOCUMENTED_META = {
    "universe": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 50, "marginTableId": 50},
        {
            "name": "LOOM",
            "szDecimals": 1,
            "maxLeverage": 3,
            "isDelisted": True,
            "onlyIsolated": True,
            "marginMode": "strictIsolated",
        },
        {"name": "THIN", "szDecimals": 0, "maxLeverage": 3, "marginMode": "noCross"},
        {"name": "OLDISO", "szDecimals": 2, "maxLeverage": 10, "onlyIsolated": True},
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
DOCUMENTED_CTX = {
    "dayNtlVlm": "1169046.29406",
    "funding": "0.0000125",
    "impactPxs": ["14.3047", "14.3444"],
    "markPx": "14.3161",
    "midPx": "14.314",
    "openInterest": "688.11",
    "oraclePx": "14.32",
    "premium": "0.00031774",
    "prevDayPx": "15.322",
}
THIN_CTX = {
    "dayNtlVlm": "0.0",
    "funding": "0.0",
    "impactPxs": None,
    "markPx": "0.5",
    "midPx": None,
    "openInterest": "0.0",
    "oraclePx": "0.51",
    "premium": None,
    "prevDayPx": "0.5",
    "dayBaseVlm": "0.0",
}
# A delisted coin's context is stale and may be anything; it is never read.
DELISTED_CTX = {"markPx": None, "oraclePx": "0.0"}


def documented_response() -> list[Any]:
    return [DOCUMENTED_META, [DOCUMENTED_CTX, DELISTED_CTX, THIN_CTX, {**DOCUMENTED_CTX, "funding": -0.0001}]]


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())["response"]


def test_recorded_meta_lists_every_coin_of_2023() -> None:
    """The fills collector's universe, read from `meta` when the market collector is off."""
    listed = parse_listed_coins(recorded("test_get_info.json"))
    assert listed.malformed == 0
    assert len(listed.coins) == 28
    assert listed.coins[0] == "BTC"
    assert "kPEPE" in listed.coins


def test_documented_meta_and_asset_ctxs() -> None:
    data = parse_meta_and_asset_ctxs(documented_response())
    assert data.skipped == ()
    btc, loom, thin, old = data.perps
    assert btc.context is not None
    assert btc.context.mark_price == 14.3161
    assert btc.context.oracle_price == 14.32
    assert btc.context.mid_price == 14.314
    assert btc.context.funding_rate == 0.0000125
    assert btc.context.premium == 0.00031774
    assert (btc.context.impact_bid, btc.context.impact_ask) == (14.3047, 14.3444)
    assert btc.context.open_interest == 688.11
    assert btc.context.open_interest_usd == pytest.approx(688.11 * 14.3161)
    assert btc.context.day_notional_volume == 1169046.29406
    assert loom.spec.delisted
    assert loom.spec.margin_mode == "strict_isolated"
    assert loom.context is None
    assert thin.spec.margin_mode == "no_cross"
    assert thin.context is not None
    assert (thin.context.mid_price, thin.context.premium, thin.context.impact_bid) == (None, None, None)
    assert old.spec.margin_mode == "isolated"  # the deprecated onlyIsolated flag alone
    assert old.context is not None
    assert old.context.funding_rate == -0.0001
    assert data.listed == ("BTC", "THIN", "OLDISO")


def test_one_null_impact_side_keeps_the_other() -> None:
    ctx = {**DOCUMENTED_CTX, "impactPxs": ["14.3", None]}
    data = parse_meta_and_asset_ctxs([{"universe": [{"name": "BTC"}]}, [ctx]])
    context = data.perps[0].context
    assert context is not None
    assert (context.impact_bid, context.impact_ask) == (14.3, None)
    assert data.perps[0].spec.max_leverage is None


@pytest.mark.parametrize(
    ("bad_ctx", "path"),
    [
        ({**DOCUMENTED_CTX, "markPx": "n/a"}, "$[1][0].markPx"),
        ({**DOCUMENTED_CTX, "oraclePx": None}, "$[1][0].oraclePx"),
        ({**DOCUMENTED_CTX, "impactPxs": ["1"]}, "$[1][0].impactPxs"),
        ({**DOCUMENTED_CTX, "openInterest": "inf"}, "$[1][0].openInterest"),
        ("not an object", "$[1][0]"),
    ],
)
def test_malformed_context_costs_only_that_coins_values(bad_ctx: Any, path: str) -> None:
    meta = {"universe": [{"name": "BAD"}, {"name": "ETH"}]}
    data = parse_meta_and_asset_ctxs([meta, [bad_ctx, DOCUMENTED_CTX]])
    assert [error.path for error in data.skipped] == [path]
    bad, eth = data.perps
    assert bad.spec.name == "BAD"
    assert bad.context is None
    assert eth.context is not None
    assert eth.context.mark_price == 14.3161


@pytest.mark.parametrize(
    "bad_entry",
    [
        {"szDecimals": 1},
        {"name": ""},
        {"name": 7},
        {"name": "X", "isDelisted": "yes"},
        {"name": "X", "marginMode": "a b"},
    ],
)
def test_malformed_universe_entry_is_skipped_with_its_context(bad_entry: Any) -> None:
    meta = {"universe": [bad_entry, {"name": "ETH"}]}
    data = parse_meta_and_asset_ctxs([meta, [DOCUMENTED_CTX, DOCUMENTED_CTX]])
    assert len(data.skipped) == 1
    assert [perp.spec.name for perp in data.perps] == ["ETH"]


def test_duplicate_coin_keeps_the_first() -> None:
    meta = {"universe": [{"name": "ETH"}, {"name": "ETH"}]}
    data = parse_meta_and_asset_ctxs([meta, [DOCUMENTED_CTX, {**DOCUMENTED_CTX, "markPx": "1"}]])
    assert [perp.spec.name for perp in data.perps] == ["ETH"]
    assert data.perps[0].context is not None
    assert data.perps[0].context.mark_price == 14.3161
    assert "duplicate" in str(data.skipped[0])


def test_unknown_future_margin_mode_is_kept_in_snake_case() -> None:
    data = parse_meta_and_asset_ctxs(
        [{"universe": [{"name": "X", "marginMode": "someNewMode"}]}, [DOCUMENTED_CTX]]
    )
    assert data.perps[0].spec.margin_mode == "some_new_mode"


@pytest.mark.parametrize(
    ("response", "path"),
    [
        ({"universe": []}, "$"),
        ([DOCUMENTED_META], "$"),
        ([{"universe": "x"}, []], "$[0].universe"),
        ([DOCUMENTED_META, {}], "$[1]"),
        ([DOCUMENTED_META, [DOCUMENTED_CTX]], "$[1]"),  # 1 context for 4 coins: pairing unknowable
        (None, "$"),
    ],
)
def test_wrong_top_level_shape_fails_the_poll(response: Any, path: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_meta_and_asset_ctxs(response)
    assert caught.value.path == path
    assert caught.value.request_type == "metaAndAssetCtxs"


def test_open_interest_caps_documented_example() -> None:
    caps = parse_open_interest_caps(["BADGER", "CANTO", "FTM", "LOOM", "PURR"])
    assert caps.coins == {"BADGER", "CANTO", "FTM", "LOOM", "PURR"}
    assert parse_open_interest_caps([]).coins == frozenset()


def test_open_interest_caps_skips_non_names_and_rejects_non_lists() -> None:
    caps = parse_open_interest_caps(["BTC", 3, None, ""])
    assert caps.coins == {"BTC"}
    assert [error.path for error in caps.skipped] == ["$[1]", "$[2]", "$[3]"]
    with pytest.raises(ParseError):
        parse_open_interest_caps({"coins": ["BTC"]})
