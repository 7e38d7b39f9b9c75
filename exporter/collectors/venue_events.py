"""Venue-wide liquidation and auto-deleveraging totals from every fill of the venue (a node's output).

Every fill of the venue is here, both sides of every trade, so each event is counted from one side only,
classified by `Fill.side_for` (the same rules as the monitored accounts' fills):
- a liquidation from the liquidated account's own fills (`LIQUIDATED`: its `liquidatedUser` is itself),
  once per (hash, account, coin): a market liquidation crossing several makers is one event on several
  fills of the same transaction; its notional adds every fill. An all-zero hash identifies nothing, so
  such a fill counts alone;
- an auto-deleveraging trade from the deleveraged account's fill (`DELEVERAGED`), one per fill.
An HLP liquidator's own `LIQUIDATED` fills are its inventory closed by ADL: those trades are counted from
their deleveraged side, never as liquidations. `TAKEOVER` fills (the makers' and the backstop's side) are
the other side of a liquidation already counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from exporter.collectors.fill_events import RememberedKeys, ZeroFirstTotals
from exporter.hyperliquid.fills import (
    AUTO_DELEVERAGING_DIR,
    LIQUIDATION_METHODS,
    USER_FILLS,
    ZERO_HASH,
    Fill,
    FillSide,
    parse_fills,
)

K = TypeVar("K", bound=Hashable)
MAX_REMEMBERED_LIQUIDATIONS = 50_000
TYPED_BATCH = 512  # fills typed per parse_fills call
OTHER_ACCOUNTS = "other"
BUCKET_MS = 60_000


def may_be_an_event(fill: dict[str, Any]) -> bool:
    """False only for a fill `Fill.side_for` can only call ORDINARY (no liquidation marker, not an ADL):
    the venue's ordinary fills are never typed."""
    return "liquidation" in fill or fill.get("dir") == AUTO_DELEVERAGING_DIR


class SeriesAges(Generic[K]):
    """When each series was first put on /metrics. ZeroFirstTotals applies a new series' increments once
    it has been published at 0; the node collector polls faster than Prometheus scrapes, so a series
    counts as published only after `hold_seconds` (more than a scrape interval) at 0."""

    def __init__(self, hold_seconds: float) -> None:
        self.hold_seconds = hold_seconds
        self._first_shown: dict[K, float] = {}

    def settled(self, keys: Iterable[K], now: float) -> list[K]:
        """The keys shown for at least `hold_seconds`; the others are remembered as shown from `now`."""
        settled = []
        for key in keys:
            first = self._first_shown.setdefault(key, now)
            if now - first >= self.hold_seconds:
                settled.append(key)
        return settled


class LiquidatedAccounts:
    """USD liquidated per account over a trailing window of the chain's own clock (the newest fill's
    time, so a replayed hour reads as it did live), in one-minute buckets."""

    def __init__(self, window_seconds: float) -> None:
        self._window_ms = int(window_seconds * 1000)
        self._buckets: dict[int, defaultdict[str, float]] = {}
        self._newest_ms = 0

    def add(self, account: str, notional_usd: float, time_ms: int) -> None:
        self._newest_ms = max(self._newest_ms, time_ms)
        bucket = time_ms // BUCKET_MS
        self._buckets.setdefault(bucket, defaultdict(float))[account] += notional_usd

    def _prune(self) -> None:
        oldest = (self._newest_ms - self._window_ms) // BUCKET_MS
        for bucket in [b for b in self._buckets if b < oldest]:
            del self._buckets[bucket]

    def top(self, n: int) -> tuple[list[tuple[str, float]], float]:
        """The `n` accounts with the most USD liquidated in the window (largest first), and the sum of
        the rest."""
        self._prune()
        totals: defaultdict[str, float] = defaultdict(float)
        for bucket in self._buckets.values():
            for account, notional in bucket.items():
                totals[account] += notional
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:n], sum(notional for _, notional in ranked[n:])


class VenueCounters:
    def __init__(
        self, is_liquidator: Callable[[str], bool], window_seconds: float, hold_seconds: float = 0.0
    ) -> None:
        self.is_liquidator = is_liquidator
        self.liquidations: ZeroFirstTotals[tuple[str, str]] = ZeroFirstTotals()  # (coin, method)
        self.auto_deleverages: ZeroFirstTotals[str] = ZeroFirstTotals()  # coin
        self.liquidation_ages: SeriesAges[tuple[str, str]] = SeriesAges(hold_seconds)
        self.deleverage_ages: SeriesAges[str] = SeriesAges(hold_seconds)
        self.accounts = LiquidatedAccounts(window_seconds)
        self.fills = 0
        self.malformed_fills = 0
        self._liquidations_seen = RememberedKeys(MAX_REMEMBERED_LIQUIDATIONS)

    @property
    def coins(self) -> set[str]:
        return {coin for coin, _ in self.liquidations.series()} | self.auto_deleverages.series()

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*LIQUIDATION_METHODS, *(m for _, m in self.liquidations.series()))))

    def add_events(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        users: list[str] = []
        raws: list[dict[str, Any]] = []
        for user, raw in events:
            self.fills += 1
            if may_be_an_event(raw):
                users.append(user)
                raws.append(raw)
                if len(raws) >= TYPED_BATCH:
                    self._typed(users, raws)
                    users, raws = [], []
        if raws:
            self._typed(users, raws)

    def _typed(self, users: list[str], raws: list[dict[str, Any]]) -> None:
        parsed = parse_fills(raws, USER_FILLS)
        if not parsed.malformed:
            for user, fill in zip(users, parsed.fills, strict=True):
                self.add(user, fill)
            return
        # A malformed fill among them: each typed alone, so every fill keeps its account.
        for user, raw in zip(users, raws, strict=True):
            alone = parse_fills([raw], USER_FILLS)
            self.malformed_fills += alone.malformed
            for fill in alone.fills:
                self.add(user, fill)

    def add(self, user: str, fill: Fill) -> None:
        side = fill.side_for(user)
        if side is FillSide.DELEVERAGED:
            self.auto_deleverages.add(fill.coin, 1, fill.notional_usd)
        elif side is FillSide.LIQUIDATED and not self.is_liquidator(user):
            assert fill.liquidation is not None
            key: Hashable = (
                (fill.hash, user, fill.coin)
                if fill.hash and fill.hash != ZERO_HASH
                else ("fill", user, fill.key)
            )
            first = self._liquidations_seen.first_time(key)
            self.liquidations.add((fill.coin, fill.liquidation.method), int(first), fill.notional_usd)
            self.accounts.add(user, fill.notional_usd, fill.time_ms)
