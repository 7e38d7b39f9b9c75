"""OKX perpetual swaps: `GET /api/v5/market/tickers?instType=SWAP` (every swap in one request; OKX allows
20 requests per 2 s per IP), the same shape as its spot tickers (OKX API v5 docs, "Get tickers"):
`{"code":"0","msg":"","data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","last":"…","bidPx":"…",
"askPx":"…","ts":"…"}]}`. OKX quotes a contract per unit of its base asset (its contract size does not
change the price). The price is the book mid, or the last trade without a book."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.okx import ticker_items
from exporter.prices.perps.contracts import perp_quotes
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid

SOURCE = "okx_perp"
PATH = "/api/v5/market/tickers"
PARAMS = {"instType": "SWAP"}
SUFFIXES = {"USDT": "-USDT-SWAP", "USDC": "-USDC-SWAP"}


def parse(payload: Any) -> Quotes:
    rows = (
        (item.get("instId"), book_mid(item.get("bidPx"), item.get("askPx"), item.get("last")))
        for item in ticker_items(payload, SOURCE)
    )
    return perp_quotes(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, PARAMS, parse, config.timeout_seconds)
