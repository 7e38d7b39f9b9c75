"""Weight spent over a sliding window of time: a limit counted the way a server or platform counts it.

The relay paces its sends to Telegram's and Discord's windows with it, and the simulator refuses
requests past Hyperliquid's per-IP limit with it. (The exporter's own weight budget is a token
bucket instead: it spreads requests over the minute rather than counting what the server counts.)
"""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """What was spent in the last `seconds`; an entry stops counting `seconds` after it was spent.

    Times are passed in by the caller, so this stays clock-agnostic.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: deque[tuple[float, float]] = deque()

    def add(self, now: float, weight: float = 1) -> None:
        self._prune(now).append((now, weight))

    def total(self, now: float) -> float:
        return sum(weight for _, weight in self._prune(now))

    def wait(self, now: float, weight: float, limit: float) -> float:
        """Seconds from `now` until `weight` more fits within `limit` (0 if it fits now).

        A weight above the limit fits once the window is empty.
        """
        entries = self._prune(now)
        excess = sum(spent for _, spent in entries) + weight - limit
        freed_at = now
        for spent_at, spent in entries:
            if excess <= 0:
                break
            excess -= spent
            freed_at = spent_at + self.seconds
        return max(0.0, freed_at - now)

    def _prune(self, now: float) -> deque[tuple[float, float]]:
        cutoff = now - self.seconds
        while self._entries and self._entries[0][0] <= cutoff:
            self._entries.popleft()
        return self._entries
