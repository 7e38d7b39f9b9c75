"""`spotMetaAndAssetCtxs` (weight 20): every spot pair's context, of which the exporter reads the 24-hour
notional volume (`dayNtlVlm`, in the pair's quote token) and the USDC price of watched stablecoins.

Response: `[{"tokens": [...], "universe": [{"name": "PURR/USDC", "tokens": [1, 0], "index": 0}, ...]},
[{"coin": "PURR/USDC", "dayNtlVlm": "3558163.57", "markPx": ..., "midPx": ..., ...}, ...]]`; a pair
without a canonical name is `@N` (HYPE/USDC is `@107` on mainnet), in `coin` as in `allMids`.

What the real answer looks like (the Python SDK's recording of 9 Nov 2025,
tests/fixtures/hyperliquid-recorded/test_spot_asset_ctx.json): 398 `tokens`, each with its `index`; 233
`universe` pairs whose `index` is not their position in the list (162 of them differ); 249 contexts, one
per pair index (`coin` `@N`), some of which name no listed pair and carry a placeholder `markPx` of
"1.0" with no `midPx`. So a pair's context is found by its name, never by position, and a context that no
listed pair names is never read as a price. Every pair that involves USDC (token 0) has it as the quote
(`[base, 0]`); some pairs are quoted in USDT0 or USDH instead.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list

SPOT_META_AND_ASSET_CTXS = "spotMetaAndAssetCtxs"


@dataclass(frozen=True, slots=True)
class SpotVolumes:
    by_pair: dict[str, float] = field(default_factory=dict)  # pair key (`@107`, `PURR/USDC`) -> volume
    skipped: tuple[ParseError, ...] = ()


def parse_spot_volumes(response: Any) -> SpotVolumes:
    """Each context's `dayNtlVlm` under its `coin`; a malformed context costs only itself."""
    kind = SPOT_META_AND_ASSET_CTXS
    parts = as_list(response, kind, "$")
    if len(parts) < 2:
        raise ParseError(kind, "$", f"expected [meta, assetCtxs], got {len(parts)} elements")
    by_pair: dict[str, float] = {}
    skipped: list[ParseError] = []
    for index, raw in enumerate(as_list(parts[1], kind, "$[1]")):
        try:
            ctx = JsonObject(raw, kind, f"$[1][{index}]")
            by_pair[ctx.text("coin")] = ctx.number("dayNtlVlm")
        except ParseError as exc:
            skipped.append(exc)
    return SpotVolumes(by_pair, tuple(skipped))


@dataclass(frozen=True, slots=True)
class SpotToken:
    index: int
    name: str
    usdc_pair: str | None  # the key (`@230`) of its pair against USDC, None when it has none
    usdc_price: float | None  # that pair's mid (its mark when the book is empty), None when it has neither


@dataclass(frozen=True, slots=True)
class SpotTokens:
    """Every spot token by index, with its price in USDC where Hyperliquid spot has a `<TOKEN>/USDC` pair."""

    by_index: dict[int, SpotToken] = field(default_factory=dict)

    def by_name(self, name: str) -> SpotToken | None:
        return next((token for token in self.by_index.values() if token.name == name), None)


def _pair_price(ctx: JsonObject) -> float | None:
    mid = ctx.optional_number("midPx")
    price = mid if mid is not None else ctx.optional_number("markPx")
    return price if price is not None and price > 0 else None


def parse_spot_tokens(response: Any) -> SpotTokens:
    """Each token of `tokens` under its `index`, priced from its `[token, 0]` pair's context (found by the
    pair's name). A malformed token, pair or context costs only itself: the token is then listed
    without that pair or price. USDC (index 0) is priced at exactly 1, the quote of every pair."""
    kind = SPOT_META_AND_ASSET_CTXS
    parts = as_list(response, kind, "$")
    if len(parts) < 2:
        raise ParseError(kind, "$", f"expected [meta, assetCtxs], got {len(parts)} elements")
    meta = JsonObject(parts[0], kind, "$[0]")
    names: dict[int, str] = {}
    for position, raw in enumerate(meta.optional_items("tokens")):
        try:
            entry = JsonObject(raw, kind, f"$[0].tokens[{position}]")
            names.setdefault(entry.integer("index"), entry.text("name"))
        except ParseError:
            continue
    usdc_pair: dict[int, str] = {}
    for raw in meta.optional_items("universe"):
        legs = raw.get("tokens") if isinstance(raw, dict) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and isinstance(legs, list) and len(legs) == 2 and legs[1] == 0:
            base = legs[0]
            if isinstance(base, int) and not isinstance(base, bool) and base != 0:
                usdc_pair.setdefault(base, name)
    prices: dict[str, float | None] = {}
    for position, raw in enumerate(as_list(parts[1], kind, "$[1]")):
        try:
            ctx = JsonObject(raw, kind, f"$[1][{position}]")
            prices[ctx.text("coin")] = _pair_price(ctx)
        except ParseError:
            continue
    tokens: dict[int, SpotToken] = {}
    for index, name in names.items():
        if index == 0:
            tokens[index] = SpotToken(index, name, None, 1.0)
            continue
        pair = usdc_pair.get(index)
        tokens[index] = SpotToken(index, name, pair, prices.get(pair) if pair is not None else None)
    return SpotTokens(tokens)


def parse_stablecoin_mids(response: Any, tokens: Collection[str]) -> dict[str, float]:
    """The USDC price of each named token from its `<TOKEN>/USDC` pair: the pair's `midPx`, or its
    `markPx` when the book is empty. Token 0 is USDC; a pair is found by its tokens, since its name is
    usually `@N`. Tokens without such a pair, or with a malformed context, are left out."""
    return stablecoin_prices(parse_spot_tokens(response), tokens)


def stablecoin_prices(table: SpotTokens, tokens: Collection[str]) -> dict[str, float]:
    """The USDC price of each named token that has one (USDC itself is not a stablecoin of USDC)."""
    mids: dict[str, float] = {}
    for name in tokens:
        token = table.by_name(name)
        if token is not None and token.index != 0 and token.usdc_price is not None:
            mids[name] = token.usdc_price
    return mids
