"""24-hour volume of the spot pairs behind the USDC-denominated perps (`spotMetaAndAssetCtxs`)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from exporter.collectors.context import CollectorContext
from exporter.collectors.prices import spot_poller
from exporter.collectors.spot_volume import SpotVolumePoller, pollers
from exporter.config import Config
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.spot import parse_spot_volumes, parse_stablecoin_mids
from exporter.prices.symbols import SymbolMap
from exporter.replay.app import create_app
from tests.replay.support import WALL_START, Replay

BASE_URL = "http://replay.test"

# The documented shape of spotMetaAndAssetCtxs (GitBook spot info; TS-SDK SpotAssetCtx), one pair garbled.
REFERENCE_SHAPE = [
    {
        "tokens": [{"name": "USDC", "index": 0}, {"name": "PURR", "index": 1}],
        "universe": [{"name": "PURR/USDC", "tokens": [1, 0], "index": 0, "isCanonical": True}],
    },
    [
        {
            "prevDayPx": "0.15719",
            "dayNtlVlm": "3558163.57",
            "markPx": "0.14967",
            "midPx": "0.14966",
            "circulatingSupply": "596449455.78",
            "coin": "PURR/USDC",
            "totalSupply": "596449462.30",
            "dayBaseVlm": "22964913.0",
        },
        {"coin": "@107", "dayNtlVlm": "lots", "markPx": "31.0", "midPx": None},
    ],
]


def test_parse_reads_each_pairs_volume_and_skips_a_malformed_one() -> None:
    volumes = parse_spot_volumes(REFERENCE_SHAPE)
    assert volumes.by_pair == {"PURR/USDC": pytest.approx(3558163.57)}
    assert len(volumes.skipped) == 1
    with pytest.raises(ParseError):
        parse_spot_volumes({"not": "a list"})


def context_on(replay: Replay, fail: bool = False) -> CollectorContext:
    app = httpx.ASGITransport(app=create_app(replay.state))

    async def route(request: httpx.Request) -> httpx.Response:
        if fail:
            return httpx.Response(502, text="bad gateway")
        return await app.handle_async_request(request)

    budget = WeightBudget(1_000_000)
    stats = RequestStats()
    http = httpx.AsyncClient(transport=httpx.MockTransport(route), base_url=BASE_URL)
    return CollectorContext(
        client=InfoClient(BASE_URL, budget, max_retries=0, http=http, stats=stats),
        http=http,
        budget=budget,
        stats=stats,
        clock=lambda: WALL_START + replay.monotonic.value,
    )


def samples(families: Any) -> dict[tuple[str, ...], float]:
    return {
        (sample.labels["coin"], sample.labels["pair"], sample.labels["quote"]): sample.value
        for family in families
        if family.name == "hyperliquid_spot_day_notional_volume"
        for sample in family.samples
    }


async def test_spot_volume_of_hype_from_the_simulator() -> None:
    replay = Replay("calm").at(120.0)
    config = Config()
    [poller] = pollers(config, context_on(replay))
    assert isinstance(poller, SpotVolumePoller)
    assert poller.planned_weight_per_minute == 4.0  # weight 20 every 300 s
    observed = samples(await poller.poll())
    meta, ctxs = replay.info({"type": "metaAndAssetCtxs"})
    perp = ctxs[[entry["name"] for entry in meta["universe"]].index("HYPE")]
    # The simulator's HYPE/USDC pair (`@107`) trades a quarter of the perp's volume; PURR is not listed.
    assert observed == {("HYPE", "@107", "USDC"): pytest.approx(0.25 * float(perp["dayNtlVlm"]), rel=1e-6)}
    spot = replay.info({"type": "spotMetaAndAssetCtxs"})
    assert [pair["name"] for pair in spot[0]["universe"]] == ["@107", "@230"]  # HYPE/USDC, USDH/USDC
    assert json.dumps(spot)  # plain JSON, like the API


async def test_a_failed_poll_withdraws_the_volumes() -> None:
    replay = Replay("calm").at(120.0)
    poller = SpotVolumePoller({"HYPE": "@107"}, 300.0, context_on(replay, fail=True))
    families = await poller.poll()
    assert samples(families) == {}
    assert [family.name for family in families] == ["hyperliquid_spot_day_notional_volume"]


async def test_usdh_is_watched_against_usdc_on_hyperliquid_spot_at_the_prices_pollers_pace() -> None:
    """USDH/USDC is found by its tokens (its pair is `@N`, from spotMetaAndAssetCtxs every 300 s); its
    price is read from allMids every spot prices poll, so a depeg after the token table's read shows at
    the next 10 s poll, not up to five minutes later."""
    scenario = {"name": "usdh-depeg", "events": [{"at": 10, "kind": "peg", "stablecoin": "USDH", "to": 0.97}]}
    replay = Replay(scenario).at(5.0)
    context = context_on(replay)
    config = Config()
    [volume_poller] = pollers(config, context)
    prices_poller = spot_poller(
        config,
        SymbolMap(config.reference_prices.symbols, config.reference_prices.usdc_denominated_coins),
        context,
    )
    context.universe.publish(["HYPE", "PURR"])  # the market poller's listed coins
    await volume_poller.poll()  # the token table, USDH still at 1

    def usdh(families: Any) -> float | None:
        return next(
            (
                sample.value
                for family in families
                if family.name == "hyperliquid_stablecoin_price"
                for sample in family.samples
                if sample.labels == {"source": "hyperliquid_spot", "stablecoin": "USDH", "quote": "USDC"}
            ),
            None,
        )

    assert usdh(await prices_poller.poll()) == pytest.approx(1.0)
    replay.at(60.0)
    assert usdh(await prices_poller.poll()) == pytest.approx(0.97)
    # The dexes poller's collateral prices come from the same refreshed table.
    table = context.spot_tokens.fresh(context.clock())
    assert table is not None
    usdh_token = table.by_name("USDH")
    assert usdh_token is not None
    assert usdh_token.usdc_price == pytest.approx(0.97)


def test_stablecoin_mids_prefer_the_mid_and_fall_back_to_the_mark() -> None:
    meta = {
        "tokens": [{"name": "USDC", "index": 0}, {"name": "USDH", "index": 5}, {"name": "USDE", "index": 6}],
        "universe": [
            {"name": "@230", "tokens": [5, 0], "index": 230},
            {"name": "@231", "tokens": [6, 0], "index": 231},
            {"name": "@232", "tokens": [0, 6], "index": 232},  # USDC in USDE: not a price of USDE in USDC
        ],
    }
    ctxs = [
        {"coin": "@230", "midPx": "0.9991", "markPx": "0.9990"},
        {"coin": "@231", "midPx": None, "markPx": "1.0004"},
        {"coin": "@232", "midPx": "2.0", "markPx": "2.0"},
    ]
    assert parse_stablecoin_mids([meta, ctxs], ["USDH", "USDE"]) == {"USDH": 0.9991, "USDE": 1.0004}
    assert parse_stablecoin_mids([meta, ctxs], ["USDT"]) == {}
