"""Each builder dex's collateral token, named and priced in USDC from Hyperliquid spot: parsed from the real
spotMetaAndAssetCtxs recording, published per dex on the simulator, unpriced rather than a made-up 1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.collectors.dex_collateral import CollateralPegFamilies, LatestSpotTokens
from exporter.collectors.spot_volume import SpotVolumePoller
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.spot import SpotToken, SpotTokens, parse_spot_tokens
from tests.dexes.test_dexes_collector import DexesOnReplay, Samples
from tests.support.binaries import FIXTURES_DIR

RECORDING = FIXTURES_DIR / "hyperliquid-recorded" / "test_spot_asset_ctx.json"
WATCHED = "0x5eed000000000000000000000000000000000033"


def recorded() -> Any:
    data = json.loads(RECORDING.read_text())
    assert data["request"] == {"type": "spotMetaAndAssetCtxs"}
    assert data["status"] == 200
    return data["response"]


def test_the_recorded_table_names_usdh_and_prices_it_from_its_usdc_pair() -> None:
    table = parse_spot_tokens(recorded())
    assert len(table.by_index) == 398
    assert table.by_index[0] == SpotToken(0, "USDC", None, 1.0)
    assert table.by_index[360] == SpotToken(360, "USDH", "@230", 0.99994)
    assert table.by_index[268] == SpotToken(268, "USDT0", "@166", 0.999865)
    assert table.by_index[150].usdc_pair == "@107"  # HYPE/USDC, as the config's spot pair says


def test_pairs_are_found_by_name_not_by_their_position_in_the_universe() -> None:
    meta, ctxs = recorded()
    positions = [pair["name"] for pair in meta["universe"]]
    assert positions.index("@230") != 230  # the recording's universe skips indices
    table = parse_spot_tokens(recorded())
    usdh_ctx = next(ctx for ctx in ctxs if ctx["coin"] == "@230")
    assert table.by_index[360].usdc_price == float(usdh_ctx["midPx"])


def test_a_token_without_a_usdc_pair_is_unpriced() -> None:
    """Real case: most of the recording's 398 tokens have no spot pair against USDC at all."""
    meta, _ = recorded()
    quoted_in_usdc = {pair["tokens"][0] for pair in meta["universe"] if pair["tokens"][1] == 0}
    without = {token["index"] for token in meta["tokens"]} - quoted_in_usdc - {0}
    assert len(without) > 100
    table = parse_spot_tokens(recorded())
    for index in without:
        assert table.by_index[index].usdc_pair is None
        assert table.by_index[index].usdc_price is None


def test_a_context_no_listed_pair_names_is_never_a_price() -> None:
    """The recording's orphan contexts (`@71`: no pair, markPx "1.0", midPx null) are not read."""
    meta, ctxs = recorded()
    listed = {pair["name"] for pair in meta["universe"]}
    orphan = next(ctx for ctx in ctxs if ctx["coin"] not in listed)
    assert orphan["markPx"] == "1.0"
    assert orphan["midPx"] is None
    table = parse_spot_tokens(recorded())
    assert orphan["coin"] not in {token.usdc_pair for token in table.by_index.values()}


def spot(*tokens: Any, pairs: list[Any], ctxs: list[Any]) -> Any:
    return [{"tokens": [{"name": "USDC", "index": 0}, *tokens], "universe": pairs}, ctxs]


def test_an_empty_book_falls_back_to_the_mark_and_no_price_at_all_is_unpriced() -> None:
    response = spot(
        {"name": "AAA", "index": 5},
        {"name": "BBB", "index": 6},
        {"name": "CCC", "index": 7},
        pairs=[
            {"name": "@1", "tokens": [5, 0], "index": 1},
            {"name": "@2", "tokens": [6, 0], "index": 2},
            {"name": "@3", "tokens": [7, 0], "index": 3},
        ],
        ctxs=[
            {"coin": "@1", "midPx": None, "markPx": "0.98"},
            {"coin": "@2", "midPx": None, "markPx": None},
            {"coin": "@3", "midPx": "0", "markPx": "0"},
        ],
    )
    table = parse_spot_tokens(response)
    assert [table.by_index[i].usdc_price for i in (5, 6, 7)] == [0.98, None, None]


@pytest.mark.parametrize(
    "broken",
    [
        {"name": "ZZZ"},  # no index
        "not a token",
    ],
)
def test_a_malformed_token_costs_only_itself(broken: Any) -> None:
    response = spot(
        broken,
        {"name": "USDH", "index": 360},
        pairs=[{"name": "@230", "tokens": [360, 0], "index": 230}, "not a pair"],
        ctxs=[{"coin": "@230", "midPx": "0.97"}, {"coin": 42}],
    )
    table = parse_spot_tokens(response)
    assert set(table.by_index) == {0, 360}
    assert table.by_index[360].usdc_price == 0.97


@pytest.mark.parametrize("response", [None, {}, [], [{"tokens": []}], ["meta", []]])
def test_a_wrong_top_level_shape_is_a_parse_error(response: Any) -> None:
    with pytest.raises(ParseError):
        parse_spot_tokens(response)


def peg_samples(
    spot_table: SpotTokens | None, dex: str, index: int
) -> dict[str, list[tuple[dict[str, str], float]]]:
    families = CollateralPegFamilies(spot_table)
    families.add(dex, index)
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in families.families()
    }


def test_an_unpriced_or_unknown_collateral_is_published_as_unpriced_never_as_one() -> None:
    table = SpotTokens(
        {
            0: SpotToken(0, "USDC", None, 1.0),
            9: SpotToken(9, "NOPAIR", None, None),
        }
    )
    no_pair = peg_samples(table, "abc", 9)
    assert no_pair["hyperliquid_dex_collateral_price"] == []
    assert no_pair["hyperliquid_dex_collateral_priced"] == [({"dex": "abc", "token": "NOPAIR"}, 0.0)]
    assert no_pair["hyperliquid_dex_collateral_info"] == [
        ({"dex": "abc", "token": "NOPAIR", "token_index": "9", "pair": ""}, 1.0)
    ]
    unknown = peg_samples(table, "abc", 77)
    assert unknown["hyperliquid_dex_collateral_price"] == []
    assert unknown["hyperliquid_dex_collateral_priced"] == [({"dex": "abc", "token": ""}, 0.0)]
    usdc = peg_samples(table, "xyz", 0)
    assert usdc["hyperliquid_dex_collateral_price"] == [
        ({"dex": "xyz", "token": "USDC", "quote": "USDC"}, 1.0)
    ]
    # Before the first spot poll (or once it is stale) nothing is said about the peg at all.
    assert all(samples == [] for samples in peg_samples(None, "xyz", 0).values())


def test_the_spot_table_is_read_only_while_fresh() -> None:
    latest = LatestSpotTokens()
    assert latest.fresh(100.0) is None
    table = SpotTokens({0: SpotToken(0, "USDC", None, 1.0)})
    latest.publish(table, at=100.0, max_age=900.0)
    assert latest.fresh(1000.0) is table
    assert latest.fresh(1000.1) is None


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_the_usdh_dex_publishes_its_collateral_price_through_the_depeg() -> None:
    """usdh-collateral-depeg: nmx is margined in USDH (token 360), xyz in USDC; USDH falls to 0.97 USDC."""
    run = DexesOnReplay(
        "usdh-collateral-depeg",
        watched=[{"address": WATCHED, "name": "watched-nmx-long"}],
    )
    spot_poller = SpotVolumePoller({"HYPE": "@107"}, 300.0, run.context)

    async def observe(at: float) -> Samples:
        run.replay.at(at)
        await spot_poller.poll()
        return await run.poll_through(at, at + 60)

    before = await observe(30)
    assert (
        value(
            before, "hyperliquid_dex_collateral_info", dex="nmx", token="USDH", token_index="360", pair="@230"
        )
        == 1
    )
    assert value(
        before, "hyperliquid_dex_collateral_price", dex="nmx", token="USDH", quote="USDC"
    ) == pytest.approx(1.0)
    assert value(before, "hyperliquid_dex_collateral_price", dex="xyz", token="USDC", quote="USDC") == 1.0
    assert value(before, "hyperliquid_dex_collateral_priced", dex="nmx", token="USDH") == 1.0
    # The watched trader's position on nmx is what makes its collateral a held one (the rules' join).
    assert value(before, "hyperliquid_account_position_size", account=WATCHED, coin="nmx:TSLA") == 1500

    during = await observe(1200)
    assert value(
        during, "hyperliquid_dex_collateral_price", dex="nmx", token="USDH", quote="USDC"
    ) == pytest.approx(0.97)
    assert value(during, "hyperliquid_dex_collateral_price", dex="xyz", token="USDC", quote="USDC") == 1.0

    after = await observe(3300)
    assert value(
        after, "hyperliquid_dex_collateral_price", dex="nmx", token="USDH", quote="USDC"
    ) == pytest.approx(0.999)
