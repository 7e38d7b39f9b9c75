"""Reconnection pacing: jittered exponential backoff, and the per-IP new-connection rate."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable


class Backoff:
    """Full jitter: a uniform delay up to initial x 2^attempt, capped; reset after a good session."""

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * 2.0**self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        # Never below a tenth of the ceiling, so a flapping upstream is not hammered.
        return self._rng.uniform(ceiling / 10, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class ConnectionRate:
    """At most `per_minute` new connections in any 60 s, shared by every connection of the process."""

    def __init__(
        self,
        per_minute: int,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._opened: deque[float] = deque()
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def opened_last_minute(self) -> int:
        self._expire(self._monotonic())
        return len(self._opened)

    def _expire(self, now: float) -> None:
        while self._opened and now - self._opened[0] >= 60.0:
            self._opened.popleft()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                self._expire(now)
                if len(self._opened) < self.per_minute:
                    self._opened.append(now)
                    return
                await self._sleep(60.0 - (now - self._opened[0]))
