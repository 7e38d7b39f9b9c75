"""The info client against respx-mocked upstream: retries, Retry-After, no retry on 4xx, accounting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient
from exporter.hyperliquid.errors import UpstreamError

URL = "http://hl.test/info"


def make_client(max_retries: int = 3) -> InfoClient:
    return InfoClient(
        "http://hl.test", WeightBudget(60_000), max_retries=max_retries, retry_max_wait_seconds=0.05
    )


@respx.mock
async def test_success_returns_json_and_counts_weight() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=[{"coin": "BTC"}] * 45))
    client = make_client()
    result = await client.info({"type": "userFillsByTime", "user": "0x0"}, collector="fills")
    assert len(result) == 45
    assert route.call_count == 1
    assert route.calls[0].request.headers["content-type"] == "application/json"
    assert client.budget.used["fills"] == 20 + 3
    assert client.stats.requests["userFillsByTime"] == 1
    await client.aclose()


@respx.mock
async def test_5xx_is_retried_then_succeeds() -> None:
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(502), httpx.Response(503), httpx.Response(200, json={"ok": 1})]
    )
    client = make_client()
    assert await client.info({"type": "allMids"}, collector="market") == {"ok": 1}
    assert route.call_count == 3
    assert client.stats.errors[("allMids", "http_5xx")] == 2
    assert client.budget.used["market"] == 6  # every attempt pays
    await client.aclose()


@respx.mock
async def test_429_honours_retry_after_and_pauses_the_budget() -> None:
    respx.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "0.03"}), httpx.Response(200, json=[])]
    )
    client = make_client()
    assert await client.info({"type": "perpsAtOpenInterestCap"}, collector="market") == []
    assert client.stats.errors[("perpsAtOpenInterestCap", "http_429")] == 1
    await client.aclose()


@respx.mock
async def test_other_4xx_is_not_retried() -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(422, text="Failed to deserialize the JSON body into the target type")
    )
    client = make_client()
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "liquidations"}, collector="market")
    assert caught.value.reason == "http_4xx"
    assert "Failed to deserialize" in str(caught.value)
    assert route.call_count == 1
    await client.aclose()


@respx.mock
async def test_timeouts_exhaust_retries_with_a_clear_reason() -> None:
    route = respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    client = make_client(max_retries=2)
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "metaAndAssetCtxs"}, collector="market")
    assert caught.value.reason == "timeout"
    assert route.call_count == 3
    assert client.stats.errors[("metaAndAssetCtxs", "timeout")] == 3
    await client.aclose()


@respx.mock
async def test_invalid_json_is_an_upstream_error_not_retried() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, text="<html>gateway</html>"))
    client = make_client()
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "metaAndAssetCtxs"}, collector="market")
    assert caught.value.reason == "invalid_json"
    assert route.call_count == 1
    await client.aclose()


async def test_connection_refused_is_reported_as_connection() -> None:
    client = InfoClient("http://127.0.0.1:1", WeightBudget(60_000), max_retries=0)
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "metaAndAssetCtxs"}, collector="market")
    assert caught.value.reason == "connection"
    assert client.budget.used["market"] == 0  # nothing reached upstream: the weight is refunded
    await client.aclose()


async def _drip() -> AsyncIterator[bytes]:
    while True:  # one byte at a time, forever: no single read ever times out
        yield b" "
        await asyncio.sleep(0.01)


@respx.mock
async def test_a_dripping_body_times_out_as_a_whole() -> None:
    respx.post(URL).mock(return_value=httpx.Response(200, content=_drip()))
    client = InfoClient("http://hl.test", WeightBudget(60_000), timeout_seconds=0.1, max_retries=0)
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "allMids"}, collector="market")
    assert caught.value.reason == "timeout"
    assert client.stats.errors[("allMids", "timeout")] == 1
    await client.aclose()


@respx.mock
async def test_a_huge_retry_after_is_capped() -> None:
    respx.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "100000"}), httpx.Response(200, json=[])]
    )
    budget = WeightBudget(60_000, max_pause_seconds=0.05)
    client = InfoClient("http://hl.test", budget, max_retries=1, retry_max_wait_seconds=30)
    assert await client.info({"type": "allMids"}, collector="market") == []
    assert budget.paused_for <= 0.05
    await client.aclose()


async def test_credentials_in_the_api_url_are_not_in_errors() -> None:
    client = InfoClient("http://bob:s3cret@127.0.0.1:1", WeightBudget(60_000), max_retries=0)
    with pytest.raises(UpstreamError) as caught:
        await client.info({"type": "allMids"}, collector="market")
    assert "s3cret" not in str(caught.value)
    await client.aclose()
