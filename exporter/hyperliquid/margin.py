"""Typed parser for the terms a perp dex's `meta` sets beside its universe: margin tables and collateral.

Shape (Hyperliquid perpetuals docs, "Retrieve perpetuals metadata"; nktkas/hyperliquid
src/api/info/_methods/meta.ts and marginTable.ts):
`{"universe": [{"name", "maxLeverage", "marginTableId": <int>, ...}],
  "marginTables": [[<id>, {"description", "marginTiers": [{"lowerBound": "<usd>", "maxLeverage": <int>}]}]],
  "collateralToken": <spot token index>}`. Older responses (2023) carry neither `marginTables` nor
`marginTableId` nor `collateralToken`: they parse as no tables and no token.

Maintenance margin is half the initial margin at a tier's maximum leverage (Hyperliquid docs,
"Margining"): 1 / (2 x maxLeverage). A coin whose table is not listed (table ids below 50 stand for a
plain single-tier table in the docs' example) is read as one tier at the coin's own maxLeverage.
A malformed table costs that table only (and is returned in `skipped`); a malformed universe entry is
left out here and counted by whoever parses the universe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list

# HIP-3 deploy docs: a margin table has at most 3 tiers; keep slack for the first dex's own tables.
MAX_TIERS = 8


@dataclass(frozen=True, slots=True)
class MarginTier:
    lower_bound_usd: float  # position notional from which this tier's leverage applies
    max_leverage: float

    @property
    def maintenance_margin_ratio(self) -> float:
        return 1.0 / (2.0 * self.max_leverage)


@dataclass(frozen=True, slots=True)
class MarginTable:
    table_id: int
    description: str
    tiers: tuple[MarginTier, ...]


@dataclass(frozen=True, slots=True)
class CoinTerms:
    coin: str
    table_id: int | None
    tiers: tuple[MarginTier, ...]  # the coin's table, or one tier at its maxLeverage


@dataclass(frozen=True, slots=True)
class MetaTerms:
    collateral_token: int | None
    tables: tuple[MarginTable, ...]
    coins: tuple[CoinTerms, ...]
    skipped: tuple[ParseError, ...]


def _tier(value: Any, request_type: str, path: str) -> MarginTier:
    entry = JsonObject(value, request_type, path)
    leverage = entry.number("maxLeverage")
    if leverage <= 0:
        raise ParseError(request_type, f"{path}.maxLeverage", f"must be positive, got {leverage:g}")
    return MarginTier(lower_bound_usd=entry.number("lowerBound"), max_leverage=leverage)


def parse_margin_table(value: Any, request_type: str, path: str) -> MarginTable:
    pair = as_list(value, request_type, path)
    if len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool):
        raise ParseError(request_type, path, "expected [id, table]")
    table = JsonObject(pair[1], request_type, f"{path}[1]")
    raw_tiers = table.items("marginTiers")
    if not raw_tiers or len(raw_tiers) > MAX_TIERS:
        raise ParseError(request_type, f"{path}[1].marginTiers", f"{len(raw_tiers)} tiers")
    tiers = tuple(
        _tier(item, request_type, f"{path}[1].marginTiers[{index}]") for index, item in enumerate(raw_tiers)
    )
    return MarginTable(pair[0], table.optional_text("description") or "", tiers)


def parse_meta_terms(meta: Any, request_type: str, path: str = "$") -> MetaTerms:
    """The margin tables, each coin's tiers and the collateral token of one `meta` object."""
    body = JsonObject(meta, request_type, path)
    skipped: list[ParseError] = []
    tables: dict[int, MarginTable] = {}
    for index, item in enumerate(body.optional_items("marginTables")):
        try:
            parsed = parse_margin_table(item, request_type, f"{path}.marginTables[{index}]")
        except ParseError as exc:
            skipped.append(exc)
            continue
        tables.setdefault(parsed.table_id, parsed)
    coins: list[CoinTerms] = []
    seen: set[str] = set()
    for index, item in enumerate(body.optional_items("universe")):
        where = f"{path}.universe[{index}]"
        try:
            entry = JsonObject(item, request_type, where)
            name = entry.text("name")
            if entry.flag("isDelisted") or name in seen:
                continue
            table_id = entry.optional_integer("marginTableId")
            table = tables.get(table_id) if table_id is not None else None
            if table is not None:
                tiers = table.tiers
            else:
                leverage = entry.optional_number("maxLeverage")
                if leverage is None or leverage <= 0:
                    continue
                tiers = (MarginTier(0.0, leverage),)
        except ParseError:
            continue  # a malformed universe entry is the universe parser's to count
        seen.add(name)
        coins.append(CoinTerms(name, table_id, tiers))
    token: int | None = None
    if body.has("collateralToken"):
        try:
            token = body.integer("collateralToken")
        except ParseError as exc:
            skipped.append(exc)
    return MetaTerms(token, tuple(tables[key] for key in sorted(tables)), tuple(coins), tuple(skipped))
