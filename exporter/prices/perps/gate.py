"""Gate USDT perps: `GET /api/v4/futures/usdt/tickers` (no `contract`: every contract in one request;
Gate allows 200 public requests per 10 s), as documented in Gate's API v4 reference and
gateio/gateapi-python docs/FuturesTicker.md (`list_futures_tickers`): `[{"contract":"BTC_USDT","last":
"…","lowest_ask":"…","highest_bid":"…","mark_price":"…","index_price":"…","funding_rate":"…",
"volume_24h_quote":"…",…}]`. Errors are `{"label":"…","message":"…"}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.perps.contracts import perp_quotes
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid

SOURCE = "gate_perp"
PATH = "/api/v4/futures/usdt/tickers"
SUFFIXES = {"USDT": "_USDT"}


def parse(payload: Any) -> Quotes:
    if isinstance(payload, dict) and "label" in payload:
        raise SourceError(
            SOURCE, "api_error", f"{str(payload.get('label'))[:40]}: {str(payload.get('message'))[:200]}"
        )
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    rows = (
        (item.get("contract"), book_mid(item.get("highest_bid"), item.get("lowest_ask"), item.get("last")))
        for item in payload
        if isinstance(item, dict)
    )
    return perp_quotes(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
