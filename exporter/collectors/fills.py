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
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.budget_pressure import BudgetPressure
from exporter.collectors.context import CollectorContext
from exporter.collectors.universe import UniverseUnavailable
from exporter.config import Config, FillsCollectorConfig
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.fills import (
    LARGEST_FILL_PAGE,
    LIQUIDATION_METHODS,
    META,
    USER_FILLS,
    USER_FILLS_BY_TIME,
    ZERO_HASH,
    Fill,
    FillCursor,
    FillKey,
    FillKind,
    ParsedFills,
    follow,
    parse_fills,
    parse_listed_coins,
)
from exporter.hyperliquid.weights import base_weight, weight_per_minute

COLLECTOR = "fills"
# Liquidation events remembered to count one liquidation once across several accounts' fills.
MAX_REMEMBERED_EVENTS = 50_000
PARSE_IN_THREAD_FILLS = 200


@dataclass(slots=True)
class EventTotals:
    count: int = 0
    notional_usd: float = 0.0


class EventCounters:
    """Running totals since start-up; a liquidation seen in several accounts' fills counts once.

    `count(fills)` is the one entry point for fills from any source (REST polls, a stream):
    duplicates across accounts are dropped here, duplicates within one account's history by its
    cursor. A fill whose series was never published is held back until `published()` says the
    series has been shown at 0, so the first event of a new coin or method is an increase.
    """

    def __init__(self) -> None:
        self.liquidations: defaultdict[tuple[str, str], EventTotals] = defaultdict(EventTotals)
        self.auto_deleverages: defaultdict[str, EventTotals] = defaultdict(EventTotals)
        self._events: OrderedDict[FillKey, None] = OrderedDict()
        self._shown_coins: set[str] = set()
        self._shown_methods: set[str] = set()
        self._held: list[tuple[Fill, bool]] = []  # (fill, whether it counts as an event)

    @property
    def coins(self) -> set[str]:
        """Every coin with a counted or held-back event."""
        counted = {coin for coin, _ in self.liquidations} | set(self.auto_deleverages)
        return counted | {fill.coin for fill, _ in self._held}

    @property
    def methods(self) -> tuple[str, ...]:
        """The two documented methods, then any other seen, in the order first seen."""
        seen = [method for _, method in self.liquidations] + [
            fill.liquidation.method for fill, _ in self._held if fill.liquidation is not None
        ]
        return tuple(dict.fromkeys((*LIQUIDATION_METHODS, *seen)))

    def _first_sighting(self, fill: Fill) -> bool:
        assert fill.liquidation is not None
        # A market liquidation shows on every resting maker's fill, all with the liquidation's hash.
        key: FillKey = (
            ("liquidation", fill.hash, fill.liquidation.liquidated_user, fill.coin)
            if fill.hash and fill.hash != ZERO_HASH
            else fill.key
        )
        if key in self._events:
            return False
        self._events[key] = None
        if len(self._events) > MAX_REMEMBERED_EVENTS:
            self._events.popitem(last=False)
        return True

    def _shown(self, fill: Fill) -> bool:
        if fill.coin not in self._shown_coins:
            return False
        method = fill.liquidation.method if fill.liquidation is not None else None
        return fill.kind is not FillKind.LIQUIDATION or method in self._shown_methods

    def add(self, fill: Fill) -> None:
        kind = fill.kind
        if kind is FillKind.ORDINARY:
            return
        # Another account's side of a liquidation already seen: only its notional adds.
        counts = kind is not FillKind.LIQUIDATION or self._first_sighting(fill)
        if self._shown(fill):
            self._apply(fill, counts)
        else:
            self._held.append((fill, counts))

    def count(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            self.add(fill)

    def _apply(self, fill: Fill, count: bool) -> None:
        if fill.kind is FillKind.AUTO_DELEVERAGING:
            totals = self.auto_deleverages[fill.coin]
        else:
            assert fill.liquidation is not None
            totals = self.liquidations[(fill.coin, fill.liquidation.method)]
        totals.count += int(count)
        totals.notional_usd += fill.notional_usd

    def published(self, coins: Iterable[str], methods: Iterable[str]) -> None:
        """These coins' and methods' series are on /metrics now: count the events held back for them."""
        self._shown_coins.update(coins)
        self._shown_methods.update(methods)
        held, self._held = self._held, []
        for fill, counts in held:
            if self._shown(fill):
                self._apply(fill, counts)
            else:
                self._held.append((fill, counts))


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
        self.counters = EventCounters()
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
        """Read this account's new fills, page by page, into the counters."""
        # Liquidators' fills feed critical alerts but queue behind market data and liquidator
        # positions; watched accounts' fills come last.
        priority = Priority.LOW if account.watched else Priority.NORMAL
        client = self._context.client

        async def fetched(body: dict[str, object], request_type: str) -> ParsedFills:
            raw = await client.info(body, COLLECTOR, priority, max_items=LARGEST_FILL_PAGE)
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

        await follow(
            self._cursor(account.address),
            fetch_page,
            self.counters.add,
            full_page=self._config.page_limit,
            max_pages=self._config.max_pages_per_poll,
            fetch_recent=fetch_recent,
            more_time=lambda: time.monotonic() < stop_at,
        )

    def _due_accounts(self, now: float) -> list[FillsAccount]:
        accounts = self._accounts()
        due = [account for account in accounts if not account.watched]
        if self._watched_due is None:
            self._watched_due = now + self._config.watched_interval_seconds
        if self._watched_count and now >= self._watched_due:
            self.watched_pressure.observe()
            stretch = self.watched_pressure.stretch
            self._watched_due = now + self._config.watched_interval_seconds * stretch
            due.extend(account for account in accounts if account.watched)
        return due

    async def poll(self) -> Sequence[Metric]:
        now = self._context.clock()
        # Paging stops after one interval; the rest is read next poll, so a poll never nears its deadline.
        stop_at = time.monotonic() + self.interval
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
        coins = sorted(
            set(self.listed_coins or ())
            | set(self._context.dex_coins.coins or ())  # builder dexes' coins (HIP-3) count alike
            | self.counters.coins
        )
        methods = self.counters.methods
        liquidations = CounterMetricFamily(
            "hyperliquid_liquidations",
            f"Liquidations seen, by coin and method (market, backstop, or another method the API names); "
            f"one liquidation filled by several monitored accounts counts once ({help_suffix}).",
            labels=["coin", "method"],
        )
        liquidated = CounterMetricFamily(
            "hyperliquid_liquidated_notional_usd",
            f"USD notional (price x size) of the monitored accounts' liquidation fills, by coin and method "
            f"({help_suffix}).",
            labels=["coin", "method"],
        )
        deleverages = CounterMetricFamily(
            "hyperliquid_auto_deleverages",
            f"Auto-deleveraging fills seen, by coin ({help_suffix}).",
            labels=["coin"],
        )
        deleveraged = CounterMetricFamily(
            "hyperliquid_auto_deleveraged_notional_usd",
            f"USD notional (price x size) of auto-deleveraging fills seen, by coin ({help_suffix}).",
            labels=["coin"],
        )
        for coin in coins:
            for method in methods:
                totals = self.counters.liquidations.get((coin, method), EventTotals())
                liquidations.add_metric([coin, method], float(totals.count))
                liquidated.add_metric([coin, method], totals.notional_usd)
            adl = self.counters.auto_deleverages.get(coin, EventTotals())
            deleverages.add_metric([coin], float(adl.count))
            deleveraged.add_metric([coin], adl.notional_usd)
        # These series go out with this poll's snapshot: events held back for them count from the next.
        self.counters.published(coins, methods)
        gaps = CounterMetricFamily(
            "hyperliquid_fills_pagination_gaps",
            "Times more fills shared one millisecond than a userFillsByTime page holds and the account's "
            "most recent fills (userFills) did not reach back to it, so fills in it may have been missed; "
            f"by account (polled from userFillsByTime every {self.interval:g} s).",
            labels=["account"],
        )
        for address, cursor in self.cursors.items():
            gaps.add_metric([address], float(cursor.gaps))
        return [liquidations, liquidated, deleverages, deleveraged, gaps]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section: FillsCollectorConfig = config.collectors.fills
    accounts = config.collectors.accounts
    # With accounts enabled, liquidators may be discovered later even if none is configured.
    if not section.enabled or not (
        accounts.liquidators or accounts.enabled or (section.watched_enabled and accounts.watched)
    ):
        return []
    return [FillsPoller(config, context)]
