"""Hyperliquid's request weights (1200 per minute per IP) and a sliding-window limiter that enforces them."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

LIMIT_PER_MINUTE = 1200
WINDOW_SECONDS = 60.0
_BASE_WEIGHTS = {
    "l2Book": 2,
    "allMids": 2,
    "clearinghouseState": 2,
    "orderStatus": 2,
    "spotClearinghouseState": 2,
    "exchangeStatus": 2,
    "userRole": 60,
}
DEFAULT_WEIGHT = 20
# Requests that cost one more per 20 items returned (candleSnapshot: per 60).
_PER_20_ITEMS = {
    "recentTrades",
    "historicalOrders",
    "userFills",
    "userFillsByTime",
    "fundingHistory",
    "userFunding",
    "userNonFundingLedgerUpdates",
    "twapHistory",
    "userTwapSliceFills",
    "userTwapSliceFillsByTime",
    "delegatorHistory",
    "delegatorRewards",
    "validatorStats",
}


def base_weight(request_type: str) -> int:
    return _BASE_WEIGHTS.get(request_type, DEFAULT_WEIGHT)


def item_weight(request_type: str, items: int) -> int:
    if request_type in _PER_20_ITEMS:
        return math.ceil(items / 20)
    if request_type == "candleSnapshot":
        return math.ceil(items / 60)
    return 0


class WeightLimiter:
    """Weight spent per client over the last minute; refuses a request whose base weight passes the limit."""

    def __init__(
        self,
        limit: int = LIMIT_PER_MINUTE,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._window = window
        self._monotonic = monotonic
        self._spent: dict[str, deque[tuple[float, int]]] = {}

    def used(self, client: str) -> int:
        entries = self._prune(client)
        return sum(weight for _, weight in entries)

    def try_spend(self, client: str, weight: int) -> bool:
        if self.used(client) + weight > self.limit:
            return False
        self._prune(client).append((self._monotonic(), weight))
        return True

    def spend(self, client: str, weight: int) -> None:
        """Charge weight known only after answering (per-item surcharges), even past the limit."""
        if weight > 0:
            self._prune(client).append((self._monotonic(), weight))

    def _prune(self, client: str) -> deque[tuple[float, int]]:
        entries = self._spent.setdefault(client, deque())
        cutoff = self._monotonic() - self._window
        while entries and entries[0][0] <= cutoff:
            entries.popleft()
        return entries
