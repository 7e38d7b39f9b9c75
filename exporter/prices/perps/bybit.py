"""Bybit linear perps: `GET /v5/market/tickers?category=linear` (every USDT and USDC contract in one
request; Bybit allows 600 requests per 5 s per IP), as documented in Bybit's v5 API ("Get Tickers",
linear/inverse; the field set of nautilus_trader's BybitTickerData): `{"retCode":0,"retMsg":"OK",
"result":{"category":"linear","list":[{"symbol":"BTCUSDT","lastPrice":"…","bid1Price":"…",
"ask1Price":"…","markPrice":"…","indexPrice":"…","fundingRate":"…",…}]},"time":ms}`. USDC perps are
named `BTCPERP`; small-priced assets are listed per 1,000 (`1000PEPEUSDT`). The price is the book mid."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.bybit import ticker_items
from exporter.prices.perps.contracts import perp_quotes
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid

SOURCE = "bybit_perp"
PATH = "/v5/market/tickers"
PARAMS = {"category": "linear"}
SUFFIXES = {"USDT": "USDT", "USDC": "PERP"}


def parse(payload: Any) -> Quotes:
    rows = (
        (item.get("symbol"), book_mid(item.get("bid1Price"), item.get("ask1Price"), item.get("lastPrice")))
        for item in ticker_items(payload, SOURCE)
    )
    return perp_quotes(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, PARAMS, parse, config.timeout_seconds)
