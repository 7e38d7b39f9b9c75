"""Typed parsers for the market requests: metaAndAssetCtxs and perpsAtOpenInterestCap.

A malformed item (one universe entry, one asset context, one capped coin) costs that item only: it is
left out and its ParseError is returned in `skipped`, for the caller to count. A response whose
top-level shape is wrong raises ParseError, failing the poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list, to_float
from exporter.hyperliquid.margin import MetaTerms, parse_meta_terms

META_AND_ASSET_CTXS = "metaAndAssetCtxs"
OPEN_INTEREST_CAP = "perpsAtOpenInterestCap"

# `marginMode` values as the API spells them -> label values. Without `marginMode`, the deprecated
# `onlyIsolated` flag means isolated, and nothing at all means cross margin is allowed.
MARGIN_MODES = {
    "strictIsolated": "strict_isolated",
    "noCross": "no_cross",
    "isolated": "isolated",
    "cross": "cross",
}
_UNKNOWN_MODE = re.compile(r"^[A-Za-z]{1,40}$")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class PerpSpec:
    """One entry of `meta.universe`: a perp of the main dex, listed or delisted."""

    name: str
    delisted: bool
    margin_mode: str
    max_leverage: float | None
    size_decimals: int | None


@dataclass(frozen=True, slots=True)
class PerpContext:
    """One asset context of `metaAndAssetCtxs`; prices in USD (USDC), open interest in coins."""

    oracle_price: float
    mark_price: float
    mid_price: float | None
    funding_rate: float
    premium: float | None
    open_interest: float
    impact_bid: float | None
    impact_ask: float | None
    day_notional_volume: float | None
    previous_day_price: float | None

    @property
    def open_interest_usd(self) -> float:
        return self.open_interest * self.mark_price


@dataclass(frozen=True, slots=True)
class Perp:
    spec: PerpSpec
    # None for delisted perps: their contexts are stale and not published.
    context: PerpContext | None


@dataclass(frozen=True, slots=True)
class MarketData:
    perps: tuple[Perp, ...]
    skipped: tuple[ParseError, ...]
    # Margin tables, each coin's tiers and the collateral token, from the same `meta`.
    terms: MetaTerms | None = None

    @property
    def listed(self) -> tuple[str, ...]:
        return tuple(perp.spec.name for perp in self.perps if not perp.spec.delisted)


@dataclass(frozen=True, slots=True)
class OpenInterestCaps:
    coins: frozenset[str]
    skipped: tuple[ParseError, ...]


def normalise_margin_mode(entry: JsonObject) -> str:
    mode = entry.optional_text("marginMode")
    if mode is None:
        return "isolated" if entry.flag("onlyIsolated") else "cross"
    if mode in MARGIN_MODES:
        return MARGIN_MODES[mode]
    if not _UNKNOWN_MODE.match(mode):
        raise ParseError(entry.request_type, f"{entry.path}.marginMode", f"unexpected value {mode[:40]!r}")
    # A mode introduced after this code was written: keep it, in the same snake_case style.
    return _CAMEL_HUMP.sub("_", mode).lower()


def parse_perp_spec(value: Any, request_type: str, path: str) -> PerpSpec:
    entry = JsonObject(value, request_type, path)
    name = entry.text("name")
    if not name:
        raise ParseError(request_type, f"{path}.name", "is empty")
    return PerpSpec(
        name=name,
        delisted=entry.flag("isDelisted"),
        margin_mode=normalise_margin_mode(entry),
        max_leverage=entry.optional_number("maxLeverage"),
        size_decimals=entry.optional_integer("szDecimals"),
    )


def _impact_prices(ctx: JsonObject) -> tuple[float | None, float | None]:
    if not ctx.has("impactPxs"):
        return None, None
    path = f"{ctx.path}.impactPxs"
    sides = as_list(ctx.data["impactPxs"], ctx.request_type, path)
    if len(sides) != 2:
        raise ParseError(ctx.request_type, path, f"expected [bid, ask], got {len(sides)} values")
    bid, ask = (
        None if side is None else to_float(side, ctx.request_type, f"{path}[{index}]")
        for index, side in enumerate(sides)
    )
    return bid, ask


def parse_perp_context(value: Any, request_type: str, path: str) -> PerpContext:
    ctx = JsonObject(value, request_type, path)
    impact_bid, impact_ask = _impact_prices(ctx)
    return PerpContext(
        oracle_price=ctx.number("oraclePx"),
        mark_price=ctx.number("markPx"),
        mid_price=ctx.optional_number("midPx"),
        funding_rate=ctx.number("funding"),
        premium=ctx.optional_number("premium"),
        open_interest=ctx.number("openInterest"),
        impact_bid=impact_bid,
        impact_ask=impact_ask,
        day_notional_volume=ctx.optional_number("dayNtlVlm"),
        previous_day_price=ctx.optional_number("prevDayPx"),
    )


def _universe(meta_value: Any, request_type: str, path: str) -> list[Any]:
    return JsonObject(meta_value, request_type, path).items("universe")


def _unique(spec: PerpSpec, seen: set[str], request_type: str, index: int) -> PerpSpec:
    # Two entries of one name would publish duplicate series; keep the first.
    if spec.name in seen:
        raise ParseError(request_type, f"$.universe[{index}].name", f"duplicate coin {spec.name[:40]!r}")
    seen.add(spec.name)
    return spec


def parse_meta_and_asset_ctxs(response: Any) -> MarketData:
    """`[meta, [ctx...]]`, where ctx[i] belongs to meta.universe[i]."""
    parts = as_list(response, META_AND_ASSET_CTXS, "$")
    if len(parts) < 2:
        raise ParseError(META_AND_ASSET_CTXS, "$", f"expected [meta, assetCtxs], got {len(parts)} elements")
    universe = _universe(parts[0], META_AND_ASSET_CTXS, "$[0]")
    contexts = as_list(parts[1], META_AND_ASSET_CTXS, "$[1]")
    if len(contexts) != len(universe):
        # Contexts are matched to coins by position: with a count mismatch no pairing can be trusted.
        raise ParseError(
            META_AND_ASSET_CTXS,
            "$[1]",
            f"{len(contexts)} asset contexts for {len(universe)} universe entries",
        )
    perps: list[Perp] = []
    skipped: list[ParseError] = []
    seen: set[str] = set()
    for index, (entry, ctx) in enumerate(zip(universe, contexts, strict=True)):
        try:
            spec = parse_perp_spec(entry, META_AND_ASSET_CTXS, f"$[0].universe[{index}]")
            spec = _unique(spec, seen, META_AND_ASSET_CTXS, index)
        except ParseError as exc:
            skipped.append(exc)
            continue
        context: PerpContext | None = None
        if not spec.delisted:
            try:
                context = parse_perp_context(ctx, META_AND_ASSET_CTXS, f"$[1][{index}]")
            except ParseError as exc:
                # The coin stays in the universe (info, cap flag); only its market values are lost.
                skipped.append(exc)
        perps.append(Perp(spec, context))
    terms = parse_meta_terms(parts[0], META_AND_ASSET_CTXS, "$[0]")
    return MarketData(tuple(perps), (*skipped, *terms.skipped), terms)


def parse_open_interest_caps(response: Any) -> OpenInterestCaps:
    """A bare list of coin names at their open-interest cap; empty when none is."""
    coins: set[str] = set()
    skipped: list[ParseError] = []
    for index, item in enumerate(as_list(response, OPEN_INTEREST_CAP, "$")):
        if isinstance(item, str) and item:
            coins.add(item)
        else:
            skipped.append(
                ParseError(OPEN_INTEREST_CAP, f"$[{index}]", f"expected a coin name, got {item!r:.40}")
            )
    return OpenInterestCaps(frozenset(coins), tuple(skipped))
