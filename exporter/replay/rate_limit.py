"""The simulator's enforcement of Hyperliquid's request-weight limit, per client over the last minute.

Weights come from the exporter's own table (exporter.hyperliquid.weights), so the simulator charges
exactly what the exporter plans for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from exporter.hyperliquid.weights import IP_LIMIT_PER_MINUTE
from exporter.sliding_window import SlidingWindow

WINDOW_SECONDS = 60.0


class WeightLimiter:
    """Weight spent per client over the last minute; refuses a request whose base weight passes the limit."""

    def __init__(
        self,
        limit: int = IP_LIMIT_PER_MINUTE,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._window = window
        self._monotonic = monotonic
        self._spent: dict[str, SlidingWindow] = {}

    def used(self, client: str) -> float:
        return self._client(client).total(self._monotonic())

    def try_spend(self, client: str, weight: int) -> bool:
        spent = self._client(client)
        now = self._monotonic()
        if spent.total(now) + weight > self.limit:
            return False
        spent.add(now, weight)
        return True

    def spend(self, client: str, weight: int) -> None:
        """Charge weight known only after answering (per-item surcharges), even past the limit."""
        if weight > 0:
            self._client(client).add(self._monotonic(), weight)

    def _client(self, client: str) -> SlidingWindow:
        return self._spent.setdefault(client, SlidingWindow(self._window))
