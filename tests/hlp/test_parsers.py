"""Parsing real recorded responses and the documented shapes; malformed items cost only themselves."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.hyperliquid.accounts import parse_clearinghouse_state
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fills import FillSide, parse_fills, parse_listed_coins
from exporter.hyperliquid.vaults import parse_portfolio, parse_vault_details
from tests.hlp.fake_hyperliquid import HLP, STRATEGIES, fill, meta, recorded, vault_details


def test_recorded_clearinghouse_state_2023_shape() -> None:
    raw = recorded("test_get_user_state.json")
    state = parse_clearinghouse_state(raw)
    assert state.malformed == 0
    assert state.account_value_usd == pytest.approx(1182.312496)
    assert state.cross_account_value_usd == pytest.approx(1182.312496)
    assert state.cross_maintenance_margin_used_usd is None  # not in the 2023 shape
    assert len(state.positions) == len(raw["assetPositions"]) == 12
    by_coin = {p.coin: p for p in state.positions}
    btc = by_coin["BTC"]
    assert btc.size == pytest.approx(-0.00785)
    assert btc.position_value_usd == pytest.approx(211.64542)
    assert btc.unrealized_pnl_usd == pytest.approx(-0.08007)
    assert btc.liquidation_price_usd == pytest.approx(173198.69592357)
    assert by_coin["ETH"].liquidation_price_usd is None
    for item in raw["assetPositions"]:
        parsed = by_coin[item["position"]["coin"]]
        assert parsed.size == float(item["position"]["szi"])
        assert parsed.position_value_usd == abs(float(item["position"]["positionValue"]))


def test_newer_clearinghouse_state_and_one_bad_position() -> None:
    raw = {
        "assetPositions": [
            {"type": "oneWay", "position": {"coin": "SOL", "szi": "-12.5", "positionValue": "2500.0",
                                            "unrealizedPnl": "-10.0", "liquidationPx": "260.1",
                                            "leverage": {"type": "isolated", "value": 5, "rawUsd": "-95.0"},
                                            "cumFunding": {"allTime": "1.0", "sinceOpen": "0.0"},
                                            "marginTableId": 3, "newField": {"x": 1}}},
            {"type": "oneWay", "position": {"coin": "BAD", "szi": "not a number", "positionValue": "1",
                                            "unrealizedPnl": "0"}},
            {"type": "oneWay", "position": {"coin": "SOL", "szi": "1", "positionValue": "1",
                                            "unrealizedPnl": "0"}},
        ],
        "crossMaintenanceMarginUsed": "125.5",
        "marginSummary": {"accountValue": 5000},
        "withdrawable": "10.0",
        "time": 1708622398623,
    }  # fmt: skip
    state = parse_clearinghouse_state(raw)
    assert [p.coin for p in state.positions] == ["SOL"]
    assert state.positions[0].size == -12.5
    assert state.positions[0].leverage_type == "isolated"
    assert state.malformed == 2  # the garbled size, and the repeated coin
    assert state.cross_maintenance_margin_used_usd == 125.5
    assert state.cross_account_value_usd is None
    with pytest.raises(ParseError, match=r"clearinghouseState response: \$\.marginSummary: missing"):
        parse_clearinghouse_state({"assetPositions": []})


@pytest.mark.parametrize("name", ["test_get_user_fills.json", "test_get_user_fills_by_time.json"])
def test_recorded_fills(name: str) -> None:
    raw = recorded(name)
    parsed = parse_fills(raw)
    assert parsed.malformed == 0
    assert len(parsed.fills) == len(raw) == 500
    # The 2023 recording has no tid: identity falls back to hash, oid, time, price and size, and
    # still tells all 500 fills apart (several share a hash and a millisecond).
    assert all(f.tid is None for f in parsed.fills)
    assert len({f.key for f in parsed.fills}) == 500
    assert len({f.time_ms for f in parsed.fills}) < 500
    assert {f.side_for("0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2") for f in parsed.fills} == {
        FillSide.ORDINARY
    }
    first = parsed.fills[0]
    assert (first.coin, first.price, first.size, first.time_ms) == ("SUI", 1.3189, 142.7, 1683245884863)
    assert first.notional_usd == pytest.approx(1.3189 * 142.7)


def test_liquidation_backstop_and_adl_classification_on_a_liquidators_fills() -> None:
    liquidator = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
    raw = [
        fill("SOL", 67.5499, 10.0, 1, 11, "Liquidated Cross Long",
             {"liquidatedUser": "0xABC0000000000000000000000000000000000001", "markPx": "68.2",
              "method": "backstop"}),
        fill("AVAX", 22.075, 3.0, 2, 12, "Auto-Deleveraging",
             {"liquidatedUser": liquidator, "markPx": 22.025, "method": "backstop"}),
        fill("ETH", 2000.0, 1.0, 3, 13, "Close Short", {"markPx": "2001.0", "method": "market"}),
        fill("ETH", 2000.0, 1.0, 4, 14, "Close Short", {"markPx": "2001.0", "method": "teleport"}),
        fill("ETH", 2000.0, 1.0, 5, 15),
        fill("BTC", 1.0, 1.0, 6, 16, "Auto-Deleveraging", {"markPx": "1.0", "method": "partial adl!"}),
        fill("BTC", 1.0, 1.0, 7, 17, "Close Long", {"markPx": "1.0", "method": "x" * 100}),
    ]  # fmt: skip
    parsed = parse_fills(raw)
    assert parsed.malformed == 0  # an unknown method is counted under its own label, never dropped
    sides = [
        (f.coin, f.side_for(liquidator), f.liquidation.method if f.liquidation else None)
        for f in parsed.fills
    ]
    assert sides == [
        ("SOL", FillSide.TAKEOVER, "backstop"),  # another account's position taken over
        ("AVAX", FillSide.DELEVERAGED, "backstop"),  # ADL first, whatever its liquidation object says
        ("ETH", FillSide.TAKEOVER, "market"),  # no liquidatedUser: another account's liquidation
        ("ETH", FillSide.TAKEOVER, "teleport"),
        ("ETH", FillSide.ORDINARY, None),
        ("BTC", FillSide.DELEVERAGED, "partial_adl_"),
        ("BTC", FillSide.TAKEOVER, "x" * 32),  # label-safe and short
    ]
    assert parsed.fills[0].liquidation is not None
    assert parsed.fills[0].liquidation.liquidated_user == "0xabc0000000000000000000000000000000000001"
    assert parsed.fills[0].liquidation.mark_price_usd == 68.2
    assert parsed.fills[1].liquidation is not None
    assert parsed.fills[1].liquidation.mark_price_usd == 22.025
    assert parsed.fills[0].key == ("tid", 11)
    with pytest.raises(ParseError, match="expected a list"):
        parse_fills({"error": "nope"})


def test_recorded_portfolio_pnl_is_not_account_value() -> None:
    portfolio = parse_portfolio(recorded("test_portfolio.json"))
    assert portfolio.malformed == 0
    assert set(portfolio.windows) == {
        "day", "week", "month", "allTime", "perpDay", "perpWeek", "perpMonth", "perpAllTime"
    }  # fmt: skip
    week = portfolio.windows["week"]
    assert len(week.account_value) == len(week.pnl) == 64
    # The transfer of 18 Aug 2025: account value +15.9 M while PnL moved -129 k.
    step = next(i for i, p in enumerate(week.account_value) if p.time_ms == 1755501926862)
    value_jump = week.account_value[step].value - week.account_value[step - 1].value
    pnl_move = week.pnl[step].value - week.pnl[step - 1].value
    assert value_jump == pytest.approx(15_910_363.81, abs=1)
    assert pnl_move == pytest.approx(-129_089.50, abs=1)
    assert week.latest_pnl is not None
    assert week.latest_pnl.value == pytest.approx(-909_673.982675)
    day = portfolio.windows["day"]
    assert day.pnl[0].value == 0.0
    assert day.latest_pnl is not None
    assert day.latest_pnl.value == pytest.approx(-130_193.448756)
    assert day.volume_usd == pytest.approx(55_823_015.66)


def test_documented_vault_details() -> None:
    details = parse_vault_details(vault_details(HLP, "Hyperliquidity Provider (HLP)", list(STRATEGIES)))
    assert details is not None
    assert details.address == HLP
    assert details.name == "Hyperliquidity Provider (HLP)"
    assert details.relationship == "parent"
    assert details.child_addresses == STRATEGIES
    assert details.apr == pytest.approx(0.36387129259090006)
    assert details.account_value is not None
    assert details.account_value.value == pytest.approx(160_664_370.477425)
    assert details.malformed == 0
    garbled = vault_details(HLP, "HLP", [])
    children: list[Any] = [STRATEGIES[0], "0xnot-an-address", 42, "0x" + STRATEGIES[0][2:].upper()]
    garbled["relationship"]["data"]["childAddresses"] = children
    partial = parse_vault_details(garbled)
    assert partial is not None
    assert (partial.child_addresses, partial.malformed) == ((STRATEGIES[0],), 2)
    assert parse_vault_details(None) is None  # unknown vault
    child = parse_vault_details({"vaultAddress": STRATEGIES[0], "relationship": {"type": "child"}})
    assert child is not None
    assert (child.relationship, child.child_addresses, child.portfolio.windows) == ("child", (), {})


def test_portfolio_bad_points_cost_only_themselves() -> None:
    raw = [
        ["day", {"accountValueHistory": [[1, "10.0"], [2, "oops"], ["3", "1"]],
                 "pnlHistory": [[1, "0.0"], [2, "-5.5"]], "vlm": "bad"}],
        ["week", "not an object"],
        ["month", {"accountValueHistory": [], "pnlHistory": []}],
    ]  # fmt: skip
    portfolio = parse_portfolio(raw)
    assert set(portfolio.windows) == {"day", "month"}
    assert portfolio.malformed == 2 + 1 + 1  # two bad points, a bad vlm, a bad window
    day = portfolio.windows["day"]
    assert [p.value for p in day.account_value] == [10.0]
    assert day.latest_pnl is not None
    assert day.latest_pnl.value == -5.5
    assert portfolio.windows["month"].latest_pnl is None


def test_listed_coins_skip_delisted() -> None:
    listed = parse_listed_coins(meta(["BTC", "ETH"], delisted=("LOOM",)))
    assert listed.coins == ("BTC", "ETH")
    assert parse_listed_coins({"universe": [{"name": "BTC"}, {"nameless": 1}]}).malformed == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
fill_keys = ["coin", "px", "sz", "time", "dir", "hash", "oid", "tid", "liquidation", "side"]
fill_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values | st.sampled_from(["1.5", "BTC", 7, "Auto-Deleveraging"]) for key in fill_keys
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fill_like | json_values, max_size=8))
def test_fill_items_never_break_the_page(items: list[Any]) -> None:
    parsed = parse_fills(items)
    assert len(parsed.fills) + parsed.malformed == len(items)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_garbage_raises_only_parse_errors(value: Any) -> None:
    for parser in (
        parse_clearinghouse_state,
        parse_fills,
        parse_portfolio,
        parse_vault_details,
        parse_listed_coins,
    ):
        with contextlib.suppress(ParseError):
            parser(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(12)), max_size=12), st.data())
def test_recorded_positions_with_garbled_fields(garble: list[int], data: st.DataObject) -> None:
    raw = json.loads(json.dumps(recorded("test_get_user_state.json")))
    broken = set()
    for index in garble:
        field = data.draw(st.sampled_from(["szi", "positionValue", "unrealizedPnl", "coin"]))
        raw["assetPositions"][index]["position"][field] = data.draw(
            st.sampled_from([None, [], True, {"a": 1}])
        )
        broken.add(index)
    state = parse_clearinghouse_state(raw)
    assert len(state.positions) == 12 - len(broken)
    assert state.malformed == len(broken)
