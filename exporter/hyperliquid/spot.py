"""`spotMetaAndAssetCtxs` (weight 20): every spot pair's context, of which the exporter reads the 24-hour
notional volume (`dayNtlVlm`, in the pair's quote token) and the USDC price of watched stablecoins.

Response: `[{"tokens": [...], "universe": [{"name": "PURR/USDC", "tokens": [1, 0], "index": 0}, ...]},
[{"coin": "PURR/USDC", "dayNtlVlm": "3558163.57", "markPx": ..., "midPx": ..., ...}, ...]]`; a pair
without a canonical name is `@N` (HYPE/USDC is `@107` on mainnet), in `coin` as in `allMids`.
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


def parse_stablecoin_mids(response: Any, tokens: Collection[str]) -> dict[str, float]:
    """The USDC price of each named token from its `<TOKEN>/USDC` pair: the pair's `midPx`, or its
    `markPx` when the book is empty. Token 0 is USDC; a pair is found by its tokens, since its name is
    usually `@N`. Tokens without such a pair, or with a malformed context, are left out."""
    kind = SPOT_META_AND_ASSET_CTXS
    parts = as_list(response, kind, "$")
    if len(parts) < 2 or not isinstance(parts[0], dict):
        raise ParseError(kind, "$", "expected [meta, assetCtxs]")
    names = {
        entry.get("index"): entry.get("name")
        for entry in parts[0].get("tokens", [])
        if isinstance(entry, dict)
    }
    pair_of: dict[str, str] = {}
    for pair in parts[0].get("universe", []):
        if not isinstance(pair, dict):
            continue
        legs = pair.get("tokens")
        if isinstance(legs, list) and len(legs) == 2 and legs[1] == 0 and names.get(legs[0]) in tokens:
            pair_of[str(pair.get("name"))] = str(names[legs[0]])
    mids: dict[str, float] = {}
    for index, raw in enumerate(as_list(parts[1], kind, "$[1]")):
        try:
            ctx = JsonObject(raw, kind, f"$[1][{index}]")
            token = pair_of.get(ctx.text("coin"))
            if token is not None:
                mid = ctx.optional_number("midPx")
                mids[token] = mid if mid is not None else ctx.number("markPx")
        except ParseError:
            continue
    return mids
