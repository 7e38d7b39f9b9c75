"""The exporter's event-loop lag: how late a sleep wakes, as a histogram."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from exporter.loop_lag import LoopLag


def _buckets(lag: LoopLag) -> dict[str, float]:
    family = lag.family()
    return {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}


def test_each_wake_is_counted_in_the_first_bucket_that_holds_it() -> None:
    lag = LoopLag()
    for seconds in (0.0, 0.02, 0.3, 7.0):
        lag.observe(seconds)
    buckets = _buckets(lag)
    assert buckets["0.01"] == 1
    assert buckets["0.05"] == 2
    assert buckets["0.5"] == 3
    assert buckets["5.0"] == 3
    assert buckets["+Inf"] == 4
    total = next(s.value for s in lag.family().samples if s.name.endswith("_sum"))
    assert total == pytest.approx(7.32)


async def test_a_blocked_loop_shows_as_lag() -> None:
    lag = LoopLag()
    watcher = asyncio.create_task(lag.watch(period=0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # noqa: ASYNC251 - the loop held, as a CPU-starved exporter's is
    await asyncio.sleep(0.05)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    buckets = _buckets(lag)
    assert buckets["+Inf"] - buckets["0.25"] >= 1
