"""Counters and gauges of the streams, read by the metrics renderer; written only by the streams."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass(slots=True)
class FeedStats:
    planned_subscriptions: int = 0
    acknowledged: int = 0
    messages: int = 0
    malformed: int = 0
    last_message: float = 0.0  # epoch seconds, 0 before the first
    live: bool = False


@dataclass(slots=True)
class ConnectionStats:
    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    stalls: int = 0
    malformed: int = 0  # frames that are not JSON objects with a channel
    errors: int = 0  # error frames: a refused subscription, a request the server could not parse
    pings: int = 0
    acknowledged_by_data: int = 0  # subscriptions whose echo never matched: live on their first data
    failures: Counter[str] = field(default_factory=Counter)  # by exception kind: connection replaced


@dataclass
class StreamStats:
    feeds: dict[str, FeedStats] = field(default_factory=dict)
    connections: dict[str, ConnectionStats] = field(default_factory=dict)
    backfilled_fills: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    backfill_gaps: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    rest_fallback: dict[str, bool] = field(default_factory=dict)  # poller name -> fast REST now
    task_restarts: Counter[str] = field(default_factory=Counter)  # long-running task -> restarts
    users_planned: int = 0
    users_limit: int = 0
    connections_limit: int = 0
    subscriptions_limit: int = 0

    def feed(self, name: str) -> FeedStats:
        return self.feeds.setdefault(name, FeedStats())

    def connection(self, name: str) -> ConnectionStats:
        return self.connections.setdefault(name, ConnectionStats())
