"""Process metrics every Python exporter has (process_*, python_*) and the reload outcome gauges."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

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
