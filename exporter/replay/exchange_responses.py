"""The reference exchanges' ticker endpoints, with prices from the scenario's reference paths.

Binance, OKX, Bybit, KuCoin, Gate and MEXC quote USDT pairs: the coin's USD price divided by USDT's USD
rate, plus their USDC/USDT pair (the cross rate times the exchange's own wobble). Coinbase and Kraken
quote USD, and USDT-USD and USDC-USD. Every ticker but Binance's and Coinbase's carries a best bid and
ask a hair around the price and the 24-hour volume (the coin's `external_volume_usd`).

Shapes, from the exchanges' public API documentation: Kraken `GET /0/public/Ticker`
(docs.kraken.com/rest, getTickerInformation), KuCoin `GET /api/v1/market/allTickers`
(docs.kucoin.com, get-all-tickers), Gate `GET /api/v4/spot/tickers` (Gate API v4, list_tickers in
gateio/gateapi-python), MEXC `GET /api/v3/ticker/24hr` (mexcdevelop.github.io/apidocs/spot_v3_en).
"""

from __future__ import annotations

import random
from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.market import CoinTrack, Market
from exporter.replay.numbers import decimal_string
from exporter.replay.scenario import EXCHANGES, Exchange, Stablecoin

Json = Any
# Each exchange sits a hair away from the reference price, at most this much (deterministic per coin).
MAX_EXCHANGE_BIAS = 0.0003
# 24-hour notional of a stablecoin pair (USDC/USDT, USDT-USD) on every exchange.
STABLECOIN_PAIR_VOLUME_USD = 500_000_000.0
# Best bid and ask sit this far (as a ratio) either side of the last price on OKX and Bybit.
HALF_SPREAD = 0.00005

OUTAGE_BODIES: dict[Exchange, str] = {
    "binance": (
        '{"code":0,"msg":"Service unavailable from a restricted location according to '
        "'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service "
        'if you believe you received this message in error."}'
    ),
    "okx": '{"msg":"Forbidden","code":"50002"}',
    "bybit": "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center>"
    "<hr><center>CloudFront</center></body></html>",
    "coinbase": '{"errors":[{"id":"service_unavailable","message":"Service Unavailable"}]}',
    "kraken": '{"error":["EService:Unavailable"]}',
    "kucoin": '{"code":"403000","msg":"Unavailable to U.S. IP"}',
    "gate": '{"label":"FORBIDDEN","message":"Your IP is not allowed"}',
    "mexc": '{"code":403,"msg":"Access denied"}',
}
# The stablecoins the reference exchanges quote (USDH trades on Hyperliquid spot only).
EXCHANGE_STABLECOINS: tuple[Stablecoin, ...] = ("USDT", "USDC")
# Kraken's legacy codes for a few assets (its pair keys read XXBTZUSD, XETHZUSD, XDGUSD).
KRAKEN_PAIRS = {"BTC": "XXBTZUSD", "ETH": "XETHZUSD", "DOGE": "XDGUSD", "XRP": "XXRPZUSD", "LTC": "XLTCZUSD"}


class ExchangeResponder:
    def __init__(self, market: Market, clock: ScenarioClock, seed: int) -> None:
        self._market = market
        self._clock = clock
        rng = random.Random(seed)
        self._bias = {
            (exchange, track.name): rng.uniform(-MAX_EXCHANGE_BIAS, MAX_EXCHANGE_BIAS)
            for track in market.coins
            for exchange in EXCHANGES
        }

    def outage(self, exchange: Exchange) -> int | None:
        return self._market.outage_status(exchange, self._clock.now())

    def _listed(self, exchange: Exchange, now: float) -> list[tuple[str, float]]:
        """(exchange base symbol, price in USD per exchange unit) of coins the exchange quotes."""
        quoted = []
        for track in self._market.coins:
            if exchange not in track.listed_on or track.spec.hyperp:
                continue
            usd = self._market.reference_price(track, now) * (1 + self._bias[(exchange, track.name)])
            quoted.append((_base(track), usd / track.spec.exchange_units))
        return quoted

    def _usdt_pairs(self, exchange: Exchange, now: float) -> list[tuple[str, float]]:
        """(base, price in USDT) of the exchange's USDT pairs, its USDC/USDT pair first."""
        rate = self._market.usdc_usdt_rate(exchange, now)
        listed = self._listed(exchange, now)
        return [("USDC", rate)] + [(base, self._market.in_currency(usd, "USDT", now)) for base, usd in listed]

    def _usdt_rows(self, exchange: Exchange, now: float) -> list[tuple[str, float, float]]:
        """(base, price in USDT, 24-hour notional in USDT) of the exchange's USDT pairs."""
        volumes = self._volumes_usd(exchange, now)
        usdt = self._market.in_currency(1.0, "USDT", now)
        return [
            (base, price, volumes.get(base, STABLECOIN_PAIR_VOLUME_USD) * usdt)
            for base, price in self._usdt_pairs(exchange, now)
        ]

    def _volumes_usd(self, exchange: Exchange, now: float) -> dict[str, float]:
        return {
            _base(track): track.paths["external_volume_usd"].value_at(now)
            for track in self._market.coins
            if exchange in track.listed_on and not track.spec.hyperp
        }

    def binance(self, symbol: str | None) -> tuple[int, Json]:
        now = self._clock.now()
        tickers = [
            {"symbol": f"{base}USDT", "price": _fixed8(price)}
            for base, price in self._usdt_pairs("binance", now)
        ]
        if symbol is None:
            return 200, tickers
        for ticker in tickers:
            if ticker["symbol"] == symbol:
                return 200, ticker
        return 400, {"code": -1121, "msg": "Invalid symbol."}

    def okx(self, inst_type: str | None) -> tuple[int, Json]:
        if inst_type != "SPOT":
            return 200, {"code": "51000", "msg": "Parameter instType error", "data": []}
        now = self._clock.now()
        ts = str(self._clock.wall_ms(now))
        data = []
        for base, last, volume in self._usdt_rows("okx", now):
            text = _significant(last)
            data.append(
                {
                    "instType": "SPOT",
                    "instId": f"{base}-USDT",
                    "last": text,
                    "lastSz": "1",
                    "askPx": _significant(last * (1 + HALF_SPREAD)),
                    "askSz": "100",
                    "bidPx": _significant(last * (1 - HALF_SPREAD)),
                    "bidSz": "100",
                    "open24h": text,
                    "high24h": text,
                    "low24h": text,
                    "volCcy24h": _significant(volume),
                    "vol24h": _significant(volume / last),
                    "ts": ts,
                    "sodUtc0": text,
                    "sodUtc8": text,
                }
            )
        return 200, {"code": "0", "msg": "", "data": data}

    def bybit(self, category: str | None) -> tuple[int, Json]:
        now = self._clock.now()
        time_ms = self._clock.wall_ms(now)
        if category != "spot":
            return 200, {
                "retCode": 10001,
                "retMsg": "Illegal category",
                "result": {},
                "retExtInfo": {},
                "time": time_ms,
            }
        usdt_usd = self._market.usd_rate["USDT"].value_at(now)
        rows = []
        for base, last, volume in self._usdt_rows("bybit", now):
            text = _significant(last)
            rows.append(
                {
                    "symbol": f"{base}USDT",
                    "bid1Price": _significant(last * (1 - HALF_SPREAD)),
                    "bid1Size": "100",
                    "ask1Price": _significant(last * (1 + HALF_SPREAD)),
                    "ask1Size": "100",
                    "lastPrice": text,
                    "prevPrice24h": text,
                    "price24hPcnt": "0",
                    "highPrice24h": text,
                    "lowPrice24h": text,
                    "turnover24h": _significant(volume),
                    "volume24h": _significant(volume / last),
                    "usdIndexPrice": _significant(last * usdt_usd),
                }
            )
        result = {"category": "spot", "list": rows}
        return 200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": time_ms}

    def coinbase(self, pair: str) -> tuple[int, Json]:
        base, _, currency = pair.partition("-")
        now = self._clock.now()
        stablecoins = [(coin, self._market.usd_rate[coin].value_at(now)) for coin in EXCHANGE_STABLECOINS]
        for symbol, usd in self._listed("coinbase", now) + stablecoins:
            if symbol == base and currency == "USD":
                return 200, {"data": {"amount": _significant(usd), "base": base, "currency": "USD"}}
        return 404, {"errors": [{"id": "not_found", "message": "Invalid base currency"}]}

    def kraken(self) -> tuple[int, Json]:
        now = self._clock.now()
        volumes = self._volumes_usd("kraken", now)
        stablecoins = [(coin, self._market.usd_rate[coin].value_at(now)) for coin in EXCHANGE_STABLECOINS]
        result: dict[str, Json] = {}
        for base, usd in self._listed("kraken", now) + stablecoins:
            pair = KRAKEN_PAIRS.get(base, "USDTZUSD" if base == "USDT" else f"{base}USD")
            text = _significant(usd)
            base_volume = _significant(volumes.get(base, STABLECOIN_PAIR_VOLUME_USD) / usd)
            result[pair] = {
                "a": [_significant(usd * (1 + HALF_SPREAD)), "1", "1.000"],
                "b": [_significant(usd * (1 - HALF_SPREAD)), "1", "1.000"],
                "c": [text, "0.1"],
                "v": [base_volume, base_volume],
                "p": [text, text],
                "t": [1000, 1000],
                "l": [text, text],
                "h": [text, text],
                "o": text,
            }
        return 200, {"error": [], "result": result}

    def kucoin(self) -> tuple[int, Json]:
        now = self._clock.now()
        rows = []
        for base, last, volume in self._usdt_rows("kucoin", now):
            rows.append(
                {
                    "symbol": f"{base}-USDT",
                    "symbolName": f"{base}-USDT",
                    "buy": _significant(last * (1 - HALF_SPREAD)),
                    "sell": _significant(last * (1 + HALF_SPREAD)),
                    "changeRate": "0",
                    "changePrice": "0",
                    "high": _significant(last),
                    "low": _significant(last),
                    "vol": _significant(volume / last),
                    "volValue": _significant(volume),
                    "last": _significant(last),
                    "averagePrice": _significant(last),
                    "takerFeeRate": "0.001",
                    "makerFeeRate": "0.001",
                    "takerCoefficient": "1",
                    "makerCoefficient": "1",
                }
            )
        return 200, {"code": "200000", "data": {"time": self._clock.wall_ms(now), "ticker": rows}}

    def gate(self) -> tuple[int, Json]:
        now = self._clock.now()
        rows = []
        for base, last, volume in self._usdt_rows("gate", now):
            text = _significant(last)
            rows.append(
                {
                    "currency_pair": f"{base}_USDT",
                    "last": text,
                    "lowest_ask": _significant(last * (1 + HALF_SPREAD)),
                    "highest_bid": _significant(last * (1 - HALF_SPREAD)),
                    "change_percentage": "0",
                    "base_volume": _significant(volume / last),
                    "quote_volume": _significant(volume),
                    "high_24h": text,
                    "low_24h": text,
                }
            )
        return 200, rows

    def mexc(self) -> tuple[int, Json]:
        now = self._clock.now()
        wall = self._clock.wall_ms(now)
        rows = []
        for base, last, volume in self._usdt_rows("mexc", now):
            text = _significant(last)
            rows.append(
                {
                    "symbol": f"{base}USDT",
                    "priceChange": "0",
                    "priceChangePercent": "0",
                    "prevClosePrice": text,
                    "lastPrice": text,
                    "bidPrice": _significant(last * (1 - HALF_SPREAD)),
                    "bidQty": "100",
                    "askPrice": _significant(last * (1 + HALF_SPREAD)),
                    "askQty": "100",
                    "openPrice": text,
                    "highPrice": text,
                    "lowPrice": text,
                    "volume": _significant(volume / last),
                    "quoteVolume": _significant(volume),
                    "openTime": wall - 86_400_000,
                    "closeTime": wall,
                    "count": None,
                }
            )
        return 200, rows


def _base(track: CoinTrack) -> str:
    return track.spec.exchange_symbol or track.name


def _fixed8(value: float) -> str:
    return f"{value:.8f}"


def _significant(value: float) -> str:
    """Up to 7 significant figures, fixed point (exchanges never use exponents)."""
    return decimal_string(float(f"{value:.7g}"), 12)
