"""Whatever upstream sends, parsers raise nothing but ParseError (Hyperliquid) or SourceError (exchanges),
and whatever parses renders to a valid exposition."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.collectors.market import market_families
from exporter.exposition import render_families
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fills import parse_listed_coins
from exporter.hyperliquid.market import parse_meta_and_asset_ctxs, parse_open_interest_caps
from exporter.prices import binance, bybit, coinbase, okx
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["1.5", "-0.0001", "nan", "inf", "1e400", "", "0", "strictIsolated", "noCross"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
CTX_KEYS = [
    "oraclePx",
    "markPx",
    "midPx",
    "funding",
    "premium",
    "openInterest",
    "impactPxs",
    "dayNtlVlm",
    "prevDayPx",
]
ENTRY_KEYS = ["name", "isDelisted", "onlyIsolated", "marginMode", "maxLeverage", "szDecimals"]


def near_valid_objects(keys: list[str]) -> st.SearchStrategy[Any]:
    """Objects with the real keys and arbitrary values: what a subtly changed API would send."""
    return st.dictionaries(st.sampled_from(keys), json_values | scalars, max_size=len(keys)) | json_values


numberish = st.sampled_from(["1.5", "0.98", "-0.0001", "30135.0"]) | st.floats(-1e6, 1e6) | scalars
REQUIRED_CTX = ["oraclePx", "markPx", "funding", "openInterest"]
plausible_contexts = st.fixed_dictionaries(
    {key: numberish for key in REQUIRED_CTX},
    optional={
        "midPx": numberish,
        "premium": numberish,
        "impactPxs": st.lists(numberish, max_size=3) | scalars,
        "dayNtlVlm": numberish,
    },
)
plausible_entries = st.fixed_dictionaries(
    {"name": st.sampled_from(["BTC", "ETH", "kPEPE", "X"]) | scalars},
    optional={
        "isDelisted": scalars,
        "marginMode": scalars,
        "onlyIsolated": scalars,
        "maxLeverage": numberish,
    },
)


@st.composite
def meta_and_ctxs(draw: st.DrawFn) -> Any:
    count = draw(st.integers(0, 5))
    universe = [draw(plausible_entries | near_valid_objects(ENTRY_KEYS)) for _ in range(count)]
    contexts = [
        draw(plausible_contexts | near_valid_objects(CTX_KEYS))
        for _ in range(draw(st.sampled_from([count, count, count + 1])))
    ]
    return draw(st.sampled_from([[{"universe": universe}, contexts], [{"universe": universe}], universe]))


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(meta_and_ctxs() | json_values)
def test_meta_and_asset_ctxs_raise_only_parse_errors(response: Any) -> None:
    try:
        data = parse_meta_and_asset_ctxs(response)
    except ParseError:
        return
    render_families(market_families(data, 10.0))


@FUZZ
@given(
    json_values | st.fixed_dictionaries({"universe": st.lists(near_valid_objects(ENTRY_KEYS), max_size=4)})
)
def test_meta_raises_only_parse_errors(response: Any) -> None:
    with contextlib.suppress(ParseError):
        parse_listed_coins(response)


@FUZZ
@given(json_values)
def test_caps_raise_only_parse_errors(response: Any) -> None:
    with contextlib.suppress(ParseError):
        parse_open_interest_caps(response)


symbols = st.sampled_from(["BTCUSDT", "USDCUSDT", "USDT", "ETHUSDT", "BTC-USDT", "USDC-USDT", "-USDT"])
ticker = st.fixed_dictionaries(
    {"symbol": symbols | scalars, "instId": symbols | scalars},
    optional={"price": numberish, "last": numberish, "lastPrice": numberish},
)
CONVERSION = {
    "symbol": "USDCUSDT",
    "instId": "USDC-USDT",
    "price": "1.0002",
    "last": "1.0002",
    "lastPrice": "1.0002",
}
ticker_items = st.lists(ticker | json_values, max_size=6) | st.lists(ticker, max_size=6).map(
    lambda items: [*items, CONVERSION]
)
exchange_payloads = (
    json_values
    | ticker_items
    | st.fixed_dictionaries({"code": st.sampled_from(["0", 0, "1"]), "data": ticker_items | json_values})
    | st.fixed_dictionaries(
        {"retCode": st.sampled_from([0, "0", False]), "result": st.fixed_dictionaries({"list": ticker_items})}
    )
    | st.fixed_dictionaries(
        {
            "data": st.fixed_dictionaries(
                {}, optional={"amount": scalars, "base": scalars, "currency": scalars}
            )
        }
    )
)


@FUZZ
@given(exchange_payloads)
def test_exchange_parsers_raise_only_source_errors(payload: Any) -> None:
    for parse in (binance.parse, okx.parse, bybit.parse, lambda p: coinbase.parse(p, "BTC")):
        try:
            result = parse(payload)
        except SourceError:
            continue
        if isinstance(result, Quotes):
            prices = [price for table in result.by_currency.values() for price in table.values()]
        else:
            prices = [] if result is None else [result]
        assert all(price > 0 for price in prices)
