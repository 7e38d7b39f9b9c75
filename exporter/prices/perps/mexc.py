"""MEXC perps: `GET /api/v1/contract/ticker` on MEXC's contract host (no `symbol`: every contract in one
request; MEXC allows 20 requests per 2 s), as documented in MEXC's futures API ("Get contract trend
data", mexcdevelop.github.io/apidocs/contract_v1_en; the TickerData type of node-mexc-api and
bat-markets-mexc): `{"success":true,"code":0,"data":[{"symbol":"BTC_USDT","lastPrice":97010.5,
"bid1":97010.4,"ask1":97010.6,"fairPrice":…,"indexPrice":…,"volume24":…,"amount24":…,
"timestamp":ms,…}]}`. Prices are JSON numbers here, not strings. Errors are `{"success":false,
"code":n,"message":"…"}`."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.perps.contracts import perp_quotes
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid

SOURCE = "mexc_perp"
PATH = "/api/v1/contract/ticker"
SUFFIXES = {"USDT": "_USDT", "USDC": "_USDC"}


def parse(payload: Any) -> Quotes:
    if not isinstance(payload, dict):
        raise SourceError(SOURCE, "shape", f"expected an object, got {type(payload).__name__}")
    if payload.get("success") is not True:
        raise SourceError(
            SOURCE, "api_error", f"code {payload.get('code')!r:.20}: {str(payload.get('message'))[:200]}"
        )
    data = payload.get("data")
    if not isinstance(data, list):
        raise SourceError(SOURCE, "shape", f"expected a list at data, got {type(data).__name__}")
    rows = (
        (item.get("symbol"), book_mid(item.get("bid1"), item.get("ask1"), item.get("lastPrice")))
        for item in data
        if isinstance(item, dict)
    )
    return perp_quotes(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
