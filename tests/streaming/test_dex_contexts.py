"""Builder dexes' contexts over `assetCtxs` with `dex`: pushed into /metrics, followed as dexes come and
go, and REST on the dex's own schedule whenever the stream is down."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import yaml
from websockets.asyncio.client import connect

from exporter.app import build_exporter
from exporter.config import Config
from exporter.streaming.dex_feed import DexContextsFeed
from exporter.streaming.service import StreamingService
from tests.streaming.support import eventually, exporter_config, live_replay, running_exporter, samples, total
from tests.support.processes import free_port

CONTEXTS = "metaAndAssetCtxs"
DEXES_ONLY: dict[str, Any] = {
    "accounts": {"enabled": False},
    "fills": {"enabled": False},
    "dexes": {"interval_seconds": 1.5, "discovery_interval_seconds": 1.0, "weight_per_minute": 100_000},
}


def dex_feed(service: StreamingService | None) -> DexContextsFeed:
    assert service is not None
    assert service.dexes is not None
    return service.dexes


def oracle(exporter: Any, coin: str) -> float:
    return total(samples(exporter), "hyperliquid_oracle_price", coin=coin)


async def test_a_pushed_dex_context_reaches_metrics_and_rest_only_reconciles() -> None:
    # The xyz deployer walks xyz:TSLA's oracle +1 % every 3 s from t=240 s.
    async with live_replay("hip3-oracle-walk", start_offset=236.0, speed=1.0) as (_, url):
        config = exporter_config(url, **DEXES_ONLY)
        async with running_exporter(config) as exporter:
            feed = dex_feed(exporter.streaming)
            await eventually(lambda: feed.live("xyz") and feed.live("flx"), within=15)
            observed = samples(exporter)
            assert total(observed, "hyperliquid_dex_contexts_streamed", dex="xyz") == 1
            assert total(observed, "hyperliquid_stream_rest_fallback", poller="dexes") == 0
            assert total(observed, "hyperliquid_stream_up", feed="dex_contexts") == 1
            assert total(observed, "hyperliquid_stream_subscriptions", feed="dex_contexts") == 2
            rest_polls = exporter.context.stats.requests[CONTEXTS]
            before = oracle(exporter, "xyz:TSLA")
            # Two capped updates later, /metrics shows the walked oracle: pushed, not polled.
            await eventually(lambda: oracle(exporter, "xyz:TSLA") > before * 1.015, within=12)
            assert exporter.context.stats.requests[CONTEXTS] == rest_polls
            poller = feed._poller
            assert (
                poller.schedule_for("xyz").contexts
                >= config.streaming.reconciliation.dex_contexts_interval_seconds
            )


def disappearing_dex_scenario(directory: Path) -> str:
    coins = [{"name": "BTC", "price": 95000.0, "open_interest": 100}]

    def builder(name: str, **extra: Any) -> dict[str, Any]:
        coin = {"name": "AAA", "price": 100.0, "open_interest": 1000}
        return {"name": name, "coins": [coin], **extra}

    body = {
        "name": "dex-goes",
        "duration": 600,
        "market": {
            "baseline": False,
            "coins": coins,
            "dexes": [builder("stay"), builder("gone", listed_until=8.0)],
        },
        "hlp": {"children": []},
    }
    path = directory / "dex-goes.yaml"
    path.write_text(yaml.safe_dump(body))
    return str(path)


async def test_a_dex_that_disappears_is_unsubscribed_and_withdrawn(tmp_path: Path) -> None:
    scenario = disappearing_dex_scenario(tmp_path)
    async with (
        live_replay(scenario, start_offset=0.0, speed=1.0) as (state, url),
        running_exporter(exporter_config(url, **DEXES_ONLY)) as exporter,
    ):
        feed = dex_feed(exporter.streaming)
        await eventually(lambda: feed.live("stay") and feed.live("gone"), within=8)
        assert state.ws.status()["subscriptions"] == 2
        assert total(samples(exporter), "hyperliquid_oracle_price", dex="gone") > 0
        await eventually(lambda: feed.wanted == ("stay",), within=10)
        await eventually(lambda: state.ws.status()["subscriptions"] == 1, within=5)
        await eventually(lambda: not any(_mentions(exporter, "gone")), within=5)
        assert "gone" not in feed.subscribed
        assert feed.live("stay")
        observed = samples(exporter)
        assert total(observed, "hyperliquid_stream_subscriptions", feed="dex_contexts") == 1
        assert total(observed, "hyperliquid_stream_subscriptions_planned", feed="dex_contexts") == 1


def _mentions(exporter: Any, dex: str) -> list[str]:
    return [
        name
        for name, series in samples(exporter).items()
        for labels in series
        if ("dex", dex) in labels or any(value.startswith(f"{dex}:") for _, value in labels)
    ]


async def test_stream_down_polls_the_dex_over_rest_and_says_so() -> None:
    async with live_replay("hip3-oracle-walk", start_offset=0.0, speed=1.0) as (_, url):
        dead = f"ws://127.0.0.1:{free_port()}/ws"  # nothing listens: the stream never comes up
        config = exporter_config(url, {"ws_url": dead}, **DEXES_ONLY)
        async with running_exporter(config) as exporter:
            feed = dex_feed(exporter.streaming)
            await eventually(
                lambda: feed.wanted == ("xyz", "flx") or set(feed.wanted) == {"xyz", "flx"}, within=8
            )
            polls = exporter.context.stats.requests[CONTEXTS]
            # Both dexes on their REST schedule (1.5 s): contexts keep being polled.
            await eventually(lambda: exporter.context.stats.requests[CONTEXTS] >= polls + 4, within=10)
            observed = samples(exporter)
            assert total(observed, "hyperliquid_stream_rest_fallback", poller="dexes") == 1
            assert total(observed, "hyperliquid_stream_up", feed="dex_contexts") == 0
            assert total(observed, "hyperliquid_dex_contexts_streamed", dex="xyz") == 0
            assert total(observed, "hyperliquid_dex_up", dex="xyz") == 1
            assert total(observed, "hyperliquid_oracle_price", coin="xyz:TSLA") > 0
            assert feed._poller.schedule_for("xyz").contexts == feed._poller.schedule.contexts


async def test_ten_dexes_stay_within_the_subscription_and_connection_limits() -> None:
    exporter = build_exporter(Config())
    try:
        service = exporter.streaming
        feed = dex_feed(service)
        assert service is not None
        await feed.follow([f"dex{n}" for n in range(10)])
        assert feed.stats.planned_subscriptions == 10
        # market, users, dexes, and the order books of the coins whose depth matters
        assert len(service.connections) == 4 <= service.section.max_connections
        planned = sum(f.planned_subscriptions for f in service.stats.feeds.values())
        assert planned == 1 + 8 + 10 <= service.section.max_subscriptions  # assetCtxs, 4 users x 2, dexes
        assert service.books is not None
        assert planned + service.books.max_subscriptions <= service.section.max_subscriptions
        assert service.stats.users_planned <= 10  # assetCtxs is not user-specific: no user quota
    finally:
        await exporter.aclose()
    # Fewer subscriptions allowed than dexes: the rest stay on REST, never over the limit.
    small = Config.model_validate(
        {"streaming": {"max_subscriptions": 12, "book_depth": False}}  # the books would take what is left
    )
    exporter = build_exporter(small)
    try:
        feed = dex_feed(exporter.streaming)
        await feed.follow([f"dex{n}" for n in range(10)])
        assert feed.wanted == ("dex0", "dex1", "dex2")
        assert feed.stats.planned_subscriptions == 3
    finally:
        await exporter.aclose()
    # No subscription left after the market's and the users': the books stay on REST, no connection.
    full = Config.model_validate({"streaming": {"max_subscriptions": 9}})
    exporter = build_exporter(full)
    try:
        assert exporter.streaming is not None
        assert exporter.streaming.books is None
    finally:
        await exporter.aclose()


async def test_with_no_weight_left_for_dexes_the_stream_still_covers_them() -> None:
    # Every watched account of the default plan leaves the dexes only perpDexs: no REST poll fits, so
    # each dex's universe is read once and its contexts come from the stream alone.
    starved = {**DEXES_ONLY, "dexes": {**DEXES_ONLY["dexes"], "weight_per_minute": 1.0}}
    async with live_replay("hip3-oracle-walk", start_offset=100.0, speed=1.0) as (_, url):
        config = exporter_config(url, **starved)
        async with running_exporter(config) as exporter:
            feed = dex_feed(exporter.streaming)
            await eventually(lambda: feed.live("xyz") and feed.live("flx"), within=15)
            assert oracle(exporter, "xyz:TSLA") > 0
            assert feed._poller.schedule.contexts == float("inf")
            assert exporter.context.stats.requests[CONTEXTS] == 2  # one universe read per dex


async def test_the_simulator_pushes_a_builder_dex_from_the_rest_timeline() -> None:
    async with live_replay("hip3-oracle-walk", start_offset=300.0, speed=1.0) as (_, url):
        ws_url = url.replace("http://", "ws://") + "/ws"
        async with connect(ws_url) as ws:
            assert await ws.recv() == "Websocket connection established."
            subscribe = {"method": "subscribe", "subscription": {"type": "assetCtxs", "dex": "xyz"}}
            await ws.send(json.dumps(subscribe))
            assert json.loads(await ws.recv())["channel"] == "subscriptionResponse"
            pushed = json.loads(await ws.recv())
            async with httpx.AsyncClient() as client:
                body = {"type": "metaAndAssetCtxs", "dex": "xyz"}
                meta, rest = (await client.post(f"{url}/info", json=body)).json()
            assert pushed["channel"] == "assetCtxs"
            assert pushed["data"]["dex"] == "xyz"
            names = [entry["name"] for entry in meta["universe"]]
            assert len(pushed["data"]["ctxs"]) == len(rest) == len(names)
            tsla = names.index("xyz:TSLA")
            # Mid-walk, the same oracle on both paths (within one capped step, taken a moment apart).
            pushed_oracle = float(pushed["data"]["ctxs"][tsla]["oraclePx"])
            assert abs(pushed_oracle / float(rest[tsla]["oraclePx"]) - 1) <= 0.0101
            await ws.send(json.dumps({**subscribe, "subscription": {"type": "assetCtxs", "dex": "nope"}}))
            refused = json.loads(await ws.recv())
            while refused["channel"] != "error":
                refused = json.loads(await ws.recv())
            assert "unknown dex" in refused["data"]


def delisting_dex_scenario(directory: Path, delist_at: float) -> str:
    body = {
        "name": "dex-delists",
        "duration": 600,
        "market": {
            "baseline": False,
            "coins": [{"name": "BTC", "price": 95000.0, "open_interest": 100}],
            "dexes": [
                {
                    "name": "bdx",
                    "coins": [
                        {"name": "AAA", "price": 100.0, "open_interest": 1000},
                        {"name": "BBB", "price": 20.0, "open_interest": 5000},
                    ],
                }
            ],
        },
        "hlp": {"children": []},
        "events": [{"at": delist_at, "kind": "delist", "coin": "bdx:AAA", "settle_price": 95.0}],
    }
    path = directory / "dex-delists.yaml"
    path.write_text(yaml.safe_dump(body))
    return str(path)


def _delisted(exporter: Any, coin: str) -> float:
    return total(samples(exporter), "hyperliquid_market_info", coin=coin, delisted="true")


async def test_a_builder_dex_delisting_is_read_at_once(tmp_path: Path) -> None:
    # The pushes carry contexts, not the universe: without a cue the delisting would wait for the 300 s
    # reconciliation (30 minutes with 10 dexes in the shipped plan). A delisting settles every position
    # at once, so a pushed open interest falling to zero re-reads the dex's universe.
    delist_at = 12.0
    async with (
        live_replay(delisting_dex_scenario(tmp_path, delist_at), start_offset=0.0, speed=1.0) as (
            state,
            url,
        ),
        running_exporter(exporter_config(url, **DEXES_ONLY)) as exporter,
    ):
        feed = dex_feed(exporter.streaming)
        await eventually(lambda: feed.live("bdx"), within=8)
        assert state.clock.now() < delist_at, "the delisting must happen while the stream is live"
        assert _delisted(exporter, "bdx:AAA") == 0
        rest_reads = exporter.context.stats.requests[CONTEXTS]
        await eventually(lambda: _delisted(exporter, "bdx:AAA") == 1, within=15, step=0.1)
        assert state.clock.now() - delist_at < 8.0, "read well before the 300 s reconciliation"
        assert exporter.context.stats.requests[CONTEXTS] == rest_reads + 1
        assert _delisted(exporter, "bdx:BBB") == 0
        assert feed.live("bdx"), "still streamed: pushes are read against the new universe"
        for _ in range(5):
            await asyncio.sleep(0.3)
            assert _delisted(exporter, "bdx:AAA") == 1
