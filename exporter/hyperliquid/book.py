"""`l2Book` (weight 2): `{"coin":"BTC","time":ms,"levels":[[{"px","sz","n"}…bids],[{"px","sz","n"}…asks]]}`,
at most 20 levels a side, `null` for an unknown market (hyperliquid-api.md, l2Book). Read as the
notional resting within a band around the mid, per side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list

L2_BOOK = "l2Book"
# (side, band) -> notional within the band: ("bid", 0.02) is the bids within 2 % of the mid.
Depth = dict[tuple[str, float], float]
BANDS = (0.01, 0.02)


def parse_depth(response: Any, bands: Sequence[float] = BANDS) -> dict[tuple[str, float], float] | None:
    """(side, band) -> notional within `band` of the mid on that side, in the quote currency; None for an
    unknown market or a book with an empty side (no mid to measure from)."""
    if response is None:
        return None
    book = JsonObject(response, L2_BOOK)
    sides = book.items("levels")
    if len(sides) != 2:
        raise ParseError(L2_BOOK, "$.levels", f"expected [bids, asks], got {len(sides)} sides")
    levels = {
        side: [
            (level.number("px"), level.number("sz"))
            for index, raw in enumerate(as_list(entries, L2_BOOK, f"$.levels[{position}]"))
            for level in (JsonObject(raw, L2_BOOK, f"$.levels[{position}][{index}]"),)
        ]
        for position, (side, entries) in enumerate(zip(("bid", "ask"), sides, strict=True))
    }
    if not levels["bid"] or not levels["ask"]:
        return None
    mid = (max(px for px, _ in levels["bid"]) + min(px for px, _ in levels["ask"])) / 2
    depth: dict[tuple[str, float], float] = {}
    for band in bands:
        depth[("bid", band)] = sum(px * sz for px, sz in levels["bid"] if px >= mid * (1 - band))
        depth[("ask", band)] = sum(px * sz for px, sz in levels["ask"] if px <= mid * (1 + band))
    return depth
