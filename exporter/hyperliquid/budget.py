"""One request-weight budget shared by every poller of the process, served by priority.

A token bucket refilled at `per_minute / 60` weight per second. Its capacity is a quarter of a
minute's budget, so requests are spread over the minute instead of bursting at start-up. (Not the
sliding window of exporter.sliding_window: that counts a limit as the server counts it, for the
simulator and the relay; this paces the exporter's own spend, and surcharges may leave it in debt.)

Waiting requests are served strictly by priority (then first come, first served), so the signals
behind critical alerts (market contexts, liquidator positions) never queue behind fill paging or
watched accounts. A request below `Priority.CRITICAL` also has to leave room in the bucket: it
starts only when the bucket can pay its base weight, the largest per-item surcharge it may incur
and a reserve for one round of critical requests. That surcharge is taken from the bucket when the
request starts and the unused part given back when the answer's size is known (`settle`), so
several pages in flight at once cannot drain the bucket the critical pollers are about to use.

A 429 from upstream pauses every request until its Retry-After has passed, but never longer than
`max_pause_seconds`: one absurd Retry-After cannot freeze the exporter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from enum import IntEnum


class Priority(IntEnum):
    """Lower is served first."""

    CRITICAL = 0  # market contexts, liquidator positions: behind critical alerts
    HIGH = 1  # HLP parent and strategies, vaults
    NORMAL = 2  # liquidator fills (paging in a cascade)
    LOW = 3  # watched accounts and their fills


# Where a caller does not say, the collector's usual priority.
COLLECTOR_PRIORITY = {
    "market": Priority.CRITICAL,
    "liveness": Priority.CRITICAL,  # weight 2: never queued behind fill paging
    "vaults": Priority.HIGH,
    "accounts": Priority.HIGH,
    # Hyperliquid spot mids, the reference of HYPE's and PURR's oracles: ahead of fill paging.
    "prices": Priority.HIGH,
}
DEFAULT_PRIORITY = Priority.NORMAL
DEFAULT_MAX_PAUSE_SECONDS = 10.0


class BudgetBusy(Exception):
    """A request gave up waiting for its turn in the weight budget (nothing was spent or sent)."""


def collector_priority(collector: str) -> Priority:
    return COLLECTOR_PRIORITY.get(collector, DEFAULT_PRIORITY)


class WeightBudget:
    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        burst_fraction: float = 0.25,
        max_pause_seconds: float = DEFAULT_MAX_PAUSE_SECONDS,
        critical_reserve: float = 30.0,
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
        self.max_pause_seconds = max_pause_seconds
        # Never more than half the bucket, so a small budget still lets everything through.
        self.critical_reserve = min(critical_reserve, self._capacity / 2)
        self._changed = asyncio.Condition()
        self._tickets = itertools.count()
        self._waiting: list[tuple[int, int]] = []
        self.used: defaultdict[str, float] = defaultdict(float)
        self.planned: dict[str, float] = {}

    def plan(self, collector: str, weight_per_minute: float) -> None:
        """Record what a collector expects to spend per minute at its configured intervals."""
        self.planned[collector] = self.planned.get(collector, 0.0) + weight_per_minute

    @property
    def planned_total(self) -> float:
        return sum(self.planned.values())

    @property
    def paused_for(self) -> float:
        """Seconds left of a 429 pause (0 if none)."""
        return max(0.0, self._paused_until - self._clock())

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def _needed(self, weight: float, priority: Priority, max_surcharge: float) -> float:
        needed = weight
        if priority is not Priority.CRITICAL:
            needed += max_surcharge + self.critical_reserve
        # A request heavier than the bucket can hold waits for a full bucket, not forever.
        return min(needed, self._capacity)

    def delay_for(
        self, weight: float, priority: Priority = Priority.CRITICAL, max_surcharge: float = 0.0
    ) -> float:
        """Seconds until `weight` can be spent at `priority` (0 if now), ignoring other waiters."""
        self._refill()
        shortfall = max(0.0, self._needed(weight, priority, max_surcharge) - self._tokens)
        return max(self.paused_for, shortfall / self._rate)

    async def acquire(
        self,
        weight: float,
        collector: str,
        priority: Priority | None = None,
        max_surcharge: float = 0.0,
    ) -> None:
        """Wait for this request's turn (by priority) and for the bucket to pay for it."""
        rank = collector_priority(collector) if priority is None else priority
        ticket = (int(rank), next(self._tickets))
        async with self._changed:
            self._waiting.append(ticket)
            self._changed.notify_all()  # a waiter of lower priority must give way
            try:
                while True:
                    if min(self._waiting) != ticket:
                        await self._changed.wait()
                        continue
                    delay = self.delay_for(weight, rank, max_surcharge)
                    if delay <= 0:
                        break
                    # Woken early when a more urgent request arrives; re-checked either way.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._changed.wait()
            finally:
                self._waiting.remove(ticket)
                self._changed.notify_all()
            self._tokens -= weight + max_surcharge
            self.used[collector] += weight

    def settle(self, reserved: float, actual: float, collector: str) -> None:
        """The answer is in: `actual` of the `reserved` surcharge is spent, the rest goes back."""
        self._refill()
        self._tokens = min(self._capacity, self._tokens + reserved - actual)
        self.used[collector] += actual

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

    def pause(self, seconds: float) -> float:
        """Hold every request for `seconds` (a 429 with Retry-After), at most `max_pause_seconds`.

        Returns the pause actually applied.
        """
        applied = min(max(seconds, 0.0), self.max_pause_seconds)
        self._paused_until = max(self._paused_until, self._clock() + applied)
        return applied
