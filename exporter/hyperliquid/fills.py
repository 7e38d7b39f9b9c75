"""Typed parsing of `userFills` / `userFillsByTime`, the incremental cursor over them, and which
side of a liquidation or auto-deleveraging a fill is on.

A fill may carry a `liquidation` object (`method` `market` or `backstop`, optional
`liquidatedUser`, `markPx` as string or number). What it means depends on whose fill it is
(`classify`), as the venue records it (real fills of 10 Oct 2025 in Hyperliquid's node-data archive;
tests/fixtures/node/ holds one):
- `dir` `Auto-Deleveraging`: this account was deleveraged: its profitable position was closed to
  cover `liquidatedUser`, the underwater account (on 10 Oct 2025 an HLP liquidator, method `backstop`);
- `liquidatedUser` is the account itself: this account was liquidated (its own side, `dir`
  `Liquidated Cross Long` and the like). On an HLP liquidator that is its inventory closed by ADL;
- `liquidatedUser` another account: a backstop takeover (`backstop`) or a maker's fill of a market
  liquidation (`market`).
A method other than `market` or `backstop` is kept (as a label-safe name) and counted under its own
label, never dropped.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list

USER_FILLS_BY_TIME = "userFillsByTime"
USER_FILLS = "userFills"
# The smallest page a time-range fill request may answer with (older servers: 500; newer: 2000).
SMALLEST_FILL_PAGE = 500
# The most fills one answer can hold, for the budget's surcharge reserve.
LARGEST_FILL_PAGE = 2000
AUTO_DELEVERAGING_DIR = "Auto-Deleveraging"
LIQUIDATION_METHODS = ("market", "backstop")
_UNSAFE_LABEL_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]")
MAX_METHOD_LENGTH = 32
# An all-zero hash marks a maker fill not attributed to an L1 transaction: it identifies nothing.
ZERO_HASH = "0x" + "0" * 64


class FillSide(Enum):
    """Whose side of a liquidation or auto-deleveraging one account's fill is on."""

    ORDINARY = "ordinary"
    DELEVERAGED = "deleveraged"  # this account's position closed by ADL, covering liquidatedUser
    LIQUIDATED = "liquidated"  # this account itself was liquidated (liquidatedUser is itself)
    TAKEOVER = "takeover"  # this account took over or filled another account's liquidation


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
    closed_pnl_usd: float = 0.0
    fee_usd: float = 0.0

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
    def trade_key(self) -> FillKey:
        """The trade, whichever side's fill this is: both sides share `tid` (or hash, time, price, size)."""
        if self.tid is not None:
            return ("trade", self.coin, self.tid)
        return ("trade", self.coin, self.hash, self.time_ms, self.price, self.size)

    def side_for(self, account: str) -> FillSide:
        """Which side this fill is on, for `account` (lower-case address), the account it belongs to."""
        if self.direction == AUTO_DELEVERAGING_DIR:
            return FillSide.DELEVERAGED
        if self.liquidation is None:
            return FillSide.ORDINARY
        if self.liquidation.liquidated_user == account:
            return FillSide.LIQUIDATED
        return FillSide.TAKEOVER


@dataclass(frozen=True, slots=True)
class ParsedFills:
    fills: tuple[Fill, ...]
    malformed: int


def method_label(method: str) -> str:
    """A liquidation method as a label value: known ones as they are, others made safe and short."""
    if method in LIQUIDATION_METHODS:
        return method
    return _UNSAFE_LABEL_CHARACTERS.sub("_", method.strip())[:MAX_METHOD_LENGTH] or "unknown"


def _liquidation(fill: JsonObject) -> Liquidation | None:
    raw = fill.optional_obj("liquidation")
    if raw is None:
        return None
    method = method_label(raw.text("method"))
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
        closed_pnl_usd=_lenient_number(fill, "closedPnl"),
        fee_usd=_lenient_number(fill, "fee"),
    )


def _lenient_number(fill: JsonObject, key: str) -> float:
    """A PnL or fee field: a garbled one must not cost the fill (it may be a liquidation), so it reads 0."""
    try:
        return fill.optional_number(key) or 0.0
    except ParseError:
        return 0.0


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


class FillCursor:
    """One account's position in its fill history, with deduplication in bounded memory.

    Each request asks for fills from `start_ms` (inclusive). Fills older than `start_ms` were
    already counted (or skipped in a counted gap) and are ignored, so only the keys of fills at or
    after `start_ms` need remembering: `start_ms` only moves forward.
    """

    def __init__(self, start_ms: int, max_remembered: int = 100_000) -> None:
        self.start_ms = start_ms
        self.gaps = 0
        self._max_remembered = max_remembered
        self._seen: OrderedDict[FillKey, int] = OrderedDict()

    @property
    def remembered(self) -> int:
        return len(self._seen)

    def take(self, fills: Sequence[Fill]) -> list[Fill]:
        """The fills never seen before and not before `start_ms`, oldest first; now remembered."""
        new: list[Fill] = []
        for fill in sorted(fills, key=lambda f: f.time_ms):
            if fill.time_ms < self.start_ms or fill.key in self._seen:
                continue
            self._seen[fill.key] = fill.time_ms
            new.append(fill)
        return new

    def advance_to(self, ms: int) -> None:
        if ms > self.start_ms:
            self.start_ms = ms
            self._forget_before(ms)

    def skip_past(self, ms: int, missed: bool) -> None:
        """Move past a crowded millisecond; `missed`: some of its fills may never have been read."""
        if missed:
            self.gaps += 1
        self.advance_to(ms + 1)

    def _forget_before(self, start_ms: int) -> None:
        stale = [key for key, time_ms in self._seen.items() if time_ms < start_ms]
        for key in stale:
            del self._seen[key]
        while len(self._seen) > self._max_remembered:
            self._seen.popitem(last=False)


def burst_covered(page: Sequence[Fill], recent: Sequence[Fill], ms: int) -> bool:
    """Do a full page from `ms` and the account's most recent fills together hold all of `ms`'s fills?

    The page holds the first fills of `ms`, `recent` the newest fills of the account. If `recent`
    reaches back before `ms`, it holds all of `ms`; if both share a fill of `ms`, they overlap and
    together hold all of it. Otherwise fills in between were never returned.
    """
    if any(fill.time_ms < ms for fill in recent):
        return True
    in_page = {fill.key for fill in page if fill.time_ms == ms}
    return any(fill.key in in_page for fill in recent if fill.time_ms == ms)


@dataclass(frozen=True, slots=True)
class FollowSummary:
    pages: int  # requests made, recent-fills requests included
    gaps_at_ms: tuple[int, ...]
    caught_up: bool  # False when `max_pages` or the time limit ran out with more pages to read


async def follow(
    cursor: FillCursor,
    fetch_page: Callable[[int], Awaitable[ParsedFills]],
    consume: Callable[[Fill], None],
    full_page: int,
    max_pages: int,
    fetch_recent: Callable[[], Awaitable[ParsedFills]] | None = None,
    more_time: Callable[[], bool] = lambda: True,
) -> FollowSummary:
    """Read pages from `cursor.start_ms` until a short page (or `max_pages`), consuming new fills.

    `full_page` is the smallest page size the server may use (500; newer servers answer up to
    2000): a page at least this long may have been cut, so the next one is asked for from its
    newest millisecond. A full page entirely within its first millisecond means more fills share
    that millisecond than a page holds (a cascade's ADL burst): they cannot be paged by time, so
    the account's most recent fills (`fetch_recent`, `userFills`) are read to complete it, and
    the cursor steps past that millisecond, counting a gap only when they do not reach it.
    Whatever the page size, every request either moves the cursor forward or ends the loop.
    New fills are consumed page by page, so a failed request later on loses nothing already read.
    `more_time` is asked before each further page: when it says no, the rest waits for the next poll.
    """
    gaps: list[int] = []
    requests = 0
    while requests < max_pages and (requests == 0 or more_time()):
        requested = cursor.start_ms
        page = await fetch_page(requested)
        requests += 1
        for fill in cursor.take(page.fills):
            consume(fill)
        newest = max((fill.time_ms for fill in page.fills), default=requested)
        if len(page.fills) + page.malformed < full_page:
            cursor.advance_to(newest)
            return FollowSummary(requests, tuple(gaps), caught_up=True)
        if newest > requested:
            cursor.advance_to(newest)
            continue
        covered = False
        if fetch_recent is not None:
            recent = await fetch_recent()
            requests += 1
            for fill in cursor.take([fill for fill in recent.fills if fill.time_ms == requested]):
                consume(fill)
            covered = burst_covered(page.fills, recent.fills, requested)
        if not covered:
            gaps.append(requested)
        cursor.skip_past(requested, missed=not covered)
    return FollowSummary(requests, tuple(gaps), caught_up=False)


META = "meta"


@dataclass(frozen=True, slots=True)
class MetaListing:
    """What one `meta` answer lists: the coins not delisted, and how many entries were malformed."""

    coins: tuple[str, ...]
    malformed: int


def parse_listed_coins(data: Any) -> MetaListing:
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
    return MetaListing(tuple(dict.fromkeys(coins)), malformed)
