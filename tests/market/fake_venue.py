"""A deterministic, mainnet-like fake of Hyperliquid's info API and the four reference exchanges.

Serves from one loopback address: `POST /info` (metaAndAssetCtxs, meta, perpsAtOpenInterestCap,
allMids, spotMetaAndAssetCtxs, plus whatever `extra_info` handlers a caller adds, e.g.
clearinghouseState for HLP accounts), Binance `/api/v3/ticker/price`, OKX `/api/v5/market/tickers`, Bybit
`/v5/market/tickers` and Coinbase `/v2/prices/{BASE}-USD/spot`. Used by the golden exposition
test and by benchmarks/scrape_latency.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.processes import wait_http_ok

InfoHandler = Callable[[dict[str, Any]], Any]

# The first names of a mainnet-like universe; the rest are synthetic.
KNOWN_COINS = (  # noqa: SIM905 (a word list reads better than 76 quoted strings)
    "BTC ETH ATOM MATIC DYDX SOL AVAX BNB APE OP LTC ARB DOGE INJ SUI kPEPE CRV LDO LINK STX RNDR "
    "CFX FTM GMX SNX XRP BCH APT AAVE COMP MKR WLD FXS HPOS RLB UNIBOT YGG TRX kSHIB UNI SEI RUNE "
    "OX FRIEND SHIA CYBER ZRO BLZ DOT BANANA TRB FTT LOOM OGN RDNT ARK BNT CANTO REQ BIGTIME KAS "
    "ORBS BLUR TIA BSV ADA TOKEN PENDLE STG FET MEME NEAR MINA kBONK JELLY HYPE"
).split()
# Coins that, like hyperps, have no reference-exchange price.
UNQUOTED = frozenset({"HPOS", "RLB", "UNIBOT", "FRIEND", "SHIA", "CANTO", "JELLY"})
USDC_USDT = {"binance": 1.0002, "okx": 0.9998, "bybit": 1.0001}
COINBASE_STABLECOINS = {"USDT": 1.0003, "USDC": 1.0}


def coin_names(count: int) -> list[str]:
    names = list(KNOWN_COINS[:count])
    names += [f"ALT{index:03d}" for index in range(count - len(names))]
    return names


@dataclass(frozen=True)
class Universe:
    coins: tuple[str, ...]
    meta: dict[str, Any]
    contexts: list[dict[str, Any]]
    at_cap: list[str]
    usd_prices: dict[str, float]  # per listed coin with a reference price

    @property
    def listed(self) -> list[str]:
        return [e["name"] for e in self.meta["universe"] if not e.get("isDelisted")]


# Roughly real prices for a few coins; the others get a smooth made-up curve.
REAL_PRICES = {
    "BTC": 97012.5,
    "ETH": 3421.7,
    "SOL": 182.345,
    "kPEPE": 0.015321,
    "kSHIB": 0.02412,
    "HYPE": 24.117,
}


def _price(index: int) -> float:
    name = coin_names(index + 1)[index]
    return REAL_PRICES.get(name, round(0.5 + 1.37 * math.pow(index + 1, 1.7), 4))


def _entry(index: int, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "szDecimals": index % 6,
        "maxLeverage": (50, 40, 20, 10, 5, 3)[index % 6],
    }
    if index % 23 == 22 or name == "LOOM":
        entry["isDelisted"] = True
        entry["onlyIsolated"] = True
        if index % 2:
            entry["marginMode"] = "strictIsolated"
    elif index % 31 == 5:
        entry["marginMode"] = "noCross"
    elif index % 47 == 11:
        entry["onlyIsolated"] = True  # the older shape, before marginMode
    if index % 3 == 0:
        entry["marginTableId"] = entry["maxLeverage"]  # a newer field, to be ignored
    return entry


def _context(index: int) -> dict[str, Any]:
    mark = _price(index)
    ctx: dict[str, Any] = {
        "dayNtlVlm": f"{1000.0 * (index + 3) ** 2:.2f}",
        "funding": f"{(index % 9 - 4) * 0.0000025:.8f}",
        "impactPxs": [f"{mark * 0.9995:.6f}", f"{mark * 1.0005:.6f}"],
        "markPx": f"{mark}",
        "midPx": f"{mark * 1.0001:.6f}",
        "openInterest": f"{(index + 1) * 123.25:.2f}",
        "oraclePx": f"{mark * 0.9999:.6f}",
        "premium": f"{(index % 5 - 2) * 0.0001:.6f}",
        "prevDayPx": f"{mark * 0.98:.6f}",
    }
    if index % 2:
        ctx["dayBaseVlm"] = f"{(index + 3) * 10.0:.1f}"  # newer responses carry it
    if index % 17 == 3:
        ctx["midPx"] = None
    if index % 19 == 4:
        ctx["premium"] = None
    if index % 29 == 6:
        ctx["impactPxs"] = None
    if index % 41 == 9:
        ctx["impactPxs"][1] = None
    return ctx


def mainnet_like(perps: int = 230) -> Universe:
    names = coin_names(perps)
    meta: dict[str, Any] = {
        "universe": [_entry(index, name) for index, name in enumerate(names)],
        "marginTables": [
            [50, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 50}]}]
        ],
        "collateralToken": 0,
    }
    contexts = [_context(index) for index in range(perps)]
    listed = {e["name"] for e in meta["universe"] if not e.get("isDelisted")}
    at_cap = [name for index, name in enumerate(names) if index % 53 == 13] + ["LOOM", "NOTACOIN"]
    usd = {name: _price(index) for index, name in enumerate(names) if name in listed and name not in UNQUOTED}
    return Universe(tuple(names), meta, contexts, at_cap, usd)


def exchange_base(coin: str) -> tuple[str, float]:
    """The exchange asset and scale the exporter's default mapping uses for `coin`."""
    if coin.startswith("k") and coin[1:].isupper():
        return coin[1:], 1000.0
    return coin, 1.0


def _usdt_quotes(universe: Universe, source: str, skip_every: int) -> dict[str, str]:
    rate = USDC_USDT[source]
    quotes: dict[str, str] = {}
    for position, (coin, usd) in enumerate(sorted(universe.usd_prices.items())):
        if skip_every and position % skip_every == skip_every - 1:
            continue
        base, scale = exchange_base(coin)
        quotes[base] = f"{usd / scale * rate:.10g}"
    return quotes


@dataclass
class FakeVenue:
    """The fake's data and switches; mutate the switches between requests to simulate failures."""

    universe: Universe = field(default_factory=mainnet_like)
    extra_info: dict[str, InfoHandler] = field(default_factory=dict)
    # None, or one of: http_500, http_429, invalid_json, wrong_shape, slow (answers after 5 s).
    info_failure: str | None = None
    # Exchanges answering 451 (as a region block does).
    blocked: set[str] = field(default_factory=set)
    # Exchanges whose USDC/USDT pair is missing from the answer.
    without_conversion_pair: set[str] = field(default_factory=set)
    coinbase_bases: frozenset[str] = frozenset({"BTC", "ETH", "SOL", "PEPE"})
    requests: dict[str, int] = field(default_factory=dict)

    def info_handlers(self) -> Mapping[str, InfoHandler]:
        u = self.universe
        return {
            "metaAndAssetCtxs": lambda _: [u.meta, u.contexts],
            "meta": lambda _: u.meta,
            "perpsAtOpenInterestCap": lambda _: u.at_cap,
            "allMids": lambda _: {
                e["name"]: c["midPx"] or c["markPx"]
                for e, c in zip(u.meta["universe"], u.contexts, strict=True)
            },
            # Spot: PURR/USDC only (the reference's example context); `@107` (HYPE) is not listed.
            "spotMetaAndAssetCtxs": lambda _: [
                {
                    "tokens": [{"name": "USDC", "index": 0}, {"name": "PURR", "index": 1}],
                    "universe": [{"name": "PURR/USDC", "tokens": [1, 0], "index": 0, "isCanonical": True}],
                },
                [{"coin": "PURR/USDC", "dayNtlVlm": "3558163.57", "markPx": "0.14967", "midPx": "0.14966"}],
            ],
            **self.extra_info,
        }

    def _count(self, key: str) -> None:
        self.requests[key] = self.requests.get(key, 0) + 1

    async def info(self, request: Request) -> Response:
        body = await request.json()
        kind = str(body.get("type"))
        self._count(f"info:{kind}")
        failure = self.info_failure
        if failure == "http_500":
            return Response("internal error", status_code=500)
        if failure == "http_429":
            return Response("rate limited", status_code=429)
        if failure == "invalid_json":
            return Response("<html>not json</html>", media_type="application/json")
        if failure == "wrong_shape":
            return JSONResponse({"error": "unexpected"})
        if failure == "slow":
            await asyncio.sleep(5)
        handler = self.info_handlers().get(kind)
        if handler is None:
            return Response("Failed to deserialize the JSON body into the target type", status_code=422)
        return Response(json.dumps(handler(body)), media_type="application/json")

    def _exchange(self, source: str, payload: Callable[[dict[str, str]], Any], skip_every: int) -> Response:
        self._count(source)
        if source in self.blocked:
            return JSONResponse({"code": 0, "msg": "Service unavailable from a restricted location"}, 451)
        quotes = _usdt_quotes(self.universe, source, skip_every)
        if source not in self.without_conversion_pair:
            quotes["USDC"] = f"{USDC_USDT[source]}"
        return JSONResponse(payload(quotes))

    async def binance(self, _: Request) -> Response:
        def payload(quotes: dict[str, str]) -> Any:
            tickers = [{"symbol": f"{base}USDT", "price": price} for base, price in quotes.items()]
            return [
                {"symbol": "ETHBTC", "price": "0.05123000"},
                *tickers,
                {"symbol": "BTCEUR", "price": "61000.1"},
            ]

        return self._exchange("binance", payload, 0)

    async def okx(self, request: Request) -> Response:
        if request.query_params.get("instType") != "SPOT":
            return JSONResponse({"code": "51000", "msg": "Parameter instType error", "data": []})

        def payload(quotes: dict[str, str]) -> Any:
            data = [
                {"instType": "SPOT", "instId": f"{b}-USDT", "last": p, "ts": "1700000000000"}
                for b, p in quotes.items()
            ]
            return {"code": "0", "msg": "", "data": [*data, {"instId": "BTC-USDC", "last": "60000"}]}

        return self._exchange("okx", payload, 5)

    async def bybit(self, request: Request) -> Response:
        if request.query_params.get("category") != "spot":
            return JSONResponse({"retCode": 10001, "retMsg": "params error", "result": {}})

        def payload(quotes: dict[str, str]) -> Any:
            items = [{"symbol": f"{b}USDT", "lastPrice": p, "bid1Price": p} for b, p in quotes.items()]
            return {"retCode": 0, "retMsg": "OK", "result": {"category": "spot", "list": items}, "time": 1}

        return self._exchange("bybit", payload, 7)

    async def coinbase(self, request: Request) -> Response:
        self._count("coinbase")
        if "coinbase" in self.blocked:
            return JSONResponse({"errors": [{"id": "forbidden", "message": "Forbidden"}]}, 403)
        base, _, currency = request.path_params["pair"].partition("-")
        usd = {exchange_base(c)[0]: p / exchange_base(c)[1] for c, p in self.universe.usd_prices.items()}
        usd.update(COINBASE_STABLECOINS)
        known = base in self.coinbase_bases or base in COINBASE_STABLECOINS
        if not known or base not in usd or currency != "USD":
            return JSONResponse({"errors": [{"id": "not_found", "message": "Invalid base currency"}]}, 404)
        return JSONResponse({"data": {"amount": f"{usd[base]:.10g}", "base": base, "currency": "USD"}})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/info", self.info, methods=["POST"]),
                Route("/api/v3/ticker/price", self.binance),
                Route("/api/v5/market/tickers", self.okx),
                Route("/v5/market/tickers", self.bybit),
                Route("/v2/prices/{pair}/spot", self.coinbase),
            ]
        )


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _server(app: Starlette) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a port the kernel picks) in a thread; yield its base URL."""
    sock = _loopback_socket()
    port = sock.getsockname()[1]
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake venue did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _serve_on(venue: FakeVenue, sock: socket.socket) -> None:
    _server(venue.app()).run(sockets=[sock])


@contextlib.contextmanager
def serving_in_process(venue: FakeVenue) -> Iterator[str]:
    """Like `serving`, but in a forked process, so answering polls never competes with the caller
    (a benchmark's scrape timing) for the interpreter. Switches changed afterwards do not reach it."""
    sock = _loopback_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    process = multiprocessing.get_context("fork").Process(target=_serve_on, args=(venue, sock), daemon=True)
    process.start()
    try:
        wait_http_ok(f"{url}/api/v3/ticker/price", timeout=10)
        yield url
    finally:
        process.terminate()
        process.join(timeout=10)
        sock.close()


def exporter_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """A config.yaml body pointing every upstream at the fake venue (overrides merged per section)."""
    source = {"base_url": base_url, "timeout_seconds": 2.0}
    config: dict[str, Any] = {
        "hyperliquid": {"api_url": base_url, "timeout_seconds": 2.0, "max_retries": 0},
        "collectors": {
            "market": {
                "interval_seconds": 10,
                "open_interest_cap_interval_seconds": 60,
                # This venue serves no l2Book: tests/market/test_book_depth.py
                "book_depth": {"enabled": False},
            },
            "vaults": {"enabled": False},
            "accounts": {"enabled": False},
            "fills": {"enabled": False},
            "dexes": {"enabled": False},  # builder dexes: tests/dexes
            "liveness": {"enabled": False},  # tests/replay/test_liveness_collector.py
            "governance": {"enabled": False},  # validators and the Assistance Fund: tests/governance
        },
        "reference_prices": {
            "binance": dict(source),
            "okx": dict(source),
            "bybit": dict(source),
            "coinbase": {**source, "interval_seconds": 60},
            "coinbase_coins": ["BTC", "ETH", "SOL", "kPEPE", "HYPE"],
            # This venue serves the four exchanges above; the oracle's other sources are tested against
            # recorded shapes (tests/market/test_prices.py) and the simulator (tests/replay).
            **{name: {**source, "enabled": False} for name in ("kraken", "kucoin", "gate", "mexc")},
            # Nor the perp venues: the mark replica is tested against recorded shapes
            # (tests/market/test_perp_prices.py) and the simulator (tests/replay/test_perp_tickers.py).
            "perps": {
                name: {**source, "enabled": False} for name in ("binance", "okx", "bybit", "gate", "mexc")
            },
            "mark_replica": {"enabled": False},
        },
        # The golden files show REST polling; tests/streaming covers the streams.
        "streaming": {"enabled": False},
    }
    for section, values in overrides.items():
        config[section] = {**config.get(section, {}), **values}
    return config
