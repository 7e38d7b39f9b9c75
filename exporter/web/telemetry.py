"""Process metrics every Python exporter has (process_*, python_*) and the reload outcome gauges."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from exporter.web.accept_errors import AcceptErrorLog
from exporter.web.connections import ConnectionGuard
from exporter.web.password_checks import PasswordChecker
from exporter.web.reload import Reloader


class ReloadCollector(Collector):
    def __init__(self, prefix: str, reloader: Reloader) -> None:
        self.prefix = prefix
        self.reloader = reloader

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            f"{self.prefix}_config_last_reload_successful",
            "1 if the last configuration reload (start, SIGHUP or POST /-/reload) succeeded, 0 otherwise.",
            value=1.0 if self.reloader.last_successful else 0.0,
        )
        yield GaugeMetricFamily(
            f"{self.prefix}_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration load.",
            value=self.reloader.last_success_timestamp,
        )


class ProcessTelemetry:
    """A private registry, so that tests building several apps in one process do not collide."""

    def __init__(self, prefix: str, reloader: Reloader) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(ReloadCollector(prefix, reloader))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class WebCollector(Collector):
    """What the web layer refused or closed to stay answerable (docs/web.md: Bounds)."""

    def __init__(
        self, prefix: str, guard: ConnectionGuard, accept_errors: AcceptErrorLog, checker: PasswordChecker
    ) -> None:
        self.prefix = prefix
        self.guard = guard
        self.accept_errors = accept_errors
        self.checker = checker

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            f"{self.prefix}_http_connections_open", "HTTP connections open now.", value=self.guard.open
        )
        yield GaugeMetricFamily(
            f"{self.prefix}_http_connections_max",
            "Open HTTP connections the listener holds (--web.max-connections).",
            value=self.guard.max_connections,
        )
        closed = CounterMetricFamily(
            f"{self.prefix}_http_connections_refused",
            "HTTP connections closed by the server to stay answerable: limit (refused at once, every "
            "connection busy), evicted (waiting longest for request headers when a new one came at the "
            "limit), header_timeout (headers not received within --web.read-header-timeout).",
            labels=["reason"],
        )
        for reason in ("limit", "evicted", "header_timeout"):
            closed.add_metric([reason], self.guard.closed[reason])
        yield closed
        yield CounterMetricFamily(
            f"{self.prefix}_http_accept_errors",
            "Failed accept() calls on the listening sockets (logged once a minute with a count).",
            value=self.accept_errors.total,
        )
        yield GaugeMetricFamily(
            f"{self.prefix}_http_password_checks_waiting",
            "bcrypt checks running or queued on their own pool.",
            value=self.checker.waiting,
        )
        refused = CounterMetricFamily(
            f"{self.prefix}_http_logins_refused",
            "Basic-auth requests refused before any password check: rate_limited (429, the client spent "
            "its budget of checks), busy (503, too many checks waiting).",
            labels=["reason"],
        )
        for reason in ("rate_limited", "busy"):
            refused.add_metric([reason], self.checker.refused[reason])
        yield refused
