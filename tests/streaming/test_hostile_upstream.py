"""An upstream that misbehaves never silences the streams: a frame that overflows the parser, acks
echoed differently from what was sent, a task that ends."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import httpx
import pytest

from exporter.app import Exporter
from exporter.streaming.supervise import supervised
from tests.streaming.support import eventually, exporter_config, live_replay, running_exporter, samples, total

FEEDS = ("market_contexts", "user_fills", "account_state")


def _all_live(exporter: Exporter) -> bool:
    observed = samples(exporter)
    return all(total(observed, "hyperliquid_stream_up", feed=feed) == 1 for feed in FEEDS)


async def test_a_hostile_frame_replaces_its_connection_and_every_stream_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="exporter.streaming")
    async with (
        live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url),
        running_exporter(exporter_config(url, market={"enabled": True, "interval_seconds": 1.0})) as exporter,
    ):
        streaming = exporter.streaming
        assert streaming is not None
        await eventually(lambda: _all_live(exporter), within=15)
        opened = state.ws.opened
        async with httpx.AsyncClient(base_url=url) as admin:
            for _ in range(2):
                response = await admin.post("/_replay/ws", json={"fault": "ws-hostile-frame"})
                assert response.status_code == 200
                failed = streaming.stats.connection("users").failures
                await eventually(lambda f=failed: f["RecursionError"] >= 1, within=10)
                await eventually(lambda: _all_live(exporter), within=10)
        for name in ("market", "users"):
            assert streaming.stats.connection(name).failures["RecursionError"] >= 1
        assert state.ws.opened > opened  # the connections were replaced, not the process
        assert sum(streaming.stats.task_restarts.values()) == 0  # contained in the connection
        observed = samples(exporter)
        assert (
            total(observed, "hyperliquid_stream_failures_total", connection="users", kind="RecursionError")
            >= 1
        )
        logged = [
            r for r in caplog.records if r.levelno >= logging.ERROR and "RecursionError" in r.getMessage()
        ]
        # Once per kind and connection, though each connection met the frame more than once.
        per_connection = Counter(r.getMessage().split(":")[0] for r in logged)
        assert {"stream market", "stream users"} <= set(per_connection)
        assert set(per_connection.values()) == {1}


async def test_acks_echoed_as_the_live_server_does_still_make_every_feed_live() -> None:
    async with live_replay("calm", start_offset=0.0, speed=1.0) as (state, url):
        async with httpx.AsyncClient(base_url=url) as admin:
            assert (await admin.post("/_replay/ws", json={"fault": "ack-rewrite"})).status_code == 200
        assert state.ws.rewrite_acks
        config = exporter_config(url, market={"enabled": True, "interval_seconds": 1.0})
        async with running_exporter(config) as exporter:
            await eventually(lambda: _all_live(exporter), within=15)
            streaming = exporter.streaming
            assert streaming is not None
            assert streaming.stats.connection("market").reconnects == 0


async def test_a_task_that_ends_or_fails_is_logged_counted_and_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[str] = []
    slept: list[float] = []
    restarts: Counter[str] = Counter()
    done = asyncio.Event()

    async def work() -> None:
        runs.append("run")
        if len(runs) == 1:
            return  # ends without a word
        if len(runs) == 2:
            raise RecursionError("maximum recursion depth exceeded")
        done.set()
        await asyncio.Event().wait()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    task = asyncio.create_task(supervised("stream-x", work, restarts, delay=1.0, max_delay=8.0, sleep=sleep))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert restarts["stream-x"] == 2
    assert slept == [1.0, 2.0]
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("stream-x ended" in m for m in messages)
    assert any("stream-x failed" in m for m in messages)
