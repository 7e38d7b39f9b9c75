"""Pushed market contexts and account states reach /metrics while REST only reconciles."""

from __future__ import annotations

from tests.streaming.support import (
    LIQUIDATORS,
    eventually,
    exporter_config,
    live_replay,
    running_exporter,
    samples,
    total,
)

LIQUIDATOR_2 = LIQUIDATORS[1]


async def test_backstop_takeover_and_market_contexts_arrive_by_stream() -> None:
    # At 40 s the watched BTC long (200 BTC) is taken over by HLP Liquidator 2.
    async with live_replay("cascade-2025-10-10", start_offset=30.0, speed=2.0) as (state, url):
        config = exporter_config(url, market={"enabled": True, "interval_seconds": 1.0})
        async with running_exporter(config) as exporter:
            streaming = exporter.streaming
            assert streaming is not None
            assert streaming.market is not None
            assert streaming.accounts is not None
            market, accounts = streaming.market, streaming.accounts
            await eventually(lambda: market.live and accounts.live, within=15)
            assert state.clock.now() < 40.0, "the takeover must happen while the stream is live"
            market_rest = streaming.backed["market"].rest_polls
            accounts_rest = streaming.backed["accounts_liquidators"].rest_polls

            def taken_over() -> bool:
                observed = samples(exporter)
                size = total(observed, "hyperliquid_account_position_size", account=LIQUIDATOR_2, coin="BTC")
                return size >= 200

            await eventually(taken_over, within=15)
            # REST intervals are 1 s (market) and 2 s (liquidators), reconciliation 60 s: the takeover
            # and the contexts came by stream.
            assert streaming.backed["market"].rest_polls == market_rest
            assert streaming.backed["accounts_liquidators"].rest_polls == accounts_rest
            observed = samples(exporter)
            assert total(observed, "hyperliquid_mark_price", coin="BTC") > 0
            assert total(observed, "hyperliquid_stream_subscriptions", feed="market_contexts") == 1
            assert total(observed, "hyperliquid_stream_messages_total", feed="market_contexts") >= 1
            assert total(observed, "hyperliquid_stream_last_message_age_seconds", feed="account_state") < 30
