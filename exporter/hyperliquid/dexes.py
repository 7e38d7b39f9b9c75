"""Typed parsers for the builder-deployed perp dexes (HIP-3): perpDexs, perpDexStatus, perpDexLimits.

Shapes (recorded in docs/builder-dexes.md):
- `perpDexs` -> `[null, {name, fullName, deployer, oracleUpdater, feeRecipient,
  assetToStreamingOiCap: [[coin, cap], ...], subDeployers: [[function, [address, ...]], ...],
  assetToFundingMultiplier: [[coin, multiplier], ...], deployerFeeScale, ...}, ...]`; the `null` entry
  is the first dex. Checked against nktkas/hyperliquid src/api/info/_methods/perpDexs.ts (caps and
  multipliers are decimal strings; subDeployers names the delegated action, e.g. setOracle, and who may
  call it). Dexes recorded before subDeployers and assetToFundingMultiplier existed parse as empty.
- `perpDexStatus` with `dex` -> `{totalNetDeposit}`, or null for an unknown dex.
- `perpDexLimits` with `dex` -> `{totalOiCap, oiSzCapPerPerp, maxTransferNtl, coinToOiCap}`, or null.
A malformed dex entry costs that entry only; a wrong top-level shape raises ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list, to_float

PERP_DEXS = "perpDexs"
PERP_DEX_STATUS = "perpDexStatus"
PERP_DEX_LIMITS = "perpDexLimits"

# Dex names are at most 6 characters (Hyperliquid's HIP-3 deploy docs); a little slack for the future.
DEX_NAME = re.compile(r"^[A-Za-z0-9]{1,12}$")


@dataclass(frozen=True, slots=True)
class PerpDex:
    name: str
    full_name: str
    deployer: str
    oracle_updater: str
    # Per-coin open-interest caps in the dex's collateral (USDC for today's dexes).
    open_interest_caps: tuple[tuple[str, float], ...]
    # (delegated action, address) pairs: who besides the deployer may call what, e.g. setOracle.
    sub_deployers: tuple[tuple[str, str], ...] = ()
    # Per-coin funding multipliers (0 to 10, HIP-3 deploy docs): the deployer scales the funding rate.
    funding_multipliers: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class PerpDexes:
    dexes: tuple[PerpDex, ...]
    skipped: tuple[ParseError, ...]


@dataclass(frozen=True, slots=True)
class PerpDexLimits:
    total_open_interest_cap: float | None
    open_interest_size_cap_per_perp: float | None
    max_transfer_notional: float | None
    open_interest_caps: tuple[tuple[str, float], ...]


def _coin_caps(entry: JsonObject, key: str) -> tuple[tuple[str, float], ...]:
    caps: list[tuple[str, float]] = []
    for index, pair in enumerate(entry.optional_items(key)):
        path = f"{entry.path}.{key}[{index}]"
        items = as_list(pair, entry.request_type, path)
        if len(items) != 2 or not isinstance(items[0], str) or not items[0]:
            raise ParseError(entry.request_type, path, "expected [coin, cap]")
        caps.append((items[0], to_float(items[1], entry.request_type, f"{path}[1]")))
    return tuple(caps)


_FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _sub_deployers(entry: JsonObject) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(entry.optional_items("subDeployers")):
        path = f"{entry.path}.subDeployers[{index}]"
        items = as_list(item, entry.request_type, path)
        if len(items) != 2 or not isinstance(items[0], str) or not _FUNCTION_NAME.match(items[0]):
            raise ParseError(entry.request_type, path, "expected [function, [address, ...]]")
        for position, address in enumerate(as_list(items[1], entry.request_type, f"{path}[1]")):
            if not isinstance(address, str) or not _ADDRESS.match(address):
                raise ParseError(entry.request_type, f"{path}[1][{position}]", "expected a 0x address")
            pairs.append((items[0], address.lower()))
    return tuple(sorted(set(pairs)))


def _address_or_empty(entry: JsonObject, key: str) -> str:
    value = entry.optional_text(key)
    return value.lower() if value else ""


def parse_perp_dex(value: Any, path: str) -> PerpDex:
    entry = JsonObject(value, PERP_DEXS, path)
    name = entry.text("name")
    if not DEX_NAME.match(name):
        raise ParseError(PERP_DEXS, f"{path}.name", f"unexpected dex name {name[:40]!r}")
    return PerpDex(
        name=name,
        full_name=entry.optional_text("fullName") or name,
        deployer=_address_or_empty(entry, "deployer"),
        oracle_updater=_address_or_empty(entry, "oracleUpdater"),
        open_interest_caps=_coin_caps(entry, "assetToStreamingOiCap"),
        sub_deployers=_sub_deployers(entry),
        funding_multipliers=_coin_caps(entry, "assetToFundingMultiplier"),
    )


def parse_perp_dexs(response: Any) -> PerpDexes:
    """Builder dexes in the API's order; the first dex (`null`) is left out."""
    dexes: list[PerpDex] = []
    skipped: list[ParseError] = []
    seen: set[str] = set()
    for index, item in enumerate(as_list(response, PERP_DEXS, "$")):
        if item is None:
            continue
        try:
            dex = parse_perp_dex(item, f"$[{index}]")
            if dex.name in seen:
                raise ParseError(PERP_DEXS, f"$[{index}].name", f"duplicate dex {dex.name!r}")
        except ParseError as exc:
            skipped.append(exc)
            continue
        seen.add(dex.name)
        dexes.append(dex)
    return PerpDexes(tuple(dexes), tuple(skipped))


def parse_perp_dex_status(response: Any) -> float | None:
    """The dex's total net deposit (collateral in minus out), or None when the API answers null."""
    if response is None:
        return None
    return JsonObject(response, PERP_DEX_STATUS, "$").number("totalNetDeposit")


def parse_perp_dex_limits(response: Any) -> PerpDexLimits | None:
    if response is None:
        return None
    entry = JsonObject(response, PERP_DEX_LIMITS, "$")
    return PerpDexLimits(
        total_open_interest_cap=entry.optional_number("totalOiCap"),
        open_interest_size_cap_per_perp=entry.optional_number("oiSzCapPerPerp"),
        max_transfer_notional=entry.optional_number("maxTransferNtl"),
        open_interest_caps=_coin_caps(entry, "coinToOiCap"),
    )
