"""Builder dexes (HIP-3) on the simulator: discovery, allow/deny, per-dex isolation, watched positions.

The simulator runs in-process on a controllable clock; the poller's HTTP client reaches it through an
ASGI transport (optionally failing chosen requests), so the tests step scenario time and poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors.context import CollectorContext
from exporter.collectors.dexes import DexesPoller
from exporter.config import Config
from exporter.exposition import join_pieces, render_families
from exporter.hyperliquid.budget import Priority, WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.hyperliquid.errors import UpstreamError
from exporter.replay.app import create_app
from tests.replay.support import WALL_START, Replay

BASE_URL = "http://replay.test"
WHALE = "0x5eed0000000000000000000000000000000000aa"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def dex(name: str, coins: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "coins": [{"name": c, "price": 100.0, "open_interest": 1000} for c in coins],
        **extra,
    }


def scenario(dexes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": "dexes",
        "market": {"baseline": False, "coins": [{"name": "BTC", "price": 95000}], "dexes": dexes},
        "hlp": {"children": []},
        **extra,
    }


class DexesOnReplay:
    def __init__(
        self,
        body: str | dict[str, Any],
        dexes_config: dict[str, Any] | None = None,
        watched: list[dict[str, str]] | None = None,
        fail: Callable[[dict[str, Any]], bool] = lambda body: False,
        gate: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.replay = Replay(body)
        config = Config.model_validate(
            {
                "hyperliquid": {"api_url": BASE_URL, "max_retries": 0},
                "collectors": {"dexes": dexes_config or {}, "accounts": {"watched": watched or []}},
            }
        )
        app = httpx.ASGITransport(app=create_app(self.replay.state))

        async def route(request: httpx.Request) -> httpx.Response:
            if gate is not None:
                await gate(json.loads(request.content))
            if fail(json.loads(request.content)):
                return httpx.Response(502, text="bad gateway")
            return await app.handle_async_request(request)

        self.requests: list[dict[str, Any]] = []
        budget = WeightBudget(1_000_000)
        stats = RequestStats()
        http = httpx.AsyncClient(transport=httpx.MockTransport(route), base_url=BASE_URL)
        self.context = CollectorContext(
            client=InfoClient(BASE_URL, budget, max_retries=0, http=http, stats=stats),
            http=http,
            budget=budget,
            stats=stats,
            clock=lambda: WALL_START + self.replay.monotonic.value,
        )
        section = config.collectors.dexes
        self.poller = DexesPoller(
            section, self.context, section.weight_per_minute, config.collectors.accounts.watched
        )

    async def poll_through(self, start: float, end: float) -> Samples:
        """Poll every tick from `start` to `end`: a new dex's first requests are a tick apart."""
        ticks = round((end - start) / self.poller.interval)
        for tick in range(ticks):
            await self.poll_at(start + tick * self.poller.interval)
        return await self.poll_at(end)

    async def poll_at(self, seconds: float) -> Samples:
        self.replay.at(seconds)
        text = join_pieces([render_families(await self.poller.poll())]).decode()
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


def covered(samples: Samples) -> set[str]:
    return {dict(labels)["dex"] for name, labels in samples if name == "hyperliquid_dex_info"}


def coins_with_oracle(samples: Samples) -> set[str]:
    return {dict(labels)["coin"] for name, labels in samples if name == "hyperliquid_oracle_price"}


async def test_every_market_gauge_carries_the_dex_label() -> None:
    run = DexesOnReplay(scenario([dex("xyz", ["TSLA", "GOLD"]), dex("flx", ["OIL"])]))
    samples = await run.poll_through(10, 25)
    assert covered(samples) == {"xyz", "flx"}
    assert (
        samples[
            ("hyperliquid_oracle_price", frozenset({("coin", "xyz:TSLA"), ("quote", "USDC"), ("dex", "xyz")}))
        ]
        == 100.0
    )
    market = {name for name, _ in samples if name.startswith("hyperliquid_") and "dex_" not in name}
    for name, labels in samples:
        if name in market and "coin" in dict(labels) and not name.startswith("hyperliquid_account"):
            coin = dict(labels)["coin"]
            assert dict(labels).get("dex") == coin.split(":")[0], (name, labels)
    # The first dex is the market collector's: nothing of it here.
    assert "BTC" not in coins_with_oracle(samples)
    reached = samples[
        ("hyperliquid_open_interest_cap_reached", frozenset({("coin", "flx:OIL"), ("dex", "flx")}))
    ]
    assert reached == 0.0
    assert samples[("hyperliquid_dex_total_net_deposit_usd", frozenset({("dex", "flx")}))] == 100_000_000.0
    assert (
        samples[("hyperliquid_open_interest_cap_usd", frozenset({("coin", "xyz:GOLD"), ("dex", "xyz")}))] > 0
    )


async def test_a_new_dex_is_covered_within_one_discovery_interval_and_a_gone_one_withdrawn() -> None:
    body = scenario([dex("old", ["A"], listed_until=100.0), dex("new", ["B"], listed_from=100.0)])
    run = DexesOnReplay(body, {"interval_seconds": 10, "discovery_interval_seconds": 60})
    first = await run.poll_at(0)
    assert covered(first) == {"old"}
    assert coins_with_oracle(first) == {"old:A"}
    assert covered(await run.poll_at(60)) == {"old"}  # discovery again; the next is due at 120
    assert covered(await run.poll_at(110)) == {"old"}  # `new` is listed since 100, not yet seen
    later = await run.poll_at(120)
    assert covered(later) == {"new"}
    assert coins_with_oracle(later) == {"new:B"}


async def test_allow_and_deny_lists_choose_the_dexes() -> None:
    body = scenario([dex("xyz", ["TSLA"]), dex("flx", ["OIL"]), dex("km", ["X"])])
    assert covered(await DexesOnReplay(body, {"allow": ["xyz", "km"], "deny": ["km"]}).poll_at(0)) == {"xyz"}
    assert covered(await DexesOnReplay(body, {"deny": ["flx"]}).poll_at(0)) == {"xyz", "km"}


async def test_one_failing_dex_costs_only_its_own_markets() -> None:
    body = scenario([dex("xyz", ["TSLA"]), dex("flx", ["OIL"])])
    run = DexesOnReplay(body, fail=lambda request: request.get("dex") == "flx")
    samples = await run.poll_at(0)
    assert coins_with_oracle(samples) == {"xyz:TSLA"}
    assert samples[("hyperliquid_dex_up", frozenset({("dex", "flx")}))] == 0.0
    assert samples[("hyperliquid_dex_up", frozenset({("dex", "xyz")}))] == 1.0
    assert run.context.stats.errors[("metaAndAssetCtxs", "http_5xx")] == 1


async def test_all_requests_failing_fails_the_poll() -> None:
    run = DexesOnReplay(scenario([dex("xyz", ["TSLA"])]), fail=lambda request: request["type"] == "perpDexs")
    with pytest.raises(Exception, match="perpDexs"):
        await run.poll_at(0)


async def test_watched_accounts_positions_on_every_dex() -> None:
    body = scenario(
        [dex("xyz", ["TSLA"]), dex("flx", ["OIL"])],
        accounts=[
            {
                "address": WHALE,
                "name": "whale",
                "deposits": 1_000_000,
                "positions": [
                    {"coin": "BTC", "size": 1, "leverage": 5},
                    {"coin": "xyz:TSLA", "size": -500, "leverage": 5, "margin": "isolated"},
                ],
            }
        ],
    )
    run = DexesOnReplay(body, watched=[{"address": WHALE, "name": "whale"}])
    samples = await run.poll_through(0, 25)
    size = samples[
        ("hyperliquid_account_position_size", frozenset({("account", WHALE), ("coin", "xyz:TSLA")}))
    ]
    assert size == -500.0
    assert (
        "hyperliquid_account_position_size",
        frozenset({("account", WHALE), ("coin", "BTC")}),
    ) not in samples
    assert samples[("hyperliquid_account_dex_value_usd", frozenset({("account", WHALE), ("dex", "xyz")}))] > 0
    assert (
        samples[("hyperliquid_account_dex_value_usd", frozenset({("account", WHALE), ("dex", "flx")}))] == 0.0
    )


async def test_many_dexes_stretch_every_interval_to_fit_the_allowance() -> None:
    dexes = [dex(f"d{n}", [f"C{m}" for m in range(20)]) for n in range(10)]
    run = DexesOnReplay(scenario(dexes), {"weight_per_minute": 150})
    first = await run.poll_at(0)
    # Discovery reads every dex's contexts at once; the other first requests follow a tick apart.
    assert run.context.stats.requests["metaAndAssetCtxs"] == 10
    assert run.context.stats.requests["perpDexStatus"] == 0
    assert len(coins_with_oracle(first)) == 200
    samples = await run.poll_through(0, 60)
    assert run.context.stats.requests["perpDexStatus"] == 10
    assert run.context.stats.requests["perpDexLimits"] == 10
    assert len(covered(samples)) == 10
    schedule = run.poller.schedule
    assert schedule.stretch > 1
    assert schedule.weight_per_minute == pytest.approx(150.0)
    interval = samples[
        ("hyperliquid_dex_poll_interval_seconds", frozenset({("dex", "d3"), ("request", "metaAndAssetCtxs")}))
    ]
    assert interval == pytest.approx(schedule.contexts)
    # The next tick asks for nothing: every dex was just polled and is not due again yet.
    before = sum(run.context.stats.requests.values())
    await run.poll_at(65)
    assert sum(run.context.stats.requests.values()) == before


async def test_a_failed_first_read_is_retried_soon_not_a_stretched_interval_later() -> None:
    """At a start-up the budget's queue can fail (or the poll's deadline cancel) a dex's first requests;
    with a stretched schedule, waiting for the next slot would hide a watched account for minutes."""
    body = scenario(
        [dex(f"d{n}", [f"C{m}" for m in range(20)]) for n in range(9)] + [dex("xyz", ["TSLA"])],
        accounts=[
            {
                "address": WHALE,
                "name": "whale",
                "deposits": 1_000_000,
                "positions": [{"coin": "xyz:TSLA", "size": -500, "leverage": 5, "margin": "isolated"}],
            }
        ],
    )
    failing = {"clearinghouseState": True}

    def fail(request: dict[str, Any]) -> bool:
        return request["type"] == "clearinghouseState" and failing["clearinghouseState"]

    run = DexesOnReplay(
        body, {"weight_per_minute": 150}, watched=[{"address": WHALE, "name": "whale"}], fail=fail
    )
    for tick in range(round(60 / run.poller.interval) + 1):
        # A tick where only the failing account reads were due fails as a whole: that is the point.
        with contextlib.suppress(UpstreamError):
            await run.poll_at(tick * run.poller.interval)
    schedule = run.poller.schedule
    assert schedule.watched > 300, "the test needs a stretched schedule"
    asked = run.context.stats.requests["clearinghouseState"]
    assert asked >= 10, "every dex's first account read was attempted"
    failing["clearinghouseState"] = False
    interval = run.poller._config.interval_seconds
    samples = await run.poll_through(60, 60 + interval + run.poller.interval)
    size = ("hyperliquid_account_position_size", frozenset({("account", WHALE), ("coin", "xyz:TSLA")}))
    assert samples[size] == -500.0


async def test_a_dexs_contexts_queue_ahead_of_its_other_requests() -> None:
    """Its oracle and mark are behind a critical alert, and the stream's pushes are read against them."""
    run = DexesOnReplay(scenario([dex("xyz", ["TSLA"])]))
    asked: list[tuple[str, Priority | None]] = []
    info = run.context.client.info

    async def recording(body: dict[str, Any], collector: str, priority: Priority | None = None) -> Any:
        asked.append((body["type"], priority))
        return await info(body, collector, priority=priority)

    run.context.client.info = recording  # type: ignore[method-assign,assignment]
    await run.poll_through(0, 30)
    priorities = dict(asked)
    assert priorities["metaAndAssetCtxs"] == Priority.HIGH
    assert priorities["perpDexStatus"] is None  # the collector's usual priority


async def test_a_request_still_queued_after_a_tick_keeps_its_place() -> None:
    # At a start-up every poller asks at once and the weight budget's queue is long. A dex request
    # cancelled with its poll lost its place and queued at the back again next tick: the dexes had no
    # success for over a minute. Now it stays asked; the tick says so, and the next one publishes it.
    released = asyncio.Event()
    asked: list[str] = []

    async def queued_contexts(body: dict[str, Any]) -> None:
        if body.get("type") == "metaAndAssetCtxs":
            asked.append(body["dex"])
            await released.wait()

    run = DexesOnReplay(
        scenario([dex("xyz", ["TSLA"])]), dexes_config={"interval_seconds": 0.3}, gate=queued_contexts
    )
    with pytest.raises(UpstreamError, match="none of 1 builder-dex requests was answered"):
        async with asyncio.timeout(2 * run.poller.interval):  # the scheduler's poll deadline
            await run.poll_at(10)
    released.set()
    for _ in range(20):
        if not run.poller.dexes["xyz"].in_flight:
            break
        await asyncio.sleep(0.01)
    samples = await run.poll_at(10.1)
    assert coins_with_oracle(samples) == {"xyz:TSLA"}
    assert asked == ["xyz"]  # asked once, answered late: not cancelled and asked again
