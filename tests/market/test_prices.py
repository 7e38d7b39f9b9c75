"""Reference-price adapters against realistic exchange payloads, and the per-source pollers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from exporter.app import Exporter, build_exporter
from exporter.config import Config, SymbolMapping
from exporter.prices import binance, bybit, coinbase, gate, kraken, kucoin, mexc, okx
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.symbols import ExchangeAsset, SymbolMap
from tests.market.samples import samples, series, value

BINANCE = "https://binance.test"
OKX = "https://okx.test"
BYBIT = "https://bybit.test"
COINBASE = "https://coinbase.test"
KRAKEN = "https://kraken.test"
KUCOIN = "https://kucoin.test"
GATE = "https://gate.test"
MEXC = "https://mexc.test"

# Shapes as the exchanges answer (fields trimmed to a realistic few; unknown ones must be ignored).
BINANCE_TICKERS = [
    {"symbol": "ETHBTC", "price": "0.03527000"},
    {"symbol": "BTCUSDT", "price": "97031.90000000"},
    {"symbol": "ETHUSDT", "price": "3422.38000000"},
    {"symbol": "PEPEUSDT", "price": "0.00001532"},
    {"symbol": "DOGEUSDT", "price": "0.37120000"},  # not listed on Hyperliquid in these tests
    {"symbol": "USDCUSDT", "price": "1.00020000"},
    {"symbol": "BTCUSDC", "price": "97012.00000000"},
    {"symbol": "HALTEDUSDT", "price": "0.00000000"},
]
OKX_TICKERS: dict[str, Any] = {
    "code": "0",
    "msg": "",
    "data": [
        {
            "instType": "SPOT",
            "instId": "BTC-USDT",
            "last": "97010.1",
            "bidPx": "97010.0",
            "askPx": "97010.4",
            "lastSz": "0.0001",
            "ts": "1764090000000",
        },
        {"instType": "SPOT", "instId": "USDC-USDT", "last": "0.9998", "ts": "1764090000000"},
        {"instType": "SPOT", "instId": "ETH-BTC", "last": "0.0352"},
    ],
}
BYBIT_TICKERS: dict[str, Any] = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "spot",
        "list": [
            {"symbol": "BTCUSDT", "bid1Price": "97000", "lastPrice": "97020.5", "volume24h": "1.2"},
            {"symbol": "ETHUSDT", "bid1Price": "3421", "ask1Price": "3423", "lastPrice": "3400"},
            {"symbol": "USDCUSDT", "lastPrice": "1.0001"},
            {"symbol": "PEPEUSDT", "lastPrice": "0.00001530"},
        ],
    },
    "retExtInfo": {},
    "time": 1764090000000,
}

# Kraken (docs.kraken.com/rest getTickerInformation): legacy keys (XXBTZUSD) next to plain ones, USD
# quotes, `v` base volume [today, 24h], `p` VWAP [today, 24h].
KRAKEN_TICKERS: dict[str, Any] = {
    "error": [],
    "result": {
        "XXBTZUSD": {
            "a": ["97040.10000", "1", "1.000"],
            "b": ["97040.00000", "2", "2.000"],
            "c": ["97041.00000", "0.001"],
            "v": ["100.5", "1000.0"],
            "p": ["97000.0", "96000.0"],
            "t": [1000, 5000],
            "o": "96500.0",
        },
        "USDTZUSD": {"a": ["1.00050", "1", "1"], "b": ["1.00030", "1", "1"], "c": ["1.0004", "1"]},
        "USDCUSD": {"a": ["1.0000", "1", "1"], "b": ["0.9998", "1", "1"], "c": ["0.9999", "1"]},
        "SOLUSDT": {"a": ["150.2", "1", "1"], "b": ["150.0", "1", "1"], "c": ["150.1", "1"]},
        "XETHXXBT": {"a": ["0.035", "1", "1"], "b": ["0.034", "1", "1"], "c": ["0.035", "1"]},
    },
}
# KuCoin (docs.kucoin.com get-all-tickers): buy = best bid, sell = best ask, volValue in the quote.
KUCOIN_TICKERS: dict[str, Any] = {
    "code": "200000",
    "data": {
        "time": 1764090000000,
        "ticker": [
            {"symbol": "BTC-USDT", "buy": "97000", "sell": "97002", "last": "97001", "volValue": "5000000.5"},
            {"symbol": "LTONLY-USDT", "buy": "0.41", "sell": "0.43", "last": "0.5", "volValue": "120000"},
            {"symbol": "USDC-USDT", "buy": "0.9997", "sell": "0.9999", "last": "0.9998"},
            {"symbol": "ETH-BTC", "buy": "0.035", "sell": "0.036", "last": "0.035"},
        ],
    },
}
# Gate (API v4 list_tickers): currency_pair BASE_QUOTE, quote_volume in the quote.
GATE_TICKERS = [
    {
        "currency_pair": "BTC_USDT",
        "last": "97003",
        "lowest_ask": "97004",
        "highest_bid": "97002",
        "quote_volume": "3e6",
    },
    {
        "currency_pair": "LTONLY_USDT",
        "last": "0.42",
        "lowest_ask": "",
        "highest_bid": "",
        "quote_volume": "80000",
    },
    {"currency_pair": "USDC_USDT", "last": "0.9999", "lowest_ask": "1", "highest_bid": "0.9998"},
]
# MEXC (spot v3 /api/v3/ticker/24hr): Binance-like symbols, quoteVolume in the quote.
MEXC_TICKERS = [
    {
        "symbol": "BTCUSDT",
        "lastPrice": "97010",
        "bidPrice": "97008",
        "askPrice": "97012",
        "quoteVolume": "2000000",
    },
    {
        "symbol": "LTONLYUSDT",
        "lastPrice": "0.421",
        "bidPrice": "0.42",
        "askPrice": "0.422",
        "quoteVolume": "50000",
    },
    {
        "symbol": "USDCUSDT",
        "lastPrice": "1.0001",
        "bidPrice": "1",
        "askPrice": "1.0002",
        "quoteVolume": "9e8",
    },
]


def test_kraken_names_legacy_pairs_and_converts_usd_with_its_own_usdt_usd() -> None:
    quotes = kraken.parse(KRAKEN_TICKERS)
    assert quotes.by_currency["USD"]["BTC"] == pytest.approx(97040.05)
    assert quotes.by_currency["USDT"]["SOL"] == pytest.approx(150.1)
    assert quotes.price("BTC", "USDT") == pytest.approx(97040.05 / 1.0004)
    assert quotes.stablecoin_prices() == {("USDT", "USD"): pytest.approx(1.0004), ("USDC", "USD"): 0.9999}
    assert quotes.volume("BTC", "USD") == pytest.approx(1000.0 * 96000.0)  # 24 h, not today
    assert kraken.normalise("XETHXXBT") is None  # quoted in BTC: not a reference


def test_kucoin_gate_and_mexc_give_book_mids_and_quote_volumes() -> None:
    kc, gt, mx = kucoin.parse(KUCOIN_TICKERS), gate.parse(GATE_TICKERS), mexc.parse(MEXC_TICKERS)
    assert kc.price("BTC", "USDT") == pytest.approx(97001.0)
    assert gt.price("BTC", "USDT") == pytest.approx(97003.0)
    assert mx.price("BTC", "USDT") == pytest.approx(97010.0)
    assert gt.price("LTONLY", "USDT") == 0.42  # no book: the last trade
    assert kc.volume("BTC", "USDT") == 5000000.5
    assert gt.volume("LTONLY", "USDT") == 80000.0
    assert mx.volume("LTONLY", "USDT") == 50000.0
    assert kc.stablecoin_prices() == {("USDC", "USDT"): pytest.approx(0.9998)}


@pytest.mark.parametrize(
    ("module", "payload", "reason"),
    [
        (kraken, {"error": ["EGeneral:Too many requests"]}, "api_error"),
        (kucoin, {"code": "429000", "msg": "Too Many Requests"}, "api_error"),
        (gate, {"label": "INVALID_CURRENCY_PAIR", "message": "Invalid currency pair"}, "api_error"),
        (
            mexc,
            {"code": 700003, "msg": "Timestamp for this request is outside of the recvWindow."},
            "api_error",
        ),
        (gate, {"tickers": []}, "shape"),
        (kucoin, {"code": "200000", "data": {"ticker": None}}, "shape"),
    ],
)
def test_new_sources_report_their_errors(module: Any, payload: Any, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        module.parse(payload)
    assert caught.value.reason == reason


def test_binance_keeps_usdt_and_usdc_quotes_as_they_are() -> None:
    quotes = binance.parse(BINANCE_TICKERS)
    usdt, usdc = quotes.by_currency["USDT"], quotes.by_currency["USDC"]
    assert usdt["BTC"] == 97031.9  # the oracle is USDT-denominated: no conversion for USDT pairs
    assert usdt["PEPE"] == 0.00001532
    assert usdc == {"BTC": 97012.0}
    assert "HALTED" not in usdt  # a zero price is a halted pair, not a price
    assert "ETHB" not in usdt
    assert quotes.stablecoin_prices() == {("USDC", "USDT"): 1.0002}


def test_okx_and_bybit_prefer_the_book_mid_over_the_last_trade() -> None:
    assert okx.parse(OKX_TICKERS).by_currency["USDT"]["BTC"] == pytest.approx((97010.0 + 97010.4) / 2)
    usdt = bybit.parse(BYBIT_TICKERS).by_currency["USDT"]
    assert usdt["ETH"] == pytest.approx(3422.0)  # bid 3421, ask 3423; the last trade 3400 is stale
    assert usdt["BTC"] == 97020.5  # no ask: the last trade
    assert usdt["PEPE"] == 0.0000153


def test_a_crossed_book_falls_back_to_the_last_trade() -> None:
    crossed = {
        **OKX_TICKERS,
        "data": [{"instId": "BTC-USDT", "last": "97000", "bidPx": "97100", "askPx": "97050"}],
    }
    assert okx.parse(crossed).by_currency["USDT"]["BTC"] == 97000.0


def test_quotes_convert_into_the_oracle_currency_with_the_exchanges_own_stablecoin_price() -> None:
    # 11 March 2023: USDC at about 0.88 USD, so USDC/USDT about 0.88 on the exchanges.
    quotes = Quotes({"USDT": {"USDC": 0.88, "BTC": 20000.0, "HYPE": 30.0}, "USDC": {"ETH": 1600.0}})
    assert quotes.price("BTC", "USDT") == 20000.0  # a USDC depeg leaves USDT-denominated coins alone
    assert quotes.price("ETH", "USDT") == pytest.approx(1600.0 * 0.88)
    assert quotes.price("HYPE", "USDC") == pytest.approx(30.0 / 0.88)
    usd = Quotes({"USD": {"USDT": 0.97, "USDC": 1.0, "BTC": 29100.0}})  # May 2022: USDT at 0.97 USD
    assert usd.price("BTC", "USDT") == pytest.approx(30000.0)
    assert usd.price("BTC", "USDC") == pytest.approx(29100.0)
    assert usd.stablecoin_prices() == {("USDT", "USD"): 0.97, ("USDC", "USD"): 1.0}


@pytest.mark.parametrize(
    "payload",
    [
        [t for t in BINANCE_TICKERS if t["symbol"] != "USDCUSDT"],
        [*(t for t in BINANCE_TICKERS if t["symbol"] != "USDCUSDT"), {"symbol": "USDCUSDT", "price": "0.01"}],
    ],
    ids=["missing", "implausible"],
)
def test_without_a_sane_stablecoin_price_only_direct_quotes_are_used(payload: Any) -> None:
    quotes = binance.parse(payload)
    assert quotes.price("BTC", "USDT") == 97031.9
    assert quotes.price("ETH", "USDC") is None  # no USDC pair, and nothing to convert the USDT one with
    assert quotes.stablecoin_prices() == {}


def test_exchange_error_codes_fail_the_source() -> None:
    with pytest.raises(SourceError, match="51000") as okx_error:
        okx.parse({"code": "51000", "msg": "Parameter instType error", "data": []})
    assert okx_error.value.reason == "api_error"
    with pytest.raises(SourceError, match="params error"):
        bybit.parse({"retCode": 10001, "retMsg": "params error", "result": {}})


def test_coinbase_answer() -> None:
    assert (
        coinbase.parse({"data": {"amount": "97015.125", "base": "BTC", "currency": "USD"}}, "BTC")
        == 97015.125
    )
    assert coinbase.parse({"data": {"amount": "1", "base": "ETH", "currency": "USD"}}, "BTC") is None
    with pytest.raises(SourceError):
        coinbase.parse({"errors": [{"id": "not_found"}]}, "BTC")


def test_symbol_map_defaults_and_overrides() -> None:
    symbols = SymbolMap(
        {"MATIC": SymbolMapping(base="POL"), "kNEIRO": SymbolMapping(base="NEIRO", scale=1000)}, ["HYPE"]
    )
    assert symbols.asset("BTC") == ExchangeAsset("BTC", 1.0)
    assert symbols.asset("kPEPE") == ExchangeAsset("PEPE", 1000.0)  # the k rule, without configuration
    assert symbols.asset("MATIC") == ExchangeAsset("POL", 1.0)
    assert symbols.asset("kNEIRO") == ExchangeAsset("NEIRO", 1000.0)
    assert symbols.asset("kb") == ExchangeAsset("kb", 1.0)
    assert (symbols.quote_currency("HYPE"), symbols.quote_currency("BTC")) == ("USDC", "USDT")
    quotes = Quotes({"USDT": {"BTC": 97000.0, "PEPE": 0.0000153, "POL": 0.5, "HYPE": 30.0, "USDC": 1.2}})
    prices = symbols.coin_prices(["BTC", "kPEPE", "MATIC", "HYPE", "HYPERP"], quotes)
    assert prices == {"BTC": 97000.0, "kPEPE": pytest.approx(0.0153), "MATIC": 0.5, "HYPE": 25.0}


def test_configured_default_mapping_prices_kpepe_as_1000_pepe() -> None:
    symbols = SymbolMap(Config().reference_prices.symbols)
    assert symbols.asset("kPEPE") == ExchangeAsset("PEPE", 1000.0)
    assert symbols.asset("kSHIB") == ExchangeAsset("SHIB", 1000.0)


def config(**prices: Any) -> Config:
    return Config.model_validate(
        {
            "collectors": {
                name: {"enabled": False}
                for name in ("vaults", "accounts", "fills", "dexes", "liveness", "governance")
            },
            "reference_prices": {
                "binance": {"base_url": BINANCE},
                "okx": {"base_url": OKX},
                "bybit": {"base_url": BYBIT},
                "coinbase": {"base_url": COINBASE, "interval_seconds": 60},
                "kraken": {"base_url": KRAKEN},
                "kucoin": {"base_url": KUCOIN},
                "gate": {"base_url": GATE},
                "mexc": {"base_url": MEXC},
                # The perp venues and the mark replica are tested in tests/market/test_mark_replica.py.
                "perps": {
                    venue: {"base_url": "https://perps.test", "enabled": False}
                    for venue in ("binance", "okx", "bybit", "gate", "mexc")
                },
                "mark_replica": {"enabled": False},
                **prices,
            },
        }
    )


def config_without_market() -> Config:
    body = config().model_dump()
    body["collectors"]["market"]["enabled"] = False
    return Config.model_validate(body)


@pytest.fixture
async def exporter() -> AsyncIterator[Exporter]:
    built = build_exporter(
        config(coinbase_coins=["BTC", "kPEPE", "HYPE", "DELISTED"], coinbase_max_concurrency=2)
    )
    built.context.universe.publish(["BTC", "ETH", "kPEPE", "HYPE", "LTONLY"])
    yield built
    await built.aclose()


def poller(exporter: Exporter, name: str) -> Any:
    return next(p for p in exporter.scheduler.pollers if p.name == name)


def mock_bulk_sources(router: respx.Router) -> None:
    router.get(f"{BINANCE}/api/v3/ticker/price").respond(json=BINANCE_TICKERS)
    router.get(f"{OKX}/api/v5/market/tickers", params={"instType": "SPOT"}).respond(json=OKX_TICKERS)
    router.get(f"{BYBIT}/v5/market/tickers", params={"category": "spot"}).respond(json=BYBIT_TICKERS)
    router.get(f"{KRAKEN}/0/public/Ticker").respond(json=KRAKEN_TICKERS)
    router.get(f"{KUCOIN}/api/v1/market/allTickers").respond(json=KUCOIN_TICKERS)
    router.get(f"{GATE}/api/v4/spot/tickers").respond(json=GATE_TICKERS)
    router.get(f"{MEXC}/api/v3/ticker/24hr").respond(json=MEXC_TICKERS)


def mock_coinbase_stablecoins(router: respx.Router, usdt_usd: str = "1.0004") -> None:
    for base, amount in (("USDT", usdt_usd), ("USDC", "1")):
        router.get(f"{COINBASE}/v2/prices/{base}-USD/spot").respond(
            json={"data": {"amount": amount, "base": base, "currency": "USD"}}
        )


NEW_SOURCES = ("prices_kraken", "prices_kucoin", "prices_gate", "prices_mexc")


def price_labels(coin: str, source: str, quote: str = "USDT") -> frozenset[tuple[str, str]]:
    return frozenset({("coin", coin), ("source", source), ("quote", quote)})


async def test_every_source_publishes_listed_coins_in_their_oracle_currency(exporter: Exporter) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_bulk_sources(router)
        mock_coinbase_stablecoins(router)
        router.get(f"{COINBASE}/v2/prices/BTC-USD/spot").respond(
            json={"data": {"amount": "97015.12", "base": "BTC", "currency": "USD"}}
        )
        router.get(f"{COINBASE}/v2/prices/PEPE-USD/spot").respond(
            json={"data": {"amount": "0.00001531", "base": "PEPE", "currency": "USD"}}
        )
        router.get(f"{COINBASE}/v2/prices/HYPE-USD/spot").respond(404, json={"errors": [{"id": "not_found"}]})
        router.post("https://api.hyperliquid.xyz/info").respond(json={"HYPE": "31.0"})  # no spot pair
        for name in ("prices_binance", "prices_okx", "prices_bybit", "prices_coinbase", *NEW_SOURCES):
            assert await exporter.scheduler.poll_once(poller(exporter, name))
        for name in (
            "prices_hyperliquid_spot",
            "prices_hyperliquid_spot_volume",
            "prices_hyperps",
            "prices_oracle_replica",
        ):
            assert await exporter.scheduler.poll_once(poller(exporter, name))
    found = samples(exporter.render_metrics())
    price = series(found, "hyperliquid_external_price")
    assert price == {
        price_labels("BTC", "binance"): 97031.9,
        price_labels("ETH", "binance"): 3422.38,
        price_labels("kPEPE", "binance"): pytest.approx(0.01532),
        price_labels("BTC", "okx"): pytest.approx(97010.2),
        price_labels("BTC", "bybit"): 97020.5,
        price_labels("ETH", "bybit"): pytest.approx(3422.0),
        price_labels("kPEPE", "bybit"): pytest.approx(0.0153),
        # USD quotes expressed in USDT with Coinbase's own USDT-USD price
        price_labels("BTC", "coinbase"): pytest.approx(97015.12 / 1.0004),
        price_labels("kPEPE", "coinbase"): pytest.approx(0.01531 / 1.0004),
        price_labels("BTC", "kraken"): pytest.approx(97040.05 / 1.0004),
        price_labels("BTC", "kucoin"): pytest.approx(97001.0),
        price_labels("LTONLY", "kucoin"): pytest.approx(0.42),
        price_labels("BTC", "gate"): pytest.approx(97003.0),
        price_labels("LTONLY", "gate"): pytest.approx(0.42),
        price_labels("BTC", "mexc"): pytest.approx(97010.0),
        price_labels("LTONLY", "mexc"): pytest.approx(0.421),
    }
    volumes = series(found, "hyperliquid_external_day_notional_volume")
    assert volumes[price_labels("BTC", "kraken")] == pytest.approx(96000.0 * 1000.0 / 1.0004)
    assert volumes[price_labels("LTONLY", "gate")] == 80000.0
    assert price_labels("BTC", "binance") not in volumes  # Binance's price ticker has no volume
    # The replica: Binance 3, OKX 2, Bybit 2, Kraken, KuCoin, Gate, MEXC 1; Coinbase is not a source.
    replica = series(found, "hyperliquid_oracle_replica_price")
    assert replica[frozenset({("coin", "BTC"), ("quote", "USDT")})] == pytest.approx(97010.2)  # OKX's
    # A coin only KuCoin, Gate and MEXC list is replicated (and so checked), from those three.
    assert replica[frozenset({("coin", "LTONLY"), ("quote", "USDT")})] == pytest.approx(0.42)
    weights = series(found, "hyperliquid_oracle_replica_source_weight")
    assert {dict(labels)["source"] for labels in weights if dict(labels)["coin"] == "LTONLY"} == {
        "kucoin",
        "gate",
        "mexc",
    }
    assert weights[frozenset({("coin", "BTC"), ("source", "binance")})] == 3.0
    assert not any(dict(labels)["source"] == "coinbase" for labels in weights)
    stablecoins = series(found, "hyperliquid_stablecoin_price")
    assert stablecoins == {
        frozenset({("source", "binance"), ("stablecoin", "USDC"), ("quote", "USDT")}): 1.0002,
        frozenset({("source", "okx"), ("stablecoin", "USDC"), ("quote", "USDT")}): 0.9998,
        frozenset({("source", "bybit"), ("stablecoin", "USDC"), ("quote", "USDT")}): 1.0001,
        frozenset({("source", "coinbase"), ("stablecoin", "USDT"), ("quote", "USD")}): 1.0004,
        frozenset({("source", "coinbase"), ("stablecoin", "USDC"), ("quote", "USD")}): 1.0,
        frozenset({("source", "kraken"), ("stablecoin", "USDT"), ("quote", "USD")}): pytest.approx(1.0004),
        frozenset({("source", "kraken"), ("stablecoin", "USDC"), ("quote", "USD")}): pytest.approx(0.9999),
        frozenset({("source", "kucoin"), ("stablecoin", "USDC"), ("quote", "USDT")}): pytest.approx(0.9998),
        frozenset({("source", "gate"), ("stablecoin", "USDC"), ("quote", "USDT")}): pytest.approx(0.9999),
        frozenset({("source", "mexc"), ("stablecoin", "USDC"), ("quote", "USDT")}): pytest.approx(1.0001),
    }
    for source in ("binance", "okx", "bybit", "coinbase", "kraken", "kucoin", "gate", "mexc"):
        assert value(found, "hyperliquid_external_source_up", source=source) == 1.0
        stamp = value(found, "hyperliquid_external_source_last_success_timestamp_seconds", source=source)
        assert stamp is not None
        assert stamp > 1.7e9
    assert value(found, "hyperliquid_exporter_collector_success", collector="prices") == 1.0


async def test_excluded_coins_are_never_priced() -> None:
    built = build_exporter(config(exclude_coins=["ETH"], coinbase_coins=["ETH"]))
    built.context.universe.publish(["BTC", "ETH"])
    try:
        with respx.mock(assert_all_called=False) as router:
            mock_bulk_sources(router)
            mock_coinbase_stablecoins(router)
            coinbase_eth = router.get(f"{COINBASE}/v2/prices/ETH-USD/spot").respond(
                json={"data": {"amount": "3400", "base": "ETH", "currency": "USD"}}
            )
            for name in ("prices_binance", "prices_coinbase"):
                assert await built.scheduler.poll_once(poller(built, name))
    finally:
        await built.aclose()
    assert not coinbase_eth.called
    prices = series(samples(built.render_metrics()), "hyperliquid_external_price")
    assert set(prices) == {price_labels("BTC", "binance")}


@pytest.mark.parametrize("status", [451, 403])
async def test_region_block_is_source_down_logged_once(
    exporter: Exporter, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="exporter.collectors.prices")
    with respx.mock(assert_all_called=False) as router:
        mock_bulk_sources(router)
        blocked = router.get(f"{BINANCE}/api/v3/ticker/price")
        blocked.respond(status, json={"code": 0, "msg": "Service unavailable from a restricted location"})
        for _ in range(3):
            assert await exporter.scheduler.poll_once(poller(exporter, "prices_binance"))
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_okx"))
        found = samples(exporter.render_metrics())
        assert value(found, "hyperliquid_external_source_up", source="binance") == 0.0
        assert (
            value(found, "hyperliquid_external_source_last_success_timestamp_seconds", source="binance")
            == 0.0
        )
        assert not any(
            dict(labels)["source"] == "binance" for labels in series(found, "hyperliquid_external_price")
        )
        assert value(found, "hyperliquid_external_source_up", source="okx") == 1.0
        assert value(found, "hyperliquid_external_price", coin="BTC", source="okx", quote="USDT") is not None
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert f"HTTP {status}" in warnings[0].getMessage()
        assert "binance" in warnings[0].getMessage()

        blocked.respond(json=BINANCE_TICKERS)
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_binance"))
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_external_source_up", source="binance") == 1.0
    assert any("up again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(429),
        httpx.Response(200, content=b"<html>"),
        httpx.Response(200, json={"code": 0}),
        httpx.ConnectTimeout("slow"),
        httpx.ConnectError("refused"),
    ],
    ids=["5xx", "429", "invalid-json", "wrong-shape", "timeout", "connection"],
)
async def test_any_source_failure_reads_as_source_down(exporter: Exporter, failure: Any) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.get(f"{BINANCE}/api/v3/ticker/price")
        if isinstance(failure, Exception):
            route.side_effect = failure
        else:
            route.return_value = failure
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_binance"))
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_external_source_up", source="binance") == 0.0


async def test_coinbase_asks_one_coin_at_a_time_within_its_concurrency(exporter: Exporter) -> None:
    in_flight = 0
    most = 0
    asked: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        pair = request.url.path.split("/")[3]
        if pair.startswith("USD"):
            return httpx.Response(200, json={"data": {"amount": "1", "base": pair[:-4], "currency": "USD"}})
        asked.append(pair)
        return httpx.Response(200, json={"data": {"amount": "2.5", "base": pair[:-4], "currency": "USD"}})

    many = config(coinbase_coins=[f"C{n}" for n in range(10)], coinbase_max_concurrency=3)
    built = build_exporter(many)
    built.context.universe.publish([f"C{n}" for n in range(12)])
    try:
        with respx.mock() as router:
            router.get(url__startswith=f"{COINBASE}/v2/prices/").mock(side_effect=answer)
            assert await built.scheduler.poll_once(poller(built, "prices_coinbase"))
    finally:
        await built.aclose()
    assert sorted(asked) == sorted(f"C{n}-USD" for n in range(10))
    assert most == 3
    found = samples(built.render_metrics())
    assert len(series(found, "hyperliquid_external_price")) == 10


async def test_coinbase_failure_on_one_coin_fails_the_source(exporter: Exporter) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{COINBASE}/v2/prices/BTC-USD/spot").respond(
            json={"data": {"amount": "97015.12", "base": "BTC", "currency": "USD"}}
        )
        mock_coinbase_stablecoins(router)
        router.get(f"{COINBASE}/v2/prices/PEPE-USD/spot").respond(503)
        router.get(f"{COINBASE}/v2/prices/HYPE-USD/spot").respond(404)
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_coinbase"))
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_external_source_up", source="coinbase") == 0.0
    assert value(found, "hyperliquid_external_price", coin="BTC", source="coinbase", quote="USDT") is None


async def test_prices_wait_for_the_universe_then_fail_the_poll() -> None:
    built = build_exporter(config(binance={"base_url": BINANCE, "interval_seconds": 0.05}))
    try:
        with respx.mock(assert_all_called=False) as router:
            route = router.get(f"{BINANCE}/api/v3/ticker/price").respond(json=BINANCE_TICKERS)
            assert not await built.scheduler.poll_once(poller(built, "prices_binance"))
            assert not route.called  # no coin list yet: the exchange is not asked
    finally:
        await built.aclose()
    found = samples(built.render_metrics())
    assert value(found, "hyperliquid_exporter_collector_success", collector="prices") == 0.0


async def test_disabled_sources_get_no_poller() -> None:
    partial = build_exporter(config(okx={"base_url": OKX, "enabled": False}, coinbase_coins=[]))
    switched_off = build_exporter(config(enabled=False))
    try:
        names = {p.name for p in partial.scheduler.pollers}
        assert names == {
            "market",
            "market_open_interest_cap",
            "market_book_depth",
            "prices_binance",
            "prices_bybit",
            "prices_hyperliquid_spot",
            "prices_hyperliquid_spot_volume",
            "prices_hyperps",
            "prices_oracle_replica",
            *NEW_SOURCES,
        }
        assert {p.collector for p in switched_off.scheduler.pollers} == {"market", "book_depth"}
        no_market = build_exporter(config_without_market())
        assert no_market.scheduler.pollers == []  # no coin list, so no reference prices either
        await no_market.aclose()
    finally:
        await partial.aclose()
        await switched_off.aclose()


async def test_coinbase_without_usdt_usd_cannot_express_usd_in_usdt(exporter: Exporter) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(url__startswith=f"{COINBASE}/v2/prices/").respond(404)
        router.get(f"{COINBASE}/v2/prices/BTC-USD/spot").respond(
            json={"data": {"amount": "97015.12", "base": "BTC", "currency": "USD"}}
        )
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_coinbase"))
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_external_source_up", source="coinbase") == 0.0
    assert value(found, "hyperliquid_external_price", coin="BTC", source="coinbase", quote="USDT") is None


async def test_hyperliquid_spot_prices_usdc_denominated_perps_in_usdc(exporter: Exporter) -> None:
    spot = poller(exporter, "prices_hyperliquid_spot")
    assert spot.planned_weight_per_minute == 12.0  # allMids costs 2, every 10 s
    mids = {"BTC": "97000.0", "HYPE": "31.0", "@107": "30.55", "PURR/USDC": "0.21", "@1": "9"}
    with respx.mock(assert_all_called=True) as router:
        router.post("https://api.hyperliquid.xyz/info", json={"type": "allMids"}).respond(json=mids)
        assert await exporter.scheduler.poll_once(spot)
    found = samples(exporter.render_metrics())
    # PURR is not listed in this universe; the perp mid (key HYPE) is not a spot price.
    assert series(found, "hyperliquid_external_price") == {
        price_labels("HYPE", "hyperliquid_spot", "USDC"): 30.55
    }
    assert value(found, "hyperliquid_external_source_up", source="hyperliquid_spot") == 1.0


async def test_hyperliquid_spot_failure_is_source_down(exporter: Exporter) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post("https://api.hyperliquid.xyz/info").respond(200, json=["not", "a", "map"])
        assert await exporter.scheduler.poll_once(poller(exporter, "prices_hyperliquid_spot"))
    found = samples(exporter.render_metrics())
    assert value(found, "hyperliquid_external_source_up", source="hyperliquid_spot") == 0.0


async def test_configured_hyperps_that_are_listed_are_published() -> None:
    built = build_exporter(config(hyperps=["MEGA", "GONE"]))
    built.context.universe.publish(["BTC", "MEGA", "XPL"])
    try:
        assert await built.scheduler.poll_once(poller(built, "prices_hyperps"))
    finally:
        await built.aclose()
    found = samples(built.render_metrics())
    assert series(found, "hyperliquid_hyperp_info") == {frozenset({("coin", "MEGA")}): 1.0}
