"""Book depth within ±1 % and ±2 % from l2Book, for the coins that matter."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from exporter.collectors.book_depth import BookDepthPoller, coins_that_matter, pollers
from exporter.config import BookDepthConfig, Config
from exporter.hyperliquid.book import parse_depth
from exporter.hyperliquid.errors import ParseError, UpstreamError
from tests.market.test_spot_volume import context_on
from tests.replay.support import Replay

# The documented shape (hyperliquid-api.md, l2Book), trimmed to a few levels.
BOOK: dict[str, Any] = {
    "coin": "BTC",
    "time": 1754450974231,
    "levels": [
        [
            {"px": "100.0", "sz": "10", "n": 3},
            {"px": "99.5", "sz": "10", "n": 1},
            {"px": "98.5", "sz": "10", "n": 1},
        ],
        [
            {"px": "101.0", "sz": "5", "n": 2},
            {"px": "101.8", "sz": "5", "n": 1},
            {"px": "103.0", "sz": "5", "n": 1},
        ],
    ],
}


def test_depth_counts_the_notional_within_each_band_of_the_mid() -> None:
    depth = parse_depth(BOOK)
    assert depth is not None
    # mid 100.5: 1% reaches 99.495 (bid) and 101.505 (ask); 2% reaches 98.49 and 102.51
    assert depth[("bid", 0.01)] == pytest.approx(100.0 * 10 + 99.5 * 10)
    assert depth[("bid", 0.02)] == pytest.approx(100.0 * 10 + 99.5 * 10 + 98.5 * 10)
    assert depth[("ask", 0.01)] == pytest.approx(101.0 * 5)
    assert depth[("ask", 0.02)] == pytest.approx(101.0 * 5 + 101.8 * 5)


def test_unknown_market_empty_side_and_garbage() -> None:
    assert parse_depth(None) is None
    assert parse_depth({**BOOK, "levels": [[], BOOK["levels"][1]]}) is None
    with pytest.raises(ParseError):
        parse_depth({**BOOK, "levels": [[{"px": "x", "sz": "1", "n": 1}], []]})


def test_the_coins_that_matter_are_the_configured_and_the_thinnest_for_their_size() -> None:
    sizes = {
        "BTC": (2.5e9, 3e9),
        "JELLY": (5e6, 3e6),
        "THIN": (4e6, 1e5),
        "SMALL": (1e6, 1e3),
        "xyz:TSLA": (5e7, 1e5),
    }
    config = BookDepthConfig(coins=["BTC"], max_auto_coins=2)
    assert coins_that_matter(config, sizes) == ["BTC", "THIN", "JELLY"]
    assert coins_that_matter(BookDepthConfig(max_auto_coins=0), sizes) == []


async def test_depth_of_a_build_up_from_the_simulator() -> None:
    replay = Replay("jelly-buildup").at(900.0)
    context = context_on(replay)
    context.universe.publish(["BTC", "JELLY"])
    context.market_sizes = {"BTC": (2.5e9, 3e9), "JELLY": (3.5e6, 3e6)}
    [poller] = pollers(Config(), context)
    assert isinstance(poller, BookDepthPoller)
    assert poller.planned_weight_per_minute == 8 * 2 * 2  # 8 coins at weight 2, every 30 s
    depth = {
        tuple(sample.labels.values()): sample.value
        for family in await poller.poll()
        for sample in family.samples
    }
    # JELLY: $3M a day, 1% of it within 2% a side; its $3.5M of open interest is over 100x that
    assert 25_000 <= depth[("JELLY", "bid", "0.02")] <= 30_000  # the level at exactly 2% may round out
    assert 10_000 <= depth[("JELLY", "ask", "0.01")] <= 15_000
    assert depth[("BTC", "bid", "0.02")] > 1000 * depth[("JELLY", "bid", "0.02")]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_busy_budget_thins_the_depth_out_without_failing_or_withdrawing_what_is_recent() -> None:
    replay = Replay("jelly-buildup").at(900.0)
    context = context_on(replay)
    context.universe.publish(["BTC", "JELLY"])
    context.market_sizes = {"BTC": (2.5e9, 3e9), "JELLY": (3.5e6, 3e6)}
    clock = _Clock()
    poller = BookDepthPoller(BookDepthConfig(coins=["BTC", "JELLY"], max_auto_coins=0), context, 0.3, clock)
    answer = context.client.info
    stuck: set[str] = set()

    async def info(body: dict[str, Any], collector: str, *args: Any, **kwargs: Any) -> Any:
        assert collector == "book_depth"  # its own collector: a starved depth is never the market's
        if body["coin"] in stuck:
            await asyncio.sleep(3600)  # waiting for the weight budget
        return await answer(body, collector, *args, **kwargs)

    context.client.info = info  # type: ignore[method-assign]

    def coins(families: Sequence[Any]) -> set[str]:
        return {sample.labels["coin"] for family in families for sample in family.samples}

    assert coins(await poller.poll()) == {"BTC", "JELLY"}
    stuck.add("BTC")
    clock.now += 0.3
    # BTC is queued behind the budget: JELLY is read, BTC's depth of 0.3 s ago is kept.
    assert coins(await poller.poll()) == {"BTC", "JELLY"}
    clock.now += poller.max_age
    # BTC is now older than max_age: withdrawn, while JELLY (read first, as the older) stays.
    assert coins(await poller.poll()) == {"JELLY"}
    stuck.add("JELLY")
    clock.now += poller.max_age + 1
    with pytest.raises(UpstreamError):
        await poller.poll()


async def test_the_first_poll_takes_the_books_answered_at_first_and_leaves_the_rest_to_the_next() -> None:
    """At start-up the books queue behind every other poller's first requests, and `/-/ready` waits
    for this poll: it ends a moment after the first book rather than an interval after."""
    replay = Replay("jelly-buildup").at(900.0)
    context = context_on(replay)
    context.universe.publish(["BTC", "JELLY"])
    context.market_sizes = {"BTC": (2.5e9, 3e9), "JELLY": (3.5e6, 3e6)}
    poller = BookDepthPoller(BookDepthConfig(coins=["BTC", "JELLY"], max_auto_coins=0), context, 3600.0)
    answer = context.client.info
    queued = {"BTC"}

    async def info(body: dict[str, Any], collector: str, *args: Any, **kwargs: Any) -> Any:
        if body["coin"] in queued:
            await asyncio.sleep(3600)  # still waiting for the weight budget
        return await answer(body, collector, *args, **kwargs)

    context.client.info = info  # type: ignore[method-assign]

    def coins(families: Sequence[Any]) -> set[str]:
        return {sample.labels["coin"] for family in families for sample in family.samples}

    async with asyncio.timeout(60):  # an interval of 3600 s: the first poll does not wait for it
        assert coins(await poller.poll()) == {"JELLY"}
    queued.clear()
    assert coins(await poller.poll()) == {"BTC", "JELLY"}
