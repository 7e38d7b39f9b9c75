"""Logging a repeated failure once: at warning when its kind changes, at debug while it repeats.

The scheduler (one per poller) and the reference-price sources (one per exchange) both follow this
rule; the kind is a short stable string (`timeout`, `http_503`, `parse:$.universe`), never a message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FailureTracker:
    """The kind of the current failure of one thing polled, None while it succeeds."""

    current: str | None = None

    def failed(self, kind: str) -> bool:
        """Record a failure of `kind`; True if it differs from the current one (log it at warning)."""
        changed = kind != self.current
        self.current = kind
        return changed

    def succeeded(self) -> bool:
        """Record a success; True if it ends a failure (log the recovery)."""
        ended = self.current is not None
        self.current = None
        return ended
