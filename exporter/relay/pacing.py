"""Per-chat pacing: sliding windows of sends, plus pauses the platform asks for (retry_after)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from exporter.relay.config import RateWindow

# Sends are timed here but counted by the platform on arrival; network jitter can bring two arrivals
# closer than their departures, so every window is stretched a little.
SAFETY_MARGIN_RATIO = 0.05


class Pacer:
    """Decides how long to wait before the next send; the caller sleeps, so this stays clock-agnostic."""

    def __init__(self, windows: Sequence[RateWindow]) -> None:
        self._windows = tuple(windows)
        depth = max((window.messages for window in self._windows), default=1)
        self._sent: deque[float] = deque(maxlen=depth)
        self._paused_until = 0.0

    def delay(self, now: float) -> float:
        """Seconds to wait at `now` before a send stays within every window and past any pause."""
        wait = self._paused_until - now
        for window in self._windows:
            if len(self._sent) >= window.messages:
                oldest_in_window = self._sent[-window.messages]
                period = window.period_seconds * (1 + SAFETY_MARGIN_RATIO)
                wait = max(wait, oldest_in_window + period - now)
        return max(0.0, wait)

    def record(self, now: float) -> None:
        self._sent.append(now)

    def pause_until(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)
