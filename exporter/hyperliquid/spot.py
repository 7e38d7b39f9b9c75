"""`spotMetaAndAssetCtxs` (weight 20): every spot pair's context, of which the exporter reads the 24-hour
notional volume (`dayNtlVlm`, in the pair's quote token).

Response: `[{"tokens": [...], "universe": [{"name": "PURR/USDC", "tokens": [1, 0], "index": 0}, ...]},
[{"coin": "PURR/USDC", "dayNtlVlm": "3558163.57", "markPx": ..., "midPx": ..., ...}, ...]]`; a pair
without a canonical name is `@N` (HYPE/USDC is `@107` on mainnet), in `coin` as in `allMids`.
"""

from __future__ import annotations

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
