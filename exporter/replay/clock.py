"""Scenario time: t=0 (or --start-offset) at start, running `speed` times faster than the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class ScenarioClock:
    def __init__(
        self,
        speed: float = 1.0,
        start_offset: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self.start_offset = start_offset
        self._monotonic = monotonic
        self._started_monotonic = monotonic()
        self._started_wall = wall()

    def now(self) -> float:
        """Current scenario time in seconds."""
        return self.start_offset + (self._monotonic() - self._started_monotonic) * self.speed

    def wall_ms(self, scenario_time: float) -> int:
        """Epoch milliseconds at which `scenario_time` happens (or happened) on the wall clock.

        Response timestamps use this, so a client asking for "fills since a minute ago" by its own
        clock finds the scenario's recent fills, at any speed.
        """
        return int((self._started_wall + (scenario_time - self.start_offset) / self.speed) * 1000)

    def scenario_time(self, wall_ms: int) -> float:
        return self.start_offset + (wall_ms / 1000 - self._started_wall) * self.speed
