"""The perp venues' bulk ticker endpoints (the mark's third component), with prices from the scenario.

Binance, OKX, Bybit, Gate and MEXC list a perp for every coin the scenario lists on that exchange
(`listed_on`; none for hyperps and builder-dex coins). A perp's mid is the coin's reference price in
USDT with a deterministic per-venue hair of its own (CEX perps track the spot market; they do not follow
Hyperliquid's own mark premium), and a best bid and ask HALF_SPREAD either side. Spot outage events do
not take the perp endpoints down (they are other hosts: fapi.binance.com, contract.mexc.com).

Shapes, from the venues' public API documentation (see exporter/prices/perps/ and
tests/fixtures/perp-tickers/): Binance `GET /fapi/v1/ticker/bookTicker`, OKX `GET /api/v5/market/tickers
?instType=SWAP`, Bybit `GET /v5/market/tickers?category=linear`, Gate `GET /api/v4/futures/usdt/tickers`,
MEXC `GET /api/v1/contract/ticker`. Binance and Bybit list coins traded per 1,000 units (kPEPE) as
`1000<BASE>USDT`, as they do.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from exporter.replay.clock import ScenarioClock
from exporter.replay.exchange_responses import HALF_SPREAD, MAX_EXCHANGE_BIAS, _significant
from exporter.replay.market import CoinTrack, Market

Json = Any
PerpVenue = Literal["binance", "okx", "bybit", "gate", "mexc"]
PERP_VENUES: tuple[PerpVenue, ...] = ("binance", "okx", "bybit", "gate", "mexc")
# Venues that name a contract on 1,000 units `1000<BASE>`.
THOUSAND_PREFIX_VENUES = frozenset({"binance", "bybit"})
# Apart from the spot biases' random stream, so adding perps moved no spot price.
PERP_SEED_OFFSET = 0x9E7


class PerpResponder:
    def __init__(self, market: Market, clock: ScenarioClock, seed: int) -> None:
        self._market = market
        self._clock = clock
        rng = random.Random(seed + PERP_SEED_OFFSET)
        self._bias = {
            (venue, track.name): rng.uniform(-MAX_EXCHANGE_BIAS, MAX_EXCHANGE_BIAS)
            for track in market.coins
            for venue in PERP_VENUES
        }

    def _contracts(self, venue: PerpVenue, now: float) -> list[tuple[str, float, float]]:
        """(contract base, mid in USDT per contract unit, 24-hour notional in USDT) of the venue's perps."""
        rows = []
        usdt = self._market.in_currency(1.0, "USDT", now)
        for track in self._market.coins:
            if venue not in track.listed_on or track.spec.hyperp or track.is_delisted(now):
                continue
            usd = self._market.reference_price(track, now) * (1 + self._bias[(venue, track.name)])
            base, units = _contract(track, venue)
            price = self._market.in_currency(usd, "USDT", now) / track.spec.exchange_units * units
            volume = track.paths["external_volume_usd"].value_at(now) * usdt
            rows.append((base, price, volume))
        return rows

    def binance(self) -> tuple[int, Json]:
        now = self._clock.now()
        wall = self._clock.wall_ms(now)
        return 200, [
            {
                "symbol": f"{base}USDT",
                "bidPrice": _significant(mid * (1 - HALF_SPREAD)),
                "bidQty": "100",
                "askPrice": _significant(mid * (1 + HALF_SPREAD)),
                "askQty": "100",
                "time": wall,
                "lastUpdateId": wall,
            }
            for base, mid, _ in self._contracts("binance", now)
        ]

    def okx(self) -> tuple[int, Json]:
        now = self._clock.now()
        ts = str(self._clock.wall_ms(now))
        data = []
        for base, mid, volume in self._contracts("okx", now):
            text = _significant(mid)
            data.append(
                {
                    "instType": "SWAP",
                    "instId": f"{base}-USDT-SWAP",
                    "last": text,
                    "lastSz": "1",
                    "askPx": _significant(mid * (1 + HALF_SPREAD)),
                    "askSz": "100",
                    "bidPx": _significant(mid * (1 - HALF_SPREAD)),
                    "bidSz": "100",
                    "open24h": text,
                    "high24h": text,
                    "low24h": text,
                    "volCcy24h": _significant(volume / mid),
                    "vol24h": _significant(volume / mid),
                    "ts": ts,
                    "sodUtc0": text,
                    "sodUtc8": text,
                }
            )
        return 200, {"code": "0", "msg": "", "data": data}

    def bybit(self) -> tuple[int, Json]:
        now = self._clock.now()
        rows = []
        for base, mid, volume in self._contracts("bybit", now):
            text = _significant(mid)
            rows.append(
                {
                    "symbol": f"{base}USDT",
                    "lastPrice": text,
                    "indexPrice": text,
                    "markPrice": text,
                    "prevPrice24h": text,
                    "price24hPcnt": "0",
                    "highPrice24h": text,
                    "lowPrice24h": text,
                    "prevPrice1h": text,
                    "openInterest": "0",
                    "openInterestValue": "0",
                    "turnover24h": _significant(volume),
                    "volume24h": _significant(volume / mid),
                    "fundingRate": "0.0001",
                    "nextFundingTime": str(self._clock.wall_ms(now) + 3_600_000),
                    "predictedDeliveryPrice": "",
                    "basisRate": "",
                    "deliveryFeeRate": "",
                    "deliveryTime": "0",
                    "ask1Size": "100",
                    "bid1Price": _significant(mid * (1 - HALF_SPREAD)),
                    "ask1Price": _significant(mid * (1 + HALF_SPREAD)),
                    "bid1Size": "100",
                    "basis": "",
                }
            )
        result = {"category": "linear", "list": rows, "nextPageCursor": ""}
        return 200, {
            "retCode": 0,
            "retMsg": "OK",
            "result": result,
            "retExtInfo": {},
            "time": self._clock.wall_ms(now),
        }

    def gate(self) -> tuple[int, Json]:
        now = self._clock.now()
        rows = []
        for base, mid, volume in self._contracts("gate", now):
            text = _significant(mid)
            rows.append(
                {
                    "contract": f"{base}_USDT",
                    "last": text,
                    "change_percentage": "0",
                    "total_size": "0",
                    "low_24h": text,
                    "high_24h": text,
                    "volume_24h": _significant(volume / mid),
                    "volume_24h_base": _significant(volume / mid),
                    "volume_24h_quote": _significant(volume),
                    "volume_24h_settle": _significant(volume),
                    "mark_price": text,
                    "funding_rate": "0.0001",
                    "funding_rate_indicative": "0.0001",
                    "index_price": text,
                    "highest_bid": _significant(mid * (1 - HALF_SPREAD)),
                    "highest_size": "100",
                    "lowest_ask": _significant(mid * (1 + HALF_SPREAD)),
                    "lowest_size": "100",
                }
            )
        return 200, rows

    def mexc(self) -> tuple[int, Json]:
        now = self._clock.now()
        wall = self._clock.wall_ms(now)
        rows = []
        for index, (base, mid, volume) in enumerate(self._contracts("mexc", now), start=1):
            price = float(_significant(mid))
            rows.append(
                {
                    "contractId": index,
                    "symbol": f"{base}_USDT",
                    "lastPrice": price,
                    "bid1": float(_significant(mid * (1 - HALF_SPREAD))),
                    "ask1": float(_significant(mid * (1 + HALF_SPREAD))),
                    "volume24": round(volume / mid),
                    "amount24": round(volume, 2),
                    "holdVol": 0,
                    "lower24Price": price,
                    "high24Price": price,
                    "riseFallRate": 0,
                    "riseFallValue": 0,
                    "indexPrice": price,
                    "fairPrice": price,
                    "fundingRate": 0.0001,
                    "maxBidPrice": round(price * 1.1, 10),
                    "minAskPrice": round(price * 0.9, 10),
                    "timestamp": wall,
                }
            )
        return 200, {"success": True, "code": 0, "data": rows}


def _contract(track: CoinTrack, venue: PerpVenue) -> tuple[str, float]:
    """(contract base, coin units per contract unit) on `venue`."""
    base = track.spec.exchange_symbol or track.name
    if venue in THOUSAND_PREFIX_VENUES and track.spec.exchange_units == 1000:
        return f"1000{base}", 1000.0
    return base, 1.0
