"""One gate for fills from both paths: a fill pushed over WebSocket and read again over REST counts once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from exporter.collectors.fill_events import EventCounters
from exporter.hyperliquid.fills import Fill, FillKey

# Fills remembered by key; a burst of ADL fills is a few thousand, a day of liquidator fills far less.
MAX_REMEMBERED_FILLS = 200_000


class DeduplicatedCounters(EventCounters):
    """The fills collector's counters behind a gate keyed by account and trade id (`Fill.key`).

    Installed in place of the fills poller's own counters, so the REST cursor and the streams feed
    one set of totals. The gate is per account: the two sides of one trade share its `tid`, and
    both are counted when both accounts are monitored (the counters tell them apart). Fills older
    than the counting start (a subscription's snapshot reaches back further) are never counted, as
    after a restart.
    """

    def __init__(
        self,
        counting_start_ms: int,
        is_liquidator: Callable[[str], bool] = lambda _account: False,
        max_remembered: int = MAX_REMEMBERED_FILLS,
    ) -> None:
        super().__init__(is_liquidator)
        self.counting_start_ms = counting_start_ms
        self.duplicates = 0
        self._seen: OrderedDict[tuple[str, FillKey], None] = OrderedDict()
        self._max_remembered = max_remembered

    def add(self, account: str, fill: Fill) -> None:
        self.offer(account, fill)

    def offer(self, account: str, fill: Fill) -> bool:
        """Count `account`'s fill unless seen before or older than the counting start; True if counted."""
        if fill.time_ms < self.counting_start_ms:
            return False
        key = (account, fill.key)
        if key in self._seen:
            self.duplicates += 1
            return False
        self._seen[key] = None
        if len(self._seen) > self._max_remembered:
            self._seen.popitem(last=False)
        super().add(account, fill)
        return True
