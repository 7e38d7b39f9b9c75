"""After a reconnect the backfill starts where the previous session left off, not after the fills
that the new subscription's snapshot pushes: a gap larger than the snapshot is read, or counted."""

from __future__ import annotations

import time
from typing import Any, cast

from exporter.collectors.context import CollectorContext
from exporter.hyperliquid.budget import Priority
from exporter.streaming.dedup import DeduplicatedCounters
from exporter.streaming.feeds import FillsFeed
from exporter.streaming.stats import StreamStats

USER = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"


def _fill(tid: int, time_ms: int) -> dict[str, Any]:
    return {
        "coin": "ETH",
        "px": "3000",
        "sz": "1",
        "time": time_ms,
        "dir": "Open Long",
        "hash": "0x0",
        "oid": 1,
        "tid": tid,
    }


class _Client:
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.priorities: list[object] = []

    async def info(self, body: dict[str, Any], collector: str, *priority: object, **options: object) -> Any:
        self.starts.append(body["startTime"])
        self.priorities.append(priority[0] if priority else options.get("priority"))
        return []


class _Context:
    def __init__(self) -> None:
        self.client = _Client()
        self.clock = time.time

    def count_malformed(self, request_type: str) -> None:
        raise AssertionError(request_type)


def _feed(context: _Context, counting_start_ms: int) -> FillsFeed:
    return FillsFeed(
        DeduplicatedCounters(counting_start_ms),
        [USER],
        cast(CollectorContext, context),
        StreamStats(),
        lambda: None,
        page_limit=500,
        max_pages=5,
    )


async def test_the_backfill_starts_before_the_snapshot_of_the_new_session() -> None:
    context = _Context()
    feed = _feed(context, counting_start_ms=1_000)
    # First session: one fill at 2 000 ms.
    feed.session_started()
    feed.handle("userFills", {"isSnapshot": True, "user": USER, "fills": [_fill(1, 2_000)]})
    await feed.session_subscribed()
    feed.session_ended()
    # Reconnected: the snapshot pushed with the acknowledgement already holds fills up to 9 000 ms.
    feed.session_started()
    feed.handle("userFills", {"isSnapshot": True, "user": USER, "fills": [_fill(5, 8_000), _fill(6, 9_000)]})
    await feed.session_subscribed()
    assert context.client.starts == [1_000, 2_000]  # from the last fill before the disconnect
    assert feed.live
    assert context.client.priorities == [None, None]  # gaps of decades: the fills collector's own


async def test_the_first_backfill_after_start_up_waits_behind_the_other_pollers() -> None:
    """Counting starts with the exporter: the first connection's gap is seconds long and holds next to
    nothing, so its pages must not push the other pollers' first requests back."""
    context = _Context()
    feed = _feed(context, counting_start_ms=int(time.time() * 1000) - 2_000)
    feed.session_started()
    await feed.session_subscribed()
    assert context.client.priorities == [Priority.LOW]
