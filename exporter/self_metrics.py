"""The exporter's metrics about itself, built from poller health, request counts and the budget.

Small (a few dozen series), so rendered at scrape time to show the current counters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from exporter import __version__
from exporter.build import revision
from exporter.exposition import RenderedFamily, render_families
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import DURATION_BUCKETS, RequestStats
from exporter.loop_lag import LoopLag
from exporter.store import PollerHealth, SnapshotStore

MARKET_COLLECTOR = "market"


def _by_collector(health: Iterable[PollerHealth]) -> dict[str, list[PollerHealth]]:
    grouped: defaultdict[str, list[PollerHealth]] = defaultdict(list)
    for item in health:
        grouped[item.collector].append(item)
    return dict(sorted(grouped.items()))


def self_families(store: SnapshotStore, stats: RequestStats, budget: WeightBudget) -> list[Metric]:
    grouped = _by_collector(store.health.values())
    # Absent, not 0, when the market collector is disabled (a node-only exporter): 0 means the API failed,
    # and would page HyperliquidAPIUnreachable for an API the exporter never asks.
    market = grouped.get(MARKET_COLLECTOR, [])
    up = (
        [
            GaugeMetricFamily(
                "hyperliquid_up",
                "1 if the last poll of Hyperliquid market data succeeded and its data is published, "
                "0 otherwise.",
                value=1.0 if all(store.healthy(h) for h in market) else 0.0,
            )
        ]
        if market
        else []
    )
    success = GaugeMetricFamily(
        "hyperliquid_exporter_collector_success",
        "1 if the last poll of every part of this collector succeeded and its data is published, "
        "0 otherwise.",
        labels=["collector"],
    )
    last_success = GaugeMetricFamily(
        "hyperliquid_exporter_collector_last_success_timestamp_seconds",
        "Unix time when every part of this collector last had a successful poll (0 if never).",
        labels=["collector"],
    )
    expiry = GaugeMetricFamily(
        "hyperliquid_exporter_collector_data_expiry_timestamp_seconds",
        "Unix time at which this collector's oldest published data is withdrawn from /metrics unless a "
        "poll succeeds first (last success, or start before the first, plus maximum age); past it, part "
        "of its data is gone.",
        labels=["collector"],
    )
    duration = GaugeMetricFamily(
        "hyperliquid_exporter_collector_duration_seconds",
        "Duration of this collector's slowest latest poll, in seconds.",
        labels=["collector"],
    )
    planned = GaugeMetricFamily(
        "hyperliquid_exporter_api_weight_planned_per_minute",
        "Hyperliquid request weight per minute this collector plans to spend at its configured intervals.",
        labels=["collector"],
    )
    for collector, items in grouped.items():
        success.add_metric([collector], 1.0 if all(store.healthy(h) for h in items) else 0.0)
        last_success.add_metric([collector], min(h.last_success for h in items))
        expiry.add_metric([collector], min(h.data_expiry for h in items))
        duration.add_metric([collector], max(h.last_duration for h in items))
        planned.add_metric([collector], sum(h.planned_weight_per_minute for h in items))
    used = CounterMetricFamily(
        "hyperliquid_exporter_api_weight_used_total",
        "Hyperliquid request weight spent by this collector, including retries and per-item surcharges.",
        labels=["collector"],
    )
    for collector in sorted(set(grouped) | set(budget.used)):
        used.add_metric([collector], budget.used.get(collector, 0.0))
    requests = CounterMetricFamily(
        "hyperliquid_exporter_api_requests",
        "Requests sent to Hyperliquid's info API, by request type (retries included).",
        labels=["request"],
    )
    for request, count in sorted(stats.requests.items()):
        requests.add_metric([request], float(count))
    errors = CounterMetricFamily(
        "hyperliquid_exporter_api_request_errors",
        "Failed Hyperliquid requests and malformed response fields, by request type and reason.",
        labels=["request", "reason"],
    )
    for (request, reason), count in sorted(stats.errors.items()):
        errors.add_metric([request, reason], float(count))
    durations = HistogramMetricFamily(
        "hyperliquid_exporter_api_request_duration_seconds",
        "Duration of each attempt of a Hyperliquid info request, by request type, whatever its outcome "
        "(an error answer, a timeout at the configured request timeout).",
        labels=["request"],
    )
    for request, counts in sorted(stats.duration_buckets.items()):
        cumulative, running = [], 0
        for bound, count in zip((*map(str, DURATION_BUCKETS), "+Inf"), counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        durations.add_metric([request], cumulative, stats.duration_sum[request])
    budget_gauge = GaugeMetricFamily(
        "hyperliquid_exporter_api_weight_budget_per_minute",
        "The share of Hyperliquid's per-IP weight limit this exporter allows itself per minute.",
        value=budget.per_minute,
    )
    build = GaugeMetricFamily(
        "hyperliquid_exporter_build_info",
        "Version and revision of the running exporter; always 1.",
        labels=["version", "revision"],
    )
    build.add_metric([__version__, revision()], 1.0)
    return [
        *up,
        success,
        last_success,
        expiry,
        duration,
        planned,
        used,
        requests,
        errors,
        durations,
        budget_gauge,
        build,
    ]


def render_self_metrics(
    store: SnapshotStore, stats: RequestStats, budget: WeightBudget, loop_lag: LoopLag | None = None
) -> dict[str, RenderedFamily]:
    families = self_families(store, stats, budget)
    if loop_lag is not None:
        families.append(loop_lag.family())
    return render_families(families)
