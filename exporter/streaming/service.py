"""Wiring of the streams: plan, feeds, connections, the pollers they back, and their metrics."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any

from exporter.collectors.accounts import (
    ROLE_LIQUIDATOR,
    ROLE_WATCHED,
    MonitoredAccount,
    help_suffix,
    hlp_name,
)
from exporter.collectors.base import Poller
from exporter.collectors.book_depth import BookDepthPoller
from exporter.collectors.context import CollectorContext
from exporter.collectors.dexes import DexesPoller
from exporter.collectors.fills import FillsPoller
from exporter.config import Config
from exporter.exposition import RenderedFamily, render_families
from exporter.store import SnapshotStore
from exporter.streaming.backed import StreamBackedPoller
from exporter.streaming.book_feed import BookFeed
from exporter.streaming.connection import Feed, StreamConnection
from exporter.streaming.dedup import DeduplicatedCounters
from exporter.streaming.dex_feed import DexContextsFeed
from exporter.streaming.feeds import AccountGroup, AccountStateFeed, FillsFeed, MarketContextsFeed
from exporter.streaming.metrics import stream_families
from exporter.streaming.pacing import Backoff, ConnectionRate
from exporter.streaming.plan import (
    CONNECTION_BOOKS,
    CONNECTION_DEXES,
    CONNECTION_MARKET,
    CONNECTION_USERS,
    FEED_ACCOUNTS,
    FEED_FILLS,
    FEED_MARKET,
    StreamPlan,
    build_plan,
)
from exporter.streaming.publisher import SnapshotPublisher
from exporter.streaming.stats import StreamStats
from exporter.streaming.supervise import supervised

log = logging.getLogger(__name__)

MARKET_POLLER = "market"
FILLS_POLLER = "fills"
LIQUIDATORS_POLLER = "accounts_liquidators"
LIQUIDATOR_CHECK_SECONDS = 5.0
WATCHED_POLLER = "accounts_watched"

Planned = list[tuple[Feed, dict[str, Any]]]


class StreamingService:
    def __init__(self, config: Config, context: CollectorContext, store: SnapshotStore) -> None:
        self.config = config
        self.section = config.streaming
        self.context = context
        self.store = store
        self.plan: StreamPlan = build_plan(config, self._known_liquidators())
        self.stats = StreamStats(
            users_planned=len(self.plan.users),
            users_limit=self.section.max_users,
            connections_limit=self.section.max_connections,
            subscriptions_limit=self.section.max_subscriptions,
        )
        self.publisher = SnapshotPublisher(store, self.section.publish_interval_seconds)
        self.rate = ConnectionRate(self.section.max_new_connections_per_minute)
        self.url = self.section.url(config.hyperliquid.api_url)
        self.market: MarketContextsFeed | None = None
        self.fills: FillsFeed | None = None
        self.accounts: AccountStateFeed | None = None
        self.dexes: DexContextsFeed | None = None
        self.books: BookFeed | None = None
        self._book_poller: BookDepthPoller | None = None
        self._dexes_poller: DexesPoller | None = None
        self.backed: dict[str, StreamBackedPoller] = {}
        self.connections: list[StreamConnection] = []
        self.groups: dict[str, AccountGroup] = {}  # poller -> the accounts its stream covers now
        self._users_connection: StreamConnection | None = None
        self.replans = 0
        for note in self.plan.notes:
            log.info("streaming: %s", note)

    # -- pollers ----------------------------------------------------------------------------
    def wrap(self, pollers: Sequence[Poller]) -> list[Poller]:
        """The pollers, with those a feed covers replaced by stream-backed wrappers."""
        out: list[Poller] = []
        for poller in pollers:
            wrapped = self._wrap_one(poller)
            if wrapped is not None:
                self.backed[poller.name] = wrapped
            out.append(wrapped or poller)
            if isinstance(poller, DexesPoller):
                poller.spend_what_streams_save(self.weight_streams_save)
        self._build_connections()
        return out

    def _backed(
        self, poller: Poller, live: Any, families: Any, reconcile: float, refresh: Any = None
    ) -> StreamBackedPoller:
        return StreamBackedPoller(
            poller, live, families, reconcile, self.stats.rest_fallback, refresh=refresh
        )

    def _wrap_one(self, poller: Poller) -> StreamBackedPoller | None:
        reconcile = self.section.reconciliation
        if isinstance(poller, BookDepthPoller) and self.section.book_depth:
            # Not wrapped: the poller takes each coin's pushed book while it is recent, REST otherwise.
            self._book_poller = poller
            return None
        if isinstance(poller, DexesPoller) and self.section.dex_contexts:
            # Not wrapped: the poller itself switches each dex between streamed and polled.
            self._dexes_poller = poller
            return None
        if poller.name == MARKET_POLLER and self.plan.market_channel is not None:
            feed = MarketContextsFeed(self.context, poller.interval, self.stats, self._market_changed)
            self.market = feed
            return self._backed(
                poller, lambda: feed.live, feed.families, reconcile.market_interval_seconds, feed.load
            )
        if poller.name == FILLS_POLLER and isinstance(poller, FillsPoller) and self.plan.fills:
            counting_start = min(cursor.start_ms for cursor in poller.cursors.values())
            counters = DeduplicatedCounters(counting_start, poller.counters.is_liquidator)
            # One set of totals for both paths: the REST cursor and the stream feed the same gate.
            poller.counters = counters
            fills_config = self.config.collectors.fills
            fills_feed = FillsFeed(
                counters,
                self.plan.users,
                self.context,
                self.stats,
                lambda: self.publisher.mark(FILLS_POLLER, poller._families),
                page_limit=fills_config.page_limit,
                max_pages=self.section.backfill_max_pages,
            )
            self.fills = fills_feed
            return self._backed(
                poller, lambda: fills_feed.live, poller._families, reconcile.fills_interval_seconds
            )
        if poller.name in (LIQUIDATORS_POLLER, WATCHED_POLLER) and self.plan.account_state_channel:
            group = self._account_group(poller.name)
            if group is None:
                return None
            feed_state = self._account_feed()
            name = poller.name
            self.groups[name] = group
            feed_state.groups = (*feed_state.groups, group)
            # The group is looked up at each call: re-planning replaces it.
            return self._backed(
                poller,
                lambda: feed_state.group_live(self.groups[name]),
                lambda: feed_state.families(self.groups[name]),
                reconcile.accounts_interval_seconds,
            )
        return None

    def _known_liquidators(self) -> tuple[str, ...]:
        """Configured liquidators, then those discovery found since."""
        configured = tuple(self.config.collectors.accounts.liquidators)
        return tuple(dict.fromkeys((*configured, *self.context.liquidators.addresses())))

    def _account_group(self, poller: str) -> AccountGroup | None:
        """The poller's accounts, if the user quota covers every one of them."""
        accounts = self.config.collectors.accounts
        if poller == LIQUIDATORS_POLLER:
            members = [
                MonitoredAccount(
                    a, self.context.liquidators.name_of(a) or hlp_name(a), ROLE_LIQUIDATOR, accounts.hlp_vault
                )
                for a in self._known_liquidators()
            ]
            covered = set(self.plan.liquidators)
        else:
            excluded = {*accounts.liquidators, accounts.hlp_vault}
            members = [
                MonitoredAccount(w.address, w.name, ROLE_WATCHED, "")
                for w in accounts.watched
                if w.address not in excluded
            ]
            covered = set(self.plan.watched)
        if not members or any(m.address not in covered for m in members):
            return None
        return AccountGroup(poller, tuple(members))

    def _account_feed(self) -> AccountStateFeed:
        if self.accounts is None:
            self.accounts = AccountStateFeed(
                (),
                help_suffix(self.config.collectors.accounts),
                self.stats,
                self._account_changed,
                self.context.held_coins,
            )
        return self.accounts

    def _market_changed(self) -> None:
        if self.market is not None:
            self.publisher.mark(MARKET_POLLER, self.market.families)

    def _account_changed(self, group: AccountGroup) -> None:
        feed = self.accounts
        if feed is not None:
            # Rendered later: by then a reconnect may have cleared the states.
            self.publisher.mark(
                group.poller, lambda: feed.families(group) if feed.group_live(group) else None
            )

    # -- connections ------------------------------------------------------------------------
    def _connection(self, name: str, prepare: Any) -> StreamConnection:
        return StreamConnection(
            name,
            self.url,
            prepare,
            self.stats.connection(name),
            self.rate,
            Backoff(
                self.section.reconnect_initial_backoff_seconds,
                self.section.reconnect_max_backoff_seconds,
                random.Random(),
            ),
            ping_interval=self.section.ping_interval_seconds,
            pong_timeout=self.section.pong_timeout_seconds,
            connect_timeout=self.section.connect_timeout_seconds,
        )

    def _build_connections(self) -> None:
        market = self.market
        if market is not None:

            async def market_subscriptions() -> Planned:
                listed = await market.load_unless_fresh()
                planned = self.plan.market_subscriptions(listed)
                market.stats.planned_subscriptions = len(planned)
                return [(market, subscription) for _, subscription in planned]

            self.stats.feed(FEED_MARKET).planned_subscriptions = self.plan.planned_subscriptions(FEED_MARKET)
            self.connections.append(self._connection(CONNECTION_MARKET, market_subscriptions))
        user_plan = self._user_plan()
        if user_plan:

            async def user_subscriptions() -> Planned:
                return self._user_plan()  # what is planned now: re-planning renews the connection

            self._users_connection = self._connection(CONNECTION_USERS, user_subscriptions)
            self.connections.append(self._users_connection)
        # The books first: a handful of coins, where the dexes take whatever subscriptions are left.
        self._build_book_connection(len(user_plan))
        self._build_dex_connection(len(user_plan))

    def _user_plan(self) -> Planned:
        by_feed: dict[str, Feed] = {}
        if self.fills is not None:
            by_feed[FEED_FILLS] = self.fills
        if self.accounts is not None:
            by_feed[FEED_ACCOUNTS] = self.accounts
        user_plan: Planned = [
            (by_feed[feed], subscription)
            for feed, subscription in self.plan.user_subscriptions()
            if feed in by_feed
        ]
        for name in by_feed:
            self.stats.feed(name).planned_subscriptions = sum(1 for f, _ in user_plan if f.name == name)
        return user_plan

    # -- re-planning when discovery changes the liquidators ----------------------------------
    async def follow_liquidators(self, interval: float = LIQUIDATOR_CHECK_SECONDS) -> None:
        """Plan the user streams again whenever HLP child discovery finds or loses a liquidator."""
        while True:
            await asyncio.sleep(interval)
            await self.replan_if_changed()

    async def replan_if_changed(self) -> bool:
        known = self._known_liquidators()
        if known == self._planned_liquidators():
            return False
        plan = build_plan(self.config, known)
        added = [user for user in plan.users if user not in self.plan.users]
        self.plan = plan
        self.stats.users_planned = len(plan.users)
        self.replans += 1
        fills = self.fills
        if fills is not None:
            fills.users = plan.users
            for user in added:
                fills.last_event_ms.setdefault(user, fills.counters.counting_start_ms)
        feed = self.accounts
        if feed is not None and LIQUIDATORS_POLLER in self.groups:
            group = self._account_group(LIQUIDATORS_POLLER)
            if group is not None:
                self.groups[LIQUIDATORS_POLLER] = group
                feed.groups = tuple(self.groups.values())
        log.info(
            "streaming: liquidators now %s; user streams planned again (%d user(s))",
            ", ".join(known),
            len(plan.users),
        )
        connection = self._users_connection
        if connection is not None:
            await connection.renew("the liquidators changed")
        return True

    def _planned_liquidators(self) -> tuple[str, ...]:
        return self.plan.known_liquidators

    def weight_streams_save(self) -> float:
        """Weight per minute the live streams save now: each backed poller's REST rate less its
        reconciliation rate, while its stream is live."""
        return sum(
            backed.inner.planned_weight_per_minute - backed.planned_weight_per_minute
            for backed in self.backed.values()
            if backed.stream_live()
        )

    def _connection_left(self, what: str) -> bool:
        if len(self.connections) < self.section.max_connections:
            return True
        log.info("streaming: no connection left for %s: polled over REST", what)
        return False

    def _subscriptions_left(self, user_subscriptions: int) -> int:
        """What the users, the market feed and the order books (once planned) leave of the per-IP limit."""
        market = self.stats.feeds.get(FEED_MARKET)
        return (
            self.section.max_subscriptions
            - user_subscriptions
            - (market.planned_subscriptions if market else 0)
            - (self.books.max_subscriptions if self.books else 0)
        )

    def _open(self, name: str, feed: DexContextsFeed | BookFeed) -> None:
        connection = self._connection(name, feed.subscriptions)
        feed.connection = connection
        self.connections.append(connection)

    def _build_dex_connection(self, user_subscriptions: int) -> None:
        poller = self._dexes_poller
        if poller is None or not self._connection_left("the builder dexes' contexts"):
            return
        feed = DexContextsFeed(
            poller,
            self.stats,
            lambda: self.publisher.mark(poller.name, poller.families),
            max(self._subscriptions_left(user_subscriptions), 0),
        )
        poller.follow_stream(feed, self.section.reconciliation.dex_contexts_interval_seconds)
        self._open(CONNECTION_DEXES, feed)
        self.dexes = feed

    def _build_book_connection(self, user_subscriptions: int) -> None:
        poller = self._book_poller
        if poller is None or not self._connection_left("the order books"):
            return
        # At most one subscription per coin the poller may pick.
        room = min(poller.max_coins, self._subscriptions_left(user_subscriptions))
        if room <= 0:
            log.info("streaming: no subscription left for the order books: book depth is polled over REST")
            return
        feed = BookFeed(poller.coins, self.stats, room)
        poller.follow_stream(feed)
        self._open(CONNECTION_BOOKS, feed)
        self.books = feed

    # -- running ----------------------------------------------------------------------------
    async def run(self) -> None:
        log.info(
            "streaming from %s: %d connection(s), %d user(s) of %d, %s",
            self.url,
            len(self.connections),
            len(self.plan.users),
            self.section.max_users,
            ", ".join(
                f"{name} {feed.planned_subscriptions} subscription(s)"
                for name, feed in self.stats.feeds.items()
            )
            or "no feeds",
        )
        restarts = self.stats.task_restarts
        async with asyncio.TaskGroup() as group:
            group.create_task(
                supervised("stream-publisher", self.publisher.run, restarts), name="stream-publisher"
            )
            for connection in self.connections:
                name = f"stream-{connection.name}"
                group.create_task(supervised(name, connection.run, restarts), name=name)
            if self.books is not None:
                group.create_task(
                    supervised("stream-book-coins", self.books.follow_coins, restarts),
                    name="stream-book-coins",
                )
            if self._users_connection is not None:
                group.create_task(
                    supervised("stream-replan", self.follow_liquidators, restarts), name="stream-replan"
                )

    def render(self) -> dict[str, RenderedFamily]:
        accounts = list(self.plan.users) if self.fills is not None else []
        return render_families(stream_families(self.stats, self.store.clock(), accounts))
