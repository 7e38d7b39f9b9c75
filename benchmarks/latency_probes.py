"""Background probes that watch the first two stages at high frequency: the simulator's API and the
exporter's /metrics. Each writes exporter-shaped snapshots to a Timeline.

The API probe keeps the simulator's rate limit on for the exporter: the simulator counts weight per
client IP, so the probe spreads its requests over other loopback source addresses (127.0.0.2 and up),
each staying under 1200 weight per minute.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.latency_signals import (
    ACCOUNT_INFO,
    ACCOUNTS,
    DEX_MARKETS,
    EXTERNAL_PRICE,
    LIQUIDATION_PRICE,
    MARK,
    MARKET,
    MARKET_INFO,
    OI_CAP,
    OPEN_INTEREST_CAP,
    OPEN_INTEREST_SIZE,
    OPEN_INTEREST_USD,
    ORACLE,
    POSITION_NOTIONAL,
    POSITION_SIZE,
    PRICES,
)
from benchmarks.latency_timeline import Sample, Timeline, snapshot_of
from exporter.config import HLP_LIQUIDATORS, HLP_VAULT
from exporter.prices import binance, bybit, coinbase, okx

# Source addresses for the API probe: enough that each stays well under the simulator's per-IP limit.
PROBE_ADDRESSES = tuple(f"127.0.0.{n}" for n in range(2, 18))
COINBASE_COINS = ("BTC", "ETH", "SOL")  # the exporter's default coinbase_coins
BULK_TICKERS = (
    ("binance", "/api/v3/ticker/price", binance.parse),
    ("okx", "/api/v5/market/tickers?instType=SPOT", okx.parse),
    ("bybit", "/v5/market/tickers?category=spot", bybit.parse),
)


class _Loop(threading.Thread):
    """Calls `tick()` every `interval` seconds until stopped; counts failed ticks."""

    def __init__(self, name: str, interval: float) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.failures = 0
        self.last_error = ""
        self._stop_event = threading.Event()

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stop_event.is_set():
            try:
                self.tick()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            next_at = max(next_at + self.interval, time.monotonic())
            self._stop_event.wait(next_at - time.monotonic())

    def tick(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


class ApiProbe(_Loop):
    def __init__(
        self, replay_url: str, feeds: frozenset[str], watched: Iterable[str], interval: float
    ) -> None:
        super().__init__("api-probe", interval)
        self.timeline = Timeline()
        self.feeds = feeds
        self._url = replay_url
        self._clients = [
            httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=5)
            for address in PROBE_ADDRESSES
        ]
        self._next_client = itertools.cycle(self._clients)
        self._roles: dict[str, str] = {address.lower(): "watched" for address in watched}
        self._builder_dexes: list[str] | None = None  # from perpDexs, on the first tick that needs them

    def _info(self, request: dict[str, Any]) -> Any:
        response = next(self._next_client).post(f"{self._url}/info", json=request)
        response.raise_for_status()
        return response.json()

    def discover_hlp_children(self) -> None:
        """HLP's children from vaultDetails, as the exporter discovers them."""
        details = self._info({"type": "vaultDetails", "vaultAddress": HLP_VAULT})
        liquidators = {address.lower() for address in HLP_LIQUIDATORS}
        for child in details["relationship"]["data"]["childAddresses"]:
            self._roles[child.lower()] = "hlp_liquidator" if child.lower() in liquidators else "hlp"

    def tick(self) -> None:
        at = time.time()
        samples: list[Sample] = []
        if MARKET in self.feeds:
            samples += self._market()
        if OI_CAP in self.feeds:
            samples += [
                Sample(OPEN_INTEREST_CAP, {"coin": coin}, 1.0)
                for coin in self._info({"type": "perpsAtOpenInterestCap"})
            ]
        if ACCOUNTS in self.feeds:
            samples += self._accounts()
        if PRICES in self.feeds:
            samples += self._prices()
        if DEX_MARKETS in self.feeds:
            samples += self._dex_markets()
        self.timeline.add(at, snapshot_of(samples))

    def _market(self, dex: str = "") -> list[Sample]:
        """One dex's perps as the exporter shows them; a builder dex's series carry `dex`."""
        meta, contexts = self._info({"type": "metaAndAssetCtxs", **({"dex": dex} if dex else {})})
        tail = {"dex": dex} if dex else {}
        samples = []
        for asset, context in zip(meta["universe"], contexts, strict=True):
            delisted = "true" if asset.get("isDelisted") else "false"
            samples.append(Sample(MARKET_INFO, {"coin": asset["name"], "delisted": delisted, **tail}, 1.0))
            if asset.get("isDelisted"):
                continue
            coin = {"coin": asset["name"], **tail}
            mark, size = float(context["markPx"]), float(context["openInterest"])
            samples += [
                Sample(MARK, coin, mark),
                Sample(ORACLE, coin, float(context["oraclePx"])),
                Sample(OPEN_INTEREST_SIZE, coin, size),
                Sample(OPEN_INTEREST_USD, coin, size * mark),
            ]
        return samples

    def _dex_markets(self) -> list[Sample]:
        if self._builder_dexes is None:
            listed = self._info({"type": "perpDexs"})
            self._builder_dexes = [dex["name"] for dex in listed if dex is not None]
        return [sample for dex in self._builder_dexes for sample in self._market(dex)]

    def _accounts(self) -> list[Sample]:
        samples = []
        for account, role in self._roles.items():
            samples.append(Sample(ACCOUNT_INFO, {"account": account, "role": role}, 1.0))
            state = self._info({"type": "clearinghouseState", "user": account})
            for item in state["assetPositions"]:
                position = item["position"]
                size = float(position["szi"])
                if size == 0:
                    continue
                labels = {"account": account, "coin": position["coin"]}
                samples += [
                    Sample(POSITION_SIZE, labels, size),
                    Sample(POSITION_NOTIONAL, labels, abs(float(position["positionValue"]))),
                ]
                if position.get("liquidationPx") is not None:
                    samples.append(Sample(LIQUIDATION_PRICE, labels, float(position["liquidationPx"])))
        return samples

    def _prices(self) -> list[Sample]:
        """Prices per source in USDT (the oracle's currency for the coins the benchmark watches),
        converted the way the exporter converts them; a source that is down (the scenario's outages)
        simply has no prices."""
        samples = []
        client = next(self._next_client)
        for source, path, parse in BULK_TICKERS:
            response = client.get(self._url + path)
            if response.status_code == 200:
                quotes = parse(response.json())
                for base in quotes.bases():
                    price = quotes.price(base, "USDT")
                    if price is not None:
                        samples.append(Sample(EXTERNAL_PRICE, {"coin": base, "source": source}, price))
        usd: dict[str, float] = {}
        for base in (*COINBASE_COINS, "USDT"):
            response = client.get(f"{self._url}{coinbase.spot_path(base)}")
            spot = coinbase.parse(response.json(), base) if response.status_code == 200 else None
            if spot is not None:
                usd[base] = spot
        usdt_usd = usd.pop("USDT", None)
        for base, price in usd.items():
            if usdt_usd is not None:
                samples.append(Sample(EXTERNAL_PRICE, {"coin": base, "source": "coinbase"}, price / usdt_usd))
        return samples

    def stop(self) -> None:
        super().stop()
        for client in self._clients:
            client.close()


class ExporterProbe(_Loop):
    """Reads the exporter's /metrics, keeping only the metric families the conditions need."""

    def __init__(self, exporter_url: str, metrics: Iterable[str], interval: float) -> None:
        super().__init__("exporter-probe", interval)
        self.timeline = Timeline()
        self._url = f"{exporter_url}/metrics"
        self._names = tuple(sorted(set(metrics)))
        self._client = httpx.Client(timeout=5)

    def tick(self) -> None:
        at = time.time()
        response = self._client.get(self._url)
        response.raise_for_status()
        wanted = "\n".join(
            line
            for line in response.text.splitlines()
            if line.startswith(self._names) and not line.startswith("#")
        )
        samples = [
            Sample(sample.name, dict(sample.labels), sample.value)
            for family in text_string_to_metric_families(wanted + "\n")
            for sample in family.samples
            if sample.name in self._names
        ]
        self.timeline.add(at, snapshot_of(samples))

    def stop(self) -> None:
        super().stop()
        self._client.close()
