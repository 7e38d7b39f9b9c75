"""What each subscription feeds: fills into the shared counters, account states, market contexts.

Each feed keeps the latest pushed state and builds the same metric families as the REST poller it
stands in for, with the poller's own family builders, so /metrics reads the same either way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.metrics_core import Metric

from exporter.collectors.accounts import AccountFamilies, MonitoredAccount
from exporter.collectors.context import CollectorContext
from exporter.collectors.market import market_families
from exporter.hyperliquid.accounts import AccountState, parse_clearinghouse_state
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.fields import JsonObject, as_list
from exporter.hyperliquid.fills import USER_FILLS_BY_TIME, FillCursor, ParsedFills, follow, parse_fills
from exporter.hyperliquid.market import META_AND_ASSET_CTXS, parse_meta_and_asset_ctxs
from exporter.prices.market_prices import MarketPrices
from exporter.streaming.connection import Resubscribe
from exporter.streaming.dedup import DeduplicatedCounters
from exporter.streaming.plan import FEED_ACCOUNTS, FEED_FILLS, FEED_MARKET
from exporter.streaming.stats import FeedStats, StreamStats
from exporter.streaming.universe_rereads import UniverseRereads, any_emptied, open_interest_emptied

log = logging.getLogger(__name__)

USER_FILLS = "userFills"
Changed = Callable[[], None]


# A backfill of a gap shorter than this reads behind the other pollers (Priority.LOW).
SHORT_GAP_MS = 60_000


class FillsFeed:
    """`userFills` of the planned users into the fills collector's (deduplicated) counters.

    The first message of a subscription is a snapshot of recent fills; older than the counting start
    they are ignored, newer ones already counted are deduplicated. Once subscribed, each user is
    backfilled over REST (`userFillsByTime` from the last fill seen) so that fills made while the
    connection was down are counted too; what even that cannot reach is counted as a gap.
    """

    name = FEED_FILLS
    channels = frozenset({USER_FILLS})

    def __init__(
        self,
        counters: DeduplicatedCounters,
        users: Sequence[str],
        context: CollectorContext,
        stats: StreamStats,
        on_change: Changed,
        page_limit: int,
        max_pages: int,
        collector: str = "fills",
    ) -> None:
        self.counters = counters
        self.users = tuple(users)
        self.stats: FeedStats = stats.feed(self.name)
        self._all = stats
        self._context = context
        self._on_change = on_change
        self._page_limit = page_limit
        self._max_pages = max_pages
        self._collector = collector
        self.last_event_ms = dict.fromkeys(self.users, counters.counting_start_ms)
        # Where each backfill starts: taken when the connection starts, before the isSnapshot push
        # (which arrives with the acknowledgement) moves last_event_ms past the gap.
        self._backfill_from = dict(self.last_event_ms)
        self.live = False

    def _take(self, user: str, fills: ParsedFills, backfill: bool) -> int:
        counted = 0
        for fill in sorted(fills.fills, key=lambda f: f.time_ms):
            if self.counters.offer(user, fill):
                counted += 1
            if user in self.last_event_ms and fill.time_ms > self.last_event_ms[user]:
                self.last_event_ms[user] = fill.time_ms
        if backfill and counted:
            self._all.backfilled_fills[user] += counted
        if counted:
            self._on_change()
        return counted

    def handle(self, channel: str, data: Any) -> None:
        body = JsonObject(data, USER_FILLS)
        user = body.text("user").lower()
        parsed = parse_fills(data["fills"], USER_FILLS)
        self.stats.malformed += parsed.malformed
        self._take(user, parsed, backfill=False)

    def session_started(self) -> None:
        self.live = False
        self.stats.live = False
        self._backfill_from = dict(self.last_event_ms)

    async def _backfill(self, user: str) -> None:
        cursor = FillCursor(self._backfill_from[user])
        # A gap of seconds (the first connection, just after start-up) holds next to nothing: its pages
        # wait behind every other poller's first requests instead of pushing them back.
        short_gap = self._context.clock() * 1000 - cursor.start_ms < SHORT_GAP_MS
        priority = Priority.LOW if short_gap else None

        async def fetch_page(start_ms: int) -> ParsedFills:
            body = {"type": USER_FILLS_BY_TIME, "user": user, "startTime": start_ms, "aggregateByTime": False}
            parsed = parse_fills(await self._context.client.info(body, self._collector, priority))
            for _ in range(parsed.malformed):
                self._context.count_malformed(USER_FILLS_BY_TIME)
            return parsed

        def consume(fill: Any) -> None:
            self._take(user, ParsedFills((fill,), 0), backfill=True)

        try:
            summary = await follow(cursor, fetch_page, consume, self._page_limit, self._max_pages)
        except (UpstreamError, ParseError) as exc:
            self._all.backfill_gaps[user] += 1
            log.warning("backfill of %s's fills failed (%s): left to the REST reconciliation", user, exc)
            return
        unfilled = cursor.gaps + (0 if summary.caught_up else 1)
        if unfilled:
            self._all.backfill_gaps[user] += unfilled
            log.warning("backfill of %s's fills left %d gap(s)", user, unfilled)

    async def session_subscribed(self) -> None:
        await asyncio.gather(*(self._backfill(user) for user in self.users))
        self.live = True
        self.stats.live = True

    def session_ended(self) -> None:
        self.live = False
        self.stats.live = False


@dataclass(frozen=True, slots=True)
class AccountGroup:
    """The accounts one REST poller publishes, all of which the stream covers."""

    poller: str
    accounts: tuple[MonitoredAccount, ...]


class AccountStateFeed:
    """`clearinghouseState` pushes: the latest state of each planned user."""

    name = FEED_ACCOUNTS
    channels = frozenset({"clearinghouseState"})

    def __init__(
        self,
        groups: Sequence[AccountGroup],
        help_suffix: str,
        stats: StreamStats,
        on_change: Callable[[AccountGroup], None],
        held_coins: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.groups = tuple(groups)
        self._help = help_suffix
        # Shared with the book-depth poller (CollectorContext.held_coins), keyed like the REST pollers.
        self._held_coins = held_coins if held_coins is not None else {}
        self.stats: FeedStats = stats.feed(self.name)
        self._on_change = on_change
        self.states: dict[str, AccountState] = {}
        self.live = False

    def handle(self, channel: str, data: Any) -> None:
        body = JsonObject(data, channel)
        user = body.text("user").lower()
        state = parse_clearinghouse_state(data["clearinghouseState"])
        self.stats.malformed += state.malformed
        self.states[user] = state
        for group in self.groups:
            if any(account.address == user for account in group.accounts) and self.group_live(group):
                self._on_change(group)

    def group_live(self, group: AccountGroup) -> bool:
        return self.live and all(account.address in self.states for account in group.accounts)

    def families(self, group: AccountGroup) -> Sequence[Metric]:
        families = AccountFamilies(self._help)
        for account in group.accounts:
            families.add(account, self.states[account.address])
        self._held_coins[group.poller] = families.coins_held()
        return families.families()

    def session_started(self) -> None:
        self.live = False
        self.stats.live = False
        self.states.clear()  # a state from the previous connection is not proof of the present

    async def session_subscribed(self) -> None:
        self.live = True
        self.stats.live = True
        # The snapshots pushed with the acknowledgements are published now, not at the next push.
        for group in self.groups:
            if self.group_live(group):
                self._on_change(group)

    def session_ended(self) -> None:
        self.session_started()


class MarketContextsFeed:
    """`assetCtxs` (every perp at once, in universe order) or `activeAssetCtx` (one coin each).

    Before each connection the universe and every context are read over REST (`metaAndAssetCtxs`,
    weight 20): the pushes then update contexts by position or coin. A push with a different number
    of perps than the universe means a listing changed: the connection is renewed to re-read it.

    The pushes carry contexts only, never the universe (delisting, margin mode, leverage): each REST
    reconciliation goes through `load`, so the pushes build on its universe. A delisting settles every
    position in the same action, so a push showing a market's open interest fall to zero re-reads the
    universe at once instead of waiting for the next reconciliation.
    """

    name = FEED_MARKET
    channels = frozenset({"assetCtxs", "activeAssetCtx"})

    def __init__(
        self, context: CollectorContext, interval: float, stats: StreamStats, on_change: Changed
    ) -> None:
        self._context = context
        self._interval = interval
        self.stats: FeedStats = stats.feed(self.name)
        self._on_change = on_change
        self.meta: Any = None
        self.ctxs: list[Any] = []
        self._index: dict[str, int] = {}
        self.live = False
        self.rereads = UniverseRereads()
        self._listed: tuple[str, ...] = ()
        self._loaded_at: float | None = None
        self._fresh_for = interval  # the market poller's own

    async def load(self) -> tuple[str, ...]:
        """Read the starting point over REST; returns the listed coins."""
        # The market poller's answer if it is in flight or fresh: at start-up both ask at once.
        raw = await self._context.shared_reads.info(
            self._context.client, {"type": META_AND_ASSET_CTXS}, "market", fresh_for=self._fresh_for
        )
        data = parse_meta_and_asset_ctxs(raw)
        self.meta, self.ctxs = raw[0], list(raw[1])
        self._index = {perp.spec.name: index for index, perp in enumerate(data.perps)}
        self._listed = data.listed
        self._loaded_at = time.monotonic()
        return data.listed

    async def load_unless_fresh(self) -> tuple[str, ...]:
        """The starting point for a connection: read again only when older than a REST poll interval.

        Reconnection attempts follow each other within seconds while the stream is refused; reading
        the universe (weight 20) before each of them spent most of a start-up's budget.
        """
        if self._loaded_at is not None and time.monotonic() - self._loaded_at < self._fresh_for:
            return self._listed
        return await self.load()

    def handle(self, channel: str, data: Any) -> None:
        body = JsonObject(data, channel)
        if channel == "assetCtxs":
            if (body.optional_text("dex") or "") != "":
                return
            ctxs = as_list(data["ctxs"], channel, "$.ctxs")
            if len(ctxs) != len(self.ctxs):
                raise Resubscribe(f"assetCtxs lists {len(ctxs)} perps, the universe {len(self.ctxs)}")
            if any_emptied(self.ctxs, ctxs):
                self._reread_universe_soon()
            self.ctxs = list(ctxs)
        else:
            coin = body.text("coin")
            if coin not in self._index:
                raise ValueError(f"activeAssetCtx for {coin[:40]!r}, not in the universe")
            ctx = body.obj("ctx").data
            if open_interest_emptied(self.ctxs[self._index[coin]], ctx):
                self._reread_universe_soon()
            self.ctxs[self._index[coin]] = ctx
        if self.live:
            self._on_change()

    def _reread_universe_soon(self) -> None:
        self.rereads.start("", self.load, self._reread_done)

    def _reread_done(self) -> None:
        if self.live:
            self._on_change()

    def families(self) -> Sequence[Metric]:
        data = parse_meta_and_asset_ctxs([self.meta, self.ctxs])
        for error in data.skipped:
            self._context.count_malformed(error.request_type)
        self._context.universe.publish(data.listed)
        self._context.market_prices = MarketPrices.of(data, self._context.clock())
        return market_families(data, self._interval)

    def session_started(self) -> None:
        self.live = False
        self.stats.live = False

    async def session_subscribed(self) -> None:
        self.live = True
        self.stats.live = True
        self._on_change()

    def session_ended(self) -> None:
        self.session_started()
        self.rereads.cancel()
