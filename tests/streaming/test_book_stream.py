"""Book depth from streamed `l2Book`: the coins that matter are subscribed, their pushed books are
published, and no `l2Book` is asked over REST for them while the pushes are recent."""

from __future__ import annotations

import asyncio
from typing import Any

from exporter.hyperliquid.book import parse_depth
from exporter.streaming.book_feed import BookFeed
from exporter.streaming.stats import StreamStats
from tests.streaming.support import eventually, exporter_config, live_replay, running_exporter, samples, total
from tests.support.clock import ManualClock

BOOK: dict[str, Any] = {
    "coin": "JELLY",
    "time": 1742990400000,
    "levels": [[{"px": "0.0095", "sz": "1000000", "n": 3}], [{"px": "0.0096", "sz": "500000", "n": 2}]],
}


class Renewals:
    def __init__(self) -> None:
        self.why: list[str] = []

    async def renew(self, why: str) -> None:
        self.why.append(why)


async def test_a_pushed_book_counts_while_recent_and_only_in_its_session() -> None:
    clock = ManualClock()
    wanted = ["JELLY", "BTC"]
    feed = BookFeed(lambda: wanted, StreamStats(), max_subscriptions=10, monotonic=clock)
    assert [s for _, s in await feed.subscriptions()] == [
        {"type": "l2Book", "coin": "JELLY"},
        {"type": "l2Book", "coin": "BTC"},
    ]
    feed.session_started()
    await feed.session_subscribed()
    feed.handle("l2Book", BOOK)
    feed.handle("l2Book", {**BOOK, "coin": "ETH"})  # not subscribed here: ignored
    assert feed.book("JELLY", max_age=30) == (True, parse_depth(BOOK))
    assert feed.book("BTC", max_age=30) == (False, None)
    assert feed.book("ETH", max_age=30) == (False, None)
    clock.now += 31
    assert feed.book("JELLY", max_age=30) == (False, None)
    feed.handle("l2Book", BOOK)
    feed.session_ended()
    assert feed.book("JELLY", max_age=30) == (False, None)


async def test_the_connection_is_renewed_when_the_coins_that_matter_change() -> None:
    wanted = ["JELLY"]
    feed = BookFeed(lambda: wanted, StreamStats(), max_subscriptions=10)
    renewals = Renewals()
    feed.connection = renewals  # type: ignore[assignment]
    await feed.subscriptions()
    feed.session_started()
    await feed.session_subscribed()
    follower = asyncio.create_task(feed.follow_coins(interval=0.01))
    await asyncio.sleep(0.05)
    assert renewals.why == []
    wanted.append("POPCAT")  # a watched account opened a POPCAT position
    await eventually(lambda: bool(renewals.why), within=2)
    follower.cancel()
    assert renewals.why[0] == "the coins whose depth matters changed"


async def test_streamed_books_replace_the_rest_reads_of_their_coins() -> None:
    async with live_replay("jelly-buildup", start_offset=600.0, speed=2.0) as (_, url):
        book_depth = {"interval_seconds": 1.0, "coins": ["BTC", "JELLY"], "max_auto_coins": 0}
        config = exporter_config(
            url, market={"enabled": True, "interval_seconds": 1.0, "book_depth": book_depth}
        )
        async with running_exporter(config) as exporter:
            streaming = exporter.streaming
            assert streaming is not None
            books = streaming.books
            assert books is not None
            await eventually(lambda: books.book("JELLY", 5.0)[0] and books.book("BTC", 5.0)[0], within=20)
            await asyncio.sleep(1.5)  # a depth poll that saw both pushed
            rest_reads = exporter.context.stats.requests["l2Book"]
            await asyncio.sleep(3.0)  # three more depth polls
            observed = samples(exporter)
            assert exporter.context.stats.requests["l2Book"] == rest_reads
    assert total(observed, "hyperliquid_book_depth", coin="JELLY", side="bid", band="0.02") > 0
    assert total(observed, "hyperliquid_book_depth", coin="BTC", side="ask", band="0.02") > 0
    assert total(observed, "hyperliquid_stream_subscriptions", feed="books") == 2
