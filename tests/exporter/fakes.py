"""A poller whose behaviour each test scripts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client.metrics_core import GaugeMetricFamily, Metric


def gauge(name: str, values: dict[str, float], label: str = "coin") -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, f"{name} (polled)", labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


@dataclass
class ScriptedPoller:
    name: str
    collector: str
    results: list[Callable[[], Sequence[Metric]]]
    interval: float = 10.0
    max_age: float = 30.0
    planned_weight_per_minute: float = 120.0
    calls: int = field(default=0)

    async def poll(self) -> Sequence[Metric]:
        step = self.results[min(self.calls, len(self.results) - 1)]
        self.calls += 1
        return step()
