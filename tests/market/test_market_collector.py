"""The market pollers in-process: what they publish, and how they fail."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from exporter.app import Exporter, build_exporter
from exporter.config import Config
from tests.market.samples import samples, series, value
from tests.market.test_parsers import DOCUMENTED_CTX, documented_response

API = "https://hyperliquid.test"
INFO = f"{API}/info"


def market_config() -> Config:
    return Config.model_validate(
        {
            "hyperliquid": {"api_url": API, "max_retries": 0, "timeout_seconds": 0.5},
            "collectors": {
                **{
                    name: {"enabled": False}
                    for name in ("vaults", "accounts", "fills", "dexes", "liveness", "governance")
                },
                # l2Book depth: tests/market/test_book_depth.py
                "market": {"book_depth": {"enabled": False}},
            },
            "reference_prices": {"enabled": False},
            "streaming": {"enabled": False},
        }
    )


@pytest.fixture
async def exporter() -> AsyncIterator[Exporter]:
    built = build_exporter(market_config())
    yield built
    await built.aclose()


def answer_by_type(answers: dict[str, Any]) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:

        kind = json.loads(request.content)["type"]
        return httpx.Response(200, json=answers[kind])

    return respond


async def poll_all(exporter: Exporter) -> list[bool]:
    return [await exporter.scheduler.poll_once(p) for p in exporter.scheduler.pollers]


async def test_publishes_every_listed_perp_and_info_for_delisted(exporter: Exporter) -> None:
    caps = ["BTC", "LOOM", "NOTLISTED"]
    with respx.mock() as router:
        router.post(INFO).mock(
            side_effect=answer_by_type(
                {"metaAndAssetCtxs": documented_response(), "perpsAtOpenInterestCap": caps}
            )
        )
        assert await poll_all(exporter) == [True, True]
    found = samples(exporter.render_metrics())
    assert series(found, "hyperliquid_market_info") == {
        frozenset({("coin", "BTC"), ("delisted", "false"), ("margin_mode", "cross")}): 1.0,
        frozenset({("coin", "LOOM"), ("delisted", "true"), ("margin_mode", "strict_isolated")}): 1.0,
        frozenset({("coin", "THIN"), ("delisted", "false"), ("margin_mode", "no_cross")}): 1.0,
        frozenset({("coin", "OLDISO"), ("delisted", "false"), ("margin_mode", "isolated")}): 1.0,
    }
    assert value(found, "hyperliquid_oracle_price", coin="BTC", quote="USDT") == 14.32
    assert value(found, "hyperliquid_mark_price", coin="BTC", quote="USDT") == 14.3161
    assert value(found, "hyperliquid_mid_price", coin="BTC", quote="USDT") == 14.314
    assert value(found, "hyperliquid_funding_rate", coin="BTC") == 0.0000125
    assert value(found, "hyperliquid_premium_ratio", coin="BTC") == 0.00031774
    assert value(found, "hyperliquid_open_interest_size", coin="BTC") == 688.11
    assert value(found, "hyperliquid_open_interest_usd", coin="BTC") == pytest.approx(688.11 * 14.3161)
    assert value(found, "hyperliquid_impact_price", coin="BTC", side="bid", quote="USDT") == 14.3047
    assert value(found, "hyperliquid_impact_price", coin="BTC", side="ask", quote="USDT") == 14.3444
    assert value(found, "hyperliquid_day_notional_volume_usd", coin="BTC") == 1169046.29406
    assert value(found, "hyperliquid_max_leverage", coin="BTC") == 50
    # Null midPx, premium and impactPxs: those series are absent, the others present.
    assert value(found, "hyperliquid_mid_price", coin="THIN", quote="USDT") is None
    assert value(found, "hyperliquid_premium_ratio", coin="THIN") is None
    assert value(found, "hyperliquid_impact_price", coin="THIN", side="bid", quote="USDT") is None
    assert value(found, "hyperliquid_mark_price", coin="THIN", quote="USDT") == 0.5
    # Delisted: only market_info.
    assert [key for key in found if ("coin", "LOOM") in key[1]] == [
        (
            "hyperliquid_market_info",
            frozenset({("coin", "LOOM"), ("delisted", "true"), ("margin_mode", "strict_isolated")}),
        )
    ]
    assert series(found, "hyperliquid_open_interest_cap_reached") == {
        frozenset({("coin", "BTC")}): 1.0,
        frozenset({("coin", "THIN")}): 0.0,
        frozenset({("coin", "OLDISO")}): 0.0,
    }
    assert value(found, "hyperliquid_up") == 1.0
    assert value(found, "hyperliquid_exporter_collector_success", collector="market") == 1.0
    assert value(found, "hyperliquid_exporter_api_weight_planned_per_minute", collector="market") == 120 + 20


async def test_help_says_values_are_polled(exporter: Exporter) -> None:
    with respx.mock() as router:
        router.post(INFO).mock(
            side_effect=answer_by_type(
                {"metaAndAssetCtxs": documented_response(), "perpsAtOpenInterestCap": []}
            )
        )
        await poll_all(exporter)
    helps = [line for line in exporter.render_metrics().decode().splitlines() if line.startswith("# HELP")]
    market_helps = [h for h in helps if "_exporter_" not in h and "hyperliquid_up " not in h]
    # 11 market families, 4 margin-tier families from the same response, and the cap flag.
    assert len(market_helps) == 16
    assert all("polled every 10 s from metaAndAssetCtxs" in h for h in market_helps[:-1])
    assert "polled every 60 s from perpsAtOpenInterestCap" in market_helps[-1]


async def test_malformed_context_is_counted_and_costs_one_coin(exporter: Exporter) -> None:
    response = [
        {"universe": [{"name": "BAD"}, {"name": "ETH"}]},
        [{**DOCUMENTED_CTX, "markPx": "?"}, DOCUMENTED_CTX],
    ]
    with respx.mock() as router:
        router.post(INFO).mock(side_effect=answer_by_type({"metaAndAssetCtxs": response}))
        assert await exporter.scheduler.poll_once(exporter.scheduler.pollers[0])
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_mark_price", coin="ETH", quote="USDT") == 14.3161
    assert value(found, "hyperliquid_mark_price", coin="BAD") is None
    assert value(found, "hyperliquid_market_info", coin="BAD", delisted="false", margin_mode="cross") == 1.0
    errors = value(
        found, "hyperliquid_exporter_api_request_errors_total", request="metaAndAssetCtxs", reason="parse"
    )
    assert errors == 1.0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502),
        httpx.Response(429),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b"<html>Bad gateway</html>"),
        httpx.Response(200, json={"universe": []}),
        httpx.Response(200, json=[{"universe": [{"name": "BTC"}]}, []]),
    ],
    ids=["5xx", "429", "timeout", "invalid-json", "wrong-shape", "context-count-mismatch"],
)
async def test_failing_upstream_sets_success_0_and_keeps_serving(exporter: Exporter, failure: Any) -> None:
    market = exporter.scheduler.pollers[0]
    with respx.mock() as router:
        route = router.post(INFO)
        route.mock(side_effect=answer_by_type({"metaAndAssetCtxs": documented_response()}))
        assert await exporter.scheduler.poll_once(market)
        if isinstance(failure, Exception):
            route.mock(side_effect=failure)
        else:
            route.mock(side_effect=None, return_value=failure)
        assert not await exporter.scheduler.poll_once(market)
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_up") == 0.0
    assert value(found, "hyperliquid_exporter_collector_success", collector="market") == 0.0
    # The last good values stay until they are older than max_age, then they are withdrawn.
    assert value(found, "hyperliquid_mark_price", coin="BTC", quote="USDT") == 14.3161
    now = time.time()
    exporter.store.clock = lambda: now + market.max_age + 1
    found = samples(exporter.render_metrics())
    assert series(found, "hyperliquid_mark_price") == {}
    assert value(found, "hyperliquid_up") == 0.0


async def test_open_interest_cap_waits_for_the_universe(exporter: Exporter) -> None:
    cap = exporter.scheduler.pollers[1]
    with respx.mock() as router:
        route = router.post(INFO)
        route.mock(
            side_effect=answer_by_type(
                {"metaAndAssetCtxs": documented_response(), "perpsAtOpenInterestCap": []}
            )
        )
        waiting = exporter.scheduler.poll_once(cap)
        market = exporter.scheduler.poll_once(exporter.scheduler.pollers[0])

        cap_ok, market_ok = await asyncio.gather(waiting, market)
    assert cap_ok
    assert market_ok
    assert len(series(samples(exporter.render_metrics()), "hyperliquid_open_interest_cap_reached")) == 3
