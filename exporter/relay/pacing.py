"""Per-chat pacing: sliding windows of sends, plus pauses the platform asks for (retry_after)."""

from __future__ import annotations

from collections.abc import Sequence

from exporter.relay.config import RateWindow
from exporter.sliding_window import SlidingWindow

# Sends are timed here but counted by the platform on arrival; network jitter can bring two arrivals
# closer than their departures, so every window is stretched a little.
SAFETY_MARGIN_RATIO = 0.05


class Pacer:
    """Decides how long to wait before the next send; the caller sleeps, so this stays clock-agnostic."""

    def __init__(self, windows: Sequence[RateWindow]) -> None:
        self._windows = [
            (SlidingWindow(window.period_seconds * (1 + SAFETY_MARGIN_RATIO)), window.messages)
            for window in windows
        ]
        self._paused_until = 0.0

    def delay(self, now: float) -> float:
        """Seconds to wait at `now` before a send stays within every window and past any pause."""
        wait = self._paused_until - now
        for sent, messages in self._windows:
            wait = max(wait, sent.wait(now, 1, messages))
        return max(0.0, wait)

    def record(self, now: float) -> None:
        for sent, _ in self._windows:
            sent.add(now)

    def pause_until(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)
