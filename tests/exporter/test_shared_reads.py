"""The same info request from two readers at once is sent once (exporter/collectors/shared_reads.py)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from exporter.collectors.shared_reads import SharedReads
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.client import InfoClient
from exporter.hyperliquid.errors import UpstreamError
from tests.support.clock import ManualClock


class CountingClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.release = asyncio.Event()
        self.fail = False

    async def info(self, body: dict[str, Any], collector: str, priority: Priority | None = None) -> Any:
        self.sent.append((str(body["type"]), collector))
        await self.release.wait()
        if self.fail:
            raise UpstreamError("http_5xx", "vaultDetails: HTTP 502")
        return {"answer": len(self.sent)}


def _client(fake: CountingClient) -> InfoClient:
    return cast(InfoClient, fake)


async def test_two_readers_at_once_share_one_request() -> None:
    fake, shared = CountingClient(), SharedReads()
    body = {"type": "metaAndAssetCtxs"}
    first = asyncio.create_task(shared.info(_client(fake), body, "market"))
    second = asyncio.create_task(shared.info(_client(fake), dict(body), "market"))
    await asyncio.sleep(0)
    fake.release.set()
    assert await first == await second == {"answer": 1}
    assert fake.sent == [("metaAndAssetCtxs", "market")]


async def test_a_recent_answer_serves_a_reader_that_accepts_its_age_and_no_other() -> None:
    fake, clock = CountingClient(), ManualClock()
    shared = SharedReads(clock)
    fake.release.set()
    body = {"type": "vaultDetails", "vaultAddress": "0xdfc2"}
    await shared.info(_client(fake), body, "vaults")
    clock.now += 5
    assert await shared.info(_client(fake), body, "accounts", fresh_for=10) == {"answer": 1}
    assert await shared.info(_client(fake), body, "vaults") == {"answer": 2}
    assert len(fake.sent) == 2


async def test_a_failure_reaches_every_waiting_reader_and_is_not_kept() -> None:
    fake, shared = CountingClient(), SharedReads()
    fake.fail = True
    body = {"type": "vaultDetails", "vaultAddress": "0xdfc2"}
    readers = [asyncio.create_task(shared.info(_client(fake), body, "vaults")) for _ in range(2)]
    await asyncio.sleep(0)
    fake.release.set()
    for reader in readers:
        with pytest.raises(UpstreamError):
            await reader
    fake.fail = False
    assert await shared.info(_client(fake), body, "vaults", fresh_for=60) == {"answer": 2}


async def test_a_reader_cancelled_by_its_deadline_leaves_the_request_to_the_others() -> None:
    fake, shared = CountingClient(), SharedReads()
    body = {"type": "metaAndAssetCtxs"}
    impatient = asyncio.create_task(shared.info(_client(fake), body, "market"))
    patient = asyncio.create_task(shared.info(_client(fake), body, "market"))
    await asyncio.sleep(0)
    impatient.cancel()
    fake.release.set()
    assert await patient == {"answer": 1}
    with pytest.raises(asyncio.CancelledError):
        await impatient
