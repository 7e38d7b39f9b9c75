"""What the market pushes do not carry (delisting, margin mode) still reaches /metrics and stays there.

`assetCtxs` pushes contexts only; the universe (names, delisting, margin mode) comes from REST. The stream
must adopt each REST reconciliation's universe, and re-read it at once when a push shows a market's open
interest falling to zero (a delisting settles every position in the same action).
"""

from __future__ import annotations

import asyncio

from exporter.app import Exporter
from exporter.streaming.service import StreamingService
from tests.streaming.support import eventually, exporter_config, live_replay, running_exporter, samples, total


def _market_info(exporter: Exporter, **labels: str) -> float:
    return total(samples(exporter), "hyperliquid_market_info", coin="DLX", **labels)


async def _live_market_stream(exporter: Exporter) -> StreamingService:
    streaming = exporter.streaming
    assert streaming is not None
    market = streaming.market
    assert market is not None
    await eventually(lambda: market.live, within=15)
    return streaming


async def test_a_delisting_is_read_at_once_and_stays_published() -> None:
    # delisting-precursors: DLX is delisted and settled at 300 s; its open interest is pushed as 0.
    async with live_replay("delisting-precursors", start_offset=285.0, speed=2.0) as (state, url):
        config = exporter_config(url, market={"enabled": True, "interval_seconds": 1.0})
        async with running_exporter(config) as exporter:
            streaming = await _live_market_stream(exporter)
            assert state.clock.now() < 300.0, "the delisting must happen while the stream is live"
            rest_polls = streaming.backed["market"].rest_polls
            assert _market_info(exporter, delisted="false") == 1

            await eventually(lambda: _market_info(exporter, delisted="true") == 1, within=15, step=0.05)
            assert state.clock.now() - 300.0 < 4.0, "read well before the 60 s reconciliation"
            assert streaming.backed["market"].rest_polls == rest_polls, "the stream's own re-read, not REST"
            for _ in range(10):  # many pushes later, still delisted: the pushes build on the new universe
                await asyncio.sleep(0.2)
                assert _market_info(exporter, delisted="true") == 1
                assert _market_info(exporter, delisted="false") == 0


async def test_the_stream_adopts_the_universe_of_each_reconciliation() -> None:
    # DLX turns isolated-only (strictIsolated) at 150 s; nothing in the pushes shows it.
    async with live_replay("delisting-precursors", start_offset=140.0, speed=2.0) as (state, url):
        config = exporter_config(
            url,
            streaming={"reconciliation": {"market_interval_seconds": 3.0}},
            market={"enabled": True, "interval_seconds": 1.0},
        )
        async with running_exporter(config) as exporter:
            streaming = await _live_market_stream(exporter)
            assert state.clock.now() < 150.0
            await eventually(lambda: _market_info(exporter, margin_mode="strict_isolated") == 1, within=15)
            reconciled = streaming.backed["market"].rest_polls
            await eventually(lambda: streaming.backed["market"].rest_polls > reconciled, within=10)
            for _ in range(10):
                await asyncio.sleep(0.2)
                assert _market_info(exporter, margin_mode="strict_isolated") == 1
