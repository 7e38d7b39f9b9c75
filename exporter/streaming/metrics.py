"""The streams' own metrics: a few dozen series, rendered at scrape time like the exporter's self-metrics."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporter.streaming.stats import StreamStats


def stream_families(stats: StreamStats, now: float, accounts: Sequence[str]) -> list[Metric]:
    def gauge(name: str, text: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, text, labels=list(labels))

    def counter(name: str, text: str, labels: Sequence[str] = ()) -> CounterMetricFamily:
        return CounterMetricFamily(name, text, labels=list(labels))

    connected = gauge(
        "hyperliquid_stream_connected", "1 while the WebSocket connection is open.", ["connection"]
    )
    connects = counter(
        "hyperliquid_stream_connections",
        "WebSocket connections opened (Hyperliquid allows 30 new connections a minute per IP).",
        ["connection"],
    )
    reconnects = counter(
        "hyperliquid_stream_reconnects",
        "WebSocket connections opened after a previous one ended.",
        ["connection"],
    )
    stalls = counter(
        "hyperliquid_stream_stalls",
        "Connections replaced because no frame came back after a heartbeat ping.",
        ["connection"],
    )
    malformed_frames = counter(
        "hyperliquid_stream_malformed_frames",
        "Frames that were not a JSON message with a channel.",
        ["connection"],
    )
    errors = counter(
        "hyperliquid_stream_error_messages",
        "Error messages from the server (a refused subscription, an unparsable request).",
        ["connection"],
    )
    pings = counter(
        "hyperliquid_stream_pings", "Heartbeat pings sent (one every ping interval).", ["connection"]
    )
    by_data = counter(
        "hyperliquid_stream_acknowledged_by_data",
        "Subscriptions taken as acknowledged by their first data message: the server's echo did not "
        "match the subscription's identifying fields.",
        ["connection"],
    )
    failures = counter(
        "hyperliquid_stream_failures",
        "Connections replaced because handling a frame or starting a feed raised an exception no feed "
        "expects (kind: the exception's type, e.g. RecursionError for a deeply nested frame).",
        ["connection", "kind"],
    )
    for name, conn in sorted(stats.connections.items()):
        pings.add_metric([name], float(conn.pings))
        by_data.add_metric([name], float(conn.acknowledged_by_data))
        for kind, count in sorted(conn.failures.items()):
            failures.add_metric([name, kind], float(count))
        connected.add_metric([name], 1.0 if conn.connected else 0.0)
        connects.add_metric([name], float(conn.connects))
        reconnects.add_metric([name], float(conn.reconnects))
        stalls.add_metric([name], float(conn.stalls))
        malformed_frames.add_metric([name], float(conn.malformed))
        errors.add_metric([name], float(conn.errors))

    up = gauge(
        "hyperliquid_stream_up",
        "1 while the feed is live: connected, every subscription acknowledged, backfill done; "
        "0 while its data comes from REST polling at the fast rate.",
        ["feed"],
    )
    planned = gauge("hyperliquid_stream_subscriptions_planned", "Subscriptions the feed asks for.", ["feed"])
    acknowledged = gauge(
        "hyperliquid_stream_subscriptions", "Subscriptions acknowledged on the current connection.", ["feed"]
    )
    messages = counter("hyperliquid_stream_messages", "Data messages received.", ["feed"])
    malformed = counter(
        "hyperliquid_stream_malformed_messages",
        "Data messages or items in them that could not be parsed (each costs that item only).",
        ["feed"],
    )
    last = gauge(
        "hyperliquid_stream_last_message_timestamp_seconds",
        "Time of the feed's last data message (absent before the first).",
        ["feed"],
    )
    age = gauge(
        "hyperliquid_stream_last_message_age_seconds",
        "Seconds since the feed's last data message, as of the scrape (absent before the first).",
        ["feed"],
    )
    for name, feed in sorted(stats.feeds.items()):
        up.add_metric([name], 1.0 if feed.live else 0.0)
        planned.add_metric([name], float(feed.planned_subscriptions))
        acknowledged.add_metric([name], float(feed.acknowledged))
        messages.add_metric([name], float(feed.messages))
        malformed.add_metric([name], float(feed.malformed))
        if feed.last_message:
            last.add_metric([name], feed.last_message)
            age.add_metric([name], max(0.0, now - feed.last_message))

    fallback = gauge(
        "hyperliquid_stream_rest_fallback",
        "1 while this poller polls REST at its own (fast) interval because the stream covering it is "
        "down; 0 while the stream delivers and REST only reconciles slowly.",
        ["poller"],
    )
    for poller, on in sorted(stats.rest_fallback.items()):
        fallback.add_metric([poller], 1.0 if on else 0.0)

    backfilled = counter(
        "hyperliquid_stream_backfilled_fills",
        "Fills that the REST backfill after a (re)connect found and the stream had not delivered.",
        ["account"],
    )
    gaps = counter(
        "hyperliquid_stream_backfill_gaps",
        "Backfills after a (re)connect that could not be completed: a failed request, more pages than "
        "allowed, or a full page within one millisecond. Fills there may be missing from the counters "
        "until the slower REST reconciliation reads them (when they are still reachable).",
        ["account"],
    )
    for account in accounts:
        backfilled.add_metric([account], float(stats.backfilled_fills.get(account, 0)))
        gaps.add_metric([account], float(stats.backfill_gaps.get(account, 0)))

    restarts = counter(
        "hyperliquid_stream_task_restarts",
        "Long-running stream tasks (a connection, the publisher) that ended or failed and were restarted.",
        ["task"],
    )
    for task, count in sorted(stats.task_restarts.items()):
        restarts.add_metric([task], float(count))

    quota = gauge(
        "hyperliquid_stream_quota",
        "Per-IP WebSocket limit the exporter plans within (users, subscriptions, connections).",
        ["resource"],
    )
    used = gauge(
        "hyperliquid_stream_quota_planned", "What the exporter plans to use of each limit.", ["resource"]
    )
    quota.add_metric(["users"], float(stats.users_limit))
    quota.add_metric(["subscriptions"], float(stats.subscriptions_limit))
    quota.add_metric(["connections"], float(stats.connections_limit))
    used.add_metric(["users"], float(stats.users_planned))
    used.add_metric(["subscriptions"], float(sum(f.planned_subscriptions for f in stats.feeds.values())))
    used.add_metric(["connections"], float(len(stats.connections)))
    return [
        connected,
        connects,
        reconnects,
        stalls,
        malformed_frames,
        errors,
        pings,
        by_data,
        failures,
        restarts,
        up,
        planned,
        acknowledged,
        messages,
        malformed,
        last,
        age,
        fallback,
        backfilled,
        gaps,
        quota,
        used,
    ]
