"""The streams' small parts: backoff, connection rate, subscription identity, the dedup gate."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest

from exporter.hyperliquid.fills import Fill, Liquidation
from exporter.streaming.config import StreamingConfig
from exporter.streaming.connection import OFF_LOOP_BYTES, StreamConnection, subscription_key
from exporter.streaming.dedup import DeduplicatedCounters
from exporter.streaming.pacing import Backoff, ConnectionRate
from exporter.streaming.stats import ConnectionStats


def test_backoff_is_jittered_exponential_capped_and_resets() -> None:
    backoff = Backoff(0.5, 8.0, random.Random(3))
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    delays = [backoff.next_delay() for _ in ceilings]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 10 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered, not a fixed schedule
    backoff.reset()
    assert backoff.next_delay() <= 0.5


async def test_connection_rate_waits_for_the_oldest_connection_to_leave_the_minute() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    rate = ConnectionRate(3, monotonic=lambda: now[0], sleep=sleep)
    for step in (0.0, 10.0, 10.0):
        now[0] += step
        await rate.acquire()
    assert slept == []
    assert rate.opened_last_minute() == 3
    await rate.acquire()  # the 4th within the minute waits until the 1st (at 100 s) is 60 s old
    assert slept == [40.0]
    assert now[0] == 160.0
    assert rate.opened_last_minute() == 3


def test_acknowledgement_matches_the_subscription_on_its_identifying_fields() -> None:
    sent = {"type": "userFills", "user": "0xABC", "aggregateByTime": False}
    acked = {"type": "userFills", "user": "0xabc"}
    assert subscription_key(sent) == subscription_key(acked)
    # The live server is reported to add fields to its echo and to drop an empty dex.
    assert subscription_key({"type": "userFills", "user": "0xabc"}) == subscription_key(
        {"aggregateByTime": False, "user": "0xAbC", "type": "userFills"}
    )
    assert subscription_key({"type": "assetCtxs", "dex": ""}) == subscription_key({"type": "assetCtxs"})
    assert subscription_key({"type": "assetCtxs", "dex": "xyz"}) != subscription_key({"type": "assetCtxs"})
    assert subscription_key({"type": "clearinghouseState", "user": "0xabc"}) != subscription_key(acked)
    assert subscription_key({"type": "userFills", "user": "0xdef"}) != subscription_key(acked)
    assert subscription_key({"type": "activeAssetCtx", "coin": "BTC"}) != subscription_key(
        {"type": "activeAssetCtx", "coin": "ETH"}
    )


def test_a_data_message_identifies_its_subscription_by_channel_and_fields() -> None:
    sent = {"type": "userFills", "user": "0xABC", "aggregateByTime": False}
    data = {"isSnapshot": True, "user": "0xabc", "fills": []}
    assert subscription_key(data, "userFills") == subscription_key(sent)
    assert subscription_key({"dex": "", "ctxs": []}, "assetCtxs") == subscription_key(
        {"type": "assetCtxs", "dex": ""}
    )
    assert subscription_key({"user": "0xabc", "fills": []}, "clearinghouseState") != subscription_key(sent)


ADL_ACCOUNT = "0xe92d2041199b18f611b137457f3acee8bedb22d3"


def adl_fill(tid: int | None, time_ms: int, px: float = 10.0) -> Fill:
    return Fill(
        coin="AVAX",
        price=px,
        size=2.0,
        time_ms=time_ms,
        direction="Auto-Deleveraging",
        hash=f"0x{tid or 0:064x}",
        oid=7,
        tid=tid,
        liquidation=Liquidation("backstop", "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14", px),
    )


def test_gate_counts_a_fill_once_across_paths_and_never_before_the_start() -> None:
    counters = DeduplicatedCounters(counting_start_ms=1_000)
    counters.auto_deleverages.published(["AVAX"])  # AVAX's series is on /metrics at 0: events count at once
    assert counters.offer(ADL_ACCOUNT, adl_fill(1, 1_000))
    assert not counters.offer(ADL_ACCOUNT, adl_fill(1, 1_000))  # the same trade id from the other path
    assert counters.offer(ADL_ACCOUNT, adl_fill(2, 1_000))
    assert not counters.offer(ADL_ACCOUNT, adl_fill(3, 999))  # a snapshot's older fill
    counters.add(ADL_ACCOUNT, adl_fill(4, 1_500))  # the REST cursor's entry point goes through the same gate
    counters.add(ADL_ACCOUNT, adl_fill(4, 1_500))
    assert counters.auto_deleverages.get("AVAX").count == 3
    assert counters.auto_deleverages.get("AVAX").notional_usd == 60.0
    assert counters.duplicates == 2


def test_gate_is_per_account_so_both_sides_of_one_trade_are_seen() -> None:
    liquidator = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
    counters = DeduplicatedCounters(counting_start_ms=0, is_liquidator=lambda account: account == liquidator)
    counters.auto_deleverages.published(["AVAX"])
    own_side = Fill(
        coin="AVAX",
        price=10.0,
        size=2.0,
        time_ms=5,
        direction="Liquidated Cross Long",
        hash=f"0x{1:064x}",
        oid=8,
        tid=1,
        liquidation=Liquidation("backstop", liquidator, 10.0),
    )
    assert counters.offer(liquidator, own_side)
    assert counters.offer(ADL_ACCOUNT, adl_fill(1, 5))  # same tid, the other account: not a duplicate
    # One ADL trade on the venue, seen from both sides; the deleveraged account counted as such.
    assert counters.auto_deleverages.get("AVAX").count == 1
    assert set(counters.account_deleverages) == {(ADL_ACCOUNT, "AVAX")}
    assert set(counters.account_liquidations) == {(liquidator, "AVAX")}
    assert counters.liquidations.series() == set()  # never a backstop liquidation
    assert counters.duplicates == 0


def test_gate_keys_fills_without_trade_id_by_their_other_fields() -> None:
    counters = DeduplicatedCounters(counting_start_ms=0)
    counters.auto_deleverages.published(["AVAX"])
    assert counters.offer(ADL_ACCOUNT, adl_fill(None, 5))
    assert not counters.offer(ADL_ACCOUNT, adl_fill(None, 5))
    assert counters.offer(ADL_ACCOUNT, adl_fill(None, 5, px=11.0))
    assert counters.auto_deleverages.get("AVAX").count == 2


def test_gate_memory_is_bounded() -> None:
    counters = DeduplicatedCounters(counting_start_ms=0, max_remembered=10)
    counters.auto_deleverages.published(["AVAX"])
    for tid in range(100):
        counters.offer(ADL_ACCOUNT, adl_fill(tid, 10))
    assert counters.auto_deleverages.get("AVAX").count == 100
    assert len(counters._seen) == 10


def test_the_derived_websocket_url_carries_no_credentials_of_the_api_url() -> None:
    section = StreamingConfig()
    assert section.url("https://alice:hunter2@api.example:8443/proxy/") == "wss://api.example:8443/ws"
    assert section.url("http://user@127.0.0.1:9764") == "ws://127.0.0.1:9764/ws"
    assert section.url("https://api.hyperliquid.xyz") == "wss://api.hyperliquid.xyz/ws"


async def test_a_frame_over_a_mebibyte_is_parsed_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_subscriptions() -> list[Any]:
        return []

    connection = StreamConnection(
        "market",
        "ws://127.0.0.1:1/ws",
        no_subscriptions,
        ConnectionStats(),
        ConnectionRate(30),
        Backoff(0.1, 1.0),
        ping_interval=50.0,
        pong_timeout=10.0,
        connect_timeout=1.0,
    )
    threaded: list[int] = []
    to_thread = asyncio.to_thread

    async def recording(function: Any, *args: Any) -> Any:
        threaded.append(len(args[0]))
        return await to_thread(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", recording)
    small = json.dumps({"channel": "pong"})
    large = json.dumps({"channel": "pong", "padding": "x" * OFF_LOOP_BYTES})
    assert await connection._decode(small) == {"channel": "pong"}
    assert threaded == []
    assert (await connection._decode(large))["channel"] == "pong"
    assert threaded == [len(large)]
