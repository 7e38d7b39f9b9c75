"""The relay's own metrics, in a private registry (served at /metrics)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import __version__
from exporter.build import revision
from exporter.relay.queue import ChannelBacklog

CHANNELS = ("telegram", "discord")
REJECT_REASONS = (
    "unauthorized",
    "too_large",
    "invalid_payload",
    "not_configured",
    "read_timeout",
    "unrenderable",
    "persist_failed",
    "queue_full",
)
FAILURE_REASONS = ("rate_limited", "timeout", "network", "server_error", "unauthorized", "rejected")
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class BacklogCollector(Collector):
    """Queue depth and oldest age, read from the latest backlog snapshot at scrape time."""

    def __init__(
        self, snapshot: Callable[[], Mapping[str, ChannelBacklog]], clock: Callable[[], float]
    ) -> None:
        self._snapshot = snapshot
        self._clock = clock

    def collect(self) -> Iterable[Metric]:
        backlog = self._snapshot()
        now = self._clock()
        depth = GaugeMetricFamily(
            "hyperliquid_relay_queue_depth", "Messages waiting for delivery.", labels=["channel"]
        )
        age = GaugeMetricFamily(
            "hyperliquid_relay_queue_oldest_age_seconds",
            "Age of the oldest waiting message since its webhook was accepted; 0 when the queue is empty.",
            labels=["channel"],
        )
        for channel in CHANNELS:
            entry = backlog.get(channel)
            depth.add_metric([channel], entry.depth if entry else 0)
            oldest = entry.oldest_received_at if entry else None
            age.add_metric([channel], max(0.0, now - oldest) if oldest is not None else 0.0)
        yield depth
        yield age


class RelayMetrics:
    def __init__(
        self, backlog: Callable[[], Mapping[str, ChannelBacklog]], clock: Callable[[], float] = time.time
    ) -> None:
        self.registry = CollectorRegistry()
        self.webhooks_received = Counter(
            "hyperliquid_relay_webhooks_received",
            "Webhook requests received on the channel's intake endpoint, accepted or not.",
            ["channel"],
            registry=self.registry,
        )
        self.webhooks_rejected = Counter(
            "hyperliquid_relay_webhooks_rejected",
            "Webhook requests refused (4xx, or 5xx when the queue could not persist them).",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.webhooks_duplicate = Counter(
            "hyperliquid_relay_webhooks_duplicate",
            "Webhooks acknowledged without sending because they repeat the group's last accepted webhook.",
            ["channel"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "hyperliquid_relay_notifications",
            "Messages the chat API accepted.",
            ["channel"],
            registry=self.registry,
        )
        self.notifications_failed = Counter(
            "hyperliquid_relay_notifications_failed",
            "Failed delivery attempts (the message stays queued unless the reason is rejected).",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "hyperliquid_relay_delivery_latency_seconds",
            "Time from webhook accepted to chat API accepted, per message.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.notifications_late = Counter(
            "hyperliquid_relay_notifications_late",
            "Messages sent marked LATE: accepted more than late_after_seconds before the chat API took them.",
            ["channel"],
            registry=self.registry,
        )
        self.messages_set_aside = Counter(
            "hyperliquid_relay_messages_set_aside",
            "Messages the chat API refused outright (400), marked rejected in the queue and not retried.",
            ["channel"],
            registry=self.registry,
        )
        self.messages_superseded = Counter(
            "hyperliquid_relay_messages_superseded",
            "Waiting messages replaced by a newer notification of the same group before they were sent.",
            ["channel"],
            registry=self.registry,
        )
        self.record_failures = Counter(
            "hyperliquid_relay_record_failures",
            "Failures to record a send's outcome in the queue (disk full, I/O error); sending stops until "
            "it is recorded.",
            ["channel"],
            registry=self.registry,
        )
        self.delivery_stalled = Gauge(
            "hyperliquid_relay_delivery_stalled",
            "1 while the channel sends nothing because a delivered message could not be recorded.",
            ["channel"],
            registry=self.registry,
        )
        self.queue_limit = Gauge(
            "hyperliquid_relay_queue_limit_messages",
            "max_queue_messages: waiting messages per channel beyond which webhooks get 503.",
            registry=self.registry,
        )
        build = Gauge(
            "hyperliquid_relay_build_info",
            "Version and revision of the running relay; always 1.",
            ["version", "revision"],
            registry=self.registry,
        )
        build.labels(__version__, revision()).set(1)
        self.registry.register(BacklogCollector(backlog, clock))
        for channel in CHANNELS:
            self.webhooks_received.labels(channel)
            self.webhooks_duplicate.labels(channel)
            self.notifications.labels(channel)
            self.delivery_latency.labels(channel)
            self.notifications_late.labels(channel)
            self.messages_set_aside.labels(channel)
            self.messages_superseded.labels(channel)
            self.record_failures.labels(channel)
            self.delivery_stalled.labels(channel).set(0)
            for reason in REJECT_REASONS:
                self.webhooks_rejected.labels(channel, reason)
            for reason in FAILURE_REASONS:
                self.notifications_failed.labels(channel, reason)
