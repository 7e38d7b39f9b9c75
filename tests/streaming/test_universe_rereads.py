"""The open-interest cue and the limits on the universe re-reads it starts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from exporter.hyperliquid.errors import UpstreamError
from exporter.streaming.universe_rereads import (
    UNIVERSE_REREAD_MIN_GAP_SECONDS,
    UniverseRereads,
    any_emptied,
    open_interest_emptied,
)


def test_only_a_fall_to_zero_is_a_cue() -> None:
    assert open_interest_emptied({"openInterest": "12.5"}, {"openInterest": "0.0"})
    assert not open_interest_emptied({"openInterest": "0.0"}, {"openInterest": "0.0"})  # long delisted
    assert not open_interest_emptied({"openInterest": "12.5"}, {"openInterest": "3"})
    assert not open_interest_emptied({"openInterest": "12.5"}, {"openInterest": "garbled"})
    assert not open_interest_emptied({}, {"openInterest": "0"})
    before = [{"openInterest": "1"}, {"openInterest": "2"}]
    assert any_emptied(before, [{"openInterest": "1"}, {"openInterest": "0"}])
    assert not any_emptied(before, [{"openInterest": "0"}])  # another universe: not comparable
    assert not any_emptied([], before)


async def test_one_reread_in_flight_and_one_per_gap_per_universe() -> None:
    now = [1000.0]
    rereads = UniverseRereads(clock=lambda: now[0])
    release = asyncio.Event()
    started: list[str] = []
    finished: list[str] = []

    def reread(key: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            started.append(key)
            await release.wait()

        return run

    assert rereads.start("xyz", reread("xyz"), lambda: finished.append("xyz"))
    assert not rereads.start("xyz", reread("xyz"), lambda: finished.append("xyz"))  # in flight
    assert rereads.start("flx", reread("flx"), lambda: finished.append("flx"))  # another universe
    release.set()
    await asyncio.sleep(0.01)
    assert sorted(finished) == ["flx", "xyz"]
    assert rereads.done == 2
    now[0] += UNIVERSE_REREAD_MIN_GAP_SECONDS - 1
    assert not rereads.start("xyz", reread("xyz"), lambda: None)  # too soon after the last
    now[0] += 1
    assert rereads.start("xyz", reread("xyz"), lambda: None)
    await asyncio.sleep(0.01)
    assert started == ["xyz", "flx", "xyz"]


async def test_a_failed_reread_is_logged_not_counted(caplog: pytest.LogCaptureFixture) -> None:
    rereads = UniverseRereads()
    after: list[str] = []

    async def failing() -> None:
        raise UpstreamError("http_5xx", "metaAndAssetCtxs: HTTP 500")

    assert rereads.start("xyz", failing, lambda: after.append("then"))
    await asyncio.sleep(0.01)
    assert rereads.done == 0
    assert after == []
    assert "dex xyz" in caplog.text
    assert "HTTP 500" in caplog.text
