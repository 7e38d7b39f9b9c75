"""One request-weight budget shared by every poller of the process.

A token bucket refilled at `per_minute / 60` weight per second. Its capacity is a quarter of a
minute's budget, so requests are spread over the minute instead of bursting at start-up.
A 429 from upstream pauses every request until its Retry-After has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable


class WeightBudget:
    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        burst_fraction: float = 0.25,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("weight budget per minute must be positive")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._capacity = max(per_minute * burst_fraction, 20.0)
        self._tokens = self._capacity
        self._clock = clock
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.used: defaultdict[str, float] = defaultdict(float)
        self.planned: dict[str, float] = {}

    def plan(self, collector: str, weight_per_minute: float) -> None:
        """Record what a collector expects to spend per minute at its configured intervals."""
        self.planned[collector] = self.planned.get(collector, 0.0) + weight_per_minute

    @property
    def planned_total(self) -> float:
        return sum(self.planned.values())

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def delay_for(self, weight: float) -> float:
        """Seconds until `weight` can be spent (0 if now)."""
        self._refill()
        pause = max(0.0, self._paused_until - self._clock())
        # A request heavier than the bucket can hold waits for a full bucket, not forever.
        needed = min(weight, self._capacity)
        shortfall = max(0.0, needed - self._tokens)
        return max(pause, shortfall / self._rate)

    async def acquire(self, weight: float, collector: str) -> None:
        async with self._lock:
            # Re-check after each sleep: a 429 may have extended the pause meanwhile.
            while (delay := self.delay_for(weight)) > 0:  # noqa: ASYNC110
                await asyncio.sleep(delay)
            self._tokens -= weight
            self.used[collector] += weight

    def charge(self, weight: float, collector: str) -> None:
        """Debit weight learnt after the answer (per-item surcharges); may leave the bucket negative."""
        if weight <= 0:
            return
        self._refill()
        self._tokens -= weight
        self.used[collector] += weight

    def refund(self, weight: float, collector: str) -> None:
        """Give back the weight of a request that never reached upstream (connection refused)."""
        self._refill()
        self._tokens = min(self._capacity, self._tokens + weight)
        self.used[collector] -= weight

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (a 429 with Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
