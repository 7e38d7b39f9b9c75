"""Node collector: every liquidation and auto-deleveraging of the venue, from a non-validating node's fills.

The collector owns its source: a follower of the node's newest hourly fill file (`exporter/node/`). Each
poll reads what the node wrote since the last one (bounded in bytes), parses and counts it in a worker
thread, so a scrape never waits on a large block, and builds its metric families there too, under the same
lock: a poll cancelled at its deadline cannot leave a second reader running beside the next one.
It spends no Hyperliquid request weight.

Counters exist at 0 for every coin the market poller lists; a coin first seen in the node's fills is
published at 0 and its first events count once it has been there for `new_series_hold_seconds` (longer
than a scrape interval: this collector polls faster than Prometheus scrapes), so `increase()` sees them.
Builder dexes' coins count alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

import orjson
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.fill_events import totals_families
from exporter.collectors.venue_events import OTHER_ACCOUNTS, VenueCounters
from exporter.config import Config
from exporter.node.config import NodeConfig
from exporter.node.lines import Loads
from exporter.node.source import NodeSource

COLLECTOR = "node"
FILE_EVENTS = (
    "malformed_line",
    "malformed_event",
    "malformed_fill",
    "duplicate_block",
    "oversized_line",
    "partial_line_dropped",
    "truncated",
    "replaced",
    "position_not_saved",
)


class NodePoller:
    name = "node"
    collector = COLLECTOR
    planned_weight_per_minute = 0.0

    def __init__(
        self,
        node: NodeConfig,
        context: CollectorContext,
        liquidators: Sequence[str] = (),
        loads: Loads = orjson.loads,
    ) -> None:
        self._config = node
        self._context = context
        self.interval = node.interval_seconds
        self.max_age = node.max_age()
        context.liquidators.configure(liquidators)
        self.source = NodeSource(node, loads)
        self.counters = VenueCounters(
            context.liquidators.__contains__,
            node.top_accounts_window_seconds,
            node.new_series_hold_seconds,
        )
        self._lock = threading.Lock()

    async def poll(self) -> Sequence[Metric]:
        return await asyncio.to_thread(self.poll_now)

    def poll_now(self) -> list[Metric]:
        """Read, count and build the families (blocking: the worker thread's part of a poll)."""
        with self._lock:
            for line in self.source.read():
                self.counters.add_events(line.events)
                self.source.events["malformed_event"] += line.malformed_events
            self.source.commit()
            return self._families(self._context.clock)

    def close(self) -> None:
        self.source.close()

    def _families(self, clock: Callable[[], float]) -> list[Metric]:
        help_suffix = (
            f"read from the node's {self.source.stream.value if self.source.stream else 'fill'} output every "
            f"{self.interval:g} s; counted since the exporter started (or from its saved position)"
        )
        counters = self.counters
        listed = set(self._context.universe.coins or ()) | set(self._context.dex_coins.coins or ())
        coins = sorted(listed | counters.coins)
        methods = counters.methods
        pairs = [(coin, method) for coin in coins for method in methods]
        liquidations, liquidated = totals_families(
            ("hyperliquid_venue_liquidations", "hyperliquid_venue_liquidated_notional_usd"),
            (
                "Liquidations on the whole venue, by coin and method (market, backstop, or another the node "
                "names), each counted once from the liquidated account's own fills (one per transaction, "
                f"account and coin); an HLP liquidator's inventory closed by ADL is not one ({help_suffix}).",
                "USD notional (price x size) of the liquidated accounts' own liquidation fills on the whole "
                f"venue, by coin and method ({help_suffix}).",
            ),
            ["coin", "method"],
            pairs,
            lambda pair: counters.liquidations.get((pair[0], pair[1])),
        )
        deleverages, deleveraged = totals_families(
            ("hyperliquid_venue_auto_deleverages", "hyperliquid_venue_auto_deleveraged_notional_usd"),
            (
                "Auto-deleveraging trades on the whole venue, by coin, each counted once from the "
                f"deleveraged account's Auto-Deleveraging fill ({help_suffix}).",
                "USD notional (price x size) of the venue's auto-deleveraging trades, by coin "
                f"({help_suffix}).",
            ),
            ["coin"],
            [(coin,) for coin in coins],
            lambda key: counters.auto_deleverages.get(key[0]),
        )
        now = clock()
        counters.liquidations.published(counters.liquidation_ages.settled(pairs, now))
        counters.auto_deleverages.published(counters.deleverage_ages.settled(coins, now))
        window = self._config.top_accounts_window_seconds
        top = GaugeMetricFamily(
            "hyperliquid_venue_liquidated_account_notional_usd",
            f"USD notional liquidated in the last {window:g} s of chain time, for the "
            f"{self._config.top_accounts} accounts with the most (account label), the rest summed under "
            f'account="{OTHER_ACCOUNTS}" ({help_suffix}).',
            labels=["account"],
        )
        ranked, rest = counters.accounts.top(self._config.top_accounts)
        for account, notional in ranked:
            top.add_metric([account], notional)
        top.add_metric([OTHER_ACCOUNTS], rest)
        return [
            liquidations,
            liquidated,
            deleverages,
            deleveraged,
            top,
            *self._node_families(clock()),
        ]

    def _node_families(self, now: float) -> list[Metric]:
        source = self.source
        families: list[Metric] = []
        if source.block_number is not None:
            families.append(
                GaugeMetricFamily(
                    "hyperliquid_node_block_height",
                    "Number of the newest block read from the node's node_fills_by_block output.",
                    value=float(source.block_number),
                )
            )
        if source.block_time_s is not None:
            families.append(
                GaugeMetricFamily(
                    "hyperliquid_node_block_time_seconds",
                    "Chain time (Unix seconds) of the newest block read from the node (with plain "
                    "node_fills: of the newest fill); it stops advancing when the chain halts or the node "
                    "stops.",
                    value=source.block_time_s,
                )
            )
            families.append(
                GaugeMetricFamily(
                    "hyperliquid_node_lag_seconds",
                    "Wall clock minus the chain time of the newest block read from the node, at the last "
                    "poll: how far the node (and this reader) trail the chain.",
                    value=max(0.0, now - source.block_time_s),
                )
            )
        fills = CounterMetricFamily(
            "hyperliquid_node_fills",
            "Fills of the whole venue read from the node (every fill, both sides of each trade).",
            value=float(self.counters.fills),
        )
        lines = CounterMetricFamily(
            "hyperliquid_node_lines",
            "Lines (blocks, or fills for plain node_fills) read and counted from the node's output.",
            value=float(source.lines),
        )
        events = CounterMetricFamily(
            "hyperliquid_node_file_events",
            "What the node reader met besides good lines: malformed_line, malformed_event (not a [user, "
            "fill] pair), malformed_fill, duplicate_block "
            "(a block already counted, skipped), oversized_line (skipped), partial_line_dropped (a last "
            "line never finished before the next hour's file), truncated and replaced (a file read again "
            "from its start), position_not_saved (node.state_file could not be written).",
            labels=["event"],
        )
        counted = source.file_events()
        counted["malformed_fill"] = self.counters.malformed_fills
        for event in FILE_EVENTS:
            events.add_metric([event], float(counted.get(event, 0)))
        return [*families, fills, lines, events]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    if not config.node.enabled:
        return []
    return [NodePoller(config.node, context, config.collectors.accounts.liquidators)]
