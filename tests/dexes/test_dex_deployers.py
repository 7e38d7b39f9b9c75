"""What builder-dex deployers control: parsed from the SDK-documented shapes, published per dex, and
followed over scenario time (sub-deployers added, halts, caps cut, funding multipliers)."""

from __future__ import annotations

import pytest

from exporter.hyperliquid.dexes import parse_perp_dexs
from exporter.hyperliquid.errors import ParseError
from tests.dexes.test_dexes_collector import DexesOnReplay, Samples, dex, scenario

# One entry in the shape of nktkas/hyperliquid src/api/info/_methods/perpDexs.ts (every field it lists).
SDK_ENTRY = {
    "name": "xyz",
    "fullName": "XYZ",
    "deployer": "0x88806a71D74ad0a510b350545C9aE490912F0888",
    "oracleUpdater": None,
    "feeRecipient": "0x97f46f90c04efb91d0d740bd263e76683ca6f904",
    "assetToStreamingOiCap": [["xyz:TSLA", "250000000.0"], ["xyz:NVDA", "50000000.0"]],
    "subDeployers": [
        ["setOracle", ["0x1234567890ABCDEF1234567890abcdef12345678"]],
        [
            "haltTrading",
            ["0x1234567890abcdef1234567890abcdef12345678", "0x00000000000000000000000000000000000000aa"],
        ],
    ],
    "deployerFeeScale": "1.0",
    "lastDeployerFeeScaleChangeTime": "1970-01-01T00:00:00",
    "assetToFundingMultiplier": [["xyz:TSLA", "0.5"], ["xyz:NVDA", "2.0"]],
}


def test_the_sdk_shape_gives_sub_deployers_and_funding_multipliers() -> None:
    found = parse_perp_dexs([None, SDK_ENTRY])
    assert found.skipped == ()
    (xyz,) = found.dexes
    assert xyz.sub_deployers == (
        ("haltTrading", "0x00000000000000000000000000000000000000aa"),
        ("haltTrading", "0x1234567890abcdef1234567890abcdef12345678"),
        ("setOracle", "0x1234567890abcdef1234567890abcdef12345678"),
    )
    assert xyz.funding_multipliers == (("xyz:TSLA", 0.5), ("xyz:NVDA", 2.0))
    assert xyz.oracle_updater == ""


def test_a_dex_recorded_before_sub_deployers_existed_parses_with_none() -> None:
    older = {
        key: value
        for key, value in SDK_ENTRY.items()
        if key not in ("subDeployers", "assetToFundingMultiplier")
    }
    (xyz,) = parse_perp_dexs([None, older]).dexes
    assert xyz.sub_deployers == ()
    assert xyz.funding_multipliers == ()


@pytest.mark.parametrize(
    "sub_deployers",
    [[["setOracle", ["not-an-address"]]], [["setOracle"]], [[42, []]], [["set oracle!", []]]],
)
def test_a_malformed_sub_deployer_costs_only_its_dex(sub_deployers: object) -> None:
    bad = {**SDK_ENTRY, "name": "bad", "subDeployers": sub_deployers}
    found = parse_perp_dexs([None, SDK_ENTRY, bad])
    assert [d.name for d in found.dexes] == ["xyz"]
    assert len(found.skipped) == 1
    assert isinstance(found.skipped[0], ParseError)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def names_with(samples: Samples, name: str) -> set[frozenset[tuple[str, str]]]:
    return {labels for metric, labels in samples if metric == name}


SUB = "0x00000000000000000000000000000000000000bb"


async def test_deployer_changes_are_published_as_they_happen() -> None:
    body = scenario(
        [dex("xyz", ["TSLA", "NVDA"], collateral_token=360), dex("flx", ["OIL"])],
        events=[
            {"at": 100, "kind": "deployer", "dex": "xyz", "sub_deployer": SUB},
            {"at": 100, "kind": "deployer", "dex": "xyz", "coin": "xyz:TSLA", "halted": True},
            {"at": 100, "kind": "deployer", "dex": "xyz", "coin": "xyz:NVDA", "funding_multiplier": 3.0},
            {"at": 100, "kind": "deployer", "dex": "xyz", "coin": "xyz:NVDA", "open_interest_cap_usd": 1e7},
            {"at": 100, "kind": "deployer", "dex": "xyz", "total_open_interest_cap_usd": 2e8},
        ],
    )
    run = DexesOnReplay(body, {"discovery_interval_seconds": 60, "limits_interval_seconds": 60})
    before = await run.poll_through(10, 40)
    assert names_with(before, "hyperliquid_dex_sub_deployer_info") == set()
    assert value(before, "hyperliquid_dex_market_halted", coin="xyz:TSLA", dex="xyz") == 0
    assert value(before, "hyperliquid_dex_funding_multiplier", coin="xyz:NVDA", dex="xyz") == 1
    assert value(before, "hyperliquid_dex_coin_open_interest_cap_usd", coin="xyz:NVDA", dex="xyz") == 2.5e8
    assert value(before, "hyperliquid_dex_total_open_interest_cap_usd", dex="xyz") == 5e8
    assert value(before, "hyperliquid_dex_collateral_token", dex="xyz") == 360
    assert value(before, "hyperliquid_dex_collateral_token", dex="flx") == 0
    assert value(before, "hyperliquid_dex_max_transfer_notional_usd", dex="xyz") == 1e8

    after = await run.poll_through(100, 200)
    assert names_with(after, "hyperliquid_dex_sub_deployer_info") == {
        frozenset({("dex", "xyz"), ("function", "setOracle"), ("address", SUB)})
    }
    assert value(after, "hyperliquid_dex_market_halted", coin="xyz:TSLA", dex="xyz") == 1
    assert value(after, "hyperliquid_dex_market_halted", coin="flx:OIL", dex="flx") == 0
    assert value(after, "hyperliquid_dex_funding_multiplier", coin="xyz:NVDA", dex="xyz") == 3
    assert value(after, "hyperliquid_open_interest_cap_usd", coin="xyz:NVDA", dex="xyz") == 1e7
    assert value(after, "hyperliquid_dex_coin_open_interest_cap_usd", coin="xyz:NVDA", dex="xyz") == 1e7
    assert value(after, "hyperliquid_dex_total_open_interest_cap_usd", dex="xyz") == 2e8
    # The halted market's prices are no longer published; the others' are.
    assert value(after, "hyperliquid_oracle_price", coin="xyz:TSLA", quote="USDC", dex="xyz") is None
    assert value(after, "hyperliquid_oracle_price", coin="xyz:NVDA", quote="USDC", dex="xyz") == 100.0
