"""Fills collector: liquidation, backstop and auto-deleveraging events from monitored accounts' fills.

`userFillsByTime` of each HLP liquidator every poll and of each watched account every
`watched_interval_seconds` (stretched when the weight budget is tight), incrementally with one
`FillCursor` per account. Counting starts when the exporter starts: fills from before are never
counted. Counters exist at 0 for every listed coin (from a slow `meta` read) and method.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.budget_pressure import BudgetPressure
from exporter.collectors.context import CollectorContext
from exporter.collectors.universe import UniverseUnavailable
from exporter.config import Config, FillsCollectorConfig
from exporter.hyperliquid.fills import (
    LIQUIDATION_METHODS,
    META,
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
from exporter.hyperliquid.weights import base_weight

COLLECTOR = "fills"
# Liquidation events remembered to count one liquidation once across several accounts' fills.
MAX_REMEMBERED_EVENTS = 50_000


@dataclass(slots=True)
class EventTotals:
    count: int = 0
    notional_usd: float = 0.0


class EventCounters:
    """Running totals since start-up; a liquidation seen in several accounts' fills counts once."""

    def __init__(self) -> None:
        self.liquidations: defaultdict[tuple[str, str], EventTotals] = defaultdict(EventTotals)
        self.auto_deleverages: defaultdict[str, EventTotals] = defaultdict(EventTotals)
        self._events: OrderedDict[FillKey, None] = OrderedDict()

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

    def add(self, fill: Fill) -> None:
        kind = fill.kind
        if kind is FillKind.AUTO_DELEVERAGING:
            totals = self.auto_deleverages[fill.coin]
            totals.count += 1
            totals.notional_usd += fill.notional_usd
        elif kind is FillKind.LIQUIDATION:
            assert fill.liquidation is not None
            totals = self.liquidations[(fill.coin, fill.liquidation.method)]
            if self._first_sighting(fill):
                totals.count += 1
            totals.notional_usd += fill.notional_usd


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
        liquidators = list(dict.fromkeys(accounts.liquidators))
        watched = (
            [w.address for w in accounts.watched if w.address not in liquidators]
            if self._config.watched_enabled
            else []
        )
        self._accounts = [FillsAccount(a, False) for a in liquidators] + [
            FillsAccount(a, True) for a in watched
        ]
        started_ms = int(context.clock() * 1000)
        self.cursors = {account.address: FillCursor(started_ms) for account in self._accounts}
        self.counters = EventCounters()
        self.listed_coins: tuple[str, ...] | None = None
        self._universe_due = 0.0
        market = config.collectors.market
        # With the market collector running, its universe is shared instead of reading `meta` here.
        self._market_interval = market.interval_seconds if market.enabled else None
        self._watched_due = 0.0
        self._liquidator_count = len(liquidators)
        self._watched_count = len(watched)
        self.watched_pressure = BudgetPressure(
            context.budget,
            batch_weight=len(watched) * base_weight(USER_FILLS_BY_TIME),
            own_planned_per_minute=self._watched_planned,
        )

    @property
    def _watched_planned(self) -> float:
        return (
            self._watched_count
            * base_weight(USER_FILLS_BY_TIME)
            * 60.0
            / self._config.watched_interval_seconds
        )

    @property
    def planned_weight_per_minute(self) -> float:
        """Base weights only: the per-fill surcharge (1 per 20 fills) depends on activity."""
        per_request = base_weight(USER_FILLS_BY_TIME)
        liquidators = self._liquidator_count * per_request * 60.0 / self.interval
        own_meta = self._market_interval is None
        universe = base_weight(META) * 60.0 / self._config.universe_interval_seconds if own_meta else 0.0
        return liquidators + self._watched_planned + universe

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

    async def _follow(self, address: str) -> None:
        """Read this account's new fills, page by page, into the counters."""

        async def fetch_page(start_ms: int) -> ParsedFills:
            body = {
                "type": USER_FILLS_BY_TIME,
                "user": address,
                "startTime": start_ms,
                "aggregateByTime": False,
            }
            parsed = parse_fills(await self._context.client.info(body, COLLECTOR))
            for _ in range(parsed.malformed):
                self._context.count_malformed(USER_FILLS_BY_TIME)
            return parsed

        await follow(
            self.cursors[address],
            fetch_page,
            self.counters.add,
            page_limit=self._config.page_limit,
            max_pages=self._config.max_pages_per_poll,
        )

    def _due_accounts(self, now: float) -> list[FillsAccount]:
        due = [account for account in self._accounts if not account.watched]
        if self._watched_count and now >= self._watched_due:
            self.watched_pressure.observe()
            stretch = self.watched_pressure.stretch
            self._watched_due = now + self._config.watched_interval_seconds * stretch
            due.extend(account for account in self._accounts if account.watched)
        return due

    async def poll(self) -> Sequence[Metric]:
        now = self._context.clock()
        tasks = [self._refresh_universe(now), *(self._follow(a.address) for a in self._due_accounts(now))]
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
            | {coin for coin, _ in self.counters.liquidations}
            | set(self.counters.auto_deleverages)
        )
        liquidations = CounterMetricFamily(
            "hyperliquid_liquidations",
            f"Liquidations seen, by coin and method (market, backstop); one liquidation filled by several "
            f"monitored accounts counts once ({help_suffix}).",
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
            for method in LIQUIDATION_METHODS:
                totals = self.counters.liquidations.get((coin, method), EventTotals())
                liquidations.add_metric([coin, method], float(totals.count))
                liquidated.add_metric([coin, method], totals.notional_usd)
            adl = self.counters.auto_deleverages.get(coin, EventTotals())
            deleverages.add_metric([coin], float(adl.count))
            deleveraged.add_metric([coin], adl.notional_usd)
        gaps = CounterMetricFamily(
            "hyperliquid_fills_pagination_gaps",
            "Times a full userFillsByTime page ended on the millisecond it started from, so the cursor moved "
            f"past that millisecond and fills in it may have been missed; by account (polled from "
            f"userFillsByTime every {self.interval:g} s).",
            labels=["account"],
        )
        for account in self._accounts:
            gaps.add_metric([account.address], float(self.cursors[account.address].gaps))
        return [liquidations, liquidated, deleverages, deleveraged, gaps]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section: FillsCollectorConfig = config.collectors.fills
    accounts = config.collectors.accounts
    if not section.enabled or not (accounts.liquidators or (section.watched_enabled and accounts.watched)):
        return []
    return [FillsPoller(config, context)]
