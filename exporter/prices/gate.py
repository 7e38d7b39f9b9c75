"""Gate: `GET /api/v4/spot/tickers` (no `currency_pair`: every pair in one request), as documented
in Gate's API v4 reference (https://www.gate.io/docs/developers/apiv4/#retrieve-ticker-information,
and gateio/gateapi-python docs/SpotApi.md `list_tickers`): `[{"currency_pair":"BTC_USDT","last":"…",
"lowest_ask":"…","highest_bid":"…","base_volume":"…","quote_volume":"…"}]`; `quote_volume` is the
24-hour volume in the quote currency. Errors are `{"label":"…","message":"…"}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, quotes_from_rows

SOURCE = "gate"
PATH = "/api/v4/spot/tickers"
SUFFIXES = {"USDT": "_USDT", "USDC": "_USDC"}


def parse(payload: Any) -> Quotes:
    if isinstance(payload, dict) and "label" in payload:
        raise SourceError(
            SOURCE, "api_error", f"{str(payload.get('label'))[:40]}: {str(payload.get('message'))[:200]}"
        )
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    rows = (
        (
            item.get("currency_pair"),
            book_mid(item.get("highest_bid"), item.get("lowest_ask"), item.get("last")),
            item.get("quote_volume"),
        )
        for item in payload
        if isinstance(item, dict)
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
