"""Build a simulator in-process on a controllable clock, and talk to it with starlette's TestClient
or with the exporter's own pollers."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Callable
from typing import Any

import httpx

from exporter.collectors.context import CollectorContext
from exporter.collectors.registry import build_pollers
from exporter.config import Config
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.replay.app import ReplayState, create_app
from exporter.replay.clock import ScenarioClock
from exporter.replay.faults import FaultSet
from exporter.replay.rate_limit import WeightLimiter
from exporter.replay.scenario import load_scenario, parse_scenario
from exporter.replay.timeline import Timeline
from exporter.scheduler import Scheduler
from exporter.self_metrics import render_self_metrics
from exporter.store import SnapshotStore

with warnings.catch_warnings():
    # starlette 1.x nudges towards httpx2; the pinned httpx 0.28 works fine for the test client.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HLP = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303"
HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
LIQUIDATORS = (
    HLP_LIQUIDATOR,
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308",
)
WALL_START = 1_760_000_000.0  # epoch seconds at scenario start in tests


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


class Replay:
    """A simulator whose scenario time the test sets with `at(seconds)`; speed 1, no sleeping."""

    def __init__(self, scenario: str | dict[str, Any], rate_limit: bool = False) -> None:
        loaded = load_scenario(scenario) if isinstance(scenario, str) else parse_scenario(scenario, "test")
        self.monotonic = FakeMonotonic()
        self.clock = ScenarioClock(monotonic=self.monotonic, wall=lambda: WALL_START)
        self.limiter_clock = FakeMonotonic()
        self.sleeps: list[float] = []

        async def record_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.state = ReplayState(
            timeline=Timeline(loaded),
            clock=self.clock,
            limiter=WeightLimiter(monotonic=self.limiter_clock) if rate_limit else None,
            faults=FaultSet(seed=1),
            sleep=record_sleep,
        )
        self.client = TestClient(create_app(self.state))

    def at(self, seconds: float) -> Replay:
        self.monotonic.value = seconds
        return self

    def info(self, body: dict[str, Any]) -> Any:
        response = self.client.post("/info", json=body)
        assert response.status_code == 200, (body, response.status_code, response.text)
        return response.json()

    def ctx(self, coin: str) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, ctxs = self.info({"type": "metaAndAssetCtxs"})
        index = [entry["name"] for entry in meta["universe"]].index(coin)
        return meta["universe"][index], ctxs[index]

    def ctx_by_coin(self) -> dict[str, dict[str, Any]]:
        meta, ctxs = self.info({"type": "metaAndAssetCtxs"})
        return {entry["name"]: ctx for entry, ctx in zip(meta["universe"], ctxs, strict=True)}

    def positions(self, user: str) -> dict[str, dict[str, Any]]:
        state = self.info({"type": "clearinghouseState", "user": user})
        return {item["position"]["coin"]: item["position"] for item in state["assetPositions"]}

    def reference_prices(
        self, coin: str, exchange_symbol: str | None = None, units: float = 1.0, quote: str = "USDT"
    ) -> dict[str, float]:
        """The coin's price per source in `quote` (its oracle's currency), converted the way the
        exporter converts: USDT pairs as they are (÷ the exchange's USDC/USDT for USDC), Coinbase's USD
        ÷ its USDT-USD (USDC-USD)."""
        base = exchange_symbol or coin
        prices: dict[str, float] = {}

        def usdt_to_quote(price: float, usdc_usdt: float) -> float:
            return price * units if quote == "USDT" else price / usdc_usdt * units

        binance = self.client.get("/api/v3/ticker/price")
        if binance.status_code == 200:
            table = {row["symbol"]: float(row["price"]) for row in binance.json()}
            if f"{base}USDT" in table:
                prices["binance"] = usdt_to_quote(table[f"{base}USDT"], table["USDCUSDT"])
        okx = self.client.get("/api/v5/market/tickers", params={"instType": "SPOT"})
        if okx.status_code == 200:
            table = {row["instId"]: float(row["last"]) for row in okx.json()["data"]}
            if f"{base}-USDT" in table:
                prices["okx"] = usdt_to_quote(table[f"{base}-USDT"], table["USDC-USDT"])
        bybit = self.client.get("/v5/market/tickers", params={"category": "spot"})
        if bybit.status_code == 200:
            table = {row["symbol"]: float(row["lastPrice"]) for row in bybit.json()["result"]["list"]}
            if f"{base}USDT" in table:
                prices["bybit"] = usdt_to_quote(table[f"{base}USDT"], table["USDCUSDT"])
        coinbase = self.client.get(f"/v2/prices/{base}-USD/spot")
        if coinbase.status_code == 200:
            rate = self.client.get(f"/v2/prices/{quote}-USD/spot").json()["data"]["amount"]
            prices["coinbase"] = float(coinbase.json()["data"]["amount"]) / float(rate) * units
        return prices

    def reference_median(self, coin: str) -> float:
        return statistics.median(self.reference_prices(coin).values())


class InProcessExporter:
    """The exporter's pollers, scheduler and store on an in-process simulator, reached through an ASGI
    transport and stepped with the simulator's clock: the test polls, nothing runs on its own.

    `settings` are config.yaml sections; the Hyperliquid API and an unlimited budget are set here.
    """

    BASE_URL = "http://replay.test"

    def __init__(self, replay: Replay, settings: dict[str, Any]) -> None:
        self.replay = replay
        config = Config.model_validate(
            {
                "hyperliquid": {
                    "api_url": self.BASE_URL,
                    "max_retries": 0,
                    "weight_limit_per_minute": 1_000_000,
                },
                **settings,
            }
        )
        transport = httpx.ASGITransport(app=create_app(replay.state))
        budget = WeightBudget(config.hyperliquid.weight_budget_per_minute)
        stats = RequestStats()
        self.context = CollectorContext(
            client=InfoClient(
                self.BASE_URL,
                budget,
                max_retries=0,
                http=httpx.AsyncClient(transport=transport, base_url=self.BASE_URL),
                stats=stats,
            ),
            http=httpx.AsyncClient(transport=transport, base_url=self.BASE_URL),
            budget=budget,
            stats=stats,
            clock=lambda: WALL_START + replay.monotonic.value,
        )
        self.store = SnapshotStore(clock=self.context.clock)
        self.scheduler = Scheduler(build_pollers(config, self.context), self.store)

    def exposition(self) -> str:
        """/metrics as a scrape would read it now."""
        context = self.context
        return self.store.exposition(render_self_metrics(self.store, context.stats, context.budget)).decode()

    async def aclose(self) -> None:
        await self.context.client.aclose()
        await self.context.http.aclose()


def sample(replay: Replay, times: list[float], read: Callable[[Replay], float]) -> list[float]:
    return [read(replay.at(t)) for t in times]
