"""Typed parsing of `userFills` / `userFillsByTime`, and the incremental cursor over them.

A fill may carry a `liquidation` object (`method` `market` or `backstop`, optional
`liquidatedUser`, `markPx` as string or number). Auto-deleveraging fills also carry one (naming
the HLP liquidator, method `backstop`), so they are classified by `dir` first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list

USER_FILLS_BY_TIME = "userFillsByTime"
AUTO_DELEVERAGING_DIR = "Auto-Deleveraging"
LIQUIDATION_METHODS = ("market", "backstop")
# An all-zero hash marks a maker fill not attributed to an L1 transaction: it identifies nothing.
ZERO_HASH = "0x" + "0" * 64


class FillKind(Enum):
    ORDINARY = "ordinary"
    LIQUIDATION = "liquidation"
    AUTO_DELEVERAGING = "auto_deleveraging"


@dataclass(frozen=True, slots=True)
class Liquidation:
    method: str
    liquidated_user: str | None
    mark_price_usd: float | None


FillKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Fill:
    coin: str
    price: float
    size: float
    time_ms: int
    direction: str
    hash: str | None
    oid: int | None
    tid: int | None
    liquidation: Liquidation | None

    @property
    def key(self) -> FillKey:
        """Identity for deduplication: `tid`, or hash+oid+time+price+size where `tid` is missing."""
        if self.tid is not None:
            return ("tid", self.tid)
        return ("fill", self.hash, self.oid, self.time_ms, self.price, self.size)

    @property
    def notional_usd(self) -> float:
        return abs(self.price * self.size)

    @property
    def kind(self) -> FillKind:
        if self.direction == AUTO_DELEVERAGING_DIR:
            return FillKind.AUTO_DELEVERAGING
        if self.liquidation is not None:
            return FillKind.LIQUIDATION
        return FillKind.ORDINARY


@dataclass(frozen=True, slots=True)
class ParsedFills:
    fills: tuple[Fill, ...]
    malformed: int


def _liquidation(fill: JsonObject) -> Liquidation | None:
    raw = fill.optional_obj("liquidation")
    if raw is None:
        return None
    method = raw.text("method")
    if method not in LIQUIDATION_METHODS:
        raise ParseError(
            raw.request_type, f"{raw.path}.method", f"unknown liquidation method {method[:40]!r}"
        )
    user = raw.optional_text("liquidatedUser")
    return Liquidation(method, user.lower() if user else None, raw.optional_number("markPx"))


def _fill(item: Any, request_type: str, path: str) -> Fill:
    fill = JsonObject(item, request_type, path)
    fill_hash = fill.optional_text("hash")
    return Fill(
        coin=fill.text("coin"),
        price=fill.number("px"),
        size=fill.number("sz"),
        time_ms=fill.integer("time"),
        direction=fill.optional_text("dir") or "",
        hash=fill_hash.lower() if fill_hash else None,
        oid=fill.optional_integer("oid"),
        tid=fill.optional_integer("tid"),
        liquidation=_liquidation(fill),
    )


def parse_fills(data: Any, request_type: str = USER_FILLS_BY_TIME) -> ParsedFills:
    """A list of fills in any order; a malformed fill is skipped and counted."""
    fills: list[Fill] = []
    malformed = 0
    for index, item in enumerate(as_list(data, request_type, "$")):
        try:
            fills.append(_fill(item, request_type, f"$[{index}]"))
        except ParseError:
            malformed += 1
    return ParsedFills(tuple(fills), malformed)


@dataclass(frozen=True, slots=True)
class PageOutcome:
    new: tuple[Fill, ...]  # fills never seen before, oldest first
    more: bool  # request the next page now
    gap_at_ms: int | None  # a millisecond skipped with fills possibly unread


class FillCursor:
    """One account's position in its fill history, with deduplication in bounded memory.

    Each request asks for fills from `start_ms` (inclusive). Fills older than `start_ms` were
    already counted (or skipped in a counted gap) and are ignored, so only the keys of fills at or
    after `start_ms` need remembering: `start_ms` only moves forward, to the newest fill seen.
    A full page that ends at the millisecond it started from means more fills share that
    millisecond than a page holds: the cursor moves one millisecond past it and reports the gap,
    so pagination never loops.
    """

    def __init__(self, start_ms: int, max_remembered: int = 100_000) -> None:
        self.start_ms = start_ms
        self.gaps = 0
        self._max_remembered = max_remembered
        self._seen: OrderedDict[FillKey, int] = OrderedDict()

    @property
    def remembered(self) -> int:
        return len(self._seen)

    def accept(self, fills: Sequence[Fill], page_full: bool) -> PageOutcome:
        """Take one page requested from the current `start_ms`; say whether to fetch another."""
        requested_from = self.start_ms
        new: list[Fill] = []
        for fill in sorted(fills, key=lambda f: f.time_ms):
            if fill.time_ms < requested_from or fill.key in self._seen:
                continue
            self._seen[fill.key] = fill.time_ms
            new.append(fill)
        newest = max((fill.time_ms for fill in fills), default=requested_from)
        gap_at: int | None = None
        if not page_full:
            self.start_ms = max(requested_from, newest)
        elif newest > requested_from:
            self.start_ms = newest
        else:
            gap_at = requested_from
            self.start_ms = requested_from + 1
            self.gaps += 1
        self._forget_before(self.start_ms)
        return PageOutcome(tuple(new), more=page_full, gap_at_ms=gap_at)

    def _forget_before(self, start_ms: int) -> None:
        stale = [key for key, time_ms in self._seen.items() if time_ms < start_ms]
        for key in stale:
            del self._seen[key]
        while len(self._seen) > self._max_remembered:
            self._seen.popitem(last=False)


@dataclass(frozen=True, slots=True)
class FollowSummary:
    pages: int
    gaps_at_ms: tuple[int, ...]
    caught_up: bool  # False when `max_pages` ran out with more pages to read


async def follow(
    cursor: FillCursor,
    fetch_page: Callable[[int], Awaitable[ParsedFills]],
    consume: Callable[[Fill], None],
    page_limit: int,
    max_pages: int,
) -> FollowSummary:
    """Read pages from `cursor.start_ms` until a short page (or `max_pages`), consuming new fills.

    A page is full when it holds `page_limit` items, malformed ones included. New fills are
    consumed page by page, so a failed request later on loses nothing already read.
    """
    gaps: list[int] = []
    for page_number in range(1, max_pages + 1):
        page = await fetch_page(cursor.start_ms)
        outcome = cursor.accept(page.fills, page_full=len(page.fills) + page.malformed >= page_limit)
        for fill in outcome.new:
            consume(fill)
        if outcome.gap_at_ms is not None:
            gaps.append(outcome.gap_at_ms)
        if not outcome.more:
            return FollowSummary(page_number, tuple(gaps), caught_up=True)
    return FollowSummary(max_pages, tuple(gaps), caught_up=False)


META = "meta"


@dataclass(frozen=True, slots=True)
class ListedCoins:
    coins: tuple[str, ...]
    malformed: int


def parse_listed_coins(data: Any) -> ListedCoins:
    """The coins of `meta.universe` that are not delisted: event counters exist for each from startup."""
    root = JsonObject(data, META)
    coins: list[str] = []
    malformed = 0
    for index, item in enumerate(root.items("universe")):
        try:
            asset = JsonObject(item, META, f"$.universe[{index}]")
            if not asset.flag("isDelisted"):
                coins.append(asset.text("name"))
        except ParseError:
            malformed += 1
    return ListedCoins(tuple(dict.fromkeys(coins)), malformed)
