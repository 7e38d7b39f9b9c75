"""Fills collector: liquidation, backstop and auto-deleveraging events from monitored accounts' fills.

`userFillsByTime` of each HLP liquidator (configured, or discovered by name) every poll and of
each watched account every `watched_interval_seconds` (stretched when the weight budget is
tight), incrementally with one `FillCursor` per account. Counting starts when the exporter
starts: fills from before are never counted.

Counters exist at 0 for every listed coin (from the market universe or a slow `meta` read) and
method. A series that would appear with its first event (a coin never seen before: listed later,
delisted, on another dex or spot; a new liquidation method) is published at 0 first and the event
counted one poll later, so `increase()` sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.budget_pressure import BudgetPressure
from exporter.collectors.context import CollectorContext
from exporter.collectors.fill_events import EventCounters, totals_families
from exporter.collectors.universe import UniverseUnavailable
from exporter.config import Config, FillsCollectorConfig
from exporter.hyperliquid.budget import BudgetBusy, Priority
from exporter.hyperliquid.fills import (
    LARGEST_FILL_PAGE,
    META,
    USER_FILLS,
    USER_FILLS_BY_TIME,
    Fill,
    FillCursor,
    ParsedFills,
    follow,
    parse_fills,
    parse_listed_coins,
)
from exporter.hyperliquid.weights import base_weight, weight_per_minute
from exporter.scheduler import poll_deadline

COLLECTOR = "fills"
PARSE_IN_THREAD_FILLS = 200


@dataclass(frozen=True, slots=True)
class FillsAccount:
    address: str
    watched: bool


class FillsPoller:
    name = "fills"
    collector = COLLECTOR

    def __init__(self, config: Config, context: CollectorContext) -> None:
        self._config = config.collectors.fills
        self._context = context
        self.interval = self._config.interval_seconds
        self.max_age = self._config.max_age()
        # How long a poll asks for more pages: one interval, but leaving the last page one request
        # timeout before the poll's deadline (scheduler.poll_deadline), so that a slow answer to a page
        # started late fails nothing. (With a 3 s interval and a 5 s timeout, paging stops after 1 s.)
        timeout = config.hyperliquid.timeout_seconds
        deadline = poll_deadline(self, shortest=timeout)
        self._paging_seconds = max(min(self.interval, deadline - timeout), self.interval / 4)
        accounts = config.collectors.accounts
        self._roles = context.liquidators
        self._roles.configure(accounts.liquidators)
        liquidators = self._roles.configured
        self._watched = (
            [w.address for w in accounts.watched if w.address not in liquidators]
            if self._config.watched_enabled
            else []
        )
        started_ms = int(context.clock() * 1000)
        self.cursors = {address: FillCursor(started_ms) for address in (*liquidators, *self._watched)}
        self.counters = EventCounters(is_liquidator=self._roles.__contains__)
        # Accounts whose last poll stopped before reading up to the present (budget or page limit).
        self._behind: set[str] = set()
        self.listed_coins: tuple[str, ...] | None = None
        self._universe_due = 0.0
        market = config.collectors.market
        # With the market collector running, its universe is shared instead of reading `meta` here.
        self._market_interval = market.interval_seconds if market.enabled else None
        # First read one watched interval after the first poll: their cursors start at the exporter's
        # start, so nothing is missed, and their low-priority pages (each waiting for a full bucket) stay
        # out of the start-up burst, where they missed the poll's deadline at the shipped budget.
        self._watched_due: float | None = None
        self._liquidator_count = len(liquidators)
        self._watched_count = len(self._watched)
        self.watched_pressure = BudgetPressure(
            context.budget,
            batch_weight=len(self._watched) * base_weight(USER_FILLS_BY_TIME),
            own_planned_per_minute=self._watched_planned,
        )

    @property
    def _watched_planned(self) -> float:
        interval = self._config.watched_interval_seconds
        return weight_per_minute(USER_FILLS_BY_TIME, interval, self._watched_count)

    @property
    def planned_weight_per_minute(self) -> float:
        """Base weights only: the per-fill surcharge (1 per 20 fills) depends on activity."""
        liquidators = weight_per_minute(USER_FILLS_BY_TIME, self.interval, self._liquidator_count)
        own_meta = self._market_interval is None
        universe = weight_per_minute(META, self._config.universe_interval_seconds) if own_meta else 0.0
        return liquidators + self._watched_planned + universe

    def _accounts(self) -> list[FillsAccount]:
        liquidators = self._roles.addresses()
        return [FillsAccount(a, False) for a in liquidators] + [
            FillsAccount(a, True) for a in self._watched if a not in liquidators
        ]

    def _cursor(self, address: str) -> FillCursor:
        if address not in self.cursors:
            # A liquidator discovered later is followed from the moment it is found.
            self.cursors[address] = FillCursor(int(self._context.clock() * 1000))
        return self.cursors[address]

    async def _refresh_universe(self, now: float) -> None:
        """The listed coins: the market poller's latest universe, or a `meta` read of our own."""
        if self._market_interval is not None:
            try:
                self.listed_coins = await self._context.universe.wait(seconds=self._market_interval * 3)
                return
            except UniverseUnavailable:
                if self.listed_coins is not None:
                    return
        if now < self._universe_due and self.listed_coins is not None:
            return
        # On failure, retry at the next poll only while there is no coin list at all.
        self._universe_due = now + self._config.universe_interval_seconds
        listed = parse_listed_coins(await self._context.client.info({"type": META}, COLLECTOR))
        for _ in range(listed.malformed):
            self._context.count_malformed(META)
        self.listed_coins = listed.coins

    async def _follow(self, account: FillsAccount, stop_at: float) -> None:
        """Read this account's new fills, page by page, into the counters, until `stop_at` (event-loop
        time): a page still waiting for the weight budget then waits for the next poll instead. In a
        cascade the pages queue behind market data and liquidator positions; a poll that ran into its
        deadline would withdraw the counters exactly when the ADL and cascade alerts read them."""
        # Liquidators' fills feed critical alerts but queue behind market data and liquidator
        # positions; watched accounts' fills come last.
        priority = Priority.LOW if account.watched else Priority.NORMAL
        client = self._context.client

        async def fetched(body: dict[str, object], request_type: str) -> ParsedFills:
            raw = await client.info(
                body, COLLECTOR, priority, max_items=LARGEST_FILL_PAGE, queue_until=stop_at
            )
            # A cascade's pages hold thousands of fills: parsed off the event loop, so that market
            # and liquidator polls keep moving meanwhile.
            if isinstance(raw, list) and len(raw) > PARSE_IN_THREAD_FILLS:
                parsed = await asyncio.to_thread(parse_fills, raw, request_type)
            else:
                parsed = parse_fills(raw, request_type)
            for _ in range(parsed.malformed):
                self._context.count_malformed(request_type)
            return parsed

        async def fetch_page(start_ms: int) -> ParsedFills:
            body = {
                "type": USER_FILLS_BY_TIME,
                "user": account.address,
                "startTime": start_ms,
                "aggregateByTime": False,
            }
            return await fetched(body, USER_FILLS_BY_TIME)

        async def fetch_recent() -> ParsedFills:
            body = {"type": USER_FILLS, "user": account.address, "aggregateByTime": False}
            return await fetched(body, USER_FILLS)

        def consume(fill: Fill) -> None:
            self.counters.add(account.address, fill)

        loop = asyncio.get_running_loop()
        try:
            summary = await follow(
                self._cursor(account.address),
                fetch_page,
                consume,
                full_page=self._config.page_limit,
                max_pages=self._config.max_pages_per_poll,
                fetch_recent=fetch_recent,
                more_time=lambda: loop.time() < stop_at,
            )
        except BudgetBusy:
            self._behind.add(account.address)
            return
        if summary.caught_up:
            self._behind.discard(account.address)
        else:
            self._behind.add(account.address)

    def _due_accounts(self, now: float) -> list[FillsAccount]:
        accounts = self._accounts()
        if self._watched_due is None:
            # The first poll, at start-up: counting starts now, so there is nothing to read yet. Its
            # pages (weight 20 each, with up to 100 of surcharge reserved) would queue behind every
            # other collector's first requests and miss the poll's deadline; the liquidators are read
            # from the second poll on, from the exporter's start, the watched accounts an interval later.
            self._watched_due = now + self._config.watched_interval_seconds
            return []
        due = [account for account in accounts if not account.watched]
        if self._watched_count and now >= self._watched_due:
            self.watched_pressure.observe()
            stretch = self.watched_pressure.stretch
            self._watched_due = now + self._config.watched_interval_seconds * stretch
            due.extend(account for account in accounts if account.watched)
        return due

    async def poll(self) -> Sequence[Metric]:
        now = self._context.clock()
        # Paging stops in time for the last page to be answered within the deadline; the rest is read
        # next poll.
        stop_at = asyncio.get_running_loop().time() + self._paging_seconds
        due = self._due_accounts(now)
        tasks = [self._refresh_universe(now), *(self._follow(account, stop_at) for account in due)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        # Fills read before a failure are counted already; the failure fails this poll's snapshot only.
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return self._families()

    def _families(self) -> list[Metric]:
        help_suffix = (
            f"polled from userFillsByTime of HLP liquidators every {self.interval:g} s and watched accounts "
            f"every {self._config.watched_interval_seconds:g} s or less often; counted since the exporter "
            "started; a lower bound: only what the monitored accounts' fills show"
        )
        counters = self.counters
        coins = sorted(
            set(self.listed_coins or ())
            | set(self._context.dex_coins.coins or ())  # builder dexes' coins (HIP-3) count alike
            | counters.coins
        )
        methods = counters.methods
        families: list[Metric] = []
        pairs = [(coin, method) for coin in coins for method in methods]
        liquidations, liquidated = totals_families(
            ("hyperliquid_liquidations", "hyperliquid_liquidated_notional_usd"),
            (
                "Liquidations seen, by coin and method (market, backstop, or another method the API names): "
                "backstop takeovers and market liquidations on the monitored accounts' fills, and watched "
                "accounts' own liquidations; one liquidation filled by several monitored accounts counts "
                "once; an HLP liquidator's own inventory closed is auto-deleveraging, not counted here "
                f"({help_suffix}).",
                "USD notional (price x size) of the liquidation trades counted in "
                f"hyperliquid_liquidations_total, each trade once, by coin and method ({help_suffix}).",
            ),
            ["coin", "method"],
            pairs,
            lambda pair: counters.liquidations.get((pair[0], pair[1])),
        )
        deleverages, deleveraged = totals_families(
            ("hyperliquid_auto_deleverages", "hyperliquid_auto_deleveraged_notional_usd"),
            (
                "Venue-level auto-deleveraging trades seen, by coin: an HLP liquidator's own inventory "
                "closed by ADL (its fill naming itself as liquidatedUser: the backstop is exhausted) or a "
                "monitored account's Auto-Deleveraging fill; a trade seen on both sides counts once "
                f"({help_suffix}).",
                "USD notional (price x size) of the auto-deleveraging trades counted, by coin "
                f"({help_suffix}).",
            ),
            ["coin"],
            [(coin,) for coin in coins],
            lambda key: counters.auto_deleverages.get(key[0]),
        )
        families += [liquidations, liquidated, deleverages, deleveraged, *self._account_families(help_suffix)]
        # These series go out with this poll's snapshot: events held back for them count from the next.
        counters.liquidations.published(pairs)
        counters.auto_deleverages.published(coins)
        gaps = CounterMetricFamily(
            "hyperliquid_fills_pagination_gaps",
            "Times more fills shared one millisecond than a userFillsByTime page holds and the account's "
            "most recent fills (userFills) did not reach back to it, so fills in it may have been missed; "
            f"by account (polled from userFillsByTime every {self.interval:g} s).",
            labels=["account"],
        )
        backlog = GaugeMetricFamily(
            "hyperliquid_fills_backlog_seconds",
            "How far behind the present an account's fills are read, in seconds: 0 when its last poll read "
            "up to now; otherwise the age of the oldest fill not yet read (a cascade's pages wait for the "
            "weight budget behind market data and are read over the next polls), by account.",
            labels=["account"],
        )
        now_ms = self._context.clock() * 1000
        for address, cursor in self.cursors.items():
            gaps.add_metric([address], float(cursor.gaps))
            behind = address in self._behind
            backlog.add_metric([address], max(0.0, now_ms - cursor.start_ms) / 1000 if behind else 0.0)
        return [*families, gaps, backlog]

    def _account_families(self, help_suffix: str) -> list[Metric]:
        """Per monitored account: deleveraged, liquidated, and realized profit and loss."""
        counters = self.counters
        deleverages = CounterMetricFamily(
            "hyperliquid_account_auto_deleverages",
            "Auto-Deleveraging fills of a monitored account, by account and coin: its profitable position "
            "closed by force to cover an underwater account (a series appears with its first fill) "
            f"({help_suffix}).",
            labels=["account", "coin"],
        )
        deleveraged = CounterMetricFamily(
            "hyperliquid_account_auto_deleveraged_notional_usd",
            "USD notional of a monitored account's Auto-Deleveraging fills, by account and coin "
            f"({help_suffix}).",
            labels=["account", "coin"],
        )
        for pair, totals in sorted(counters.account_deleverages.items()):
            deleverages.add_metric(list(pair), float(totals.count))
            deleveraged.add_metric(list(pair), totals.notional_usd)
        covered = GaugeMetricFamily(
            "hyperliquid_account_last_auto_deleverage_timestamp_seconds",
            "Time of a monitored account's latest Auto-Deleveraging fill in a coin, labelled with the "
            "underwater account whose loss it covered (liquidatedUser), by account and coin.",
            labels=["account", "coin", "covered_account"],
        )
        for (account, coin), last in sorted(counters.covered_losses.items()):
            covered.add_metric([account, coin, last.liquidated_user], last.time_ms / 1000)
        liquidated = CounterMetricFamily(
            "hyperliquid_account_liquidations",
            "Fills of a monitored account liquidating its own position (liquidatedUser is the account "
            "itself), by account and coin; on an HLP liquidator that is its inventory closed by "
            f"auto-deleveraging (a series appears with its first fill) ({help_suffix}).",
            labels=["account", "coin"],
        )
        for pair, totals in sorted(counters.account_liquidations.items()):
            liquidated.add_metric(list(pair), float(totals.count))
        accounts = sorted(self.cursors)
        profit = CounterMetricFamily(
            "hyperliquid_account_realized_profit_usd",
            "Closed PnL net of fees of a monitored account's fills that made money, by account: realized "
            "PnL moves with trading only, never with deposits, withdrawals or transfers "
            f"({help_suffix}).",
            labels=["account"],
        )
        loss = CounterMetricFamily(
            "hyperliquid_account_realized_loss_usd",
            "Closed PnL net of fees of a monitored account's fills that lost money, as a positive amount, "
            f"by account ({help_suffix}).",
            labels=["account"],
        )
        for account in accounts:
            profit.add_metric([account], counters.realized_profit.get(account).notional_usd)
            loss.add_metric([account], counters.realized_loss.get(account).notional_usd)
        counters.realized_profit.published(accounts)
        counters.realized_loss.published(accounts)
        return [deleverages, deleveraged, covered, liquidated, profit, loss]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section: FillsCollectorConfig = config.collectors.fills
    accounts = config.collectors.accounts
    # With accounts enabled, liquidators may be discovered later even if none is configured.
    if not section.enabled or not (
        accounts.liquidators or accounts.enabled or (section.watched_enabled and accounts.watched)
    ):
        return []
    return [FillsPoller(config, context)]
