"""The 10-user quota is planned, never exceeded, and a refusal leaves the data to REST at fast rates."""

from __future__ import annotations

from exporter.app import build_exporter
from exporter.collectors.registry import build_pollers
from exporter.streaming.backed import StreamBackedPoller
from exporter.streaming.plan import build_plan
from tests.streaming.support import (
    LIQUIDATORS,
    eventually,
    exporter_config,
    live_replay,
    running_exporter,
    samples,
    total,
)

WATCHED = [{"address": f"0x{index:040x}", "name": f"whale-{index}"} for index in range(1, 13)]


def test_plan_spends_the_user_quota_on_liquidators_then_watched_accounts() -> None:
    config = exporter_config("http://127.0.0.1:1", accounts={"watched": WATCHED})
    plan = build_plan(config)
    assert plan.liquidators == LIQUIDATORS
    assert plan.watched == tuple(w["address"] for w in WATCHED[:6])
    assert plan.polled_only == tuple(w["address"] for w in WATCHED[6:])
    assert len(set(plan.users)) == 10
    assert len(plan.user_subscriptions()) == 20  # userFills and clearinghouseState per user


def test_a_lower_user_limit_is_respected() -> None:
    config = exporter_config("http://127.0.0.1:1", {"max_users": 3}, accounts={"watched": WATCHED})
    plan = build_plan(config)
    assert plan.users == LIQUIDATORS[:3]
    assert plan.polled_only == (LIQUIDATORS[3], *(w["address"] for w in WATCHED))
    # The liquidators' accounts are not all covered: their poller stays plain REST.
    exporter = build_exporter(config)
    kinds = {poller.name: type(poller).__name__ for poller in exporter.scheduler.pollers}
    assert kinds["accounts_liquidators"] != "StreamBackedPoller"


async def test_user_quota_never_exceeded_on_the_simulator() -> None:
    async with live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url):
        config = exporter_config(url, accounts={"watched": WATCHED})
        async with running_exporter(config) as exporter:
            streaming = exporter.streaming
            assert streaming is not None
            assert streaming.accounts is not None
            assert streaming.fills is not None
            await eventually(lambda: streaming.accounts.live and streaming.fills.live, within=15)
            status = state.ws.status()
            assert status["refused"] == 0
            assert status["peak_users"] == 10
            observed = samples(exporter)
            assert total(observed, "hyperliquid_stream_quota_planned", resource="users") == 10
            assert total(observed, "hyperliquid_stream_quota", resource="users") == 10
            assert total(observed, "hyperliquid_stream_subscriptions", feed="user_fills") == 10


async def test_refused_subscriptions_fall_back_to_fast_rest() -> None:
    async with live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url):
        state.ws.max_users = 2  # another process on this IP holds most of the quota
        async with running_exporter(exporter_config(url)) as exporter:
            streaming = exporter.streaming
            assert streaming is not None
            users = streaming.stats.connection("users")
            await eventually(lambda: users.errors >= 2, within=15)
            fills_poller = streaming.backed["fills"]
            polls = fills_poller.rest_polls
            # Fills interval 2 s: REST keeps its fast rate while the feed cannot be live.
            await eventually(lambda: fills_poller.rest_polls >= polls + 2, within=15)
            assert state.ws.status()["peak_users"] == 2
            observed = samples(exporter)
            assert total(observed, "hyperliquid_stream_up", feed="user_fills") == 0
            assert total(observed, "hyperliquid_stream_rest_fallback", poller="fills") == 1
            assert total(observed, "hyperliquid_stream_rest_fallback", poller="accounts_liquidators") == 1
            assert total(observed, "hyperliquid_account_value_usd", account=LIQUIDATORS[0]) > 0


async def test_rest_slows_to_reconciliation_while_streams_are_live() -> None:
    async with (
        live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (_, url),
        running_exporter(exporter_config(url)) as exporter,
    ):
        streaming = exporter.streaming
        assert streaming is not None
        assert streaming.fills is not None
        fills = streaming.fills
        await eventually(lambda: fills.live, within=15)
        wrapper = streaming.backed["fills"]
        polls = wrapper.rest_polls
        health = exporter.store.health["fills"]
        last_success = health.last_success
        # Two fast intervals (2 s) pass: the poller succeeds from the stream, without REST.
        await eventually(lambda: health.last_success > last_success + 2, within=10)
        assert wrapper.rest_polls == polls
        assert total(samples(exporter), "hyperliquid_stream_rest_fallback", poller="fills") == 0


def test_streaming_disabled_leaves_the_exporter_unchanged() -> None:
    config = exporter_config("http://127.0.0.1:1", {"enabled": False})
    exporter = build_exporter(config)
    assert exporter.streaming is None
    assert not any(isinstance(p, StreamBackedPoller) for p in exporter.scheduler.pollers)
    plain = build_pollers(config, exporter.context)
    assert [(p.name, type(p)) for p in exporter.scheduler.pollers] == [(p.name, type(p)) for p in plain]
    assert exporter.context.budget.planned_total == sum(p.planned_weight_per_minute for p in plain)
    assert b"hyperliquid_stream_" not in exporter.render_metrics()
