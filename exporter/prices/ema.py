"""The continuous-time EMA Hyperliquid's mark uses (GitBook "Robust price indices"): for a sample taken
`t` seconds after the previous one,

    numerator   -> numerator   * exp(-t / tau) + sample * t
    denominator -> denominator * exp(-t / tau) + t
    ema = numerator / denominator

The first sample is the EMA itself (the denominator normalises), so the EMA exists from the first
sample, but it remembers only what it has seen: until it has run about `tau` seconds its value weighs
the few samples since the start, not the venue's longer memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TimeWeightedEma:
    tau_seconds: float
    numerator: float = 0.0
    denominator: float = 0.0
    last_at: float | None = None
    started_at: float | None = None

    def update(self, sample: float, at: float) -> float:
        """Fold in `sample` taken at `at` (seconds); a sample not after the last one is ignored."""
        if self.last_at is None:
            weight, self.started_at = 0.0, at
            # A first sample with no duration still has to count: give it the smallest weight.
            elapsed = 1e-9
        elif at <= self.last_at:
            return self.value if self.value is not None else sample
        else:
            elapsed = at - self.last_at
            weight = math.exp(-elapsed / self.tau_seconds)
        self.numerator = self.numerator * weight + sample * elapsed
        self.denominator = self.denominator * weight + elapsed
        self.last_at = at
        return self.numerator / self.denominator

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator > 0 else None

    def warmed_up(self, at: float) -> bool:
        """True once the EMA has seen at least one time constant of samples."""
        return self.started_at is not None and at - self.started_at >= self.tau_seconds
