"""What a poller is: something that, every `interval` seconds, observes upstream and returns
metric families. The scheduler turns each result into an immutable, pre-rendered snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from prometheus_client.metrics_core import Metric


class Poller(Protocol):
    @property
    def name(self) -> str:
        """Unique within the process, e.g. `market`, `accounts_liquidators`."""

    @property
    def collector(self) -> str:
        """The `collector` label this poller's health is reported under."""

    @property
    def interval(self) -> float: ...

    @property
    def max_age(self) -> float:
        """Seconds after which this poller's last snapshot is withdrawn from /metrics."""

    @property
    def planned_weight_per_minute(self) -> float:
        """Hyperliquid request weight per minute this poller expects to spend."""

    async def poll(self) -> Sequence[Metric]: ...
