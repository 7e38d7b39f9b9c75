"""The four reference exchanges' ticker endpoints, with prices from the scenario's reference paths.

Binance, OKX and Bybit quote USDT pairs: the coin's USD price divided by USDT's USD rate, plus their
USDC/USDT pair (the cross rate times the exchange's own wobble). Coinbase quotes USD, and USDT-USD
and USDC-USD. OKX and Bybit tickers carry a best bid and ask a hair around the price.
"""

from __future__ import annotations

import random
from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.market import CoinTrack, Market
from exporter.replay.numbers import decimal_string
from exporter.replay.scenario import Exchange

Json = Any
# Each exchange sits a hair away from the reference price, at most this much (deterministic per coin).
MAX_EXCHANGE_BIAS = 0.0003
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
}


class ExchangeResponder:
    def __init__(self, market: Market, clock: ScenarioClock, seed: int) -> None:
        self._market = market
        self._clock = clock
        rng = random.Random(seed)
        self._bias = {
            (exchange, track.name): rng.uniform(-MAX_EXCHANGE_BIAS, MAX_EXCHANGE_BIAS)
            for track in market.coins
            for exchange in ("binance", "okx", "bybit", "coinbase")
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
        for base, last in self._usdt_pairs("okx", now):
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
                    "volCcy24h": "1000000",
                    "vol24h": "1000000",
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
        for base, last in self._usdt_pairs("bybit", now):
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
                    "turnover24h": "1000000",
                    "volume24h": "1000000",
                    "usdIndexPrice": _significant(last * usdt_usd),
                }
            )
        result = {"category": "spot", "list": rows}
        return 200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": time_ms}

    def coinbase(self, pair: str) -> tuple[int, Json]:
        base, _, currency = pair.partition("-")
        now = self._clock.now()
        stablecoins = [(coin, rate.value_at(now)) for coin, rate in self._market.usd_rate.items()]
        for symbol, usd in self._listed("coinbase", now) + stablecoins:
            if symbol == base and currency == "USD":
                return 200, {"data": {"amount": _significant(usd), "base": base, "currency": "USD"}}
        return 404, {"errors": [{"id": "not_found", "message": "Invalid base currency"}]}


def _base(track: CoinTrack) -> str:
    return track.spec.exchange_symbol or track.name


def _fixed8(value: float) -> str:
    return f"{value:.8f}"


def _significant(value: float) -> str:
    """Up to 7 significant figures, fixed point (exchanges never use exponents)."""
    return decimal_string(float(f"{value:.7g}"), 12)
